import { randomUUID } from 'node:crypto';

import {
  hostHeaderValidationResponse,
  isInitializeRequest,
  isJsonContentType,
  oauthMetadataResponse,
  originValidationResponse,
  readRequestBody,
  SUPPORTED_PROTOCOL_VERSIONS,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';

import { authenticate, type HeaderReader } from '../auth/authenticate.js';
import { type Principal, principalKey, samePrincipal } from '../auth/principal.js';
import type { Answer } from '../mcp/answer.js';
import { type HangUp, hangUpOf } from '../mcp/hangUp.js';
import { type RequestContext, toAuthInfo } from '../mcp/requestContext.js';
import { paramHeaderMismatch } from '../mcp/paramHeaders.js';
import { isClientResponse } from '../mcp/serverRequests.js';
import { classifyPost, sharedLegacyServable, sharedServable } from '../mcp/sharedServers.js';
import { paramHeadersFor } from '../mcp/toolInventory.js';
import { ToolsListCache, toolsListKey } from '../mcp/toolsListCache.js';
import { StorageUnavailableError } from '../sessions/tableStorage.js';
import type { Logger } from '../telemetry/log.js';
import { currentExchange } from '../telemetry/telemetry.js';
import type { InboundRequest } from './inbound.js';
import type { AgentRoute, McpApp } from './mcpApp.js';
import { clientClosed, httpError, jsonRpcError, requestIdOf, withHeaders } from './responses.js';

/**
 * A body the host already read (the node host reads it off the socket directly, which is cheaper
 * than going through a web stream); `'too-large'` when it stopped at the size limit,
 * `'client-closed'` when the client hung up before sending all of it.
 */
export type PreReadBody = string | 'too-large' | 'client-closed';

export interface HandleOptions {
  /** Reads the body off the host's own stream; called only once the request is authenticated. */
  readBody?: () => Promise<PreReadBody>;
  /**
   * The client's hang-up, when the host kept it apart from the request (the node host does for
   * /mcp/{agentId}). The route's shared servers listen to it; requests that go to the SDK's
   * handlers get its signal on their web Request.
   */
  hangUp?: HangUp;
  /** Origins/hosts to allow, decided by the host (loopback names in development). */
  allowedOrigins?: readonly string[];
  allowedHosts?: readonly string[];
}

const SESSION_HEADER = 'mcp-session-id';

/**
 * The one MCP entry point: `functions/mcp.ts`, the node dev host and the tests all call this.
 * HTTP-level problems are answered with HTTP statuses before any JSON-RPC processing.
 */
export async function handleMcp(request: InboundRequest, agentId: string, app: McpApp, options: HandleOptions = {}): Promise<Answer> {
  const requestId = randomUUID();
  const exchange = app.telemetry.exchange(agentId, requestId);
  const log = app.log.child({ requestId, agent: agentId });
  const response = await exchange.run(async () => {
    try {
      const response = await handle(request, agentId, app, options, requestId, log);
      return withHeaders(response, { 'X-Request-Id': requestId });
    } catch (err) {
      if (err instanceof StorageUnavailableError) {
        log.warn('storage unavailable', { error: err.message });
        return jsonRpcError(503, -32000, 'Session storage is temporarily unavailable; retry shortly.', null, {
          'Retry-After': '5',
          'X-Request-Id': requestId,
        });
      }
      log.error('unhandled failure', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
      return jsonRpcError(500, -32603, `Internal error (ref ${requestId.slice(0, 8)}).`, null, { 'X-Request-Id': requestId });
    }
  });
  // The span ends with the last byte of the body (SSE answers are written after this returns).
  return exchange.finish(response);
}

async function handle(
  request: InboundRequest,
  agentId: string,
  app: McpApp,
  options: HandleOptions,
  requestId: string,
  log: Logger,
): Promise<Answer> {
  if (!app.config.mcpEnabled) {
    return httpError(403, 'mcp_disabled', 'MCP access is not enabled for this service. An administrator must enable the MCP feature for the subscription before any agent can be used.');
  }
  const route = app.routes.get(agentId);
  if (!route) return httpError(404, 'unknown_agent', `No MCP agent named "${agentId.slice(0, 64)}" is configured on this server.`);
  if (!route.config.enabled) {
    return httpError(403, 'agent_disabled', `MCP is turned off for agent "${agentId}". An administrator can enable it in the agent configuration.`);
  }

  const method = request.method.toUpperCase();
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
    return httpError(405, 'method_not_allowed', `${method} is not supported on an MCP endpoint.`, { Allow: 'POST, DELETE' });
  }

  // The SDK's checks on the header values; a refusal is the SDK's own answer (built from a web Request).
  const origins = [...(options.allowedOrigins ?? app.config.allowedOrigins)];
  if (!validateOriginHeader(request.headers.get('origin'), origins).ok) {
    const refused = originValidationResponse(request.web(), origins);
    if (refused) return refused;
  }
  const hosts = options.allowedHosts ?? app.config.allowedHosts;
  if (hosts.length > 0 && !hostAllowed(request.headers.get('host'), hosts)) {
    const refused = hostHeaderValidationResponse(request.web(), [...hosts]);
    if (refused) return refused;
  }

  const auth = await authenticate(request, app.verifier, route.auth);
  if (!auth.ok) return auth.response;
  const principal = auth.principal;

  if (method === 'GET') {
    // 2026-07-28 has no GET stream, and 2025-era servers may decline the standalone stream.
    return httpError(405, 'method_not_allowed', 'This server does not offer a standalone SSE stream; use POST.', { Allow: 'POST, DELETE' });
  }
  if (method === 'DELETE') return endSession(request, route, principal, app);

  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType)) {
    return jsonRpcError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json.');
  }
  // JSON-RPC bodies are UTF-8 (RFC 8259 §8.1); another declared charset would be misread, not converted.
  const charset = memo(charsetDecisions, contentType ?? '', () => mediaTypeParameters(contentType ?? '').get('charset'));
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    const named = TOKEN.test(charset) ? ` (not ${charset.slice(0, 40)})` : '';
    return jsonRpcError(415, -32000, `Unsupported Media Type: the body must be UTF-8 JSON; send Content-Type: application/json; charset=utf-8${named}.`);
  }
  if (!acceptsMcpResponses(request.headers.get('accept'))) {
    return jsonRpcError(406, -32000, 'Not Acceptable: the Accept header must allow both application/json and text/event-stream (listing both, or */*).');
  }

  let text = options.readBody ? await options.readBody() : undefined;
  if (text === undefined) {
    const read = await readRequestBody(request.web(), app.config.maxBodyBytes);
    text = read.tooLarge ? 'too-large' : read.text;
  }
  if (text === 'client-closed') {
    // Nobody is left to answer, and nothing went wrong here.
    log.info('the client closed the connection before its body arrived');
    return clientClosed();
  }
  if (text === 'too-large') {
    return jsonRpcError(413, -32000, `Request body too large: the limit is ${app.config.maxBodyBytes} bytes.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return jsonRpcError(400, -32700, 'Parse error: the request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object') {
    return jsonRpcError(400, -32600, 'Invalid Request: the body must be a JSON-RPC message object.');
  }

  const requestContext: RequestContext = { requestId, agent: route.agent, principal, assertion: auth.token, era: 'modern', session: undefined, log };
  // The SDK's own classification, once (its handler would repeat it; the shared server does not).
  const headers = request.headers;
  const outcome = classifyPost(body, headers);
  const legacy = outcome.kind === 'legacy';
  currentExchange()?.describe(body, legacy ? 'legacy' : 'modern', { has: (name) => route.agent.tools.has(name) || route.agent.raw.has(name) });
  if (!legacy) {
    const authInfo = toAuthInfo(requestContext);
    // A plain modern request goes to the route's long-lived server; anything else to the SDK's
    // per-request handler, which decides it (the two answer alike: test/mcp/sharedServers.test.ts).
    const modern = (): Promise<Answer> =>
      app.shared && sharedServable(outcome, headers)
        ? app.shared.serve(route.config.id, route.agent, outcome, authInfo, options.hangUp)
        : app.modern.fetch(withSignal(request.web(), options.hangUp?.signal), { authInfo, parsedBody: body });
    const mismatch = paramHeaderProblem(body, route, request.headers);
    if (mismatch) return jsonRpcError(400, -32020, mismatch, requestIdOf(body));
    const list = ToolsListCache.candidate(outcome, headers);
    if (list) {
      // Discovery is the same for every caller of the route with the same listed tools (the digest of
      // the user's privilege-filtered set joins the key): the SDK answers once per key, later calls get
      // its answer. A user whose set is not known yet (or no longer fresh) goes to the SDK, which decides it.
      const cache = toolsListCacheOf(app);
      const discovery = route.agent.discovery;
      const userKey = principalKey(requestContext.principal);
      const keyOf = (privileges: string | undefined) => toolsListKey({ agentId: route.config.id, revision: list.revision, ...(privileges !== undefined && { privileges }) });
      const known = discovery ? discovery.digestOf(userKey) : undefined;
      const cached = !discovery || known !== undefined ? cache.answer(keyOf(known), list.id) : undefined;
      if (cached) return cached;
      const response = await modern();
      if (!discovery) return cache.remember(keyOf(undefined), response);
      const decided = discovery.digestOf(userKey);
      return decided === undefined ? response : cache.remember(keyOf(decided), response);
    }
    return modern();
  }
  return legacyPost(request, body, route, { ...requestContext, era: 'legacy' }, app, options.hangUp);
}

/**
 * 2025-era POST: initialize opens a stored session; a request naming a session must present a live
 * one; a request without `Mcp-Session-Id` is served statelessly (see "Testing with curl" in README.md).
 */
async function legacyPost(request: InboundRequest, parsed: object, route: AgentRoute, requestContext: RequestContext, app: McpApp, hangUp: HangUp | undefined): Promise<Response> {
  const body = Array.isArray(parsed) ? parsed : withInitializeDefaults(parsed);
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const id = requestIdOf(body);
  if (messages.length === 0) return jsonRpcError(400, -32600, 'Invalid Request: empty batch.');
  // Built only for the SDK's handlers (a client's response to the relay, and refusals, need none).
  let canonical: Request | undefined;
  const accepted = () => (canonical ??= withCanonicalAccept(request.web()));
  const sdkRequest = () => withSignal(accepted(), hangUp?.signal);
  // A single request goes to the route's long-lived 2025-era server; anything else (batches,
  // notifications) to the SDK's per-request fallback (the two answer alike: test/mcp/sharedLegacyServers.test.ts).
  const serve = (context: RequestContext): Promise<Response> => {
    const authInfo = toAuthInfo(context);
    if (!app.sharedLegacy || !sharedLegacyServable(body)) return app.legacy(sdkRequest(), { authInfo, parsedBody: body });
    const binding = context.session && { relay: app.relay, sessionId: context.session.id, owner: principalKey(context.principal) };
    return app.sharedLegacy.serve(route.config.id, route.agent, accepted(), body, authInfo, binding, hangUp ?? hangUpOf(accepted().signal));
  };

  const initialize = messages.find((m) => isInitializeRequest(m));
  if (initialize && isInitializeRequest(initialize)) {
    if (messages.length > 1) return jsonRpcError(400, -32600, 'Invalid Request: initialize must be sent on its own.');
    const response = await app.legacy(sdkRequest(), { authInfo: toAuthInfo(requestContext), parsedBody: body });
    if (response.status !== 200) return response;
    const params = initialize.params;
    const requested = params.protocolVersion;
    // The SDK answers with the requested revision when it supports it, else its newest 2025-era one.
    const negotiated = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : (SUPPORTED_PROTOCOL_VERSIONS[0] ?? requested);
    let session;
    try {
      session = await app.sessions.create({
        agentId: route.config.id,
        tenantId: requestContext.principal.tenantId,
        objectId: requestContext.principal.objectId,
        protocolVersion: negotiated,
        clientInfo: { name: params.clientInfo.name, version: params.clientInfo.version },
        clientCapabilities: params.capabilities as Record<string, unknown>,
      });
    } catch (err) {
      await response.body?.cancel().catch(() => undefined);
      throw err;
    }
    requestContext.log.info('session opened', { protocolVersion: negotiated, client: params.clientInfo.name });
    return withHeaders(response, { 'Mcp-Session-Id': session.id });
  }
  if (messages.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize')) {
    return jsonRpcError(400, -32602, 'Invalid params: initialize needs protocolVersion and clientInfo.name (and capabilities, if sent, as an object).', id);
  }

  const sessionId = request.headers.get(SESSION_HEADER);
  if (!sessionId) {
    // The spec lets a server serve requests without a session (only servers that require one answer
    // 400). Nothing here needs one: every request is authenticated, and confirmations are handles
    // owned by the user, not by a session. Plain-curl clients (connector tests) rely on this.
    const version = request.headers.get('mcp-protocol-version') ?? DEFAULT_LEGACY_VERSION;
    if (Array.isArray(body) && version !== '2025-03-26') {
      return jsonRpcError(400, -32600, `Invalid Request: JSON-RPC batches are not part of protocol revision ${version.slice(0, 32)}.`);
    }
    return serve(requestContext);
  }
  // Read once per request, and from this instance's memory while it read it recently for this user.
  const session = await app.sessions.getFor(sessionId, requestContext.principal);
  // An HTTP+SSE session (streamInstance set) lives on its stream, not on this endpoint.
  if (!session || session.agentId !== route.config.id || !samePrincipal(session, requestContext.principal) || session.streamInstance !== undefined) {
    // Foreign and unknown ids look the same, so ids cannot be probed.
    return jsonRpcError(404, -32001, 'Session not found: it expired or was ended. Initialize a new session.', id);
  }
  if (Array.isArray(body) && session.protocolVersion !== '2025-03-26') {
    return jsonRpcError(400, -32600, `Invalid Request: JSON-RPC batches are not part of protocol revision ${session.protocolVersion}.`);
  }
  const headerVersion = request.headers.get('mcp-protocol-version');
  if (headerVersion !== null && headerVersion !== session.protocolVersion) {
    return jsonRpcError(400, -32000, `Bad Request: MCP-Protocol-Version ${headerVersion.slice(0, 32)} does not match this session's ${session.protocolVersion}.`, id);
  }
  if (isClientResponse(body)) {
    // The answer to a server→client request (sampling, elicitation) of a call waiting somewhere.
    const routed = await app.relay.route(session.id, principalKey(requestContext.principal), body);
    if (!routed) requestContext.log.info('client response matched no waiting request');
    return new Response(null, { status: 202 });
  }
  try {
    await app.sessions.touch(session);
  } catch (err) {
    // Missing one sliding-expiry refresh is harmless; the next call retries it.
    requestContext.log.warn('session refresh failed', { error: (err as Error).message });
  }
  return serve({ ...requestContext, session });
}

