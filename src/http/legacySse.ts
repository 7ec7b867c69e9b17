import { randomBytes, randomUUID } from 'node:crypto';

import { hostHeaderValidationResponse, isJsonContentType, originValidationResponse, readRequestBody } from '@modelcontextprotocol/server';

import { authenticate } from '../auth/authenticate.js';
import { type Principal, principalKey, samePrincipal } from '../auth/principal.js';
import { type RequestContext, toAuthInfo } from '../mcp/requestContext.js';
import { isClientResponse } from '../mcp/serverRequests.js';
import type { SessionRecord } from '../sessions/sessionStore.js';
import { StorageUnavailableError } from '../sessions/tableStorage.js';
import type { Logger } from '../telemetry/log.js';
import { currentExchange } from '../telemetry/telemetry.js';
import type { HandleOptions } from './handleMcp.js';
import type { AgentRoute, McpApp } from './mcpApp.js';
import { clientClosed, httpError, jsonRpcError, requestIdOf, withHeaders } from './responses.js';

/**
 * The HTTP+SSE transport of protocol revision 2024-11-05, for clients that predate Streamable HTTP:
 * `GET /mcp/{agentId}/sse` opens a stream (and a session row in Table Storage), whose first event
 * names the URL to POST messages to; every answer arrives on the stream. Whichever instance receives
 * a POST serves it through the same MCP server code as every other request, and hands each message
 * it produces to the stream's instance: in-process when that is itself, through its queue otherwise.
 */

/** What the transport negotiates: HTTP+SSE is the 2024-11-05 revision's transport. */
export const SSE_PROTOCOL_VERSION = '2024-11-05';

/** How a host opens streams: the Functions host asks for liveness probes, since it cannot see a client leave. */
export interface LegacyStreamOptions extends HandleOptions {
  probeClient?: boolean;
}

/** A POSTed message is answered 202 at once; `done` settles when everything it produced was delivered. */
export interface LegacyMessageOutcome {
  response: Response;
  done: Promise<void>;
}

type Admitted = { ok: true; route: AgentRoute; principal: Principal; token: string } | { ok: false; response: Response };

/** Agent, method, Origin/Host and bearer token, checked in the same order and with the same answers as on /mcp/{agentId}. */
async function admit(request: Request, agentId: string, app: McpApp, options: HandleOptions, method: 'GET' | 'POST'): Promise<Admitted> {
  const refuse = (response: Response): Admitted => ({ ok: false, response });
  if (!app.config.mcpEnabled) return refuse(httpError(403, 'mcp_disabled', 'MCP access is not enabled for this service.'));
  const route = app.routes.get(agentId);
  if (!route) return refuse(httpError(404, 'unknown_agent', `No MCP agent named "${agentId.slice(0, 64)}" is configured on this server.`));
  if (!route.config.enabled) return refuse(httpError(403, 'agent_disabled', `MCP is turned off for agent "${agentId}".`));
  if (request.method.toUpperCase() !== method) {
    const what = method === 'GET' ? 'the SSE stream is opened with GET' : 'messages are sent with POST';
    return refuse(httpError(405, 'method_not_allowed', `${request.method.toUpperCase().slice(0, 16)} is not supported here: ${what}.`, { Allow: method }));
  }
  const originRejected = originValidationResponse(request, [...(options.allowedOrigins ?? app.config.allowedOrigins)]);
  if (originRejected) return refuse(originRejected);
  const hosts = options.allowedHosts ?? app.config.allowedHosts;
  const hostRejected = hosts.length > 0 ? hostHeaderValidationResponse(request, [...hosts]) : undefined;
  if (hostRejected) return refuse(hostRejected);
  const auth = await authenticate(request, app.verifier, route.auth);
  if (!auth.ok) return refuse(auth.response);
  return { ok: true, route, principal: auth.principal, token: auth.token };
}

