import { randomBytes } from 'node:crypto';

import type { JSONRPCMessage, Transport, TransportSendOptions } from '@modelcontextprotocol/server';

/** A client's answer to a server→client request, as it arrives in its own POST. */
export interface ClientResponse {
  jsonrpc: '2.0';
  id: string | number;
  result?: unknown;
  error?: unknown;
}

/** Carries a client's answer to the instance whose tool call is waiting for it (Storage Queues across instances). */
export interface ResponseHop {
  /** False when no instance of that name is listening (it ended): the answer has nowhere to go. */
  send(instance: string, delivery: Delivery): Promise<boolean>;
  /**
   * Keeps this instance receiving answers until the returned function is called; resolves once an
   * answer sent to this instance can arrive (its queue exists and is polled).
   */
  hold(): Promise<() => void>;
}

/** What travels between instances: the answer and who may give it. */
export interface Delivery {
  sessionId: string;
  owner: string;
  message: ClientResponse;
}

interface Pending {
  sessionId: string;
  owner: string;
  originalId: string | number;
  deliver(message: JSONRPCMessage): void;
  /** This instance's hold on the hop while the answer is awaited. */
  held: Promise<() => void> | undefined;
}

// The instance part has the shape of an instance id (16 hex characters), so a made-up id cannot send
// the hop to a queue of another shape (or fail on a name the queue service refuses).
const WIRE_ID = /^srv\.([a-f0-9]{16})\.[A-Za-z0-9_-]{16,64}$/;

export function isClientResponse(body: unknown): body is ClientResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as Record<string, unknown>;
  return m['method'] === undefined && (typeof m['id'] === 'string' || typeof m['id'] === 'number') && ('result' in m || 'error' in m);
}

/** A delivery as it arrives from another instance, checked before anything trusts its shape. */
export function parseDelivery(value: unknown): Delivery | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const d = value as Record<string, unknown>;
  if (typeof d['sessionId'] !== 'string' || typeof d['owner'] !== 'string' || !isClientResponse(d['message'])) return undefined;
  return { sessionId: d['sessionId'], owner: d['owner'], message: d['message'] };
}

/**
 * Server→client requests of 2025-era sessions (sampling, elicitation, roots) travel on the SSE
 * stream of the POST running the tool; the client answers with a new POST that any instance may
 * receive. Each request leaves with an id that names this instance and is unguessable, so the
 * answer finds its way back: handed over in-process when it lands here, sent through the hop
 * (a queue per instance) when it lands elsewhere. An answer is accepted only from the session
 * and user the request went to, and only once.
 */
export class ServerRequestRelay {
  readonly instance: string;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly hop?: ResponseHop,
    // Lower-case hex: it also names this instance's queue, and queue names are lower-case.
    instance = randomBytes(8).toString('hex'),
  ) {
    this.instance = instance;
  }

  /** Wraps a per-request transport so its outgoing requests get relay ids and their answers come back to it. */
  wrap(inner: Transport, sessionId: string, owner: string): Transport {
    return new RelayedTransport(inner, this, sessionId, owner);
  }

  /**
   * @internal Registers an outgoing request: the id it travels under, and when it may leave (once an
   * answer landing on another instance can find its way here).
   */
  expect(sessionId: string, owner: string, originalId: string | number, deliver: (message: JSONRPCMessage) => void): { wireId: string; ready: Promise<void> } {
    const wireId = `srv.${this.instance}.${randomBytes(18).toString('base64url')}`;
    const held = this.hop?.hold();
    // Settled by whoever awaits `ready`; a release after a failed hold has nothing to release.
    held?.catch(() => undefined);
    this.pending.set(wireId, { sessionId, owner, originalId, deliver, held });
    return { wireId, ready: held ? held.then(() => undefined) : Promise.resolve() };
  }

  /**
   * Sends a server→client request of `sessionId` under a relay id once it may leave; the id joins
   * `issued`, which the caller forgets when its call ends. The answer goes to `deliver` under the
   * request's own id.
   */
  async sendRequest(
    sessionId: string,
    owner: string,
    message: JSONRPCMessage & { id: string | number },
    deliver: (answer: JSONRPCMessage) => void,
    issued: Set<string>,
    send: (message: JSONRPCMessage) => Promise<void>,
  ): Promise<void> {
    const { wireId, ready } = this.expect(sessionId, owner, message.id, deliver);
    issued.add(wireId);
    try {
      await ready;
    } catch (err) {
      this.forget(wireId);
      throw err;
    }
    return send({ ...message, id: wireId } as JSONRPCMessage);
  }

  /** @internal */
  forget(wireId: string): void {
    const entry = this.pending.get(wireId);
    if (!entry) return;
    this.pending.delete(wireId);
    release(entry);
  }

  /**
   * A client's answer arrived in a POST of `sessionId` by `owner`. False when it answers nothing
   * this server asked (unknown, already answered, or another session's): the caller still answers
   * 202, so ids cannot be probed.
   */
  async route(sessionId: string, owner: string, message: ClientResponse): Promise<boolean> {
    const wire = typeof message.id === 'string' ? WIRE_ID.exec(message.id) : null;
    if (!wire) return false;
    if (wire[1] === this.instance) return this.accept({ sessionId, owner, message });
    if (!this.hop) return false;
    return this.hop.send(wire[1]!, { sessionId, owner, message });
  }

  /** Delivers an answer to a request waiting on this instance (called for local POSTs and by the hop's receiver). */
  accept(delivery: Delivery): boolean {
    const id = String(delivery.message.id);
    const entry = this.pending.get(id);
    if (!entry || entry.sessionId !== delivery.sessionId || entry.owner !== delivery.owner) return false;
    this.pending.delete(id);
    release(entry);
    entry.deliver({ ...delivery.message, id: entry.originalId } as JSONRPCMessage);
    return true;
  }

  get waiting(): number {
    return this.pending.size;
  }
}

function release(entry: Pending): void {
  void entry.held?.then(
    (done) => done(),
    () => undefined,
  );
}

/** Delegates to the SDK's transport, renaming outgoing request ids and routing their answers back. */
class RelayedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];
  private readonly issued = new Set<string>();

  constructor(
    private readonly inner: Transport,
    private readonly relay: ServerRequestRelay,
    private readonly session: string,
    private readonly owner: string,
  ) {
    inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      for (const id of this.issued) relay.forget(id);
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  get hasPerRequestStream(): boolean | undefined {
    return this.inner.hasPerRequestStream;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.inner.setSupportedProtocolVersions?.(versions);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as { method?: unknown; id?: unknown };
    if (typeof m.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number')) {
      const request = message as JSONRPCMessage & { id: string | number };
      return this.relay.sendRequest(this.session, this.owner, request, (answer) => this.onmessage?.(answer), this.issued, (out) => this.inner.send(out, options));
    }
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    for (const id of this.issued) this.relay.forget(id);
    return this.inner.close();
  }
}
