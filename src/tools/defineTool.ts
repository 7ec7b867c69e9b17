import type { z } from 'zod';

import type { Principal } from '../auth/principal.js';
import type { Toolset } from '../config/agents.js';
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
}

export interface ToolOutput<O> {
  /** Structured result; must satisfy the tool's output schema. */
  data: O;
  /** A short rendering for the model and for clients that ignore structured content. */
  text: string;
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

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  /** 1–128 chars of [A-Za-z0-9_.-]; keep the names Microsoft's servers use. */
  name: string;
  toolset: Toolset;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  handler(args: z.output<I>, ctx: ToolContext): Promise<ToolOutput<z.output<O>>>;
}

/** Declares a tool; the identity function keeps the argument and result types tied to the schemas. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}
