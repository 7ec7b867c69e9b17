import azureFunctions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { handleFile } from '../src/http/handleFile.js';
import { handleMcp } from '../src/http/handleMcp.js';
import { fromWebRequest } from '../src/http/inbound.js';
import { handleLegacyMessage, handleLegacyStream } from '../src/http/legacySse.js';
import type { McpApp } from '../src/http/mcpApp.js';
import { getApp, toResponseInit, toWebRequest, unavailable } from './runtime.js';

type FunctionHandler = (req: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** An HTTP function serving `serve` once the app is up (503 while it cannot start). */
function adapter(app: () => Promise<McpApp>, serve: (request: Request, agentId: string, app: McpApp) => Promise<HttpResponseInit>): FunctionHandler {
  return async (req) => {
    let instance: McpApp;
    try {
      instance = await app();
    } catch {
      return unavailable();
    }
    return serve(toWebRequest(req), req.params['agentId'] ?? '', instance);
  };
}

/** The adapters alone, so tests can drive them with any app. */
export const mcpFunction = (app: () => Promise<McpApp>) => adapter(app, async (request, agentId, instance) => toResponseInit(await handleMcp(fromWebRequest(request), agentId, instance)));

/**
 * `GET mcp/{agentId}/sse`: the legacy HTTP+SSE stream (2024-11-05), streamed as it is written.
 * @azure/functions 4.x gives a handler no sign that its client left (HttpRequest has no abort
 * signal, and the worker keeps writing the body into the closed connection without cancelling
 * it), so the stream probes the client with `ping` and ends, with its session, when a probe
 * goes unanswered.
 */
export const legacyStreamFunction = (app: () => Promise<McpApp>) =>
  adapter(app, async (request, agentId, instance) => toResponseInit(await handleLegacyStream(request, agentId, instance, { probeClient: true })));

/**
 * `POST mcp/{agentId}/message`: answered 202 once the message has been served and its answers
 * handed to the stream. Unlike the node host, which answers at once, the invocation waits: work
 * left running after a function returns may be frozen or cut when the platform scales in.
 */
export const legacyMessageFunction = (app: () => Promise<McpApp>) =>
  adapter(app, async (request, agentId, instance) => {
    const outcome = await handleLegacyMessage(request, agentId, instance);
    await outcome.done;
    return toResponseInit(outcome.response);
  });

/** `GET mcp/{agentId}/files/{token}`: a knowledge document behind get_reference's signed link, read as the user. */
export const fileFunction = (app: () => Promise<McpApp>) =>
  adapter(app, async (request, agentId, instance) => {
    const raw = new URL(request.url).pathname.split('/').pop() ?? '';
    // A malformed %-sequence is a malformed link (handleFile refuses it), not a host-level 500.
    let token: string;
    try {
      token = decodeURIComponent(raw);
    } catch {
      token = raw;
    }
    return toResponseInit(await handleFile(request, agentId, token, instance));
  });

// The server validates Entra tokens itself; function keys would only get in the way of MCP clients.
azureFunctions.app.http('mcp', { route: 'mcp/{agentId}', methods: ['GET', 'POST', 'DELETE'], authLevel: 'anonymous', handler: mcpFunction(getApp) });
azureFunctions.app.http('mcpLegacySse', { route: 'mcp/{agentId}/sse', methods: ['GET'], authLevel: 'anonymous', handler: legacyStreamFunction(getApp) });
azureFunctions.app.http('mcpLegacyMessage', { route: 'mcp/{agentId}/message', methods: ['POST'], authLevel: 'anonymous', handler: legacyMessageFunction(getApp) });
azureFunctions.app.http('mcpFile', { route: 'mcp/{agentId}/files/{token}', methods: ['GET', 'HEAD'], authLevel: 'anonymous', handler: fileFunction(getApp) });
