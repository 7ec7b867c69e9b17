import { createHash, randomBytes, randomUUID } from 'node:crypto';

import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  type InputRequiredResult,
  inputResponse,
  type RequestStateCodec,
  type ResourceLink,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';

import { OboError } from '../auth/oboError.js';
import { DataverseError, describeDataverseError } from '../dataverse/errors.js';
import { isGuid, ODataBuildError } from '../dataverse/odata.js';
import type { AuditEntry, AuditLog } from '../sessions/auditLog.js';
import type { ConfirmationStore } from '../sessions/confirmationStore.js';
import { StorageUnavailableError } from '../sessions/tableStorage.js';
import type { Telemetry, ToolFacts } from '../telemetry/telemetry.js';
import { type BoundCall, type ConfirmationPreview, type CursorSealer, type Prepared, type RecordRef, type ToolContext, ToolError, type ToolOutput } from '../tools/defineTool.js';
import { recordResources, recordUri } from '../tools/dataverse/resources.js';
import { tableAllowed } from '../tools/dataverse/tableAccess.js';
import { argsHash } from './secrets.js';
import type { CompiledTool } from './toolInventory.js';

/**
 * What an MRTR confirmation round carries (HMAC-signed, bound to the user and agent by the codec):
 * the tool and exact arguments the user was asked about, a single-use nonce, and the preview shown.
 */
export interface ConfirmState {
  tool: string;
  argsHash: string;
  agentId: string;
  nonce: string;
  previewHash: string;
}

export interface DispatchDeps {
  confirmations: ConfirmationStore;
  audit: AuditLog;
  /** Signs confirmation rounds and raw calls' round state (see exchange.ts). */
  stateCodec: RequestStateCodec<ConfirmState | { call: string; exchange: Record<string, unknown> }>;
  /** Confirmation and write events (src/telemetry). */
  telemetry: Telemetry;
}

type CallResult = CallToolResult | InputRequiredResult;
type WriteCall = Extract<BoundCall, { auditTarget: string }>;

/** What a client is told to wait when confirmation storage is down (the 2025-era path answers 503 with the same). */
const STORAGE_RETRY_SECONDS = 5;

/** Structured results larger than this are not repeated as JSON text. */
export const INLINE_JSON_LIMIT = 64 * 1024;

const CONFIRM_SCHEMA = z.object({ confirm: z.boolean() });
const CONFIRM_REQUEST = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Confirm', description: 'Proceed with this change?' } },
  required: ['confirm'],
};

/**
 * Runs one tools/call: argument checks, then a read runs; a write is prepared (everything resolved
 * and checked once) and either confirmed first or, where the agent's policy allows, carried out.
 * The confirmed round prepares again with fresh data and runs only if the user would see the same
 * preview now. Every write leaves an audit row.
 */
