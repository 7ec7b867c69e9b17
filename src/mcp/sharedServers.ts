import { type AuthInfo, classifyInboundRequest, type InboundClassificationOutcome, type InboundModernRoute, type JSONRPCRequest, type Server, type Transport } from '@modelcontextprotocol/server';

import type { HeaderReader } from '../auth/authenticate.js';
import type { Answer } from './answer.js';
import type { HangUp } from './hangUp.js';
import { LegacyMultiplexer, type RelayBinding } from './legacyMultiplexer.js';
import { MODERN_CLASSIFICATION, ModernMultiplexer } from './multiplexer.js';
import type { AgentTools } from './toolInventory.js';

/**
 * Methods a shared server answers. None needs a client capability the SDK's entry checks before
 * dispatch, and none is a stream (`subscriptions/listen`). Anything else, and anything unusual about
 * a request, goes to the SDK's per-request handler, which decides it (and every rejection).
 */
const SHARED_METHODS = new Set([
  'tools/call',
  'tools/list',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'completion/complete',
]);

/** Where a method's `Mcp-Name` header value comes from in the body (SEP-2243). */
const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

type ModernRequestRoute = InboundModernRoute & { messageKind: 'request'; message: JSONRPCRequest };

/** The SDK's classification of a POST body with its standard headers (SEP-2243): era, revision, message kind. */
export function classifyPost(body: unknown, headers: HeaderReader): InboundClassificationOutcome {
  return classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: headers.get('mcp-protocol-version') ?? undefined,
    mcpMethodHeader: headers.get('mcp-method') ?? undefined,
    mcpNameHeader: headers.get('mcp-name') ?? undefined,
  });
}

/**
 * Whether a modern request carries `MCP-Protocol-Version` and `Mcp-Method` (SEP-2243). The SDK's
 * handler refuses one without them; what answers from elsewhere leaves such requests to its refusal.
 */
export function carriesStandardHeaders(headers: HeaderReader): boolean {
  return headers.get('mcp-protocol-version') !== null && headers.get('mcp-method') !== null;
}

/**
 * Whether a classified request is one the shared server may take: a 2026-07-28 request of a method
 * above whose standard headers plainly pass the SDK's checks (`MCP-Protocol-Version` and
 * `Mcp-Method` present, which classification already compared with the body, and `Mcp-Name` equal
 * to the body's name or URI, with no encoding or surrounding whitespace to interpret). It only routes:
 * a request that does not qualify is not refused here, the SDK's handler answers it.
 */
export function sharedServable(outcome: InboundClassificationOutcome, headers: HeaderReader): outcome is ModernRequestRoute {
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request') return false;
  if (outcome.classification.revision !== MODERN_CLASSIFICATION.revision) return false;
  const method = outcome.message.method;
  if (!SHARED_METHODS.has(method)) return false;
  if (!carriesStandardHeaders(headers)) return false;
  const field = NAME_SOURCE[method];
  if (!field) return true;
  const value = (outcome.message.params as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string' || value.length === 0 || value.startsWith('=?') || value.trim() !== value) return false;
  return headers.get('mcp-name') === value;
}

/** A transport one long-lived server is connected to, multiplexing many exchanges. */
interface Multiplexer extends Transport {
  readonly open: number;
  readonly served: number;
}

/** One long-lived server per agent route, each connected to its own multiplexer. */
class ServerPool<M extends Multiplexer> {
  private readonly servers = new Map<string, Promise<M>>();
  private readonly started = new Map<string, M>();
  private closed = false;

  constructor(
    private readonly build: (agent: AgentTools) => Server,
    private readonly transport: () => M,
    private readonly onerror: (error: Error) => void,
  ) {}

  protected muxFor(routeId: string, agent: AgentTools): Promise<M> {
    if (this.closed) throw new Error('This MCP handler has been closed');
    let mux = this.servers.get(routeId);
    if (!mux) {
      const server = this.build(agent);
      server.onerror = this.onerror;
      const transport = this.transport();
      mux = server.connect(transport).then(() => {
        this.started.set(routeId, transport);
        return transport;
      });
      // A failed start is not cached: the next request tries again.
      mux.catch(() => this.servers.delete(routeId));
      this.servers.set(routeId, mux);
    }
    return mux;
  }

  /** Routes with a running server, exchanges they served, and exchanges still open. */
  stats(): { routes: number; served: number; open: number } {
    let served = 0;
    let open = 0;
    for (const mux of this.started.values()) {
      served += mux.served;
      open += mux.open;
    }
    return { routes: this.started.size, served, open };
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.servers.values()];
    this.servers.clear();
    this.started.clear();
    await Promise.all(all.map(async (mux) => (await mux.catch(() => undefined))?.close()));
  }
}

/**
 * One long-lived 2026-07-28 server per agent route, each behind a ModernMultiplexer. Building a
 * server, its handlers and a transport per request was the largest share of a trivial call's cost
 * in process (347 -> ~270 µs); here a call costs the SDK's dispatch and its own per-request
 * transport only. The user, request id and log of each call travel in its `authInfo`.
 */
export class SharedModernServers extends ServerPool<ModernMultiplexer> {
  constructor(build: (agent: AgentTools) => Server, onerror: (error: Error) => void) {
    super(build, () => new ModernMultiplexer(), onerror);
  }

  /**
   * `hangUp` is the client's, when the host keeps it apart. No web Request goes along: the SDK would
   * only put it in the handlers' context (`ctx.http.req`), and ours read the call's state from `authInfo`.
   */
  async serve(routeId: string, agent: AgentTools, route: ModernRequestRoute, authInfo: AuthInfo, hangUp?: HangUp): Promise<Answer> {
    const mux = await this.muxFor(routeId, agent);
    return mux.serve(route.message, { authInfo }, hangUp);
  }
}

/**
 * Methods a shared 2025-era server answers: none touches the instance (initialize would store the
 * client's capabilities in it), and each is a request with one answer.
 */
const SHARED_LEGACY_METHODS = new Set([...SHARED_METHODS, 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

/**
 * Whether a 2025-era body is one the shared server may take: a single JSON-RPC request of a method
 * above. Batches, notifications, client responses and initialize go to the SDK's per-request
 * fallback, which decides them.
 */
export function sharedLegacyServable(body: unknown): body is JSONRPCRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as Record<string, unknown>;
  return m['jsonrpc'] === '2.0' && typeof m['method'] === 'string' && SHARED_LEGACY_METHODS.has(m['method']) && (typeof m['id'] === 'string' || typeof m['id'] === 'number');
}

/**
 * One long-lived 2025-era server per agent route, each behind a LegacyMultiplexer: a call spares
 * building a server and its handlers and connecting them, which was most of what a 2025-era call
 * cost beyond a 2026-07-28 one. The SSE answer is still the SDK transport's.
 */
export class SharedLegacyServers extends ServerPool<LegacyMultiplexer> {
  constructor(build: (agent: AgentTools) => Server, onerror: (error: Error) => void, maxRequestBodySize: number) {
    super(build, () => new LegacyMultiplexer(maxRequestBodySize), onerror);
  }

  async serve(routeId: string, agent: AgentTools, request: Request, message: JSONRPCRequest, authInfo: AuthInfo, binding: RelayBinding | undefined, hangUp: HangUp): Promise<Response> {
    const mux = await this.muxFor(routeId, agent);
    return mux.serve(request, message, authInfo, binding, hangUp);
  }
}
