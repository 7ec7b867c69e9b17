import type { CallToolResult, GetPromptResult, InputRequiredResult, LoggingLevel, ReadResourceResult, Resource, Tool } from '@modelcontextprotocol/server';

import type { ToolContext } from './defineTool.js';
import type { Toolset } from './toolsets.js';

/**
 * Prompts, resources and completions run with what a tool call gets: Dataverse as the user, the
 * agent's settings, the caches. Privileges and the table allowlist apply to them as to tools.
 */
export interface SurfaceContext extends ToolContext {
  /** Whether this agent lists the tool (its tool sets, allowlist and read-only mode). */
  serves(tool: string): boolean;
  /** The name this agent serves a tool under, by its declared name; undefined when it does not list it. */
  servedName(tool: string): string | undefined;
  /** Reads a resource this agent serves, as the user; undefined when it serves no such resource. */
  readResource(uri: string): Promise<ReadResourceResult | undefined>;
}

/**
 * Suggests values for one argument (a prompt argument or a template variable) that start with, or
 * contain, what the user typed. `resolved` holds the arguments already filled in. Bounded by the
 * caller: at most COMPLETION_LIMIT values are served.
 */
export type Completer = (value: string, ctx: SurfaceContext, resolved: Readonly<Record<string, string>>) => Promise<readonly string[]>;

/** The most values one completion returns (the spec allows 100; a picker shows far fewer). */
export const COMPLETION_LIMIT = 20;

export interface PromptArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  complete?: Completer;
}

export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  arguments: readonly PromptArgumentSpec[];
  /** Listed on agents that have one of these tool sets… */
  toolsets: readonly Toolset[];
  /** …and serve every tool its messages tell the model to call (a read-only agent has no write tools). */
  uses: readonly string[];
  /** Expands the prompt; a `ToolError` (bad argument, no such record) becomes a -32602 error. */
  get(args: Readonly<Record<string, string>>, ctx: SurfaceContext, exchange: Exchange): Promise<GetPromptResult | InputRequiredResult>;
}

/**
 * The protocol side of one call, for what needs more than (args, ctx): answers to an earlier
 * `input_required` round, signed state carried between rounds, progress and log notifications.
 */
export interface Exchange {
  /** What the client declared it can do (per request in 2026-07-28, at initialize before). */
  clientCapabilities: Readonly<Record<string, unknown>>;
  /** Answers to the previous round's input requests, keyed as asked. */
  inputResponses: Readonly<Record<string, unknown>> | undefined;
  /** The previous round's state, verified (HMAC, bound to this user and agent); undefined on a first round. */
  state: Readonly<Record<string, unknown>> | undefined;
  /** Signs state for the next round. */
  seal(state: Record<string, unknown>): Promise<string>;
  /** Progress against the caller's progress token; nothing when it sent none. */
  progress(progress: number, total: number, message: string): Promise<void>;
  /** A log notification, sent only when the client asked for logs at this level or below. */
  log(level: LoggingLevel, data: unknown): Promise<void>;
}

/**
 * A tool that shapes its own MCP result (content blocks, input requests). Only the conformance
 * fixture uses one: every product tool is a `defineTool` declaration.
 */
export interface RawTool {
  toolset: Toolset;
  descriptor: Tool;
  call(args: Readonly<Record<string, unknown>>, ctx: SurfaceContext, exchange: Exchange): Promise<CallToolResult | InputRequiredResult>;
}

export interface ResourceTemplateSpec {
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  mimeType: string;
  /** Completers for the template's variables. */
  complete?: Readonly<Record<string, Completer>>;
}

/** A family of resources (table schemas, records, fixtures) and how to read them. */
export interface ResourceSource {
  /** Served on agents that have one of these tool sets. */
  toolsets: readonly Toolset[];
  /** Accepts 2025-era `resources/subscribe` for its URIs (the conformance fixture only). */
  subscribable?: boolean;
  templates: readonly ResourceTemplateSpec[];
  /** The concrete resources to list, already narrowed to what this user and agent may see. */
  list?(ctx: SurfaceContext): Promise<Resource[]>;
  /**
   * Reads one URI, or returns undefined when the URI is not this source's (or names nothing the
   * user may see: not found and not allowed look the same).
   */
  read(uri: string, ctx: SurfaceContext): Promise<ReadResourceResult | undefined>;
}