export async function dispatch(tool: CompiledTool, rawArgs: unknown, requestContext: ToolContext, serverContext: ServerContext, deps: DispatchDeps): Promise<CallResult> {
  const malformed = checkArgumentValues(rawArgs);
  if (malformed) return errorResult(`Invalid arguments for ${tool.def.name}: ${malformed}`);
  const named = withAliases(rawArgs, tool.def.aliases);
  const unknown = unknownArguments(named, tool);
  if (unknown) return errorResult(`Invalid arguments for ${tool.def.name}: ${unknown}`);
  const { confirmationHandle, rest } = splitHandle(named);
  if (confirmationHandle !== undefined && (typeof confirmationHandle !== 'string' || confirmationHandle.length > 64)) {
    return errorResult(`Invalid arguments for ${tool.def.name}: confirmationHandle: must be the handle string a previous call returned.`);
  }
  const bound = tool.def.bind(rest);
  if (!bound.ok) return errorResult(`Invalid arguments for ${tool.def.name}: ${describeIssues(bound.error)}`);
  const { args, call } = bound;
  // A cursor continues the listing that made it: same filters (page size may change).
  const { cursor: _cursor, top: _top, ...filters } = args;
  let scoped: CursorSealer | undefined;
  const ctx = refine(requestContext, {
    get cursors() {
      return (scoped ??= requestContext.cursors.scoped(argsHash(tool.def.name, filters)));
    },
  });
  if (call.kind === 'read') return runRead(tool, call, ctx);

  const mustConfirm = tool.def.confirmation === 'always' || ctx.agent.confirmAllWrites;
  if (!mustConfirm) {
    const prepared = await prepareOrFail(tool, call, ctx, deps);
    return prepared.ok ? runWrite(tool, call, prepared.value, ctx, deps) : prepared.result;
  }

  const hash = argsHash(tool.def.name, args);
  const expect = { agentId: ctx.agent.id, tool: tool.def.name, argsHash: hash };
  try {
    if (typeof confirmationHandle === 'string' && confirmationHandle) {
      const outcome = await deps.confirmations.consume(ctx.principal, confirmationHandle, expect);
      if (!outcome.ok) return errorResult(handleRefusal(outcome.reason, tool.def.name));
      deps.telemetry.confirmation('given', { ...toolFacts(ctx, tool), via: 'handle' });
      return runIfUnchanged(tool, call, confirmedContext(ctx, tool, confirmationHandle), deps, outcome.confirmation.previewHash);
    }

    if (ctx.era === 'modern' && canElicit(serverContext)) {
      const state = serverContext.mcpReq.requestState<ConfirmState>();
      if (state !== undefined) {
        if (typeof state !== 'object' || state.tool !== expect.tool || state.argsHash !== hash || state.agentId !== expect.agentId) {
          return errorResult(`This confirmation was given for different arguments or another tool; call ${tool.def.name} again to be asked afresh.`);
        }
        const view = inputResponse(serverContext.mcpReq.inputResponses, 'confirm');
        if (view.kind === 'elicit' && view.action !== 'accept') return cancelled(tool, call, ctx, deps);
        const answer = acceptedContent(serverContext.mcpReq.inputResponses, 'confirm', CONFIRM_SCHEMA);
        if (answer?.confirm === false) return cancelled(tool, call, ctx, deps);
        if (answer?.confirm === true) {
          const fresh = await deps.confirmations.useNonce(ctx.principal, state.nonce, new Date(ctx.now().getTime() + 3600_000));
          if (!fresh) return errorResult('This confirmation was already used. Call the tool again to make a new request.');
          deps.telemetry.confirmation('given', { ...toolFacts(ctx, tool), via: 'elicitation' });
          return runIfUnchanged(tool, call, confirmedContext(ctx, tool, state.nonce), deps, state.previewHash);
        }
      }
      const prepared = await prepareOrFail(tool, call, ctx, deps, false);
      if (!prepared.ok) return prepared.result;
      const preview = prepared.value.preview;
      deps.telemetry.confirmation('asked', { ...toolFacts(ctx, tool), via: 'elicitation' });
      return inputRequired({
        inputRequests: { confirm: inputRequired.elicit({ message: confirmationMessage(preview), requestedSchema: CONFIRM_REQUEST }) },
        requestState: await deps.stateCodec.mint(
          { tool: expect.tool, argsHash: hash, agentId: expect.agentId, nonce: randomBytes(12).toString('base64url'), previewHash: previewHash(preview) },
          serverContext,
        ),
      });
    }

    const prepared = await prepareOrFail(tool, call, ctx, deps, false);
    if (!prepared.ok) return prepared.result;
    const preview = prepared.value.preview;
    const pending = await deps.confirmations.create(ctx.principal, { ...expect, summary: preview.summary, previewHash: previewHash(preview) });
    deps.telemetry.confirmation('asked', { ...toolFacts(ctx, tool), via: 'handle' });
    const details = detailsOf(preview);
    const confirmation = { handle: pending.handle, expiresAt: pending.expiresAt.toISOString(), summary: preview.summary, details };
    const text = [
      `Confirmation required: ${preview.summary}`,
      ...Object.entries(details).map(([k, v]) => `  - ${k}: ${v}`),
      'Nothing has been changed yet. Show this to the user and ask them to confirm. Only if they agree, call',
      `${tool.def.name} again with exactly the same arguments plus confirmationHandle "${pending.handle}" (valid until ${confirmation.expiresAt}).`,
    ].join('\n');
    const structured = { status: 'confirmation_required', confirmation };
    return { content: [{ type: 'text', text }], structuredContent: structured };
  } catch (err) {
    return failure(err, tool, ctx);
  }
}

/** The served input accepts `confirmationHandle` beside the tool's own arguments; the tool never sees it. */
function splitHandle(raw: unknown): { confirmationHandle: unknown; rest: unknown } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !('confirmationHandle' in raw)) return { confirmationHandle: undefined, rest: raw };
  const { confirmationHandle, ...rest } = raw as Record<string, unknown>;
  return { confirmationHandle, rest };
}

