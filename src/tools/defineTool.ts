import type { z } from 'zod';

import type { Principal } from '../auth/principal.js';
import type { CopilotProvider, ProviderKind } from '../copilot/provider.js';
import type { ResearchConfig } from './research/settings.js';
import type { PrioritizationConfig } from './sales/settings.js';
import type { Toolset } from './toolsets.js';
import type { DataverseClient } from '../dataverse/client.js';
import type { CurrentUser, OrgMetadata } from '../dataverse/metadata.js';
import type { PrivilegeChecker } from '../dataverse/privileges.js';
import type { Logger } from '../telemetry/log.js';

/** MCP tool annotations; every tool states each hint explicitly (the spec's defaults are unsafe). */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a tool may know about the agent it is served on (from agents.json). */
export interface AgentSettings {
  id: string;
  title: string;
  readOnly: boolean;
  toolsets: readonly Toolset[];
  /** Tables the dataverse tools may touch on this route (logical names). */
  tables: readonly string[];
  /** Every write confirms first (default); otherwise only destructive, outbound and `alwaysConfirm` tools. */
  confirmAllWrites: boolean;
  /** Research settings: ideal customer profile and competitor names. */
  research: ResearchConfig;
  /** Customer-facing drafts may quote internal case notes (off unless the agent says so). */
  quoteCaseNotes: boolean;
  /** What delete_entity_record may delete: only notes and activities (default, as Microsoft's tool), or any allowed table. */
  recordDeletes: 'notes-and-activities' | 'any';
  /** Where this agent's summaries, drafts and answers come from (the agent's `copilot`, else COPILOT_PROVIDER). */
  copilot: ProviderKind;
  /** Defaults of the lead prioritisation on this agent (weights, hot threshold). */
  prioritization: PrioritizationConfig;
}

/** A decision a tool recorded for the user, read back from the decision log. */
export interface DecisionEntry {
  /** Opaque id (newest sort first). */
  id: string;
  at: string;
  agentId: string;
  username: string;
  /** What the tool recorded; the tool checks it when it reads it back. */
  payload: unknown;
}

/**
 * The user's decision log on this agent (Table Storage). Entries of other users, or of this user on
 * other agents, are never returned.
 */
export interface DecisionLog {
  append(kind: string, payload: Record<string, unknown>): Promise<string>;
  list(kind: string, options: { top: number; after?: string | undefined }): Promise<{ entries: DecisionEntry[]; next?: string | undefined }>;
  get(kind: string, id: string): Promise<DecisionEntry | undefined>;
}

/** A record a knowledge citation points to, and the coarse kind of source it is. */
export interface ReferenceTarget {
  table: string;
  id: string;
  sourceType: 'Document' | 'Qna';
}

/** A reference id opened: its record, or why not (not one at all, not ours or expired, or someone else's). */
export type OpenedReference = { ok: true; target: ReferenceTarget } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'foreign' };

/** Knowledge citations: opaque reference ids and short-lived download links, both bound to this user and agent. */
export interface ReferenceService {
  seal(target: ReferenceTarget): string;
  open(referenceId: string): OpenedReference;
  /** A signed link on this server that streams the document, read as the user who opens it (their bearer token). */
  downloadLink(target: { table: string; id: string; column?: string | undefined }): { url: string; expiresAt: string };
}

/** One question and its answer in a knowledge chat. */
export interface ChatTurn {
  messageId: string;
  at: string;
  question: string;
  answer: string;
}

export interface ChatThread {
  chatId: string;
  turns: ChatTurn[];
}

/**
 * The user's knowledge chats on this agent (Table Storage, with a time to live). A chat of another
 * user or agent, or one that expired, is not found.
 */
export interface ChatHistory {
  get(chatId: string): Promise<ChatThread | undefined>;
  /** Adds a turn (a new chat when `chatId` is undefined); returns the chat's id. */
  append(chatId: string | undefined, turn: ChatTurn): Promise<string>;
}

/** The per-call services buildApp composes, handed to each tool call with the rest of its context. */
export interface CallServices {
  /** Summaries, drafts and answers: tools call only this, never a generator. */
  copilot: CopilotProvider;
  /** The user's decision log on this agent. */
  decisions: DecisionLog;
  /** Knowledge reference ids and download links of this user on this agent. */
  references: ReferenceService;
  /** The user's knowledge chats on this agent. */
  chats: ChatHistory;
}

/** What the MCP layer is given to build them for one call. */
export interface ToolServiceFactory {
  callServices(call: { principal: Principal; agent: AgentSettings; dataverse: DataverseClient; signal: AbortSignal; now(): Date; log: Logger }): CallServices;
}

