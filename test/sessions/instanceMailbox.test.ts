import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import type { QueueServiceClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp } from '../../src/app/buildApp.js';
import { ConfigError } from '../../src/config/agents.js';
import { loadConfig } from '../../src/config/config.js';
import { deriveKey } from '../../src/mcp/secrets.js';
import { HEARTBEAT_MS, InstanceMailbox, instanceQueueName, type MailboxMessage, ORPHAN_AFTER_MS, openQueueService, queuesLocation, SWEEP_MS } from '../../src/sessions/instanceMailbox.js';
import { createLogger, type Logger, silentLogger } from '../../src/telemetry/log.js';
import type { RelayFacts } from '../../src/telemetry/telemetry.js';
import { TestClock } from '../helpers/clock.js';
import { uniquePrefix } from '../helpers/harness.js';
import { eventually } from '../helpers/sse.js';
import { ManualTimers } from '../helpers/timers.js';
import { duplicatingQueues } from '../helpers/wire.js';

const ROOT = join(import.meta.dirname, '..', '..');
const newInstance = () => randomBytes(8).toString('hex');
const KEY = deriveKey('instance-mailbox-test-secret-0123456789', 'queue');

let service: QueueServiceClient;
beforeAll(async () => {
  service = await openQueueService({ kind: 'connection-string', connectionString: inject('tablesConnectionString') });
});

/** Pauses between polls that the test ends by hand, so "it stopped polling" is a fact, not a timeout. */
class Naps {
  private pending: Array<() => void> = [];
  readonly wait = (_ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      this.pending.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });

  get waiting(): number {
    return this.pending.length;
  }

  /** Ends every pause now pending. */
  wake(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }

  /** Until the poller is asleep again (it polled and found nothing). */
  async asleep(): Promise<void> {
    while (this.pending.length === 0) await new Promise((r) => setImmediate(r));
  }
}

/** The service with a count of its receive calls (polls), forwarding everything else. */
function counting(inner: QueueServiceClient): { service: QueueServiceClient; polls(): number } {
  let polls = 0;
  const service = new Proxy(inner, {
    get(target, property) {
      if (property !== 'getQueueClient') return Reflect.get(target, property, target) as unknown;
      return (name: string) => {
        const queue = target.getQueueClient(name);
        return new Proxy(queue, {
          get(q, p) {
            const value = Reflect.get(q, p, q) as unknown;
            if (p === 'receiveMessages') polls++;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(q) : value;
          },
        });
      };
    },
  });
  return { service, polls: () => polls };
}

interface BoxOptions {
  service?: QueueServiceClient;
  prefix?: string;
  instance?: string;
  naps?: Naps;
  now?: () => number;
  log?: Logger;
  key?: Buffer;
  timers?: ManualTimers;
  observe?: (facts: RelayFacts) => void;
}

function mailbox(options: BoxOptions = {}) {
  const received: MailboxMessage[] = [];
  const box = new InstanceMailbox({
    service: options.service ?? service,
    prefix: options.prefix ?? uniquePrefix(),
    instance: options.instance ?? newInstance(),
    log: options.log ?? silentLogger,
    key: options.key ?? KEY,
    poll: { minDelayMs: 1, maxDelayMs: 2 },
    ...(options.naps && { wait: options.naps.wait }),
    ...(options.now && { now: options.now }),
    ...(options.timers && { timers: options.timers }),
    ...(options.observe && { observe: options.observe }),
  });
  box.onMessage((m) => void received.push(m));
  return { box, received };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 4000 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!check()) throw new Error(`never happened: ${what}`);
}

