import { randomBytes } from 'node:crypto';

import type { TokenCredential } from '@azure/identity';
import { type DequeuedMessageItem, type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { QueuesConfig } from '../config/config.js';
import type { Logger } from '../telemetry/log.js';
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
}

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

const WIRE = /^([A-Za-z0-9_-]{16})\.(\d{1,3})\.(\d{1,3})\.([A-Za-z0-9+/]*={0,2})$/;

interface Envelope {
  k: string;
  b: unknown;
  o?: [string, number];
}

interface Decoded {
  id: string;
  message: MailboxMessage;
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
 * big for one queue message travels in chunks and is handed on once whole.
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

  constructor(private readonly options: MailboxOptions) {
    this.queueName = instanceQueueName(options.prefix, options.instance);
    this.queue = options.service.getQueueClient(this.queueName);
    this.minDelay = options.poll?.minDelayMs ?? 50;
    this.maxDelay = Math.max(this.minDelay, options.poll?.maxDelayMs ?? 500);
    this.wait = options.wait ?? defaultWait;
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
   * Posts a message into `instance`'s queue. False when that instance has no queue (it ended): there
   * is nobody to deliver to. Storage failures are a StorageUnavailableError.
   */
  async send(instance: string, kind: string, body: unknown, order?: MessageOrder): Promise<boolean> {
    const envelope: Envelope = { k: kind, b: body, ...(order && { o: [order.source, order.seq] }) };
    const bytes = Buffer.from(JSON.stringify(envelope), 'utf8');
    const count = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
    if (count > MAX_CHUNKS) throw new Error(`A message of ${bytes.length} bytes is too large to relay between instances.`);
    const id = randomBytes(12).toString('base64url');
    const target = this.options.service.getQueueClient(instanceQueueName(this.options.prefix, instance));
    const texts = Array.from({ length: count }, (_, i) => `${id}.${i}.${count}.${bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES).toString('base64')}`);
    try {
      await Promise.all(texts.map((text) => target.sendMessage(text, { messageTimeToLive: MESSAGE_TTL_SECONDS })));
      return true;
    } catch (err) {
      if (storageStatus(err) === 404) return false;
      throw new StorageUnavailableError('Could not relay a message to another instance: queue storage is unavailable.', { cause: err });
    }
  }

  /** Stops polling and deletes this instance's queue (messages still in it were for this instance only). */
  async close(): Promise<void> {
    this.stopped.abort();
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
    this.created ??= this.queue.createIfNotExists().then(
      () => undefined,
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
    for (const { id, message } of inSenderOrder(complete)) {
      if (this.seen.has(id)) continue;
      remember(this.seen, id, SEEN_IDS);
      try {
        await this.handler?.(message);
      } catch (err) {
        // A handler failure is a bug here, not a reason to deliver the message again.
        this.options.log.error('instance message handler failed', { error: (err as Error).message });
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
    if (!wire) {
      this.options.log.warn('dropped a malformed instance message');
      return undefined;
    }
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
    let envelope: unknown;
    try {
      envelope = JSON.parse(bytes.toString('utf8'));
    } catch {
      envelope = undefined;
    }
    const e = envelope as Partial<Envelope> | undefined;
    if (!e || typeof e.k !== 'string' || !('b' in e)) {
      this.options.log.warn('dropped a malformed instance message');
      return undefined;
    }
    const order = Array.isArray(e.o) && typeof e.o[0] === 'string' && Number.isInteger(e.o[1]) ? { source: e.o[0], seq: e.o[1] } : undefined;
    return { id, message: { kind: e.k, body: e.b, ...(order && { order }) } };
  }
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
