import { randomUUID } from 'node:crypto';

import { hostHeaderValidationResponse } from '@modelcontextprotocol/server';

import { authenticate } from '../auth/authenticate.js';
import { StorageUnavailableError } from '../sessions/tableStorage.js';
import type { McpApp } from './mcpApp.js';
import { httpError } from './responses.js';

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/**
 * `GET /mcp/{agentId}/files/{token}`: the short-lived signed download link of a knowledge document
 * (get_reference). The agent route and the bearer token are checked as on the MCP endpoint; the
 * link must be one this server signed, unexpired, issued to this user on this agent; the file is
 * then read from Dataverse as the user, so their access is decided again. Files are always
 * attachments, never rendered in this origin (no sniffing, sandboxed), and never cached.
 */
export async function handleFile(request: Request, agentId: string, token: string, app: McpApp, options: { allowedHosts?: readonly string[] } = {}): Promise<Response> {
  const requestId = randomUUID();
  const log = app.log.child({ requestId, agent: agentId });
  const tagged = (r: Response) => {
    r.headers.set('X-Request-Id', requestId);
    return r;
  };
  try {
    if (!app.config.mcpEnabled) return tagged(httpError(403, 'mcp_disabled', 'MCP access is not enabled for this service.'));
    const route = app.routes.get(agentId);
    if (!route) return tagged(httpError(404, 'unknown_agent', `No MCP agent named "${agentId.slice(0, 64)}" is configured on this server.`));
    if (!route.config.enabled) return tagged(httpError(403, 'agent_disabled', `MCP is turned off for agent "${agentId.slice(0, 64)}".`));
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return tagged(httpError(405, 'method_not_allowed', `${method} is not supported on a download link.`, { Allow: 'GET, HEAD' }));
    const hosts = options.allowedHosts ?? app.config.allowedHosts;
    if (hosts.length > 0) {
      const rejected = hostHeaderValidationResponse(request, [...hosts]);
      if (rejected) return tagged(rejected);
    }
    const auth = await authenticate(request, app.verifier, route.auth);
    if (!auth.ok) return tagged(auth.response);
    const outcome = await app.files.read({ token, agentId, principal: auth.principal, assertion: auth.token, requestId, log, signal: request.signal });
    if (!outcome.ok) {
      return tagged(httpError(outcome.status, outcome.code, outcome.message, outcome.retryAfter !== undefined ? { 'Retry-After': String(outcome.retryAfter) } : {}));
    }
    log.info('document downloaded', { bytes: outcome.body.byteLength });
    const headers = new Headers({
      'Content-Type': MIME.test(outcome.mimeType) ? outcome.mimeType : 'application/octet-stream',
      'Content-Length': String(outcome.body.byteLength),
      'Content-Disposition': contentDisposition(outcome.fileName),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Request-Id': requestId,
    });
    return new Response(method === 'HEAD' ? null : (outcome.body as Uint8Array<ArrayBuffer>), { status: 200, headers });
  } catch (err) {
    if (err instanceof StorageUnavailableError) return tagged(httpError(503, 'unavailable', 'Storage is temporarily unavailable; retry shortly.', { 'Retry-After': '5' }));
    log.error('download failed', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
    return tagged(httpError(500, 'internal_error', `Internal error (ref ${requestId.slice(0, 8)}).`));
  }
}

/** RFC 6266: an ASCII fallback name and the UTF-8 name (RFC 8187). */
export function contentDisposition(fileName: string): string {
  // Lone surrogates (possible in stored names) would make encodeURIComponent throw.
  const clean = fileName.slice(0, 200).replace(/[\r\n"\\/]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '_') || 'document';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}
