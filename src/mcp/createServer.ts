import {
  type jsonSchemaValidator,
  type ListToolsResult,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  Server,
} from '@modelcontextprotocol/server';

import { principalKey } from '../auth/principal.js';
import type { DataverseClient } from '../dataverse/client.js';
import { type MetadataCaches, OrgMetadata } from '../dataverse/metadata.js';
import { PrivilegeChecker, type PrivilegeCaches } from '../dataverse/privileges.js';
import type { AgentSettings, ToolContext } from '../tools/defineTool.js';
import { dispatch, type DispatchDeps } from './dispatch.js';
import type { RequestContext } from './requestContext.js';
import { cursorSealer } from './secrets.js';
import type { AgentTools } from './toolInventory.js';

export const SERVER_NAME = 'dataverse-mcp';
export const SERVER_VERSION = '0.1.0';
const MODERN_VERSION = '2026-07-28';

export interface ServerDeps extends DispatchDeps {
  validator: jsonSchemaValidator;
  cursorKey: Buffer;
  /** A Dataverse client acting for this request's user. */
  dataverse(request: RequestContext, signal: AbortSignal): DataverseClient;
  privilegeCaches: PrivilegeCaches;
  /** Deadline of one tool call, far below the Functions front end's 230 s. */
  toolTimeoutMs: number;
  metadataCaches: MetadataCaches;
  now(): number;
}

/**
 * Builds the per-request server. We use the SDK's low-level `Server` (deprecated only as a hint
 * towards `McpServer`) because `McpServer.registerTool` would re-register and re-derive every tool's
 * schema on each request; here the tool list and schemas were computed once per agent, and the
 * per-request instance only gets two small handlers plus the shared JSON Schema validator.
 */
export function createServer(agent: AgentTools, request: RequestContext, deps: ServerDeps): Server {
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION, title: `Dynamics 365 & Dataverse: ${agent.title}` },
    {
      capabilities: { tools: { listChanged: false } },
      // The list depends only on the agent configuration, which changes with a deployment.
      cacheHints: { 'tools/list': { ttlMs: 300_000, cacheScope: 'private' } },
      ...(agent.instructions !== undefined && { instructions: agent.instructions }),
      jsonSchemaValidator: deps.validator,
      // MRTR request state is HMAC-signed and bound to the user; tampered or foreign state never reaches a tool.
      requestState: { verify: deps.stateCodec.verify },
      // 2025-era server->client pushes cannot work per request on serverless (the answer may reach
      // another instance); confirmations use handles there instead.
      inputRequired: { legacyShim: false },
    },
  );

  server.setRequestHandler('tools/list', (message) => {
    if (message.params?.cursor !== undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: the tool list has a single page.');
    }
    return agent.listResult;
  });

  server.setRequestHandler('tools/call', async (message, serverContext) => {
    const { name, arguments: rawArgs } = message.params;
    const tool = agent.tools.get(name);
    if (!tool) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}. Call tools/list to see the tools this agent offers.`);
    }
    const protocolVersion =
      request.era === 'legacy'
        ? (request.session?.protocolVersion ?? '2025-03-26')
        : (envelopeString(serverContext.mcpReq.envelope, PROTOCOL_VERSION_META_KEY) ?? MODERN_VERSION);
    // The client's cancellation, or the deadline: whichever comes first stops every Dataverse call and wait.
    const signal = AbortSignal.any([serverContext.mcpReq.signal, AbortSignal.timeout(deps.toolTimeoutMs)]);
    const dataverse = deps.dataverse(request, signal);
    const metadata = new OrgMetadata(dataverse, deps.metadataCaches);
    const userKey = principalKey(request.principal);
    const ctx: ToolContext = {
      principal: request.principal,
      agent: agent.settings,
      era: request.era,
      protocolVersion,
      requestId: request.requestId,
      log: request.log.child({ tool: name }),
      signal,
      dataverse,
      privileges: new PrivilegeChecker(dataverse, metadata, deps.privilegeCaches, userKey),
      metadata,
      user: () => metadata.currentUser(userKey),
      cursors: cursorSealer(deps.cursorKey, request.principal, agent.settings.id, name, deps.now),
      now: () => new Date(deps.now()),
      // Set by dispatch for the confirmed round of a write.
      confirmedId: () => undefined,
    };
    return dispatch(tool, rawArgs ?? {}, ctx, serverContext, deps);
  });

  return server;
}

function envelopeString(envelope: object | undefined, key: string): string | undefined {
  const value = (envelope as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}
