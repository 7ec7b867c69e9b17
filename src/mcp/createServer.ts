import { randomUUID } from 'node:crypto';

import {
  type CallToolResult,
  type jsonSchemaValidator,
  type ListToolsResult,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from '@modelcontextprotocol/server';
import type { z } from 'zod';

import { ToolError, type AgentView, type ToolContext } from '../tools/defineTool.js';
import type { RequestContext } from './requestContext.js';
import type { CompiledTool } from './toolInventory.js';

export const SERVER_NAME = 'dataverse-mcp';
export const SERVER_VERSION = '0.1.0';
const MODERN_VERSION = '2026-07-28';

/** What one agent route serves, computed once at start-up. */
export interface AgentSurface {
  view: AgentView;
  title: string;
  instructions: string | undefined;
  tools: ReadonlyMap<string, CompiledTool>;
  listResult: ListToolsResult;
}

export interface ServerDeps {
  validator: jsonSchemaValidator;
}

/**
 * Builds the per-request server. We use the SDK's low-level `Server` (deprecated only as a hint
 * towards `McpServer`) because `McpServer.registerTool` would re-register and re-derive every tool's
 * schema on each request; here the tool list and schemas were computed once per agent, and the
 * per-request instance only gets two small handlers plus the shared JSON Schema validator.
 */
export function createServer(surface: AgentSurface, rc: RequestContext, deps: ServerDeps): Server {
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION, title: `Dynamics 365 & Dataverse: ${surface.title}` },
    {
      capabilities: { tools: { listChanged: false } },
      ...(surface.instructions !== undefined && { instructions: surface.instructions }),
      jsonSchemaValidator: deps.validator,
      // 2025-era server->client pushes cannot work per request on serverless (the answer may reach
      // another instance); confirmations use handles there instead.
      inputRequired: { legacyShim: false },
    },
  );

  server.setRequestHandler('tools/list', (request) => {
    if (request.params?.cursor !== undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: the tool list has a single page.');
    }
    return surface.listResult;
  });

  server.setRequestHandler('tools/call', async (request, sdkCtx) => {
    const { name, arguments: rawArgs } = request.params;
    const tool = surface.tools.get(name);
    if (!tool) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}. Call tools/list to see the tools this agent offers.`);
    }
    const protocolVersion =
      rc.era === 'legacy'
        ? (rc.session?.protocolVersion ?? '2025-03-26')
        : envelopeString(sdkCtx.mcpReq.envelope, PROTOCOL_VERSION_META_KEY) ?? MODERN_VERSION;
    const ctx: ToolContext = {
      principal: rc.principal,
      agent: surface.view,
      era: rc.era,
      protocolVersion,
      requestId: rc.requestId,
      log: rc.log.child({ tool: name }),
      signal: sdkCtx.mcpReq.signal,
    };
    return runTool(tool, rawArgs ?? {}, ctx);
  });

  return server;
}

export async function runTool(tool: CompiledTool, rawArgs: unknown, ctx: ToolContext): Promise<CallToolResult> {
  const parsed = tool.def.input.safeParse(rawArgs);
  if (!parsed.success) return errorResult(`Invalid arguments for ${tool.def.name}: ${describeIssues(parsed.error)}`);
  try {
    const out = await tool.def.handler(parsed.data, ctx);
    const checked = tool.def.output.safeParse(out.data);
    if (!checked.success) {
      return internalError(ctx, new Error(`output of ${tool.def.name} violates its schema: ${describeIssues(checked.error)}`));
    }
    const structured = checked.data as Record<string, unknown>;
    return {
      content: [
        { type: 'text', text: out.text },
        { type: 'text', text: JSON.stringify(structured) },
      ],
      structuredContent: structured,
    };
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.message);
    return internalError(ctx, err);
  }
}

function envelopeString(envelope: object | undefined, key: string): string | undefined {
  const value = (envelope as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** A bug, not a user mistake: log it with a reference and tell the caller only the reference. */
function internalError(ctx: ToolContext, err: unknown): CallToolResult {
  const ref = randomUUID().slice(0, 8);
  ctx.log.error('tool failed', { ref, error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  return errorResult(`Internal error (ref ${ref}). The request was not completed; try again or report the reference.`);
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}