/** Storage trouble is a 503 to retry; anything else an opaque 500. Never a stack or an internal URL. */
function failure(err: unknown, requestId: string, log: Logger): Response {
  if (err instanceof StorageUnavailableError) {
    log.warn('storage unavailable', { error: err.message });
    return jsonRpcError(503, -32000, 'Session storage is temporarily unavailable; retry shortly.', null, { 'Retry-After': '5' });
  }
  log.error('unhandled failure', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  return jsonRpcError(500, -32603, `Internal error (ref ${requestId.slice(0, 8)}).`);
}

/** `GET /mcp/{agentId}/sse`: opens a session bound to the agent and the user, and streams its messages. */
export async function handleLegacyStream(request: Request, agentId: string, app: McpApp, options: LegacyStreamOptions = {}): Promise<Response> {
  const requestId = randomUUID();
  const exchange = app.telemetry.exchange(agentId, requestId);
  const log = app.log.child({ requestId, agent: agentId });
  const response = await exchange.run(async () => {
    exchange.set({ era: 'legacy' });
    try {
      return await openStream(request, agentId, app, options, log);
    } catch (err) {
      return failure(err, requestId, log);
    }
  });
  // The span lasts as long as the stream.
  return exchange.finish(withHeaders(response, { 'X-Request-Id': requestId }));
}

async function openStream(request: Request, agentId: string, app: McpApp, options: LegacyStreamOptions, log: Logger): Promise<Response> {
  const admitted = await admit(request, agentId, app, options, 'GET');
  if (!admitted.ok) return admitted.response;
  const { route, principal } = admitted;
  if (!acceptsEventStream(request.headers.get('accept'))) {
    return httpError(406, 'not_acceptable', 'Not Acceptable: the SSE stream is text/event-stream; send Accept: text/event-stream.');
  }
  // The queue exists before the client learns where to POST, so a peer can always reach this stream.
  const release = await app.streams.listen();
  let session: SessionRecord;
  try {
    session = await app.sessions.create({
      agentId: route.config.id,
      tenantId: principal.tenantId,
      objectId: principal.objectId,
      protocolVersion: SSE_PROTOCOL_VERSION,
      stream: { instance: app.streams.instance, maxSeconds: app.config.legacySse.maxStreamMs / 1000 },
    });
  } catch (err) {
    release();
    throw err;
  }
  log.info('legacy SSE stream opened');
  const endpoint = `/mcp/${encodeURIComponent(route.config.id)}/message?sessionId=${session.id}`;
  const body = app.streams.start(session, principalKey(principal), endpoint, release, { probe: options.probeClient === true });
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' },
  });
}

/**
 * `POST /mcp/{agentId}/message?sessionId=…`: the session must be a live SSE session of this agent and
 * of the same user (anything else is 404, so ids cannot be probed). Answered 202; what the message
 * produces travels on the stream. The caller sends the response at once (node host) or after `done`
 * (Functions, whose invocation must outlive the work).
 */
export async function handleLegacyMessage(request: Request, agentId: string, app: McpApp, options: HandleOptions = {}): Promise<LegacyMessageOutcome> {
  const requestId = randomUUID();
  const exchange = app.telemetry.exchange(agentId, requestId);
  const log = app.log.child({ requestId, agent: agentId });
  const outcome = await exchange.run(async (): Promise<Accepted> => {
    try {
      return await acceptMessage(request, agentId, app, options, { requestId, log });
    } catch (err) {
      return { response: failure(err, requestId, log) };
    }
  });
  const response = withHeaders(outcome.response, { 'X-Request-Id': requestId });
  if (!outcome.work) return { response: exchange.finish(response), done: Promise.resolve() };
  // The exchange's record covers the work, not just the 202.
  return { response, done: outcome.work.then(() => void exchange.finish(new Response(null, { status: 202 }))) };
}

/** What one POST is: the 202 with the work it started, or an HTTP error. */
interface Accepted {
  response: Response;
  work?: Promise<void>;
}

