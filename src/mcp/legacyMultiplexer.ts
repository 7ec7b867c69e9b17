import {
  type AuthInfo,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
  SdkError,
  SdkErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
  type TransportSendOptions,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

import type { HangUp } from './hangUp.js';
import { CLIENT_CLOSED, exchangeOf } from './multiplexer.js';
import type { ServerRequestRelay } from './serverRequests.js';

/** A 2025-era session's relay address: server→client requests go out under relay ids bound to it. */
export interface RelayBinding {
  relay: ServerRequestRelay;
  sessionId: string;
  owner: string;
}

interface Exchange {
  transport: WebStandardStreamableHTTPServerTransport;
  /** The client's own id, restored on everything sent back. */
  id: RequestId;
  binding: RelayBinding | undefined;
  /** Relay ids of server→client requests this call sent, forgotten when it ends. */
  issued: Set<string>;
}

/**
 * Lets one long-lived SDK `Server` serve many concurrent 2025-era requests (one JSON-RPC request
 * each; batches, notifications and initialize go to the SDK's per-request fallback). Each request
 * still goes through its own stateless SDK `WebStandardStreamableHTTPServerTransport`, which checks
 * the HTTP request and shapes the SSE answer; the multiplexer only renames: the request reaches the
 * server under an id unique in this process, and what the server sends about it goes back to that
 * transport under the client's id. Server→client requests of a session leave under relay ids (see
 * ServerRequestRelay), as a per-request session server's would. A client that hangs up cancels its
 * call with `notifications/cancelled`, which aborts the handler's signal.
 *
 * A plain Transport binds the server to the 2025 era. It never sees `initialize`, so the instance
 * holds no client's capabilities, exactly like a per-request instance; each call's session, user and
 * log travel in its `authInfo`.
 */
export class LegacyMultiplexer implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;

  private nextId = 0;
  private readonly exchanges = new Map<number, Exchange>();
  private versions: string[] = SUPPORTED_PROTOCOL_VERSIONS;
  private closed = false;

  constructor(private readonly maxRequestBodySize: number) {}

  async start(): Promise<void> {}

  /** The server's revisions, for each exchange's own header check (Server.connect passes them). */
  setSupportedProtocolVersions(versions: string[]): void {
    this.versions = versions;
  }

  /** Serves one 2025-era request; resolves with the SDK transport's answer (an SSE stream, or its refusal). */
  async serve(request: Request, message: JSONRPCRequest, authInfo: AuthInfo, binding: RelayBinding | undefined, hangUp: HangUp): Promise<Response> {
    if (this.closed) throw new SdkError(SdkErrorCode.ConnectionClosed, 'The server is shutting down');
    // The same answer the SDK's handler gives a request whose client hung up first.
    if (hangUp.happened) return new Response(null, { status: CLIENT_CLOSED });
    const internal = ++this.nextId;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      maxRequestBodySize: this.maxRequestBodySize,
      supportedProtocolVersions: this.versions,
    });
    const exchange: Exchange = { transport, id: message.id, binding, issued: new Set() };
    transport.onmessage = (inbound, extra) => {
      // Only the one request: it was checked to be the whole body before it came here.
      if (isJSONRPCRequest(inbound) && inbound.id === message.id) this.onmessage?.({ ...inbound, id: internal }, extra);
    };
    transport.onerror = (error) => this.onerror?.(error);
    await transport.start();
    this.exchanges.set(internal, exchange);
    const stopListening = hangUp.subscribe(() => {
      if (!this.exchanges.has(internal)) return;
      this.end(internal, exchange);
      this.cancel(internal);
      void transport.close();
    });
    let response: Response;
    try {
      response = await transport.handleRequest(request, { authInfo, parsedBody: message });
    } catch (error) {
      stopListening();
      this.end(internal, exchange);
      throw error;
    }
    if (this.exchanges.has(internal) && response.headers.get('content-type')?.startsWith('text/event-stream')) {
      // Streaming: the exchange ends with its answer (send) or the client's hang-up.
      transport.onclose = stopListening;
    } else {
      // Answered already, or refused before dispatch (the transport's own header checks).
      stopListening();
      this.end(internal, exchange);
    }
    return response;
  }

  /** What the server sends: the call's answer, a notification about it, or a request to the client. */
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const { response, internal, exchange } = exchangeOf(this.exchanges, message, options, this.onerror);
    // Unrelated notifications have no standalone stream to go on (as with a stateless transport).
    if (!exchange) return;
    if (response) {
      this.end(internal, exchange);
      // The transport writes it and closes the stream: the exchange is over.
      await exchange.transport.send({ ...message, id: exchange.id } as JSONRPCMessage);
      void exchange.transport.close();
      return;
    }
    const relatedRequestId = exchange.id;
    if (isJSONRPCRequest(message) && exchange.binding) {
      const { relay, sessionId, owner } = exchange.binding;
      return relay.sendRequest(sessionId, owner, message, (answer) => this.onmessage?.(answer), exchange.issued, (out) => exchange.transport.send(out, { ...options, relatedRequestId }));
    }
    return exchange.transport.send(message, { ...options, relatedRequestId });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const open = [...this.exchanges.entries()];
    for (const [internal, exchange] of open) this.end(internal, exchange);
    await Promise.all(open.map(([, e]) => e.transport.close()));
    this.onclose?.();
  }

  /** Exchanges still waiting for their answer (tests check nothing is left behind). */
  get open(): number {
    return this.exchanges.size;
  }

  /** Exchanges served since start. */
  get served(): number {
    return this.nextId;
  }

  private end(internal: number, exchange: Exchange): void {
    this.exchanges.delete(internal);
    if (exchange.binding) for (const wireId of exchange.issued) exchange.binding.relay.forget(wireId);
  }

  private cancel(internal: number): void {
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: internal, reason: 'The client closed the connection.' } });
  }
}