/** The context of a confirmed write: new records get ids derived from the confirmation. */
function confirmedContext(ctx: ToolContext, tool: CompiledTool, confirmation: string): ToolContext {
  return refine(ctx, { confirmedId: (purpose) => derivedGuid(`${confirmation}\0${tool.def.name}\0${purpose}`) });
}

/**
 * `ctx` with some members replaced; the others are read from it when used. A spread would read
 * every member, building all of the call's parts (its deadline, Dataverse client, privileges,
 * services) for a call that may need none of them.
 */
export function refine(ctx: ToolContext, own: Partial<ToolContext>): ToolContext {
  return Object.create(ctx, Object.getOwnPropertyDescriptors(own)) as ToolContext;
}

/** A GUID from a hash (RFC 9562 version 8, "custom"): the same confirmation always names the same record. */
export function derivedGuid(seed: string): string {
  const b = createHash('sha256').update(seed).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (String#isWellFormed is ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper than this, arguments are refused before anything walks them recursively. */
export const MAX_ARGUMENT_DEPTH = 32;

/**
 * Refuses argument values no tool can use, before validation walks them: nesting deeper than
 * MAX_ARGUMENT_DEPTH (recursive code would overflow the stack) and text with unpaired UTF-16
 * surrogates (it cannot be encoded into a URL or a Dataverse request). Iterative on purpose.
 */
export function checkArgumentValues(raw: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: raw, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return `${path || '(arguments)'}: the text contains an unpaired UTF-16 surrogate (broken Unicode); send valid Unicode text.`;
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_ARGUMENT_DEPTH) return `${clipPath(path)}: nested deeper than ${MAX_ARGUMENT_DEPTH} levels, the limit for any argument.`;
    const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (LONE_SURROGATE.test(key)) return `${path || '(arguments)'}: a property name contains an unpaired UTF-16 surrogate; send valid Unicode text.`;
      stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return undefined;
}

function clipPath(path: string): string {
  return path.length <= 100 ? path : `${path.slice(0, 97)}...`;
}

/**
 * Arguments a tool does not declare are refused, not dropped: a misspelt filter would otherwise
 * quietly return an unfiltered list. The message names the closest declared argument.
 */
function unknownArguments(raw: unknown, tool: CompiledTool): string | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const declared = Object.keys(tool.input.shape);
  const extra = Object.keys(raw).filter((k) => !declared.includes(k));
  if (extra.length === 0) return undefined;
  const first = extra[0]!;
  const shown = first.length > 100 ? `${first.slice(0, 100)}…` : first;
  const suggestion = closest(first, declared);
  const others = extra.length > 1 ? ` (and ${extra.length - 1} more)` : '';
  return `unknown argument "${shown}"${others}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} Declared arguments: ${declared.join(', ')}.`;
}

/** The declared name most like `name`: shared words count most (engagementScore → minScore), then edit distance. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[\s_.-]+/).filter(Boolean);
  const mine = new Set(words(name));
  let best: { name: string; score: number } | undefined;
  for (const c of candidates) {
    const shared = words(c).filter((w) => mine.has(w)).length;
    const distance = editDistance(name.toLowerCase(), c.toLowerCase());
    const similar = 1 - distance / Math.max(name.length, c.length);
    const score = shared + similar;
    if ((shared > 0 || similar >= 0.5) && (!best || score > best.score)) best = { name: c, score };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function detailsOf(preview: ConfirmationPreview): Record<string, string> {
  return Object.fromEntries(Object.entries(preview.details ?? {}).map(([k, v]) => [k, String(v)]));
}

/** What the user agreed to: the exact summary and details, hashed. */
function previewHash(preview: ConfirmationPreview): string {
  return argsHash('preview', { summary: preview.summary, details: detailsOf(preview) });
}

/**
 * The confirmed round: prepares again from current data (recipient, draft, current values) and
 * runs only if the user would see the same preview now. A confirmation covers what was shown, not
 * whatever the record says later.
 */
async function runIfUnchanged(tool: CompiledTool, call: WriteCall, ctx: ToolContext, deps: DispatchDeps, confirmedPreview: string): Promise<CallToolResult> {
  const prepared = await prepareOrFail(tool, call, ctx, deps);
  if (!prepared.ok) return prepared.result;
  if (previewHash(prepared.value.preview) !== confirmedPreview) {
    await record(deps, auditEntry(ctx, tool, call.auditTarget, 'cancelled', 'changed_since_confirmation'));
    return errorResult(
      `Nothing was changed: what this would do is no longer what the user confirmed (now: ${prepared.value.preview.summary}). Call ${tool.def.name} again without a handle to show the user the new preview.`,
    );
  }
  return runWrite(tool, call, prepared.value, ctx, deps);
}

