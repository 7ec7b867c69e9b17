import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import type { QueueServiceClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp } from '../../src/app/buildApp.js';
import { ConfigError } from '../../src/config/agents.js';
import { loadConfig } from '../../src/config/config.js';
import { InstanceMailbox, instanceQueueName, type MailboxMessage, openQueueService, queuesLocation } from '../../src/sessions/instanceMailbox.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { uniquePrefix } from '../helpers/harness.js';
import { duplicatingQueues } from '../helpers/wire.js';

const ROOT = join(import.meta.dirname, '..', '..');
const newInstance = () => randomBytes(8).toString('hex');

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

function mailbox(options: { service?: QueueServiceClient; prefix?: string; instance?: string; naps?: Naps } = {}) {
  const received: MailboxMessage[] = [];
  const box = new InstanceMailbox({
    service: options.service ?? service,
    prefix: options.prefix ?? uniquePrefix(),
    instance: options.instance ?? newInstance(),
    log: silentLogger,
    poll: { minDelayMs: 1, maxDelayMs: 2 },
    ...(options.naps && { wait: options.naps.wait }),
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
