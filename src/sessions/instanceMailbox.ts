import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type { TokenCredential } from '@azure/identity';
import { type DequeuedMessageItem, type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { QueuesConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';
import type { RelayFacts } from '../telemetry/telemetry.js';
import { StorageUnavailableError, storageCredential, storageStatus } from './tableStorage.js';

/**
 * Where the delivery queues are: a connection string (Azurite locally, or account keys), or, in
 * Azure, the account's queue endpoint reached with the managed identity (shared keys are off).
 */
export type QueuesLocation =
  | { kind: 'connection-string'; connectionString: string }
  | { kind: 'identity'; accountUrl: string; managedIdentityClientId?: string };

/** The location the configuration names (QUEUES_ACCOUNT_URL, or a connection string), if any. */
export function queuesLocation(config: QueuesConfig): QueuesLocation | undefined {
  if (config.accountUrl) {
    return { kind: 'identity', accountUrl: config.accountUrl, ...(config.managedIdentityClientId && { managedIdentityClientId: config.managedIdentityClientId }) };
  }
  return config.connectionString ? { kind: 'connection-string', connectionString: config.connectionString } : undefined;
}

/** The queue service client (no request is made); an `identity` location uses `options.credential`, or the managed identity. */
export async function openQueueService(location: QueuesLocation, options: { credential?: TokenCredential } = {}): Promise<QueueServiceClient> {
  if (location.kind === 'connection-string') return QueueServiceClient.fromConnectionString(location.connectionString);
  return new QueueServiceClient(location.accountUrl, options.credential ?? (await storageCredential(location.managedIdentityClientId)));
}

/** Instance ids name queues: lower-case letters and digits only. */
const INSTANCE = /^[a-z0-9]{8,32}$/;
/** Azure's queue naming rule: 3–63 characters, lower-case letters, digits and single hyphens, no hyphen at either end. */
const QUEUE_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The queue of one instance: `<tables prefix>-<instance id>`, e.g. `mcp-3f9a0c1d2e4b5a6c`. */
export function instanceQueueName(prefix: string, instance: string): string {
  if (!INSTANCE.test(instance)) throw new Error(`Instance id "${instance.slice(0, 40)}" must be 8–32 lower-case letters or digits.`);
  const name = `${prefix.toLowerCase()}-${instance}`;
  if (!QUEUE_NAME.test(name)) throw new Error(`"${name.slice(0, 80)}" is not a valid queue name: 3–63 lower-case letters, digits and single hyphens (check TABLES_PREFIX).`);
  return name;
}

/** Messages of one sender stay in order within a received batch: `source` names the sender's sequence. */
export interface MessageOrder {
  source: string;
  seq: number;
}

/** A message as the receiving instance's handler gets it: its kind and body, each delivered once. */
export interface MailboxMessage {
  kind: string;
  body: unknown;
  order?: MessageOrder;
  /** The session the sender bound the message to (covered by its signature); handlers check the body names the same. */
  session?: string;
}

/** Schedules the heartbeat and the orphan sweep; tests inject timers they fire by hand. */
export interface MailboxTimers {
  every(ms: number, fn: () => void): () => void;
}

const systemEvery: MailboxTimers = {
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface MailboxOptions {
  service: QueueServiceClient;
  /** Shared by every instance (TABLES_PREFIX), so each can name the others' queues. */
  prefix: string;
  instance: string;
  log: Logger;
  /** Pause after a poll that found nothing: from `minDelayMs`, doubling up to `maxDelayMs`. */
  poll?: { minDelayMs?: number; maxDelayMs?: number };
  /** Waits between polls; tests may shorten it. Resolves early when the signal aborts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Signs and checks every message (HMAC-SHA256): deriveKey(MCP_STATE_SECRET, 'queue'), the same on
   * every instance. Whoever can write to the queue but lacks the secret cannot deliver anything.
   */
  key: Buffer;
  /** Time source for message expiry and heartbeats (default the wall clock). */
  now?: () => number;
  /** Heartbeat and orphan-sweep timers (default: unref'd intervals). */
  timers?: MailboxTimers;
  /** Relay counts and durations for telemetry (src/telemetry). */
  observe?: (facts: RelayFacts) => void;
}

/** Nothing a message carries is useful minutes later: a stream ends within 225 s, an answer is awaited, not archived. */
const MESSAGE_TTL_SECONDS = 120;
/** A received message not deleted by then (the handler crashed) is delivered again; duplicates are dropped. */
const VISIBILITY_TIMEOUT_SECONDS = 30;
/** Bytes of payload per queue message: base64 makes 60 000 characters, under the service's 64 KiB. */
const CHUNK_BYTES = 45_000;
/** At most this many chunks (about 9 MB) per message; anything larger is refused when sent. */
const MAX_CHUNKS = 200;
/** Recently handled message ids (redelivery is bounded by the TTL, so a bounded memory suffices). */
const SEEN_IDS = 4096;
/** Messages waiting for their remaining chunks. */
const PARTIAL_MESSAGES = 64;
/** A sender's clock may run this far ahead of the receiver's before its messages look forged. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** How often a live instance stamps its queue's `heartbeat` metadata. */
export const HEARTBEAT_MS = 60_000;
/**
 * A queue whose heartbeat is older than this belongs to an instance that died without deleting it
 * (a crash, a scale-in that skipped the terminate hook). Ten missed heartbeats: a live instance is
 * never that late, and nothing in its queue (120 s TTL) is worth keeping by then.
 */
export const ORPHAN_AFTER_MS = 10 * HEARTBEAT_MS;
/** How often each instance looks for orphans, and how much one look may do. */
export const SWEEP_MS = 10 * 60_000;
const SWEEP_SCAN = 500;
const SWEEP_DELETE = 25;
/** Peers a broadcast (a cancellation) goes to at most. */
const MAX_PEERS = 32;
const MAC_BYTES = 32;
const MAC_CONTEXT = 'mcp-instance-message/1';

const WIRE = /^([A-Za-z0-9_-]{16})\.(\d{1,3})\.(\d{1,3})\.([A-Za-z0-9+/]*={0,2})$/;

/** What is signed and sent: target instance, session, sent-at and expiry (ms), kind, body, order. */
interface Envelope {
  to: string;
  s?: string;
  t: number;
  e: number;
  k: string;
  b: unknown;
  o?: [string, number];
}

type Refusal = 'signature' | 'instance' | 'expired' | 'malformed';

interface Decoded {
  id: string;
  message: MailboxMessage;
  sentAt: number;
}

const defaultWait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * This instance's inbox on Storage Queues, and the way to post into another instance's. The queue is
 * created when something here first waits for a message (an open legacy SSE stream, a pending
 * server→client request), polled only while something waits, and deleted on close. Delivery is
 * at-least-once, so every message carries an id and a redelivered one is dropped; a message too
 * big for one queue message travels in chunks and is handed on once whole. Every message is signed
 * for its target instance and session with an expiry, and anything else found in the queue is
 * refused. While its queue exists, the instance stamps a heartbeat on it, by which any instance
 * can tell (and delete) the queues of instances that died without deleting theirs.
 */
export class InstanceMailbox {
  readonly queueName: string;
  private readonly queue: QueueClient;
  private handler: ((message: MailboxMessage) => Promise<void> | void) | undefined;
  private holds = 0;
  private created: Promise<void> | undefined;
  private poller: Promise<void> | undefined;
  private nap: AbortController | undefined;
  private readonly stopped = new AbortController();
  private readonly seen = new Set<string>();
  private readonly partial = new Map<string, { parts: Array<Buffer | undefined>; missing: number }>();
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly timers: MailboxTimers;
  private stopHeartbeat: (() => void) | undefined;
  private stopSweeps: (() => void) | undefined;
  private readonly ownQueues: RegExp;

  constructor(private readonly options: MailboxOptions) {
    if (options.key.length < 32) throw new Error('The instance mailbox needs a 32-byte key (deriveKey(MCP_STATE_SECRET, \'queue\')).');
    this.queueName = instanceQueueName(options.prefix, options.instance);
    this.queue = options.service.getQueueClient(this.queueName);
    this.minDelay = options.poll?.minDelayMs ?? 50;
    this.maxDelay = Math.max(this.minDelay, options.poll?.maxDelayMs ?? 500);
    this.wait = options.wait ?? defaultWait;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? systemEvery;
    this.ownQueues = new RegExp(`^${options.prefix.toLowerCase().replace(/[^a-z0-9-]/g, '')}-([a-z0-9]{8,32})$`);
  }

  get instance(): string {
    return this.options.instance;
  }

  /** Whether this instance is receiving now (something holds the mailbox open). */
  get listening(): boolean {
    return this.holds > 0;
  }

  /** Whether the queue is being polled now (it stops soon after the last hold is released). */
  get polling(): boolean {
    return this.poller !== undefined;
  }

  /** Where received messages go (one handler; set once at composition). */
  onMessage(handler: (message: MailboxMessage) => Promise<void> | void): void {
    this.handler = handler;
  }

  /**
   * Keeps this instance receiving until the returned function is called; resolves once the queue
   * exists, so a peer may post to it from then on.
   */
  async hold(): Promise<() => void> {
    if (this.stopped.signal.aborted) throw new StorageUnavailableError('This instance is shutting down.');
    this.holds++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.holds--;
    };
    try {
      await this.ensureQueue();
    } catch (err) {
      release();
      throw err;
    }
    if (!this.poller) this.poller = this.poll();
    // Something new waits, so a message is likely soon: look now rather than after a long pause.
    else this.nap?.abort();
    return release;
  }

  /**
   * Posts a message into `instance`'s queue, signed for that instance and `session` (the receiver's
   * handler checks the body names the same session). False when that instance has no queue (it
   * ended): there is nobody to deliver to. Storage failures are a StorageUnavailableError.
   */
  async send(instance: string, kind: string, body: unknown, order?: MessageOrder, session?: string): Promise<boolean> {
    const sentAt = this.now();
    const envelope: Envelope = { to: instance, ...(session !== undefined && { s: session }), t: sentAt, e: sentAt + MESSAGE_TTL_SECONDS * 1000, k: kind, b: body, ...(order && { o: [order.source, order.seq] }) };
    const json = Buffer.from(JSON.stringify(envelope), 'utf8');
    const id = randomBytes(12).toString('base64url');
    const count = Math.max(1, Math.ceil((MAC_BYTES + json.length) / CHUNK_BYTES));
    if (count > MAX_CHUNKS) throw new Error(`A message of ${json.length} bytes is too large to relay between instances.`);
    const bytes = Buffer.concat([this.mac(id, count, json), json]);
    const target = this.options.service.getQueueClient(instanceQueueName(this.options.prefix, instance));
    const texts = Array.from({ length: count }, (_, i) => `${id}.${i}.${count}.${bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64')}`);
    const started = performance.now();
    try {
      await Promise.all(texts.map((text) => target.sendMessage(text, { messageTimeToLive: MESSAGE_TTL_SECONDS })));
      this.observe({ op: 'send', kind, outcome: 'sent', ms: performance.now() - started });
      return true;
    } catch (err) {
      if (storageStatus(err) === 404) {
        this.observe({ op: 'send', kind, outcome: 'no-queue', ms: performance.now() - started });
        return false;
      }
      this.observe({ op: 'failed', kind, reason: 'send' });
      throw new StorageUnavailableError('Could not relay a message to another instance: queue storage is unavailable.', { cause: err });
    }
  }

  /**
   * Live peers: instances of this deployment (same prefix) whose queue exists and whose heartbeat
   * is fresh, this one excluded; at most 32. For the rare message that has no known addressee (a
   * cancellation: any instance may be running the request).
   */
  async peers(): Promise<string[]> {
    const now = this.now();
    const live: string[] = [];
    for (const q of await this.instanceQueues()) {
      if (q.instance === this.instance || q.heartbeat === undefined || now - q.heartbeat > ORPHAN_AFTER_MS) continue;
      live.push(q.instance);
      if (live.length >= MAX_PEERS) break;
    }
    return live;
  }

  /**
   * Deletes the queues of instances that died without deleting their own: a heartbeat older than
   * ORPHAN_AFTER_MS, read again just before the delete. A queue without a heartbeat (written by a
   * version before heartbeats) is left alone: it may belong to a live instance. Bounded per call.
   */
  async sweepOrphans(): Promise<number> {
    let deleted = 0;
    for (const q of await this.instanceQueues()) {
      if (deleted >= SWEEP_DELETE) break;
      if (q.instance === this.instance || q.heartbeat === undefined || this.now() - q.heartbeat <= ORPHAN_AFTER_MS) continue;
      const client = this.options.service.getQueueClient(q.name);
      try {
        const fresh = heartbeatOf((await client.getProperties()).metadata);
        if (fresh === undefined || this.now() - fresh <= ORPHAN_AFTER_MS) continue;
        if ((await client.deleteIfExists()).succeeded) deleted++;
      } catch (err) {
        this.options.log.debug('orphan queue not deleted', { error: (err as Error).message });
      }
    }
    if (deleted > 0) this.options.log.info('deleted queues of ended instances', { count: deleted });
    return deleted;
  }

  /** Sweeps for orphans now and every SWEEP_MS, until close. Failures are logged, never thrown. */
  startHousekeeping(): void {
    if (this.stopSweeps || this.stopped.signal.aborted) return;
    const sweep = () =>
      void this.sweepOrphans().catch((err: unknown) => this.options.log.warn('orphan queue sweep failed', { error: (err as Error).message }));
    this.stopSweeps = this.timers.every(SWEEP_MS, sweep);
    sweep();
  }

  /** Stamps this instance's heartbeat on its queue; a queue deleted meanwhile (taken for an orphan) is made again. */
  async heartbeat(): Promise<void> {
    if (this.stopped.signal.aborted || !this.created) return;
    try {
      await this.queue.setMetadata(this.liveness());
    } catch (err) {
      if (storageStatus(err) === 404) {
        this.options.log.warn('this instance\'s queue was gone; creating it again');
        this.created = undefined;
        await this.ensureQueue().catch(() => undefined);
        return;
      }
      this.options.log.debug('heartbeat not written', { error: (err as Error).message });
    }
  }

  private liveness(): Record<string, string> {
    return { heartbeat: String(this.now()) };
  }

  /** This deployment's instance queues, with their heartbeats (bounded scan). */
  private async instanceQueues(): Promise<Array<{ name: string; instance: string; heartbeat: number | undefined }>> {
    const found: Array<{ name: string; instance: string; heartbeat: number | undefined }> = [];
    let scanned = 0;
    for await (const item of this.options.service.listQueues({ prefix: `${this.options.prefix.toLowerCase()}-`, includeMetadata: true })) {
      if (++scanned > SWEEP_SCAN) break;
      const match = this.ownQueues.exec(item.name);
      if (match) found.push({ name: item.name, instance: match[1]!, heartbeat: heartbeatOf(item.metadata) });
    }
    return found;
  }

  private mac(id: string, count: number, json: Buffer): Buffer {
    return createHmac('sha256', this.options.key).update(`${MAC_CONTEXT}\0${id}\0${count}\0`).update(json).digest();
  }

  private observe(facts: RelayFacts): void {
    try {
      this.options.observe?.(facts);
    } catch {
      // Telemetry never breaks delivery.
    }
  }

  private refuse(reason: Refusal, kind?: string): undefined {
    // What was wrong, never what the message said or its signature.
    this.options.log.warn('refused an instance message', { reason });
    this.observe({ op: 'refused', reason, ...(kind !== undefined && { kind }) });
    return undefined;
  }

  /** Stops polling and deletes this instance's queue (messages still in it were for this instance only). */
  async close(): Promise<void> {
    this.stopped.abort();
    this.stopHeartbeat?.();
    this.stopSweeps?.();
    this.nap?.abort();
    await this.poller;
    const created = await this.created?.then(
      () => true,
      () => false,
    );
    if (!created) return;
    try {
      await this.queue.deleteIfExists();
    } catch (err) {
      this.options.log.warn('could not delete the instance queue', { queue: this.queueName, error: (err as Error).message });
    }
  }

  private ensureQueue(): Promise<void> {
    // Created with its heartbeat, so no sweeper ever sees this queue without one.
    this.created ??= this.queue.createIfNotExists({ metadata: this.liveness() }).then(
      () => {
        this.stopHeartbeat ??= this.timers.every(HEARTBEAT_MS, () => void this.heartbeat());
      },
      (err: unknown) => {
        this.created = undefined;
        throw new StorageUnavailableError('Could not create this instance\'s delivery queue: queue storage is unavailable.', { cause: err });
      },
    );
    return this.created;
  }

  private async poll(): Promise<void> {
    let delay = this.minDelay;
    try {
      while (this.holds > 0 && !this.stopped.signal.aborted) {
        let items: DequeuedMessageItem[];
        try {
          const answer = await this.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: VISIBILITY_TIMEOUT_SECONDS, abortSignal: this.stopped.signal });
          items = answer.receivedMessageItems;
        } catch (err) {
          if (this.stopped.signal.aborted) break;
          this.options.log.warn('instance queue poll failed', { queue: this.queueName, error: (err as Error).message });
          this.observe({ op: 'failed', reason: 'poll' });
          items = [];
          delay = this.maxDelay;
        }
        if (items.length > 0) {
          delay = this.minDelay;
          await this.handle(items);
          continue;
        }
        this.nap = new AbortController();
        const nap = AbortSignal.any([this.nap.signal, this.stopped.signal]);
        await this.wait(delay, nap);
        delay = this.nap.signal.aborted ? this.minDelay : Math.min(delay * 2, this.maxDelay);
        this.nap = undefined;
      }
    } finally {
      this.poller = undefined;
    }
  }

  private async handle(items: DequeuedMessageItem[]): Promise<void> {
    const complete: Decoded[] = [];
    for (const item of items) {
      const decoded = this.decode(item.messageText);
      if (decoded) complete.push(decoded);
    }
    for (const { id, message, sentAt } of inSenderOrder(complete)) {
      if (this.seen.has(id)) continue;
      remember(this.seen, id, SEEN_IDS);
      this.observe({ op: 'receive', kind: message.kind, ms: Math.max(0, this.now() - sentAt) });
      try {
        await this.handler?.(message);
      } catch (err) {
        // A handler failure is a bug here, not a reason to deliver the message again.
        this.options.log.error('instance message handler failed', { error: (err as Error).message });
        this.observe({ op: 'failed', kind: message.kind, reason: 'handler' });
      }
    }
    // Deleted only once handled: a crash before this point means redelivery, which the ids absorb.
    await Promise.all(
      items.map((item) =>
        this.queue.deleteMessage(item.messageId, item.popReceipt).catch((err: unknown) => {
          this.options.log.debug('instance queue delete failed', { error: (err as Error).message });
        }),
      ),
    );
  }

  /** A whole message once all its chunks are here; undefined for a chunk of one still incomplete, a duplicate or garbage. */
  private decode(text: string): Decoded | undefined {
    const wire = WIRE.exec(text);
    if (!wire) return this.refuse('malformed');
    const [, id, indexText, countText, data] = wire as unknown as [string, string, string, string, string];
    const index = Number(indexText);
    const count = Number(countText);
    if (count < 1 || count > MAX_CHUNKS || index >= count || this.seen.has(id)) return undefined;
    let bytes: Buffer;
    if (count === 1) {
      bytes = Buffer.from(data, 'base64');
    } else {
      let entry = this.partial.get(id);
      if (!entry) {
        if (this.partial.size >= PARTIAL_MESSAGES) this.partial.delete(this.partial.keys().next().value!);
        entry = { parts: new Array<Buffer | undefined>(count).fill(undefined), missing: count };
        this.partial.set(id, entry);
      }
      if (entry.parts.length !== count || entry.parts[index]) return undefined;
      entry.parts[index] = Buffer.from(data, 'base64');
      if (--entry.missing > 0) return undefined;
      this.partial.delete(id);
      bytes = Buffer.concat(entry.parts as Buffer[]);
    }
    return this.open(id, count, bytes);
  }

  /** Checks a whole message's signature, addressee and expiry, then its shape. */
  private open(id: string, count: number, bytes: Buffer): Decoded | undefined {
    if (bytes.length <= MAC_BYTES) return this.refuse('signature');
    const json = bytes.subarray(MAC_BYTES);
    if (!timingSafeEqual(bytes.subarray(0, MAC_BYTES), this.mac(id, count, json))) return this.refuse('signature');
    let envelope: unknown;
    try {
      envelope = JSON.parse(json.toString('utf8'));
    } catch {
      envelope = undefined;
    }
    const e = envelope as Partial<Envelope> | undefined;
    if (!e || typeof e.k !== 'string' || !('b' in e) || typeof e.t !== 'number' || typeof e.e !== 'number' || (e.s !== undefined && typeof e.s !== 'string')) return this.refuse('malformed');
    // Signed for another instance: copied from its queue into this one.
    if (e.to !== this.instance) return this.refuse('instance', e.k);
    const now = this.now();
    if (e.e < now || e.t > now + CLOCK_SKEW_MS || e.e - e.t > MESSAGE_TTL_SECONDS * 1000) return this.refuse('expired', e.k);
    const order = Array.isArray(e.o) && typeof e.o[0] === 'string' && Number.isInteger(e.o[1]) ? { source: e.o[0], seq: e.o[1] } : undefined;
    return { id, sentAt: e.t, message: { kind: e.k, body: e.b, ...(order && { order }), ...(e.s !== undefined && { session: e.s }) } };
  }
}

function heartbeatOf(metadata: Record<string, string> | undefined): number | undefined {
  const value = Number(metadata?.['heartbeat']);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Storage Queues do not promise FIFO. Within one batch, each sender's messages are put back in its
 * own order (a tool call's notifications before its result); positions of other senders stay.
 */
function inSenderOrder(messages: Decoded[]): Decoded[] {
  const bySource = new Map<string, number[]>();
  messages.forEach(({ message: { order } }, i) => {
    if (!order) return;
    const slots = bySource.get(order.source) ?? [];
    slots.push(i);
    bySource.set(order.source, slots);
  });
  const out = [...messages];
  for (const slots of bySource.values()) {
    const sorted = slots.map((i) => messages[i]!).sort((a, b) => a.message.order!.seq - b.message.order!.seq);
    slots.forEach((slot, k) => (out[slot] = sorted[k]!));
  }
  return out;
}

function remember(set: Set<string>, id: string, limit: number): void {
  set.add(id);
  if (set.size > limit) set.delete(set.values().next().value!);
}