const listCaches = new WeakMap<McpApp, ToolsListCache>();

/** The app's pre-serialised tools/list answers (one cache per app: two instances in one process keep their own). */
export function toolsListCacheOf(app: McpApp): ToolsListCache {
  let cache = listCaches.get(app);
  if (!cache) listCaches.set(app, (cache = new ToolsListCache()));
  return cache;
}

/** A 2026-07-28 tools/call whose `Mcp-Param-*` headers disagree with its arguments (SEP-2243), or undefined. */
function paramHeaderProblem(body: object, route: AgentRoute, headers: HeaderReader): string | undefined {
  const m = body as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
  if (m.method !== 'tools/call' || typeof m.params?.name !== 'string') return undefined;
  const declared = paramHeadersFor(route.agent, m.params.name);
  return declared.length ? paramHeaderMismatch(declared, m.params.arguments, headers) : undefined;
}

/** `request` following the client's hang-up signal, when the host kept the signal apart. */
function withSignal(request: Request, signal: AbortSignal | undefined): Request {
  return signal ? new Request(request, { signal }) : request;
}

/** Revision the spec says to assume when a 2025-era request has no `MCP-Protocol-Version` and no session. */
const DEFAULT_LEGACY_VERSION = '2025-03-26';

/**
 * Fills what minimal clients (plain curl) leave out of `initialize` and the SDK's schema insists on:
 * `capabilities` (none declared is `{}`) and `clientInfo.version`. Anything present is left as sent,
 * so a wrong type is still refused.
 */
