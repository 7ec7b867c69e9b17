import { randomUUID } from 'node:crypto';

import {
  type CompleteResult,
  type GetPromptResult,
  type InputRequiredResult,
  type ListResourcesResult,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceNotFoundError,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';

import { OboError } from '../auth/oboError.js';
import { DataverseError, describeDataverseError } from '../dataverse/errors.js';
import { LOG_LEVELS, type LogLevel, type SessionRecord } from '../sessions/sessionStore.js';
import { ToolError } from '../tools/defineTool.js';
import { type Completer, COMPLETION_LIMIT, type Exchange, type SurfaceContext } from '../tools/surface.js';
import type { RequestContext } from './requestContext.js';
import { type AgentTools, renamesTools, renameTools } from './toolInventory.js';

/** Resources per resources/list page. */
export const RESOURCE_PAGE = 50;
/** A completion is typed into a picker: it answers fast or not at all. */
export const COMPLETION_TIMEOUT_MS = 5_000;
/** The longest value typed into a completion that is looked up. */
const MAX_TYPED = 200;

export interface SurfaceDeps {
  /** Builds the context of one prompt, resource or completion call (its own deadline). */
  contextFor(label: string, serverContext: ServerContext, timeoutMs?: number): SurfaceContext;
  /** Stores a 2025-era session's `logging/setLevel`. */
  setLogLevel(session: SessionRecord, level: LogLevel): Promise<void>;
  /** The 2025-era session a call belongs to, if any (a shared server learns it per call). */
  sessionOf(serverContext: ServerContext): SessionRecord | undefined;
  /** Runs a call that may need the client's input (see withInput). */
  interact<R>(
    call: string,
    meta: Record<string, unknown> | undefined,
    serverContext: ServerContext,
    run: (exchange: Exchange) => Promise<R | InputRequiredResult>,
    refuse: (message: string) => R,
  ): Promise<R | InputRequiredResult>;
}

/**
 * Prompts, resources, completions and logging for one request's server. Everything runs as the
 * user (their Dataverse privileges apply) with the agent's allowlists; what a user or model can
 * fix is a -32602 with the reason, a transient failure a -32603 that says to retry.
 */
export function registerSurface(server: Server, agent: AgentTools, request: Pick<RequestContext, 'era'>, deps: SurfaceDeps): void {
  if (agent.prompts.size > 0) {
    server.setRequestHandler('prompts/list', (message) => {
      singlePage(message.params?.cursor, 'prompt');
      return agent.promptList;
    });
    server.setRequestHandler('prompts/get', async (message, serverContext) => {
      const { name, arguments: given = {} } = message.params;
      const prompt = agent.prompts.get(name);
      if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${name.slice(0, 128)}. Call prompts/list to see the prompts this agent offers.`);
      const declared = new Set(prompt.arguments.map((a) => a.name));
      const extra = Object.keys(given).filter((k) => !declared.has(k));
      if (extra.length) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown argument "${extra[0]!.slice(0, 64)}" for ${name}. Its arguments: ${[...declared].join(', ') || 'none'}.`);
      const missing = prompt.arguments.filter((a) => a.required && !given[a.name]?.trim());
      if (missing.length) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${name} needs ${missing.map((a) => `"${a.name}" (${a.description})`).join(' and ')}.`);
      const ctx = deps.contextFor(`prompt ${name}`, serverContext);
      return guarded(ctx, `Prompt ${name}`, () =>
        deps.interact(name, message.params._meta, serverContext, async (exchange) => namedForAgent(await prompt.get(given, ctx, exchange), agent.servedNames), (refusal): never => {
          throw new ProtocolError(ProtocolErrorCode.InvalidParams, refusal);
        }),
      );
    });
  }

  if (agent.resources.length > 0) {
    server.setRequestHandler('resources/list', async (message, serverContext) => {
      const ctx = deps.contextFor('resources/list', serverContext);
      return guarded(ctx, 'Listing resources', async (): Promise<ListResourcesResult> => {
        const offset = message.params?.cursor === undefined ? 0 : openOffset(ctx, message.params.cursor);
        const all = (await Promise.all(agent.resources.map((r) => r.list?.(ctx) ?? Promise.resolve([])))).flat();
        const page = all.slice(offset, offset + RESOURCE_PAGE);
        const next = offset + RESOURCE_PAGE < all.length ? ctx.cursors.seal({ next: 'resources', extra: { offset: offset + RESOURCE_PAGE } }) : undefined;
        return { resources: page, ...(next && { nextCursor: next }) };
      });
    });
    server.setRequestHandler('resources/templates/list', (message) => {
      singlePage(message.params?.cursor, 'resource template');
      return agent.templateList;
    });
    server.setRequestHandler('resources/read', async (message, serverContext) => {
      const uri = message.params.uri;
      const ctx = deps.contextFor('resources/read', serverContext);
      const result = await guarded(ctx, 'Reading the resource', () => ctx.readResource(uri));
      // SEP-2164: an unknown URI is an error naming it, never an empty result.
      if (!result) throw new ResourceNotFoundError(uri.slice(0, 2048));
      return result;
    });
  }

  if (completes(agent)) {
    server.setRequestHandler('completion/complete', async (message, serverContext): Promise<CompleteResult> => {
      const { ref, argument, context } = message.params;
      let completer: Completer | undefined;
      if (ref.type === 'ref/prompt') {
        const prompt = agent.prompts.get(ref.name);
        if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${ref.name.slice(0, 128)}.`);
        const arg = prompt.arguments.find((a) => a.name === argument.name);
        if (!arg) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${ref.name} has no argument "${argument.name.slice(0, 64)}".`);
        completer = arg.complete;
      } else {
        const template = agent.templates.get(ref.uri);
        if (!template) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource template: ${ref.uri.slice(0, 256)}. Call resources/templates/list to see them.`);
        completer = template.complete?.[argument.name];
      }
      if (!completer) return { completion: { values: [], hasMore: false } };
      const ctx = deps.contextFor(`completion ${argument.name}`, serverContext, COMPLETION_TIMEOUT_MS);
      try {
        const values = await completer(argument.value.slice(0, MAX_TYPED), ctx, context?.arguments ?? {});
        return { completion: { values: values.slice(0, COMPLETION_LIMIT).map((v) => v.slice(0, 256)), hasMore: values.length > COMPLETION_LIMIT } };
      } catch (err) {
        // A suggestion list that cannot be had is an empty one; the prompt itself still checks.
        ctx.log.info('completion failed', { argument: argument.name, error: err instanceof Error ? err.name : 'unknown' });
        return { completion: { values: [], hasMore: false } };
      }
    });
  }

  if (request.era === 'legacy' && agent.resources.some((r) => r.subscribable)) {
    // Acknowledged for the fixture's URIs; a per-request server has no standing stream to push updates on.
    for (const method of ['resources/subscribe', 'resources/unsubscribe'] as const) {
      server.setRequestHandler(method, async (message, serverContext) => {
        const ctx = deps.contextFor(method, serverContext);
        const readable = await guarded(ctx, 'Subscribing', async () => {
          for (const source of agent.resources) if (source.subscribable && (await source.read(message.params.uri, ctx))) return true;
          return false;
        });
        if (!readable) throw new ResourceNotFoundError(message.params.uri.slice(0, 2048));
        return {};
      });
    }
  }

  if (request.era === 'legacy') {
    server.setRequestHandler('logging/setLevel', async (message, serverContext) => {
      const level = message.params.level;
      if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown log level "${String(level).slice(0, 32)}"; use one of ${LOG_LEVELS.join(', ')}.`);
      // Without a session there is nothing to remember it on; log notifications stay off.
      const session = deps.sessionOf(serverContext);
      if (session) await deps.setLogLevel(session, level);
      return {};
    });
  }
}

function completes(agent: AgentTools): boolean {
  return [...agent.prompts.values()].some((p) => p.arguments.some((a) => a.complete)) || [...agent.templates.values()].some((t) => t.complete);
}

function singlePage(cursor: string | undefined, what: string): void {
  if (cursor !== undefined) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor: the ${what} list has a single page.`);
}

function openOffset(ctx: SurfaceContext, cursor: string): number {
  try {
    const offset = ctx.cursors.open(cursor).extra?.['offset'];
    if (typeof offset === 'number' && Number.isInteger(offset) && offset > 0) return offset;
  } catch {
    // fall through: every bad cursor gets the same answer
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: it is malformed, expired, or was issued to someone else. List again without a cursor.');
}

/** Runs a prompt, resource or listing; failures become the JSON-RPC error a client can act on. */
async function guarded<T>(ctx: SurfaceContext, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw surfaceError(err, what, ctx);
  }
}

function surfaceError(err: unknown, what: string, ctx: SurfaceContext): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (ctx.signal.aborted && (ctx.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new ProtocolError(ProtocolErrorCode.InternalError, `${what} did not finish in time (Dataverse was slow or throttling). Try again.`);
  }
  if (err instanceof ToolError) {
    const transient = err.code === 'throttled' || err.code === 'unavailable';
    return new ProtocolError(transient ? ProtocolErrorCode.InternalError : ProtocolErrorCode.InvalidParams, err.message);
  }
  if (err instanceof DataverseError) {
    ctx.log.info('dataverse error', { kind: err.kind, code: err.code, status: err.status, dataverseRequestId: err.requestId });
    const yours = err.kind === 'forbidden' || err.kind === 'not_found' || err.kind === 'validation';
    return new ProtocolError(yours ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError, describeDataverseError(err, what));
  }
  if (err instanceof OboError) {
    ctx.log.warn('on-behalf-of failed', { kind: err.kind, aadsts: err.aadsts });
    return new ProtocolError(ProtocolErrorCode.InternalError, err.message);
  }
  const ref = randomUUID().slice(0, 8);
  ctx.log.error('surface call failed', { ref, what, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  return new ProtocolError(ProtocolErrorCode.InternalError, `Internal error (ref ${ref}). ${what} did not complete; try again or report the reference.`);
}

/** Reads a URI through the agent's resource families in order; undefined when none serves it. */
export async function readThrough(agent: AgentTools, uri: string, ctx: SurfaceContext): Promise<ReadResourceResult | undefined> {
  for (const source of agent.resources) {
    const result = await source.read(uri, ctx);
    if (result) return result;
  }
  return undefined;
}

/** A prompt's text names tools as declared; the model is told the names this agent serves. */
function namedForAgent<R extends GetPromptResult | InputRequiredResult>(result: R, servedNames: ReadonlyMap<string, string>): R {
  if (!renamesTools(servedNames) || !('messages' in result) || !Array.isArray(result.messages)) return result;
  const prompt = result as GetPromptResult;
  return {
    ...prompt,
    ...(prompt.description !== undefined && { description: renameTools(prompt.description, servedNames) }),
    messages: prompt.messages.map((m) => (m.content.type === 'text' ? { ...m, content: { ...m.content, text: renameTools(m.content.text, servedNames) } } : m)),
  } as R;
}
