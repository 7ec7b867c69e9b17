import azureFunctions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { handleMcp } from '../src/http/handleMcp.js';
import type { McpApp } from '../src/http/mcpApp.js';
import { getApp, toResponseInit, toWebRequest, unavailable } from './runtime.js';

/** The adapter alone, so tests can drive it with any app. */
export function mcpFunction(app: () => Promise<McpApp>) {
  return async (req: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    let instance: McpApp;
    try {
      instance = await app();
    } catch {
      return unavailable();
    }
    return toResponseInit(await handleMcp(toWebRequest(req), req.params['agentId'] ?? '', instance));
  };
}

azureFunctions.app.http('mcp', {
  route: 'mcp/{agentId}',
  methods: ['GET', 'POST', 'DELETE'],
  // The server validates Entra tokens itself; function keys would only get in the way of MCP clients.
  authLevel: 'anonymous',
  handler: mcpFunction(getApp),
});
