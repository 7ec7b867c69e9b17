import type { ServerRequestRelay } from '../mcp/serverRequests.js';
import type { InstanceMailbox, MailboxMessage, MessageOrder } from '../sessions/instanceMailbox.js';
import type { SessionRecord, SessionStore } from '../sessions/sessionStore.js';
import type { Logger } from '../telemetry/log.js';

/** Schedules the keep-alive comments and the maximum-duration cut; tests inject one they drive by hand. */
export interface StreamTimers {
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Calls `fn` once after `ms` unless the returned function is called first. */
  after(ms: number, fn: () => void): () => void;
}

export const systemTimers: StreamTimers = {
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** The mailbox kind of a message for a legacy SSE stream held by another instance. */
export const STREAM_MESSAGE = 'sse';
/** The mailbox kind of a client's `notifications/cancelled` for a request that may be running on another instance. */
export const CANCEL_MESSAGE = 'cancel';

/** A JSON-RPC request id as clients send it. */
export type RequestId = string | number;

/** Default pace of liveness probes where the host cannot tell that a client went away (Azure Functions). */
export const PROBE_MS = 30_000;

export interface LegacyStreamsOptions {
  mailbox: InstanceMailbox;
  sessions: SessionStore;
  keepAliveMs: number;
  maxStreamMs: number;
  timers?: StreamTimers;
  /** Carries the answers to liveness probes back to the stream (any instance may receive them). */
  relay?: ServerRequestRelay;
  /** Pace of liveness probes (default PROBE_MS). */
  probeMs?: number;
  log: Logger;
}

export interface StreamOptions {
  /**
   * Probe the client with `ping` every probeMs and end the stream when a probe is still unanswered
   * at the next one. For hosts that never tell a handler its client went away: the Functions
   * worker keeps draining the body into a closed connection (@azure/functions 4.x exposes no
   * abort signal or close event on HttpRequest). Clients must answer ping (MCP requires it).
   */
  probe?: boolean;
}

export type StreamEnd = 'client gone' | 'client unresponsive' | 'maximum duration' | 'client too slow' | 'shutdown';

interface LocalStream {
  sessionId: string;
  owner: string;
  push(text: string): void;
  /** (source, seq) of every message written: a redelivered one is not written twice. */
  delivered: Set<string>;
  end(reason: StreamEnd): Promise<void>;
}

/** Unread bytes a stream may buffer for a client that does not read; beyond it the stream ends. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Message keys remembered per stream (a stream lives under four minutes). */
const DELIVERED_KEYS = 10_000;

/**
 * The legacy HTTP+SSE streams (2024-11-05) open on this instance, and the way to reach any stream:
 * written in-process when it is here, posted to its instance's queue otherwise. A stream's session
 * row lives exactly as long as the stream; when the stream ends for any reason (client gone, its
 * maximum duration, shutdown) the row is deleted and work still running for it here is aborted.
 */
export class LegacyStreams {
  private readonly streams = new Map<string, LocalStream>();
  private readonly work = new Map<string, Set<AbortController>>();
  /** Requests being served here, by session, user and JSON-RPC id: what a cancellation aborts. */
  private readonly running = new Map<string, AbortController>();
  /** Session rows being deleted for streams that ended. */
  private readonly endings = new Set<Promise<void>>();
  private readonly timers: StreamTimers;
  private closing = false;

  constructor(private readonly options: LegacyStreamsOptions) {
    this.timers = options.timers ?? systemTimers;
  }

  /** This instance's id: stream rows record it, and peers post to its queue. */
  get instance(): string {
    return this.options.mailbox.instance;
  }

  /** Streams open here now. */
  get open(): number {
    return this.streams.size;
  }

  /** Keeps this instance's queue polled while a stream is open; resolves once peers can post to it. */
  listen(): Promise<() => void> {
    return this.options.mailbox.hold();
  }

  /**
   * The body of a stream for `session`: the `endpoint` event first, then every message delivered
   * to the session, keep-alive comments in between. `release` ends this stream's hold on the queue.
   * The node host cancels the body when its client goes away, which ends the stream; the Functions
   * host never does, so it asks for `probe`s instead.
   */
  start(session: SessionRecord, owner: string, endpoint: string, release: () => void, options: StreamOptions = {}): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let ending: Promise<void> | undefined;
    const stopTimers: Array<() => void> = [];
    /** The relay id of the probe awaiting its answer, if any. */
    let probing: string | undefined;
    const stream: LocalStream = {
      sessionId: session.id,
      owner,
      delivered: new Set(),
      push: (text) => {
        if (ending) return;
        controller.enqueue(encoder.encode(text));
        if ((controller.desiredSize ?? 0) <= 0) void stream.end('client too slow');
      },
      end: (reason) => {
        ending ??= this.finish(stream, reason, () => {
          for (const stop of stopTimers) stop();
          if (probing !== undefined) this.options.relay?.forget(probing);
          try {
            controller.close();
          } catch {
            // Already cancelled by the client.
          }
          release();
        });
        return ending;
      },
    };
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
          c.enqueue(encoder.encode(`event: endpoint\ndata: ${endpoint}\n\n`));
        },
        cancel: () => void stream.end('client gone'),
      },
      { highWaterMark: MAX_BUFFERED_BYTES, size: (chunk) => chunk.byteLength },
    );
    this.streams.set(session.id, stream);
    stopTimers.push(
      this.timers.every(this.options.keepAliveMs, () => stream.push(': keep-alive\n\n')),
      this.timers.after(this.options.maxStreamMs, () => void stream.end('maximum duration')),
    );
    const relay = this.options.relay;
    if (options.probe && relay) {
      stopTimers.push(
        this.timers.every(this.options.probeMs ?? PROBE_MS, () => {
          if (ending) return;
          // The last probe is still unanswered a whole interval later: nobody reads this stream.
          if (probing !== undefined) return void stream.end('client unresponsive');
          const { wireId, ready } = relay.expect(session.id, owner, 'probe', () => {
            if (probing === wireId) probing = undefined;
          });
          probing = wireId;
          ready.then(
            () => stream.push(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: wireId, method: 'ping' })}\n\n`),
            () => undefined,
          );
        }),
      );
    }
    if (this.closing) void stream.end('shutdown');
    return body;
  }

  /** Sends one JSON-RPC message to the client of `session`, wherever its stream is. */
  async deliver(session: SessionRecord, owner: string, message: object, order: MessageOrder): Promise<void> {
    const instance = session.streamInstance;
    if (!instance) return;
    if (instance === this.instance) {
      this.write(session.id, owner, message, order);
      return;
    }
    const sent = await this.options.mailbox.send(instance, STREAM_MESSAGE, { sessionId: session.id, owner, message }, order, session.id);
    if (!sent) this.options.log.info('legacy SSE stream instance has ended; message dropped');
  }

  /** A message a peer posted to this instance's queue for one of its streams. */
  receive(message: MailboxMessage): void {
    const body = message.body as { sessionId?: unknown; owner?: unknown; message?: unknown } | null;
    const { order } = message;
    if (!order || !body || typeof body.sessionId !== 'string' || typeof body.owner !== 'string' || !body.message || typeof body.message !== 'object') {
      this.options.log.warn('dropped a malformed stream message');
      return;
    }
    // The signature covers the session the sender named; a body naming another is refused.
    if (body.sessionId !== message.session) {
      this.options.log.warn('dropped a stream message signed for another session');
      return;
    }
    this.write(body.sessionId, body.owner, body.message, order);
  }

  /**
   * A client's `notifications/cancelled` for request `requestId` of `session`: aborts it when it runs
   * here, and otherwise tells every live peer, since any instance may have received the request's
   * POST (cancellations are rare; requests are not registered anywhere central). Resolves to where
   * it went: `here`, the number of peers told, or 0 when nobody could be told.
   */
  async cancel(session: SessionRecord, owner: string, requestId: RequestId): Promise<'here' | number> {
    if (this.abortRunning(session.id, owner, requestId)) return 'here';
    const peers = await this.options.mailbox.peers();
    const body = { sessionId: session.id, owner, requestId };
    const sent = await Promise.all(peers.map((peer) => this.options.mailbox.send(peer, CANCEL_MESSAGE, body, undefined, session.id).catch(() => false)));
    return sent.filter(Boolean).length;
  }

  /** A cancellation a peer forwarded: aborts the request if it runs here for that session and user. */
  receiveCancel(message: MailboxMessage): void {
    const body = message.body as { sessionId?: unknown; owner?: unknown; requestId?: unknown } | null;
    if (!body || typeof body.sessionId !== 'string' || body.sessionId !== message.session || typeof body.owner !== 'string' || !isRequestId(body.requestId)) {
      this.options.log.warn('dropped a malformed cancellation');
      return;
    }
    this.abortRunning(body.sessionId, body.owner, body.requestId);
  }

  /** Whether a request of that id is being served here now for that session and user. */
  isRunning(sessionId: string, owner: string, requestId: RequestId): boolean {
    return this.running.has(runningKey(sessionId, owner, requestId));
  }

  private abortRunning(sessionId: string, owner: string, requestId: RequestId): boolean {
    const controller = this.running.get(runningKey(sessionId, owner, requestId));
    if (!controller) return false;
    this.options.log.info('legacy SSE request cancelled by the client');
    controller.abort();
    return true;
  }

  /**
   * Runs work done for a session on this instance (a POSTed message being served). It is aborted
   * when the session's stream ends here or the instance shuts down; failures are logged, never thrown.
   */
  run(sessionId: string, work: (signal: AbortSignal) => Promise<void>, request?: { owner: string; id: RequestId }): Promise<void> {
    const controller = new AbortController();
    if (this.closing) controller.abort();
    const set = this.work.get(sessionId) ?? new Set();
    set.add(controller);
    this.work.set(sessionId, set);
    const key = request && runningKey(sessionId, request.owner, request.id);
    // A second request with an id still running keeps the first cancellable by that id (the newer one is not).
    const registered = key !== undefined && !this.running.has(key);
    if (registered) this.running.set(key, controller);
    // While a request runs here, this instance listens, so a cancellation POSTed elsewhere reaches it.
    const held = request ? this.options.mailbox.hold().catch(() => undefined) : undefined;
    return work(controller.signal)
      .catch((err: unknown) => {
        if (!controller.signal.aborted) this.options.log.error('legacy SSE message failed', { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        set.delete(controller);
        if (set.size === 0 && this.work.get(sessionId) === set) this.work.delete(sessionId);
        if (registered && this.running.get(key) === controller) this.running.delete(key);
        void held?.then((release) => release?.());
      });
  }

  /**
   * Ends every stream here and waits until their sessions are deleted; work still running is aborted,
   * not awaited (a tool call that ignores the abort must not hold up a shutdown).
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const set of this.work.values()) for (const c of set) c.abort();
    await Promise.all([...this.streams.values()].map((s) => s.end('shutdown')));
    await Promise.all([...this.endings]);
  }

  /** Writes to a local stream, only if it belongs to that session and user, and only once. */
  private write(sessionId: string, owner: string, message: object, order: MessageOrder): boolean {
    const stream = this.streams.get(sessionId);
    if (!stream || stream.owner !== owner) return false;
    const key = `${order.source}.${order.seq}`;
    if (stream.delivered.has(key)) return false;
    stream.delivered.add(key);
    if (stream.delivered.size > DELIVERED_KEYS) stream.delivered.delete(stream.delivered.values().next().value!);
    stream.push(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return true;
  }

  private finish(stream: LocalStream, reason: StreamEnd, stop: () => void): Promise<void> {
    if (this.streams.get(stream.sessionId) === stream) this.streams.delete(stream.sessionId);
    stop();
    for (const c of this.work.get(stream.sessionId) ?? []) c.abort();
    const done = this.options.sessions
      .delete(stream.sessionId)
      .then(
        () => this.options.log.info('legacy SSE stream ended', { reason }),
        (err: unknown) => this.options.log.warn('legacy SSE session row not deleted; it expires on its own', { reason, error: (err as Error).message }),
      )
      .finally(() => this.endings.delete(done));
    this.endings.add(done);
    return done;
  }
}

function runningKey(sessionId: string, owner: string, requestId: RequestId): string {
  // JSON keeps 1 and "1" apart, as JSON-RPC does.
  return `${sessionId}\n${owner}\n${JSON.stringify(requestId)}`;
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
