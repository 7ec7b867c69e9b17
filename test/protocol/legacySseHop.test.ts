import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { HttpRequest, InvocationContext } from '@azure/functions';
import type { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { legacyMessageFunction, legacyStreamFunction } from '../../functions/mcp.js';
import { principalKey } from '../../src/auth/principal.js';
import { findLocalUser, LOCAL_TENANT_ID } from '../../src/emulator/users.js';
import { PROBE_MS } from '../../src/http/sseStreams.js';
import { instanceQueueName, openQueueService, queuesLocation } from '../../src/sessions/instanceMailbox.js';
import { createTelemetry, type TelemetryRecord } from '../../src/telemetry/telemetry.js';
import { CONFORMANCE_AGENT } from '../../src/tools/conformance/index.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { eventually, openRawStream, postMessage, type RawStream, SseReader } from '../helpers/sse.js';
import { type Peer, startPeer } from '../helpers/peer.js';
import { ManualTimers } from '../helpers/timers.js';

/**
 * The gaps of the legacy HTTP+SSE transport across instances (issue 15): signed queue hops,
 * liveness probes where the host cannot see a client leave (Functions), cancellation of a request
 * running on another instance, relay telemetry, and one answer per request even when a hand-over
 * fails after it was stored. Two or more instances on one Azurite; stream timers driven by hand.
 */
const productAgents = (JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] }).agents;
const withFixture = JSON.stringify({ agents: [...productAgents, CONFORMANCE_AGENT] });

/** Another instance on the same storage, with its telemetry recorded in memory. */
async function startRecordedPeer(a: TestServer, service?: QueueServiceClient): Promise<Peer & { records: TelemetryRecord[] }> {
  const records: TelemetryRecord[] = [];
  const telemetry = createTelemetry({ sinks: [{ emit: (r) => void records.push(r), flush: async () => undefined }], agents: ['sales', 'conformance'], tools: ['whoami', 'test_sampling'] });
  return { ...(await startPeer(a, { telemetry, ...(service && { queues: { service } }) })), records };
}

