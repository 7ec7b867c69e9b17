import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageClassification,
  PerRequestHTTPServerTransport,
  type PerRequestMessageExtra,
  type RequestId,
  SdkError,
  SdkErrorCode,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';

/** The era a shared server serves; the SDK binds an instance to it when it connects to a per-request transport. */
export const MODERN_CLASSIFICATION: MessageClassification = { era: 'modern', revision: '2026-07-28' };

interface Exchange {
  transport: PerRequestHTTPServerTransport;
  /** The client's own id, restored on everything sent back. */
  id: RequestId;
  answered: boolean;
}

/**
 * Lets one long-lived SDK `Server` serve many concurrent 2026-07-28 exchanges. Each exchange still
 * goes through its own SDK `PerRequestHTTPServerTransport`, which shapes the HTTP answer (JSON, or
 * SSE once a notification precedes the result; the status of errors raised before dispatch), so
 * the only thing done here is multiplexing: the request reaches the server under an id unique in
 * this process (clients' ids collide), and whatever the server sends about it goes back to that
 * exchange under the client's id. A client that hangs up cancels its call with the SDK's own
 * `notifications/cancelled`, which aborts the handler's signal.
 *
 * It extends the per-request transport only so that `Server.connect` binds the instance to the
 * modern era (the SDK's public way to do so); none of the parent's single-exchange state is used.
 */
export class ModernMultiplexer extends PerRequestHTTPServerTransport {
  private nextId = 0;
  private readonly exchanges = new Map<number, Exchange>();
  private closed = false;

  constructor() {
    super({ classification: MODERN_CLASSIFICATION });
  }

  override async start(): Promise<void> {}

  /** Serves one classified modern request; resolves with the HTTP answer the SDK's transport shaped. */
  async serve(message: JSONRPCRequest, extra: PerRequestMessageExtra): Promise<Response> {
    if (this.closed) throw new SdkError(SdkErrorCode.ConnectionClosed, 'The server is shutting down');
    const internal = ++this.nextId;
    const transport = new PerRequestHTTPServerTransport({ classification: MODERN_CLASSIFICATION });
    const exchange: Exchange = { transport, id: message.id, answered: false };
    transport.onmessage = (inbound, info) => this.onmessage?.({ ...inbound, id: internal } as JSONRPCMessage, info);
    transport.onerror = (error) => this.onerror?.(error);
    transport.onclose = () => {
      this.exchanges.delete(internal);
      // Closed before its answer: the client went away (or the server is closing). Stop the handler.
      if (!exchange.answered) this.cancel(internal);
    };
    await transport.start();
    this.exchanges.set(internal, exchange);
    try {
      return await transport.handleMessage(message, extra);
    } catch (error) {
      // The same answer the SDK's handler gives a request whose client hung up first.
      if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) return new Response(null, { status: 499 });
      throw error;
    }
  }

  /** What the server sends: a call's answer, or a notification (progress, log) related to it. */
  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = !('method' in message) && 'id' in message;
    const internal = response ? (message as { id: RequestId }).id : options?.relatedRequestId;
    const exchange = typeof internal === 'number' ? this.exchanges.get(internal) : undefined;
    if (!exchange) {
      if (response) this.onerror?.(new Error('An answer arrived for an exchange that already ended.'));
      return;
    }
    if (response) {
      exchange.answered = true;
      return exchange.transport.send({ ...message, id: exchange.id } as JSONRPCMessage);
    }
    return exchange.transport.send(message, { ...options, relatedRequestId: exchange.id });
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.exchanges.values()].map((e) => e.transport.close()));
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

  private cancel(internal: number): void {
    this.onmessage?.(
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: internal, reason: 'The client closed the connection.' } },
      { classification: MODERN_CLASSIFICATION },
    );
  }
}
