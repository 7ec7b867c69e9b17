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

export interface LegacyStreamsOptions {
  mailbox: InstanceMailbox;
  sessions: SessionStore;
  keepAliveMs: number;
  maxStreamMs: number;
  timers?: StreamTimers;
  log: Logger;
}

export type StreamEnd = 'client gone' | 'maximum duration' | 'client too slow' | 'shutdown';

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
   * A client going away cancels the body (both hosts do), which ends the stream.
   */
  start(session: SessionRecord, owner: string, endpoint: string, release: () => void): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let ending: Promise<void> | undefined;
    const stopTimers: Array<() => void> = [];
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
    const sent = await this.options.mailbox.send(instance, STREAM_MESSAGE, { sessionId: session.id, owner, message }, order);
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
    this.write(body.sessionId, body.owner, body.message, order);
  }

  /**
   * Runs work done for a session on this instance (a POSTed message being served). It is aborted
   * when the session's stream ends here or the instance shuts down; failures are logged, never thrown.
   */
  run(sessionId: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    if (this.closing) controller.abort();
    const set = this.work.get(sessionId) ?? new Set();
    set.add(controller);
    this.work.set(sessionId, set);
    return work(controller.signal)
      .catch((err: unknown) => {
        if (!controller.signal.aborted) this.options.log.error('legacy SSE message failed', { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        set.delete(controller);
        if (set.size === 0 && this.work.get(sessionId) === set) this.work.delete(sessionId);
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