describe('instance queues', () => {
  it('are named from the tables prefix and the instance id, as Azure allows; anything else is a clear error', () => {
    expect(instanceQueueName('mcp', '3f9a0c1d2e4b5a6c')).toBe('mcp-3f9a0c1d2e4b5a6c');
    expect(instanceQueueName('McpProd', 'abcdef0123456789')).toBe('mcpprod-abcdef0123456789');
    expect(instanceQueueName('x'.repeat(31), 'a'.repeat(31))).toHaveLength(63);
    expect(() => instanceQueueName('mcp', 'ABC_def-123')).toThrow(/must be 8–32 lower-case letters or digits/);
    expect(() => instanceQueueName('x'.repeat(40), 'a'.repeat(32))).toThrow(/not a valid queue name.*TABLES_PREFIX/);
  });

  it('are created on the first hold, polled only while held, and deleted on close', async () => {
    const naps = new Naps();
    const counted = counting(service);
    const { box } = mailbox({ service: counted.service, naps });
    const queue = service.getQueueClient(box.queueName);
    expect(await queue.exists()).toBe(false);
    expect(counted.polls()).toBe(0);

    const release = await box.hold();
    expect(await queue.exists()).toBe(true);
    await naps.asleep();
    const whileHeld = counted.polls();
    expect(whileHeld).toBeGreaterThan(0);
    naps.wake();
    await naps.asleep();
    expect(counted.polls()).toBeGreaterThan(whileHeld);

    release();
    expect(box.polling).toBe(true);
    naps.wake();
    // Nothing holds it: the poller stops instead of polling again.
    await until(() => !box.polling, 'the poller stops');
    expect(naps.waiting).toBe(0);

    await box.close();
    expect(await queue.exists()).toBe(false);
    await expect(box.hold()).rejects.toThrow(/shutting down/);
  });

  it('deliver a message bigger than one queue message whole and once, even when every chunk arrives twice', async () => {
    const prefix = uniquePrefix();
    const { box, received } = mailbox({ prefix });
    const sender = mailbox({ prefix, service: duplicatingQueues(service).service }).box;
    const release = await box.hold();
    try {
      // Multi-byte text across chunk boundaries: chunks split bytes, the message is decoded whole.
      const body = { text: 'Überprüfung der Kundenanfrage – äöü ß € 漢字 '.repeat(5000) };
      expect(JSON.stringify(body).length).toBeGreaterThan(150_000);
      expect(await sender.send(box.instance, 'sse', body, { source: 's', seq: 0 })).toBe(true);
      expect(await sender.send(box.instance, 'sse', { small: true }, { source: 's', seq: 1 })).toBe(true);
      await until(() => received.length >= 2, 'both messages arrive');
      // A last one behind the copies: once it is here, every copy before it was handled.
      await sender.send(box.instance, 'sse', { last: true });
      await until(() => received.some((m) => (m.body as { last?: boolean }).last === true), 'the last message arrives');
      expect(received.map((m) => m.body)).toEqual([body, { small: true }, { last: true }]);
      expect(received[0]!.order).toEqual({ source: 's', seq: 0 });
    } finally {
      release();
      await box.close();
    }
  });

  it('keep one sender’s messages in its order within a batch, whatever order the queue returns', async () => {
    const naps = new Naps();
    const prefix = uniquePrefix();
    const { box, received } = mailbox({ prefix, naps });
    const sender = mailbox({ prefix }).box;
    // Create the queue, then let the poller stop, so the messages below wait in it together.
    const first = await box.hold();
    first();
    await naps.asleep();
    naps.wake();
    await until(() => !box.polling, 'the poller stops');
    for (const seq of [3, 1, 4, 0, 2]) await sender.send(box.instance, 'sse', { seq }, { source: 'call-1', seq });
    await sender.send(box.instance, 'answer', { unordered: true });
    const release = await box.hold();
    try {
      await until(() => received.length === 6, 'six messages');
      expect(received.filter((m) => m.kind === 'sse').map((m) => (m.body as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      release();
      naps.wake();
      await box.close();
    }
  });

  it('report false for a post to an instance that has no queue (it ended), and refuse oversized messages', async () => {
    const { box } = mailbox();
    expect(await box.send(newInstance(), 'answer', { any: 1 })).toBe(false);
    await expect(box.send(newInstance(), 'answer', { big: 'x'.repeat(10_000_000) })).rejects.toThrow(/too large to relay/);
  });
});

/** Every line a logger wrote, as text (what an operator would see). */
function capturingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('debug', {}, { write: (_level, line) => void lines.push(line) }), lines };
}

/** A queue service whose sends are recorded and not made: the signed texts a sender would post. */
function capturingQueues(inner: QueueServiceClient): { service: QueueServiceClient; texts: string[] } {
  const texts: string[] = [];
  const service = new Proxy(inner, {
    get(target, property) {
      if (property !== 'getQueueClient') return Reflect.get(target, property, target) as unknown;
      return (name: string) => {
        const queue = target.getQueueClient(name);
        return new Proxy(queue, {
          get(q, p) {
            if (p === 'sendMessage') return async (text: string) => void texts.push(text);
            const value = Reflect.get(q, p, q) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(q) : value;
          },
        });
      };
    },
  });
  return { service, texts };
}

/** The parts of a wire text: id, index, count, and the payload (signature, then the signed JSON). */
function partsOf(text: string): { head: string; payload: Buffer } {
  const at = text.lastIndexOf('.');
  return { head: text.slice(0, at), payload: Buffer.from(text.slice(at + 1), 'base64') };
}

describe('instance messages are authenticated', () => {
  it('a forged, tampered, misaddressed, replayed into another session or expired message put on the queue directly is refused and logged without its content', async () => {
    const clock = new TestClock();
    const prefix = uniquePrefix();
    const logs = capturingLog();
    const facts: RelayFacts[] = [];
    const { box, received } = mailbox({ prefix, now: clock.now, log: logs.log, observe: (f) => void facts.push(f) });
    // Signed texts a genuine peer would send, captured instead of sent: the test puts them on the queue itself.
    const captured = capturingQueues(service);
    const peer = mailbox({ prefix, service: captured.service, now: clock.now }).box;
    const stale = new TestClock(clock.now() - 5 * 60_000);
    const latePeer = mailbox({ prefix, service: captured.service, now: stale.now }).box;
    const outsider = mailbox({ prefix, service: captured.service, now: clock.now, key: deriveKey('some-other-deployment-secret-0123456789', 'queue') }).box;

    await peer.send(box.instance, 'sse', { secret: 'SECRET-BODY-1', sessionId: 's1' }, { source: 'p', seq: 0 }, 's1');
    await peer.send(newInstance(), 'sse', { secret: 'SECRET-BODY-2' }, undefined, 's1');
    await latePeer.send(box.instance, 'sse', { secret: 'SECRET-BODY-3' }, undefined, 's1');
    await outsider.send(box.instance, 'sse', { secret: 'SECRET-BODY-4' }, undefined, 's1');
    await peer.send(box.instance, 'sse', { marker: true }, undefined, 's1');
    const [genuine, misaddressed, expired, otherKey, marker] = captured.texts as [string, string, string, string, string];

    // Tampered: the genuine message with its body changed, the signature kept.
    const { head, payload } = partsOf(genuine);
    const tampered = `${head}.${Buffer.from(payload.toString('latin1').replace('SECRET-BODY-1', 'SECRET-BODY-X'), 'latin1').toString('base64')}`;
    // Replayed into another session: the signed session changed to a live one.
    const resessioned = `${head.replace(/^[^.]+/, 'ZZZZZZZZZZZZZZZZ')}.${Buffer.from(payload.toString('latin1').replace('"s":"s1"', '"s":"s2"'), 'latin1').toString('base64')}`;
    // Forged: the format before signatures (no MAC at all), and one with a made-up MAC.
    const envelope = JSON.stringify({ to: box.instance, s: 's1', t: clock.now(), e: clock.now() + 60_000, k: 'sse', b: { secret: 'SECRET-BODY-5' } });
    const unsigned = `${'A'.repeat(16)}.0.1.${Buffer.from(JSON.stringify({ k: 'sse', b: { secret: 'SECRET-BODY-6' } })).toString('base64')}`;
    const madeUp = `${'B'.repeat(16)}.0.1.${Buffer.concat([randomBytes(32), Buffer.from(envelope)]).toString('base64')}`;

    const queue = service.getQueueClient(box.queueName);
    const release = await box.hold();
    try {
      for (const text of [unsigned, madeUp, tampered, resessioned, misaddressed, expired, otherKey, 'not even the wire format']) await queue.sendMessage(text);
      await queue.sendMessage(marker);
      await until(() => received.length > 0, 'the genuine marker arrives');
      // Everything before the marker was handled (and deleted) by then.
      await until(() => facts.filter((f) => f.op === 'refused').length === 8, 'eight refusals');
      expect(received.map((m) => m.body)).toEqual([{ marker: true }]);
      expect(received[0]!.session).toBe('s1');
      const reasons = facts.filter((f) => f.op === 'refused').map((f) => f.reason);
      expect(reasons).toEqual(['signature', 'signature', 'signature', 'signature', 'instance', 'expired', 'signature', 'malformed']);
      // The genuine original would still be accepted: the refusals were about the changes alone.
      await queue.sendMessage(genuine);
      await until(() => received.length === 2, 'the untouched original arrives');
      expect(received[1]!.body).toEqual({ secret: 'SECRET-BODY-1', sessionId: 's1' });
      // Logged as refusals with a reason; no body, signature, key or queue URL.
      const refusals = logs.lines.filter((l) => l.includes('refused an instance message'));
      expect(refusals).toHaveLength(8);
      const all = logs.lines.join('\n');
      expect(all).not.toMatch(/SECRET-BODY|127\.0\.0\.1|http:/);
      expect(all).not.toContain(KEY.toString('hex'));
      expect(all).not.toContain(KEY.toString('base64'));
    } finally {
      release();
      await box.close();
    }
  });

  it('refuse to start without a key of 32 bytes', () => {
    expect(() => mailbox({ key: Buffer.alloc(8) })).toThrow(/32-byte key/);
  });
});

describe('orphan instance queues (pinned clock)', () => {
  it('a queue whose heartbeat is ten minutes old is deleted; live instances’ queues, unknown ones and other names never are', async () => {
    const clock = new TestClock();
    const prefix = uniquePrefix();
    const timers = { a: new ManualTimers(), b: new ManualTimers(), dead: new ManualTimers() };
    const a = mailbox({ prefix, now: clock.now, timers: timers.a }).box;
    const b = mailbox({ prefix, now: clock.now, timers: timers.b }).box;
    const dead = mailbox({ prefix, now: clock.now, timers: timers.dead }).box;
    for (const box of [a, b, dead]) (await box.hold())();
    const exists = (box: InstanceMailbox) => service.getQueueClient(box.queueName).exists();
    // A queue of the version before heartbeats (no metadata), and a queue of another shape with an ancient stamp.
    const legacy = service.getQueueClient(instanceQueueName(prefix, newInstance()));
    await legacy.create();
    const foreign = service.getQueueClient(`${prefix}-not-an-instance`);
    await foreign.create({ metadata: { heartbeat: '1' } });
    try {
      expect((await a.peers()).sort()).toEqual([b.instance, dead.instance].sort());

      // Five minutes on, everyone but `dead` stamps its heartbeat (dead stopped without closing).
      clock.advance(5 * 60_000);
      expect(timers.a.fire('every', HEARTBEAT_MS)).toBe(1);
      expect(timers.b.fire('every', HEARTBEAT_MS)).toBe(1);
      await a.heartbeat();
      await b.heartbeat();
      expect(await a.sweepOrphans()).toBe(0);

      // Past the threshold for `dead`, live ones still beating.
      clock.advance(ORPHAN_AFTER_MS - 5 * 60_000 + 1);
      await a.heartbeat();
      await b.heartbeat();
      expect(await b.peers()).toEqual([a.instance]);
      expect(await a.sweepOrphans()).toBe(1);
      expect(await exists(dead)).toBe(false);
      expect(await exists(a)).toBe(true);
      expect(await exists(b)).toBe(true);
      expect(await legacy.exists()).toBe(true);
      expect(await foreign.exists()).toBe(true);
      // Sweeping again finds nothing more; neither does the other live instance.
      expect(await a.sweepOrphans()).toBe(0);
      expect(await b.sweepOrphans()).toBe(0);

      // An instance that was only paused (not dead) finds its queue gone at its next heartbeat and makes it again.
      await dead.heartbeat();
      expect(await exists(dead)).toBe(true);
      expect(await a.peers()).toEqual(expect.arrayContaining([b.instance, dead.instance]));
    } finally {
      for (const box of [a, b, dead]) await box.close();
      await legacy.deleteIfExists();
      await foreign.deleteIfExists();
    }
  });

  it('housekeeping sweeps at start and on its timer, and stops at close', async () => {
    const clock = new TestClock();
    const prefix = uniquePrefix();
    const timers = new ManualTimers();
    const gone = mailbox({ prefix, now: clock.now, timers: new ManualTimers() }).box;
    (await gone.hold())();
    clock.advance(ORPHAN_AFTER_MS + 1);
    const box = mailbox({ prefix, now: clock.now, timers }).box;
    box.startHousekeeping();
    expect(timers.pending('every', SWEEP_MS)).toBe(1);
    await eventually(async () => !(await service.getQueueClient(gone.queueName).exists()), 'the start-up sweep deletes the orphan');
    // Another instance dies; the next timed sweep removes it.
    const later = mailbox({ prefix, now: clock.now, timers: new ManualTimers() }).box;
    (await later.hold())();
    clock.advance(ORPHAN_AFTER_MS + 1);
    expect(timers.fire('every', SWEEP_MS)).toBe(1);
    await eventually(async () => !(await service.getQueueClient(later.queueName).exists()), 'the timed sweep deletes the next orphan');
    await box.close();
    expect(timers.pending('every', SWEEP_MS)).toBe(0);
  });
});

describe('queue configuration', () => {
  const base = { AGENTS_FILE: join(ROOT, 'agents.json') };

  it('QUEUES_ACCOUNT_URL switches to the managed identity; the tables’ account connection string also serves queues', () => {
    const azure = loadConfig({ ...base, TABLES_ACCOUNT_URL: 'https://stmcp.table.core.windows.net/', QUEUES_ACCOUNT_URL: 'https://stmcp.queue.core.windows.net/', TABLES_MANAGED_IDENTITY_CLIENT_ID: 'c1' });
    expect(queuesLocation(azure.queues)).toEqual({ kind: 'identity', accountUrl: 'https://stmcp.queue.core.windows.net', managedIdentityClientId: 'c1' });
    expect(queuesLocation(loadConfig({ ...base, TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' }).queues)).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' });
    const keys = 'DefaultEndpointsProtocol=https;AccountName=stmcp;AccountKey=a2V5;EndpointSuffix=core.windows.net';
    expect(loadConfig({ ...base, TABLES_CONNECTION_STRING: keys }).queues.connectionString).toBe(keys);
    // A string naming only a table endpoint says nothing about queues.
    expect(loadConfig({ ...base, TABLES_CONNECTION_STRING: 'AccountName=a;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/a;' }).queues.connectionString).toBeUndefined();
    expect(loadConfig({ ...base, TABLES_CONNECTION_STRING: keys, QUEUES_ACCOUNT_URL: 'https://stmcp.queue.core.windows.net' }).queues.connectionString).toBeUndefined();
    expect(() => loadConfig({ ...base, QUEUES_CONNECTION_STRING: 'UseDevelopmentStorage=true', QUEUES_ACCOUNT_URL: 'https://stmcp.queue.core.windows.net' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, QUEUES_ACCOUNT_URL: 'not a url' })).toThrow(/QUEUES_ACCOUNT_URL/);
  });

  it('a server without any queue location does not start, and says which setting is missing', async () => {
    const config = loadConfig({ ...base, TABLES_CONNECTION_STRING: 'AccountName=a;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/a;', MCP_STATE_SECRET: 'k'.repeat(40) });
    await expect(buildApp({ config, log: silentLogger })).rejects.toThrow(/QUEUES_CONNECTION_STRING .* or QUEUES_ACCOUNT_URL .* is required/);
  });
});