/** Seals listing continuations into opaque, encrypted cursors bound to the user, agent, tool and filters. */
export interface CursorSealer {
  seal(state: CursorState): string;
  /** Opens a cursor made by `seal` for the same user, agent, tool and filters; throws `ToolError` otherwise. */
  open(cursor: string): CursorState;
  /** The same sealer, bound to one set of filters (a hash of the arguments other than cursor and page size). */
  scoped(filters: string): CursorSealer;
  /** A sealer bound to the user, agent and `purpose` instead of the tool: state one tool hands to another (an upload session). */
  across(purpose: string, ttlSeconds?: number): CursorSealer;
}

export interface CursorState {
  /** Dataverse continuation (relative to the Web API root). */
  next: string;
  /** Anything the tool needs to render the next page the same way. */
  extra?: Record<string, string | number | boolean>;
}

/** Everything a handler may use. Handlers depend only on (args, ctx): no env, no globals, no SDK. */
export interface ToolContext extends CallServices {
  principal: Principal;
  agent: AgentSettings;
  /** Which protocol era the call arrived on. */
  era: 'modern' | 'legacy';
  protocolVersion: string;
  requestId: string;
  log: Logger;
  signal: AbortSignal;
  /** Dataverse on behalf of the signed-in user (their security roles apply). */
  dataverse: DataverseClient;
  /** The user's privileges, checked before a preview is shown (cached per user). */
  privileges: PrivilegeChecker;
  /** What the org's metadata says (tables, columns, lookups and their navigation names), cached per org. */
  metadata: OrgMetadata;
  /** The signed-in user as Dataverse knows them (WhoAmI and their system user row), cached per user. */
  user(): Promise<CurrentUser>;
  cursors: CursorSealer;
  now(): Date;
  /**
   * A new record's id derived from the confirmation being carried out, or undefined when the call
   * was not confirmed. Creates send it as the row's primary key, so a confirmation applied twice
   * (a lost handle row, a replayed request) meets a duplicate key instead of making a second record.
   */
  confirmedId(purpose: string): string | undefined;
}

export interface ToolOutput<O> {
  /** Structured result; must satisfy the tool's output schema. */
  data: O;
  /** A short rendering for the model and for clients that ignore structured content. */
  text: string;
  /** For the audit log of write tools: the record the call changed, e.g. `lead:<id>`. */
  target?: string;
  /** Set when only part of a write happened: what did not (audited as `partial`). */
  partial?: string;
  /** The records the result names: served as resource links (`dataverse://{table}/{id}`) on agents that serve records. */
  records?: readonly RecordRef[];
}

/** A Dataverse row a result names. */
export interface RecordRef {
  table: string;
  id: string;
  name?: string | undefined;
}

/** A mistake the caller can fix; becomes an `isError` result carrying this message. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    readonly code: 'not_found' | 'forbidden' | 'invalid_argument' | 'conflict' | 'throttled' | 'unavailable' | 'failed' = 'failed',
    /** Structured content of the `isError` result, when the tool's output schema describes errors (e.g. `{ error: { code, message } }`). */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** What a confirmation shows before a write or outbound action runs. */
export interface ConfirmationPreview {
  /** One or two sentences: what will happen, to which record. */
  summary: string;
  /** The facts the user is agreeing to (names, recipients, values). */
  details?: Record<string, string | number | boolean | null>;
}

/**
 * What a tool does, from which everything else follows: the MCP hints, whether it confirms first,
 * and what its declaration must provide.
 * - `read`: changes nothing (`run`).
 * - `write`: changes CRM data (`prepare`); confirms unless the agent relaxes writes, or always with `alwaysConfirm`.
 * - `destructive`: deletes (`prepare`); always confirms.
 * - `outbound`: reaches people outside (sends email; `prepare`); always confirms.
 */
export type ToolKind = 'read' | 'write' | 'destructive' | 'outbound';

interface ToolSpecBase<I extends z.ZodObject, O extends z.ZodObject> {
  /** 1–128 chars of [A-Za-z0-9_.-]; keep the names Microsoft's servers use. */
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  /** Other names accepted for an argument (e.g. Microsoft's `msdyn_LeadId` for `leadId`); not advertised. */
  aliases?: Record<string, string>;
  /**
   * Arguments clients mirror into an `Mcp-Param-<Name>` HTTP header (SEP-2243, 2026-07-28), so a
   * gateway can route or police the call without reading the body: argument → header name.
   */
  headers?: Readonly<Record<string, string>>;
  /** Repeating the call has no further effect. Default: reads and deletes yes, other writes no. */
  idempotent?: boolean;
  /** Reaches beyond this org's Dataverse. Default: outbound tools yes, others no. */
  openWorld?: boolean;
}