async function acceptMessage(request: Request, agentId: string, app: McpApp, options: HandleOptions, { requestId, log }: { requestId: string; log: Logger }): Promise<Accepted> {
  const admitted = await admit(request, agentId, app, options, 'POST');
  if (!admitted.ok) return { response: admitted.response };
  const { route, principal, token } = admitted;
  const sessionId = new URL(request.url).searchParams.get('sessionId');
  if (!sessionId) {
    return { response: jsonRpcError(400, -32000, 'Bad Request: the sessionId query parameter is required; POST to the endpoint the SSE stream named.') };
  }
  const session = await app.sessions.get(sessionId);
  if (!session || !session.streamInstance || session.agentId !== route.config.id || !samePrincipal(session, principal)) {
    // Unknown, ended, another user's, another agent's, or a Streamable HTTP session: all look the same.
    return { response: jsonRpcError(404, -32001, `Session not found: its stream ended or it never existed. Open a new stream with GET /mcp/${route.config.id}/sse.`) };
  }

  const contentType = request.headers.get('content-type');
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (!isJsonContentType(contentType) || (charset !== undefined && charset.toLowerCase() !== 'utf-8')) {
    return { response: jsonRpcError(415, -32000, 'Unsupported Media Type: send Content-Type: application/json (UTF-8).') };
  }
  let text = options.readBody ? await options.readBody() : undefined;
  if (text === undefined) {
    const read = await readRequestBody(request, app.config.maxBodyBytes);
    text = read.tooLarge ? 'too-large' : read.text;
  }
  if (text === 'client-closed') return { response: clientClosed() };
  if (text === 'too-large') return { response: jsonRpcError(413, -32000, `Request body too large: the limit is ${app.config.maxBodyBytes} bytes.`) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { response: jsonRpcError(400, -32700, 'Parse error: the request body is not valid JSON.') };
  }
  currentExchange()?.describe(body, 'legacy', { has: (name) => route.agent.tools.has(name) || route.agent.raw.has(name) });
  const owner = principalKey(principal);
  if (isClientResponse(body)) {
    // The answer to a server→client request (sampling, roots) of a call running on some instance.
    if (!(await app.relay.route(session.id, owner, body))) log.info('client response matched no waiting request');
    return { response: new Response(null, { status: 202 }) };
  }
  if (!isRecord(body) || body['jsonrpc'] !== '2.0' || typeof body['method'] !== 'string') {
    return { response: jsonRpcError(400, -32600, 'Invalid Request: POST one JSON-RPC 2.0 request, notification or response per message (2024-11-05 has no batches).', requestIdOf(body)) };
  }
  const message = body;
  if (message['method'] === 'notifications/cancelled') {
    // A per-request server knows no other request: the cancellation goes to the one serving it,
    // on this instance or any other (the request's POST may have reached any of them).
    const params = isRecord(message['params']) ? message['params'] : {};
    const target = params['requestId'];
    if (typeof target === 'string' || (typeof target === 'number' && Number.isFinite(target))) {
      const reached = await app.streams.cancel(session, owner, target);
      log.info('legacy SSE cancellation', { reached: reached === 'here' ? 'here' : reached > 0 ? 'peers' : 'nobody' });
    }
    return { response: new Response(null, { status: 202 }) };
  }
  const context: RequestContext = { requestId, agent: route.agent, principal, assertion: token, era: 'legacy', session, log };
  const sdkUrl = new URL(`/mcp/${encodeURIComponent(route.config.id)}`, request.url);
  const id = requestIdOf(message);
  const work = app.streams.run(session.id, (signal) => serve(message, context, sdkUrl, app, signal), id === null ? undefined : { owner, id });
  return { response: new Response(null, { status: 202 }), work };
}

/**
 * Serves one message through the stateless legacy leg with the session's request context and
 * delivers everything it answers (notifications, server→client requests, the response) to the stream.
 */