function withInitializeDefaults(message: object): object {
  const m = message as { method?: unknown; params?: unknown };
  if (m.method !== 'initialize' || !isRecord(m.params)) return message;
  const params: Record<string, unknown> = { ...m.params };
  if (params['capabilities'] === undefined) params['capabilities'] = {};
  const info = params['clientInfo'];
  if (isRecord(info) && typeof info['name'] === 'string' && info['version'] === undefined) params['clientInfo'] = { ...info, version: '' };
  return { ...message, params };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CANONICAL_ACCEPT = 'application/json, text/event-stream';

// The SDK's 2025-era transport re-checks Accept by substring, so */* or a missing header (which
// acceptsMcpResponses allows) would get its 406. It sees the form it expects; the body travels as
// parsedBody, so the copy needs none.
function withCanonicalAccept(request: Request): Request {
  if (request.headers.get('accept') === CANONICAL_ACCEPT) return request;
  const headers = new Headers(request.headers);
  headers.set('accept', CANONICAL_ACCEPT);
  return new Request(request.url, { method: request.method, headers, signal: request.signal });
}

/** The SDK's Host check (it parses the value as a URL), remembered per value for each allowlist. */
const hostDecisions = new WeakMap<readonly string[], Map<string, boolean>>();

function hostAllowed(host: string | null, allowed: readonly string[]): boolean {
  let decisions = hostDecisions.get(allowed);
  if (!decisions) hostDecisions.set(allowed, (decisions = new Map()));
  return memo(decisions, host ?? '', () => validateHostHeader(host, [...allowed]).ok);
}

/** RFC 9110 §5.6.2 token characters (media types, parameter names and unquoted values). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

// Whether an Accept header (RFC 9110 §12.5.1) admits both response types a POST may get. Media
// ranges are parsed, not searched for substrings: wildcards and q-values count, the most specific
// range decides ("application/json;q=0, */*" refuses JSON), type names are case-insensitive. No
// header, or an empty one, states no preference: anything is acceptable.
function acceptsMcpResponses(header: string | null): boolean {
  if (header === null || header.trim() === '') return true;
  return memo(acceptDecisions, header, () => {
    const ranges = parseAccept(header);
    return accepts(ranges, 'application', 'json') && accepts(ranges, 'text', 'event-stream');
  });
}

/**
 * A client sends the same Accept and Content-Type on every call: their decisions are kept (a few
 * per cent of a trivial call went to parsing them). Bounded, so headers made up per request cannot
 * grow it; short values only.
 */
const acceptDecisions = new Map<string, boolean>();
const charsetDecisions = new Map<string, string | undefined>();
const MEMO_ENTRIES = 64;
const MEMO_VALUE_LENGTH = 256;

function memo<V>(decisions: Map<string, V>, key: string, decide: () => V): V {
  if (decisions.has(key)) return decisions.get(key) as V;
  const value = decide();
  if (key.length <= MEMO_VALUE_LENGTH) {
    if (decisions.size >= MEMO_ENTRIES) decisions.clear();
    decisions.set(key, value);
  }
  return value;
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const element of splitUnquoted(header, ',')) {
    const [range = '', ...parameters] = splitUnquoted(element, ';');
    const slash = range.indexOf('/');
    const type = range.slice(0, slash).toLowerCase();
    const subtype = range.slice(slash + 1).toLowerCase();
    // A malformed element accepts nothing; it does not spoil the others.
    if (slash < 0 || !TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) continue;
    const q = parseParameters(parameters).get('q');
    if (q !== undefined && !QVALUE.test(q)) continue;
    ranges.push({ type, subtype, q: q === undefined ? 1 : Number(q) });
  }
  return ranges;
}