/** Maps alternative argument names onto the advertised ones (the advertised name wins). */
function withAliases(raw: unknown, aliases: Record<string, string> | undefined): unknown {
  if (!aliases || !raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const [alias, target] of Object.entries(aliases)) {
    if (alias in out) {
      if (out[target] === undefined) out[target] = out[alias];
      delete out[alias];
    }
  }
  return out;
}

/** A read: run, check the output against the schema, render. */
async function runRead(tool: CompiledTool, call: Extract<BoundCall, { kind: 'read' }>, ctx: ToolContext): Promise<CallToolResult> {
  try {
    return render(tool, await call.run(ctx), (data) => data, ctx);
  } catch (err) {
    return failure(err, tool, ctx);
  }
}

/** A prepared write carried out; it leaves an audit row whatever the outcome. */
async function runWrite(tool: CompiledTool, call: WriteCall, prepared: Prepared<unknown>, ctx: ToolContext, deps: DispatchDeps): Promise<CallToolResult> {
  try {
    const out = await prepared.run();
    const result = render(tool, out, (data) => ({ status: 'completed', result: data }), ctx);
    await record(deps, auditEntry(ctx, tool, out.target ?? call.auditTarget, out.partial ? 'partial' : 'succeeded', out.partial));
    return result;
  } catch (err) {
    const unknown = err instanceof DataverseError && err.kind === 'unknown_outcome';
    await record(deps, auditEntry(ctx, tool, call.auditTarget, unknown ? 'unknown' : 'failed', failureKind(err)));
    return failure(err, tool, ctx);
  }
}

/**
 * Prepares a write; a refusal (no privilege, wrong state, bad input) becomes the error result. When
 * the write would have run without asking (`audited`), the refusal is audited as a failed write.
 */
async function prepareOrFail(
  tool: CompiledTool,
  call: WriteCall,
  ctx: ToolContext,
  deps: DispatchDeps,
  audited = true,
): Promise<{ ok: true; value: Prepared<unknown> } | { ok: false; result: CallToolResult }> {
  try {
    return { ok: true, value: await call.prepare(ctx) };
  } catch (err) {
    if (audited) await record(deps, auditEntry(ctx, tool, call.auditTarget, 'failed', failureKind(err)));
    return { ok: false, result: failure(err, tool, ctx) };
  }
}

async function cancelled(tool: CompiledTool, call: WriteCall, ctx: ToolContext, deps: DispatchDeps): Promise<CallToolResult> {
  deps.telemetry.confirmation('refused', { ...toolFacts(ctx, tool), via: 'elicitation' });
  await record(deps, auditEntry(ctx, tool, call.auditTarget, 'cancelled'));
  const structured = { status: 'cancelled' };
  return { content: [{ type: 'text', text: 'The user declined; nothing was changed.' }], structuredContent: structured };
}

/** The output as served (writes wrap theirs in a status envelope), checked against the schema, with its text. */
function render(tool: CompiledTool, out: ToolOutput<unknown>, served: (data: unknown) => unknown, ctx: ToolContext): CallToolResult {
  const checked = tool.output.safeParse(served(out.data));
  if (!checked.success) throw new Error(`output of ${tool.def.name} violates its schema: ${describeIssues(checked.error)}`);
  const structured = checked.data as Record<string, unknown>;
  const json = JSON.stringify(structured);
  return {
    // The JSON copy in text content serves clients that ignore structuredContent; for large
    // results it would double the payload past client limits (Copilot Studio: 500 KB), so the
    // short rendering stands alone there.
    content: [{ type: 'text', text: out.text }, ...(json.length <= INLINE_JSON_LIMIT ? [{ type: 'text' as const, text: json }] : []), ...resourceLinks(out.records, ctx)],
    structuredContent: structured,
  };
}

/** Links a result's records can be read at, where the agent serves records and the table is on its allowlist. */
export const MAX_LINKS = 25;

function resourceLinks(records: readonly RecordRef[] | undefined, ctx: ToolContext): ResourceLink[] {
  if (!records?.length || !recordResources.toolsets.some((t) => ctx.agent.toolsets.includes(t))) return [];
  return records
    .filter((r) => isGuid(r.id) && tableAllowed(ctx, r.table))
    .slice(0, MAX_LINKS)
    .map((r) => ({ type: 'resource_link', uri: recordUri(r.table, r.id), name: r.name || `${r.table} ${r.id.toLowerCase()}`, mimeType: 'application/json' }));
}

