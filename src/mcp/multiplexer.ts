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

import { type Answer, jsonAnswer, type PreparedAnswer } from './answer.js';
import type { HangUp } from './hangUp.js';

/** nginx's "client closed request", as the SDK's handler answers a request whose client hung up. */
export const CLIENT_CLOSED = 499;

/**
 * The exchange a message the server sends belongs to: an answer by its (internal) id, anything
 * else by the request it relates to. An answer for an exchange that ended is reported.
 */
export function exchangeOf<E>(
  exchanges: ReadonlyMap<number, E>,
  message: JSONRPCMessage,
  options: TransportSendOptions | undefined,
  onerror: ((error: Error) => void) | undefined,
): { response: boolean; internal: number; exchange: E | undefined } {
  const response = !('method' in message) && 'id' in message;
  const id = response ? (message as { id: RequestId }).id : options?.relatedRequestId;
  const exchange = typeof id === 'number' ? exchanges.get(id) : undefined;
  if (!exchange && response) onerror?.(new Error('An answer arrived for an exchange that already ended.'));
  return { response, internal: typeof id === 'number' ? id : -1, exchange };
}

/** The era a shared server serves; the SDK binds an instance to it when it connects to a per-request transport. */
export const MODERN_CLASSIFICATION: MessageClassification = { era: 'modern', revision: '2026-07-28' };

interface Exchange {
  transport: PerRequestHTTPServerTransport;
  /** The client's own id, restored on everything sent back. */
  id: RequestId;
  answered: boolean;
  /** A notification went out first: the SDK's transport answers with an SSE stream. */
  streaming: boolean;
  /** Settles the exchange with a JSON result, sparing the SDK's transport its Response. */
  settle: (answer: PreparedAnswer) => void;
  prepared?: PreparedAnswer;
  /** The host kept the hang-up apart from the Request. */
  detached: boolean;
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
  async serve(message: JSONRPCRequest, extra: PerRequestMessageExtra, hangUp?: HangUp): Promise<Answer> {
    if (this.closed) throw new SdkError(SdkErrorCode.ConnectionClosed, 'The server is shutting down');
    // The host's hang-up, when the Request does not carry it (the SDK's transport listens to the Request's signal).
    if (hangUp?.happened) return new Response(null, { status: CLIENT_CLOSED });
    const internal = ++this.nextId;
    const transport = new PerRequestHTTPServerTransport({ classification: MODERN_CLASSIFICATION });
    let settle: (answer: PreparedAnswer) => void = () => undefined;
    const settled = new Promise<PreparedAnswer>((resolve) => (settle = resolve));
    const exchange: Exchange = { transport, id: message.id, answered: false, streaming: false, settle, detached: hangUp !== undefined };
    transport.onmessage = (inbound, info) => this.onmessage?.({ ...inbound, id: internal } as JSONRPCMessage, info);
    transport.onerror = (error) => this.onerror?.(error);
    transport.onclose = () => {
      this.exchanges.delete(internal);
      // Closed before its answer: the client went away (or the server is closing). Stop the handler.
      if (!exchange.answered) this.cancel(internal);
    };
    await transport.start();
    this.exchanges.set(internal, exchange);
    const stopListening = hangUp?.subscribe(() => void transport.close());
    try {
      return await Promise.race([transport.handleMessage(message, extra), settled]);
    } catch (error) {
      // Settled with a prepared result, then closed: the result stands.
      if (exchange.prepared) return exchange.prepared;
      // The same answer the SDK's handler gives a request whose client hung up first.
      if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) return new Response(null, { status: CLIENT_CLOSED });
      throw error;
    } finally {
      stopListening?.();
    }
  }

  /** What the server sends: a call's answer, or a notification (progress, log) related to it. */
  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const { response, internal, exchange } = exchangeOf(this.exchanges, message, options, this.onerror);
    if (!exchange) return;
    if (response) {
      exchange.answered = true;
      const answer = { ...message, id: exchange.id } as JSONRPCMessage;
      if (!exchange.streaming && 'result' in answer) {
        // A result before any notification: the SDK's transport would answer 200 with
        // Response.json(answer) (its statuses are for errors; a stream only once a notification
        // went first). The same bytes as a prepared answer; errors and streams stay the SDK's.
        exchange.prepared = jsonAnswer(answer);
        exchange.settle(exchange.prepared);
        if (exchange.detached) {
          // Closing would reject its pending answer with an error built only to be dropped; with
          // the hang-up signal kept apart, nothing outlives the exchange (the SDK's abort listener
          // sits on the Request's own signal, which goes with the Request).
          this.exchanges.delete(internal);
          return;
        }
        await exchange.transport.close();
        return;
      }
      return exchange.transport.send(answer);
    }
    exchange.streaming = true;
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