let a: TestServer;
let b: Peer & { records: TelemetryRecord[] };
let queues: QueueServiceClient;
const timersA = new ManualTimers();
beforeAll(async () => {
  a = await startTestServer({ emulator: true, env: { AGENTS_JSON: withFixture, ENABLE_TEST_AGENTS: 'true' }, streamTimers: timersA });
  b = await startRecordedPeer(a);
  queues = await openQueueService(queuesLocation(a.config.queues)!);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const sse = (base: string, agent = 'sales') => `${base}/mcp/${agent}/sse`;
const alice = () => principalKey({ tenantId: LOCAL_TENANT_ID, objectId: findLocalUser('alice')!.objectId });
const sessionOf = (stream: RawStream) => stream.sessionId;

/** Opens a 2024-11-05 session on the conformance agent with sampling declared, and initializes it. */
async function initialized(token: string, capabilities: Record<string, object> = { sampling: {} }): Promise<RawStream> {
  const stream = await openRawStream(sse(a.url, 'conformance'), token);
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities, clientInfo: { name: 'raw', version: '1' } } };
  expect((await postMessage(`${a.url}${stream.endpoint}`, token, init)).status).toBe(202);
  expect(await stream.reader.nextMessage()).toMatchObject({ id: 1, result: { protocolVersion: '2024-11-05' } });
  expect((await postMessage(`${a.url}${stream.endpoint}`, token, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return stream;
}

describe('queue hops are authenticated', () => {
  it('a forged stream message put on the stream instance’s queue directly never reaches the live stream it names', async () => {
    const token = await a.token('alice');
    const stream = await openRawStream(sse(a.url), token);
    try {
      const queue = queues.getQueueClient(instanceQueueName(a.config.tables.prefix, a.app.streams.instance));
      const forged = { jsonrpc: '2.0', id: 7, result: { forged: true } };
      const body = { sessionId: sessionOf(stream), owner: alice(), message: forged };
      // As the transport sent messages before they were signed, and with a made-up signature.
      await queue.sendMessage(`${randomBytes(12).toString('base64url')}.0.1.${Buffer.from(JSON.stringify({ k: 'sse', b: body, o: ['x', 0] })).toString('base64')}`);
      const now = a.clock.now();
      const envelope = { to: a.app.streams.instance, s: sessionOf(stream), t: now, e: now + 60_000, k: 'sse', b: body, o: ['y', 0] };
      await queue.sendMessage(`${randomBytes(12).toString('base64url')}.0.1.${Buffer.concat([randomBytes(32), Buffer.from(JSON.stringify(envelope))]).toString('base64')}`);
      // A genuine message behind them: served on B, relayed through the same queue.
      expect((await postMessage(`${b.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 7, method: 'ping' })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    } finally {
      stream.abort();
    }
  });
});

describe('one answer per request', () => {
  it('a hand-over that fails after the answer was stored (a send that timed out) delivers no second, error answer', async () => {
    // D's queue sends store the whoami answer and then fail, as a send whose acknowledgement was lost.
    let failed = 0;
    const flaky = new Proxy(queues, {
      get(target, property) {
        if (property !== 'getQueueClient') return Reflect.get(target, property, target) as unknown;
        return (name: string) => {
          const queue = target.getQueueClient(name);
          return new Proxy(queue, {
            get(q, p) {
              if (p !== 'sendMessage') {
                const value = Reflect.get(q, p, q) as unknown;
                return typeof value === 'function' ? (value as (...x: unknown[]) => unknown).bind(q) : value;
              }
              return async (text: string, options?: Parameters<typeof queue.sendMessage>[1]) => {
                const sent = await q.sendMessage(text, options);
                const json = Buffer.from(text.slice(text.lastIndexOf('.') + 1), 'base64').subarray(32).toString('utf8');
                if (failed === 0 && json.includes('"id":5') && json.includes('"result"')) {
                  failed++;
                  throw new Error('socket timeout after the message was stored');
                }
                return sent;
              };
            },
          });
        };
      },
    });
    const d = await startRecordedPeer(a, flaky);
    const token = await a.token('alice');
    const stream = await openRawStream(sse(a.url), token);
    try {
      const call = { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
      expect((await postMessage(`${d.url}${stream.endpoint}`, token, call)).status).toBe(202);
      expect(await stream.reader.nextMessage()).toMatchObject({ id: 5, result: { structuredContent: { user: { username: 'alice@contoso.example' } } } });
      expect(failed).toBe(1);
      // The next message on the stream is the next request's answer, not an error for id 5.
      expect((await postMessage(`${d.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 6, method: 'ping' })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toEqual({ jsonrpc: '2.0', id: 6, result: {} });
    } finally {
      stream.abort();
      await d.close();
    }
  });
});

describe('cancellation across instances', () => {
  it('notifications/cancelled POSTed to another instance than the one running the request aborts it there; nothing answers it', async () => {
    const token = await a.token('alice');
    const stream = await initialized(token);
    try {
      const sid = sessionOf(stream);
      // The call runs on B; test_sampling waits for the client's answer, which this client never gives.
      const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'test_sampling', arguments: { prompt: 'Wait for me' } } };
      expect((await postMessage(`${b.url}${stream.endpoint}`, token, call)).status).toBe(202);
      expect(await stream.reader.nextMessage()).toMatchObject({ method: 'sampling/createMessage' });
      expect(b.app.streams.isRunning(sid, alice(), 9)).toBe(true);
      expect(b.app.relay.waiting).toBe(1);

      // Cancelled on A, which does not run it.
      const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'user pressed stop' } };
      expect((await postMessage(`${a.url}${stream.endpoint}`, token, cancel)).status).toBe(202);
      await eventually(() => !b.app.streams.isRunning(sid, alice(), 9), 'the request on B is aborted');
      // The tool's wait ended with the abort: the sampling request it asked is no longer awaited.
      await eventually(() => b.app.relay.waiting === 0, 'the sampling request is forgotten');

      // On the instance that runs it, the same: a second call on B cancelled on B.
      expect((await postMessage(`${b.url}${stream.endpoint}`, token, { ...call, id: 11 })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toMatchObject({ method: 'sampling/createMessage' });
      expect((await postMessage(`${b.url}${stream.endpoint}`, token, { ...cancel, params: { requestId: 11 } })).status).toBe(202);
      await eventually(() => !b.app.streams.isRunning(sid, alice(), 11), 'the local request is aborted');

      // A cancellation by another user, or for another session, aborts nothing.
      expect((await postMessage(`${b.url}${stream.endpoint}`, token, { ...call, id: 12 })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toMatchObject({ method: 'sampling/createMessage' });
      const bob = await a.token('bob');
      expect((await postMessage(`${a.url}${stream.endpoint}`, bob, { ...cancel, params: { requestId: 12 } })).status).toBe(404);
      const other = await initialized(token);
      const cancelsSeen = () => b.records.filter((r) => r.name === 'relay latency ms' && r.properties['kind'] === 'cancel').length;
      const before = cancelsSeen();
      expect((await postMessage(`${a.url}${other.endpoint}`, token, { ...cancel, params: { requestId: 12 } })).status).toBe(202);
      // B received that cancellation, and it was not for this session's request.
      await eventually(() => cancelsSeen() === before + 1, 'B receives the other session’s cancellation');
      other.abort();
      expect(b.app.streams.isRunning(sid, alice(), 12)).toBe(true);
      expect((await postMessage(`${a.url}${stream.endpoint}`, token, { ...cancel, params: { requestId: 12 } })).status).toBe(202);
      await eventually(() => !b.app.streams.isRunning(sid, alice(), 12), 'the third request is aborted');

      // No answer, result or error, was delivered for the cancelled requests: the next message is the ping's.
      expect((await postMessage(`${a.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 10, method: 'ping' })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toEqual({ jsonrpc: '2.0', id: 10, result: {} });
    } finally {
      stream.abort();
    }
  });
});

describe('client disconnect under the Functions adapter', () => {
  const context = () => new InvocationContext({ functionName: 'mcpLegacySse', invocationId: 'test' });

  it('the stream pings its client; an answered ping (through any instance) keeps it, an unanswered one ends it and frees its session, hold and probe', async () => {
    await eventually(() => a.app.streams.open === 0, 'no other stream is open on A');
    const token = await a.token('alice');
    const probes = timersA.pending('every', PROBE_MS);
    const streamed = await legacyStreamFunction(async () => a.app)(
      new HttpRequest({ method: 'GET', url: sse(a.url), headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, params: { agentId: 'sales' } }),
      context(),
    );
    expect(streamed.status).toBe(200);
    const reader = new SseReader(streamed.body as ReadableStream<Uint8Array>);
    const endpoint = (await reader.nextEvent())!;
    const sid = new URL(endpoint.data, a.url).searchParams.get('sessionId')!;
    expect(timersA.pending('every', PROBE_MS)).toBe(probes + 1);

    expect(timersA.fire('every', PROBE_MS)).toBe(1);
    const ping = await reader.nextMessage();
    expect(ping).toMatchObject({ jsonrpc: '2.0', method: 'ping' });
    expect(String(ping['id'])).toMatch(new RegExp(`^srv\\.${a.app.streams.instance}\\.`));
    expect(a.app.relay.waiting).toBe(1);
    // The client answers through the Functions message entry, on the other instance.
    const answered = await legacyMessageFunction(async () => b.app)(
      new HttpRequest({
        method: 'POST',
        url: `${b.url}${endpoint.data}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        params: { agentId: 'sales' },
        body: { string: JSON.stringify({ jsonrpc: '2.0', id: ping['id'], result: {} }) },
      }),
      context(),
    );
    expect(answered.status).toBe(202);
    await eventually(() => a.app.relay.waiting === 0, 'the answer hops back to A');

    // Answered: the next probe is another ping, and the stream lives on.
    expect(timersA.fire('every', PROBE_MS)).toBe(1);
    expect(await reader.nextMessage()).toMatchObject({ method: 'ping' });
    expect(await a.app.sessions.get(sid)).toBeDefined();

    // The client is gone (it reads nothing, answers nothing): the next probe ends the stream.
    expect(timersA.fire('every', PROBE_MS)).toBe(1);
    for (let frame = await reader.next(); frame !== null; frame = await reader.next());
    await eventually(async () => (await a.app.sessions.get(sid)) === undefined, 'the session row is deleted');
    expect(a.app.streams.open).toBe(0);
    expect(a.app.relay.waiting).toBe(0);
    expect(timersA.pending('every', PROBE_MS)).toBe(probes);
    expect(timersA.pending('after', a.config.legacySse.maxStreamMs)).toBe(0);
    const late = await postMessage(`${a.url}${endpoint.data}`, token, { jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(late.status).toBe(404);
  });

  it('the node host sees a client leave by itself and does not probe', async () => {
    const token = await a.token('alice');
    const probes = timersA.pending('every', PROBE_MS);
    const stream = await openRawStream(sse(a.url), token);
    expect(timersA.pending('every', PROBE_MS)).toBe(probes);
    stream.abort();
    await eventually(async () => (await a.app.sessions.get(stream.sessionId)) === undefined, 'the session row is deleted');
  });
});

describe('relay telemetry', () => {
  it('counts sends, receives with their latency, and refusals, with no token, session, queue name or URL in any record', async () => {
    const c = await startRecordedPeer(a);
    const d = await startRecordedPeer(a);
    const token = await a.token('alice');
    const stream = await openRawStream(sse(c.url), token);
    try {
      // A forged message into C's queue, then a genuine round trip: POST on D, stream on C.
      const queue = queues.getQueueClient(instanceQueueName(a.config.tables.prefix, c.app.streams.instance));
      await queue.sendMessage(`${randomBytes(12).toString('base64url')}.0.1.${Buffer.from(JSON.stringify({ k: 'sse', b: { sessionId: stream.sessionId } })).toString('base64')}`);
      expect((await postMessage(`${d.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
      await eventually(() => c.records.some((r) => r.name === 'relay refused'), 'the refusal is counted');

      const metric = (records: TelemetryRecord[], name: string) => records.filter((r): r is Extract<TelemetryRecord, { type: 'metric' }> => r.type === 'metric' && r.name === name);
      expect(metric(d.records, 'relay send ms').map((r) => r.properties)).toEqual([{ kind: 'sse', outcome: 'sent' }]);
      expect(metric(c.records, 'relay latency ms').map((r) => [r.properties, r.value])).toEqual([[{ kind: 'sse' }, 0]]);
      expect(metric(c.records, 'relay refused').map((r) => r.properties)).toEqual([{ kind: 'other', reason: 'signature' }]);
      // A send to an instance that has ended is counted as such.
      const gone = await startRecordedPeer(a);
      const goneInstance = gone.app.streams.instance;
      await gone.close();
      expect(await d.app.relay.route(stream.sessionId, alice(), { jsonrpc: '2.0', id: `srv.${goneInstance}.${'x'.repeat(24)}`, result: {} })).toBe(false);
      expect(metric(d.records, 'relay send ms').map((r) => r.properties)).toContainEqual({ kind: 'answer', outcome: 'no-queue' });

      const all = JSON.stringify([...c.records, ...d.records]);
      expect(all).not.toContain(token);
      expect(all).not.toContain(stream.sessionId);
      expect(all).not.toContain(c.app.streams.instance);
      expect(all).not.toMatch(/127\.0\.0\.1|devstoreaccount|AccountKey/);
    } finally {
      stream.abort();
      await d.close();
      await c.close();
    }
  });
});