function confirmationMessage(preview: ConfirmationPreview): string {
  const details = Object.entries(preview.details ?? {}).map(([k, v]) => `• ${k}: ${String(v)}`);
  return [preview.summary, ...(details.length ? ['', ...details] : []), '', 'Do you want to proceed?'].join('\n');
}

/** Form elicitation declared in this request's envelope (2026-07-28: capabilities travel per request). */
function canElicit(serverContext: ServerContext): boolean {
  const caps = (serverContext.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: Record<string, unknown> } | undefined;
  const e = caps?.elicitation;
  return e !== undefined && e !== null && (e['form'] !== undefined || Object.keys(e).length === 0);
}

function handleRefusal(reason: 'unknown' | 'expired' | 'mismatch' | 'replayed', tool: string): string {
  switch (reason) {
    case 'mismatch':
      return `The confirmation handle was issued for different arguments. Nothing was changed. Call ${tool} with the arguments the user confirmed, or call it without a handle to ask again.`;
    case 'expired':
      return `The confirmation handle has expired. Nothing was changed. Call ${tool} without a handle to ask the user again.`;
    case 'replayed':
      return 'The confirmation handle was already used. Nothing more was changed.';
    default:
      return `The confirmation handle is not valid (unknown, used, or issued to someone else). Nothing was changed. Call ${tool} without a handle to ask the user again.`;
  }
}

/** Every write outcome goes to the audit table and, as a `write` event (no target, no arguments), to telemetry. */
async function record(deps: DispatchDeps, entry: AuditEntry): Promise<void> {
  await deps.audit.record(entry);
  deps.telemetry.write({ agent: entry.agentId, tool: entry.tool, era: entry.era, outcome: entry.outcome });
}

function toolFacts(ctx: ToolContext, tool: CompiledTool): ToolFacts {
  return { agent: ctx.agent.id, tool: tool.def.name, era: ctx.era };
}

function auditEntry(ctx: ToolContext, tool: CompiledTool, target: string, outcome: AuditEntry['outcome'], detail?: string) {
  return { principal: ctx.principal, agentId: ctx.agent.id, tool: tool.def.name, target, outcome, ...(detail && { detail }), requestId: ctx.requestId, era: ctx.era };
}

function failureKind(err: unknown): string {
  if (err instanceof ToolError) return err.code;
  if (err instanceof DataverseError) return err.kind;
  if (err instanceof OboError) return `obo_${err.kind}`;
  return 'internal';
}

/** Everything a user or model can act on becomes an `isError` result; anything else is a bug with a reference. */
export function failure(err: unknown, tool: CompiledTool, ctx: ToolContext): CallToolResult {
  if (ctx.signal.aborted && (ctx.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    const unknown = err instanceof DataverseError && err.kind === 'unknown_outcome';
    ctx.log.warn('tool call deadline', { unknownOutcome: unknown });
    return errorResult(
      `${tool.def.title}: did not finish within the time one call may take (Dataverse was slow or throttling).${unknown ? ' A change may or may not have been applied: check the record before trying again.' : ' Try again, or narrow the request.'}`,
    );
  }
  if (err instanceof ToolError) {
    // Structured error content only where it satisfies the tool's output schema (clients validate it).
    const data = err.data && tool.output.safeParse(err.data).success ? err.data : undefined;
    return errorResult(err.message, data);
  }
  if (err instanceof StorageUnavailableError) {
    ctx.log.warn('confirmation storage unavailable', { error: err.message });
    return errorResult(`${tool.def.title}: confirmations are temporarily unavailable (their storage could not be reached). Nothing was changed. Retry in ${STORAGE_RETRY_SECONDS} s.`);
  }
  if (err instanceof DataverseError) {
    ctx.log.info('dataverse error', { kind: err.kind, code: err.code, status: err.status, dataverseRequestId: err.requestId });
    return errorResult(describeDataverseError(err, tool.def.title));
  }
  if (err instanceof OboError) {
    ctx.log.warn('on-behalf-of failed', { kind: err.kind, aadsts: err.aadsts });
    return errorResult(err.message);
  }
  if (err instanceof ODataBuildError) return errorResult(`${tool.def.title}: ${err.message}`);
  const ref = randomUUID().slice(0, 8);
  ctx.log.error('tool failed', { ref, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  return errorResult(`Internal error (ref ${ref}). The request was not completed; try again or report the reference.`);
}

export function errorResult(message: string, structuredContent?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true, ...(structuredContent && { structuredContent }) };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}