async function serve(message: Record<string, unknown>, context: RequestContext, sdkUrl: URL, app: McpApp, signal: AbortSignal): Promise<void> {
  const session = context.session!;
  const owner = principalKey(context.principal);
  const source = randomBytes(9).toString('base64url');
  let seq = 0;
  const deliver = (m: object) => app.streams.deliver(session, owner, m, { source, seq: seq++ });
  const id = requestIdOf(message);
  const init = message['method'] === 'initialize' ? initializeParams(message) : undefined;
  const body = init ? { ...message, params: { ...init, protocolVersion: SSE_PROTOCOL_VERSION } } : message;
  // Set once the answer to `id` was handed to delivery: a failure after that (e.g. a queue send that
  // timed out but was stored) must not deliver a second answer with the same id.
  let answered = false;
  try {
    const sdkRequest = new Request(sdkUrl, {
      method: 'POST',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': session.protocolVersion },
      signal,
    });
    const response = await app.legacy(sdkRequest, { authInfo: toAuthInfo(context), parsedBody: body });
    for await (const out of jsonRpcMessages(response)) {
      // An HTTP-level refusal carries id null; the client can only match it by the request's id.
      const answer = id !== null && out['id'] === null && 'error' in out ? { ...out, id } : out;
      if (id !== null && answer['id'] === id && !('method' in answer)) {
        if (init && isRecord(answer['result'])) await recordInitialize(session, init, answer['result'], app, context.log);
        answered = true;
      }
      await deliver(answer);
    }
    if (id !== null && !answered && !signal.aborted) {
      await deliver({ jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error (ref ${context.requestId.slice(0, 8)}).` } });
    }
  } catch (err) {
    if (signal.aborted) return;
    if (id === null) throw err;
    if (answered) {
      context.log.warn('legacy SSE delivery failed after the answer was handed over', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
      return;
    }
    const storage = err instanceof StorageUnavailableError;
    if (!storage) context.log.error('legacy SSE message failed', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
    const error = storage
      ? { code: -32000, message: 'Session storage is temporarily unavailable; retry shortly.' }
      : { code: -32603, message: `Internal error (ref ${context.requestId.slice(0, 8)}).` };
    await deliver({ jsonrpc: '2.0', id, error });
  }
}

/** initialize's params with what minimal clients leave out filled in (no capabilities declared is `{}`). */
function initializeParams(message: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = isRecord(message['params']) ? { ...message['params'] } : {};
  if (params['capabilities'] === undefined) params['capabilities'] = {};
  const info = params['clientInfo'];
  if (isRecord(info) && typeof info['name'] === 'string' && info['version'] === undefined) params['clientInfo'] = { ...info, version: '' };
  return params;
}

/** Stored before the client sees the answer, so its next request already finds its capabilities. */
async function recordInitialize(session: SessionRecord, params: Record<string, unknown>, result: Record<string, unknown>, app: McpApp, log: Logger): Promise<void> {
  const info = isRecord(params['clientInfo']) ? params['clientInfo'] : {};
  await app.sessions.recordInitialize(session, {
    protocolVersion: typeof result['protocolVersion'] === 'string' ? result['protocolVersion'] : SSE_PROTOCOL_VERSION,
    clientInfo: {
      ...(typeof info['name'] === 'string' && { name: info['name'] }),
      ...(typeof info['version'] === 'string' && { version: info['version'] }),
    },
    clientCapabilities: isRecord(params['capabilities']) ? params['capabilities'] : {},
  });
  log.info('legacy SSE session initialized', { protocolVersion: session.protocolVersion, client: session.clientInfo?.name });
}

/** The JSON-RPC messages of the legacy leg's answer: one JSON body, or each event of an SSE body as it arrives. */
async function* jsonRpcMessages(response: Response): AsyncGenerator<Record<string, unknown>> {
  if (!response.body) return;
  if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
    const parsed = parseJson(await response.text());
    if (isRecord(parsed) && parsed['jsonrpc'] === '2.0') yield parsed;
    return;
  }
  for await (const data of sseData(response.body)) {
    const parsed = parseJson(data);
    if (isRecord(parsed)) yield parsed;
  }
}

/** The `data` of each event of a text/event-stream body (comments and other fields skipped). */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = done ? '' : lines.pop()!;
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
      if (done) break;
    }
    if (data.length > 0) yield data.join('\n');
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function acceptsEventStream(header: string | null): boolean {
  if (header === null || header.trim() === '') return true;
  return header.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const refused = params.some((p) => /^q=0(\.0*)?$/.test(p));
    return !refused && (type === 'text/event-stream' || type === 'text/*' || type === '*/*');
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
