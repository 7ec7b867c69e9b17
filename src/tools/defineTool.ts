import type { z } from 'zod';

import type { Principal } from '../auth/principal.js';
import type { ResearchConfig, Toolset } from '../config/agents.js';
import type { DataverseClient } from '../dataverse/client.js';
import type { OrgMetadata } from '../dataverse/metadata.js';
import type { PrivilegeChecker } from '../dataverse/privileges.js';
import type { Logger } from '../telemetry/log.js';

/** MCP tool annotations; every tool states each hint explicitly (the spec's defaults are unsafe). */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** What a tool may know about the route it is served on. */
export interface AgentView {
  id: string;
  title: string;
  readOnly: boolean;
  toolsets: readonly Toolset[];
  /** Tables the dataverse tools may touch on this route (logical names). */
  tables: readonly string[];
  /** Every write confirms first (default); otherwise only tools marked `confirmation: 'always'`. */
  confirmAllWrites: boolean;
  /** Research settings: ideal customer profile and competitor names. */
  research: ResearchConfig;
  /** Customer-facing drafts may quote internal case notes (off unless the agent says so). */
  quoteCaseNotes: boolean;
}

/** Seals listing continuations into opaque, encrypted cursors bound to the user, agent, tool and filters. */
export interface CursorSealer {
  seal(state: CursorState): string;
  /** Opens a cursor made by `seal` for the same user, agent, tool and filters; throws `ToolError` otherwise. */
  open(cursor: string): CursorState;
  /** The same sealer, bound to one set of filters (a hash of the arguments other than cursor and page size). */
  scoped(filters: string): CursorSealer;
}

export interface CursorState {
  /** Dataverse continuation (relative to the Web API root). */
  next: string;
  /** Anything the tool needs to render the next page the same way. */
  extra?: Record<string, string | number | boolean>;
}

/** Everything a handler may use. Handlers depend only on (args, ctx): no env, no globals, no SDK. */
export interface ToolContext {
  principal: Principal;
  agent: AgentView;
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
  /** What the org's metadata says (lookups and their navigation names), cached per org. */
  metadata: OrgMetadata;
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
}

/** A mistake the caller can fix; becomes an `isError` result carrying this message. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    readonly code: 'not_found' | 'forbidden' | 'invalid_argument' | 'conflict' | 'throttled' | 'unavailable' | 'failed' = 'failed',
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

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  /** 1–128 chars of [A-Za-z0-9_.-]; keep the names Microsoft's servers use. */
  name: string;
  toolset: Toolset;
  title: string;
  description: string;
  input: I;
  output: O;
  /** Other names accepted for an argument (e.g. Microsoft's `msdyn_LeadId` for `leadId`); not advertised. */
  aliases?: Record<string, string>;
  annotations: ToolAnnotations;
  /**
   * Destructive or outbound tools confirm first: the first call returns this preview (as an MRTR
   * elicitation for clients that can answer one, or as a confirmation handle for those that
   * cannot) and the handler only runs once the user has agreed.
   */
  confirm?(args: z.output<I>, ctx: ToolContext): Promise<ConfirmationPreview>;
  /**
   * `always`: destructive or outbound (delete, send, qualify, close, schema changes) — confirmed on
   * every agent. `policy` (default): other writes, confirmed unless the agent relaxes it.
   */
  confirmation?: 'always' | 'policy';
  /** For write tools: the audit target when the call fails before the handler can say. */
  auditTarget?(args: z.output<I>): string;
  handler(args: z.output<I>, ctx: ToolContext): Promise<ToolOutput<z.output<O>>>;
}

/** Declares a tool; the identity function keeps the argument and result types tied to the schemas. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}