export interface ReadToolSpec<I extends z.ZodObject, O extends z.ZodObject> extends ToolSpecBase<I, O> {
  kind: 'read';
  /**
   * Changes no CRM data but stages a write another tool confirms and applies (file blocks before
   * commit_file_upload): it runs without asking, yet is not read-only, so it is not advertised as
   * such and a read-only agent does not serve it.
   */
  stagesWrite?: boolean;
  run(args: z.output<I>, ctx: ToolContext): Promise<ToolOutput<z.output<O>>>;
}

/** A write resolved and checked, ready to show and to carry out. */
export interface Prepared<O> {
  /** What the user is asked to confirm; the confirmed round prepares again and must show the same. */
  preview: ConfirmationPreview;
  /** Carries the write out, with what `prepare` resolved; nothing is read again here unless it must be. */
  run(): Promise<ToolOutput<O>>;
}

export interface WriteToolSpec<I extends z.ZodObject, O extends z.ZodObject> extends ToolSpecBase<I, O> {
  kind: 'write' | 'destructive' | 'outbound';
  /** A write that confirms on every agent whatever its policy (qualify, close a case, schema changes). */
  alwaysConfirm?: boolean;
  /** What the audit row names when the call fails before `run` can say, e.g. `lead:<id>`. */
  auditTarget(args: z.output<I>): string;
  /**
   * Resolves and checks everything once (allowlist, privileges, current values, the body to send)
   * and returns the preview and the action. Called for the preview round and again, with fresh
   * data, for the confirmed round: if the preview differs from what the user saw, nothing is written.
   */
  prepare(args: z.output<I>, ctx: ToolContext): Promise<Prepared<z.output<O>>>;
}

export type ToolSpec<I extends z.ZodObject, O extends z.ZodObject> = ReadToolSpec<I, O> | WriteToolSpec<I, O>;

/** A call bound to its validated arguments (the types stay inside the tool that made them). */
export type BoundCall =
  | { kind: 'read'; run(ctx: ToolContext): Promise<ToolOutput<unknown>> }
  | { kind: Exclude<ToolKind, 'read'>; auditTarget: string; prepare(ctx: ToolContext): Promise<Prepared<unknown>> };

export type Bound = { ok: true; args: Record<string, unknown>; call: BoundCall } | { ok: false; error: z.ZodError };

/** A declared tool, as the registry holds it: descriptor facts and one way in, whatever its types. */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  kind: ToolKind;
  input: z.ZodObject;
  output: z.ZodObject;
  aliases: Readonly<Record<string, string>> | undefined;
  headers: Readonly<Record<string, string>> | undefined;
  annotations: ToolAnnotations;
  /** `none` for reads; `policy`: unless the agent relaxes writes; `always`: on every agent. */
  confirmation: 'none' | 'policy' | 'always';
  /** Validates raw arguments against the input schema and binds them to the tool's code. */
  bind(raw: unknown): Bound;
}

/** A tool with the tool set it belongs to (its folder). */
export interface RegisteredTool extends ToolDefinition {
  toolset: Toolset;
}

/** Declares a tool. The kind decides the hints and the confirmation; TypeScript requires what the kind needs. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): ToolDefinition {
  const kind = spec.kind;
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    kind,
    input: spec.input,
    output: spec.output,
    aliases: spec.aliases,
    headers: spec.headers,
    annotations: {
      readOnlyHint: kind === 'read' && !spec.stagesWrite,
      destructiveHint: kind === 'destructive',
      idempotentHint: spec.idempotent ?? (kind === 'read' || kind === 'destructive'),
      openWorldHint: spec.openWorld ?? kind === 'outbound',
    },
    confirmation: spec.kind === 'read' ? 'none' : spec.kind === 'write' && !spec.alwaysConfirm ? 'policy' : 'always',
    bind(raw) {
      const parsed = spec.input.safeParse(raw);
      if (!parsed.success) return { ok: false, error: parsed.error };
      const args = parsed.data;
      if (spec.kind === 'read') return { ok: true, args, call: { kind: 'read', run: (ctx) => spec.run(args, ctx) } };
      return { ok: true, args, call: { kind: spec.kind, auditTarget: spec.auditTarget(args), prepare: (ctx) => spec.prepare(args, ctx) } };
    },
  };
}

/** The tools of one tool set (one folder under src/tools), labelled with it. */
export function toolset(name: Toolset, tools: readonly ToolDefinition[]): RegisteredTool[] {
  return tools.map((t) => ({ ...t, toolset: name }));
}