function accepts(ranges: readonly MediaRange[], type: string, subtype: string): boolean {
  let best: { specificity: number; q: number } | undefined;
  for (const r of ranges) {
    const specificity = r.type === type ? (r.subtype === subtype ? 2 : r.subtype === '*' ? 1 : -1) : r.type === '*' ? 0 : -1;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity || (specificity === best.specificity && r.q > best.q)) best = { specificity, q: r.q };
  }
  return best !== undefined && best.q > 0;
}

/** Parameters of a media type such as a Content-Type value (`; name=value`, values maybe quoted). */
function mediaTypeParameters(value: string): Map<string, string> {
  return parseParameters(splitUnquoted(value, ';').slice(1));
}

/** Names are lower-cased; malformed parameters are skipped. */
function parseParameters(parts: readonly string[]): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (eq < 0 || !TOKEN.test(name)) continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (!TOKEN.test(value)) continue;
    parameters.set(name, value);
  }
  return parameters;
}

/** Splits on `separator` outside quoted strings (RFC 9110 §5.6.4), trimming and dropping empty parts. */
function splitUnquoted(value: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted && ch === '\\') {
      current += ch + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}

async function endSession(request: InboundRequest, route: AgentRoute, principal: Principal, app: McpApp): Promise<Response> {
  const sessionId = request.headers.get(SESSION_HEADER);
  if (!sessionId) return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required to end a session.');
  const session = await app.sessions.get(sessionId);
  if (!session || session.agentId !== route.config.id || !samePrincipal(session, principal) || session.streamInstance !== undefined) {
    return jsonRpcError(404, -32001, 'Session not found.');
  }
  await app.sessions.delete(sessionId);
  return new Response(null, { status: 200 });
}

/** `/.well-known/oauth-protected-resource/mcp/{agentId}` (RFC 9728) and the AS metadata alias. */
export function handleWellKnown(request: Request, app: McpApp): Response {
  const path = new URL(request.url).pathname.replace(/\/+$/, '');
  const prefix = '/.well-known/oauth-protected-resource/mcp/';
  if (path.startsWith(prefix)) {
    const route = app.routes.get(path.slice(prefix.length));
    if (route && route.config.enabled && app.config.mcpEnabled) {
      const answer = oauthMetadataResponse(request, route.metadata);
      if (answer) return answer;
    }
    return httpError(404, 'not_found', 'No protected resource is published at this path.');
  }
  if (path === '/.well-known/oauth-authorization-server') {
    const first = app.routes.values().next().value;
    const answer = first ? oauthMetadataResponse(request, first.metadata) : undefined;
    if (answer) return answer;
  }
  return httpError(404, 'not_found', 'Not found.');
}
