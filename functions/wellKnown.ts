import azureFunctions, { type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { handleWellKnown } from '../src/http/handleMcp.js';
import { getApp, toResponseInit, toWebRequest, unavailable } from './runtime.js';

async function wellKnown(req: HttpRequest): Promise<HttpResponseInit> {
  try {
    return toResponseInit(handleWellKnown(toWebRequest(req), await getApp()));
  } catch {
    return unavailable();
  }
}

azureFunctions.app.http('protectedResourceMetadata', {
  route: '.well-known/oauth-protected-resource/mcp/{agentId}',
  methods: ['GET', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: wellKnown,
});

azureFunctions.app.http('authorizationServerMetadata', {
  route: '.well-known/oauth-authorization-server',
  methods: ['GET', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: wellKnown,
});
