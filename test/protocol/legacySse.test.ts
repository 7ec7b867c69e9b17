import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { HttpRequest, InvocationContext } from '@azure/functions';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { legacyMessageFunction, legacyStreamFunction } from '../../functions/mcp.js';
import { instanceQueueName, openQueueService, queuesLocation } from '../../src/sessions/instanceMailbox.js';
import { CONFORMANCE_AGENT } from '../../src/tools/conformance/index.js';
import { mcpHeaders, startTestServer, type TestServer } from '../helpers/harness.js';
import { connectSseClient, eventually, openRawStream, postMessage, SseReader } from '../helpers/sse.js';
import { type Peer, startPeer } from '../helpers/peer.js';
import { ManualTimers } from '../helpers/timers.js';
import { duplicatingQueues } from '../helpers/wire.js';

const productAgents = (JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] }).agents;
const withFixture = JSON.stringify({ agents: [...productAgents, CONFORMANCE_AGENT] });

let a: TestServer;
let b: Peer;
const timersA = new ManualTimers();
beforeAll(async () => {
  a = await startTestServer({ emulator: true, env: { AGENTS_JSON: withFixture, ENABLE_TEST_AGENTS: 'true' }, streamTimers: timersA });
  b = await startPeer(a);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const sse = (base: string, agent = 'sales') => `${base}/mcp/${agent}/sse`;
const isPostOf = (body: unknown, method: string) => (body as { method?: unknown } | null)?.method === method;
const responsesIn = (messages: Array<Record<string, unknown>>) => messages.filter((m) => 'id' in m && !('method' in m));

describe('legacy HTTP+SSE transport (2024-11-05) on one instance', () => {
  it('an SSEClientTransport client completes initialize → tools/list → tools/call; 2024-11-05 and its capabilities are on the session row', async () => {
    const c = await connectSseClient({ streamUrl: sse(a.url), token: await a.token('alice'), capabilities: { sampling: {} } });
    try {
      const init = responsesIn(c.received)[0]!;
      expect(init['result']).toMatchObject({ protocolVersion: '2024-11-05', serverInfo: { name: 'dataverse-mcp' } });
      const row = await a.app.sessions.get(c.sessionId());
      expect(row).toMatchObject({ agentId: 'sales', protocolVersion: '2024-11-05', clientInfo: { name: 'sse-test', version: '1.0.0' }, clientCapabilities: { sampling: {} } });
      expect(row?.streamInstance).toBe(a.app.streams.instance);

      const tools = await c.client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('whoami');
      const who = await c.client.callTool({ name: 'whoami', arguments: {} });
      expect(who.isError).toBeFalsy();
      expect((who.structuredContent as { user: { username: string } }).user.username).toBe('alice@contoso.example');
      // Every answer came on the stream; every POST went to the message URL the stream named.
      expect(responsesIn(c.received).map((m) => m['id'])).toEqual([0, 1, 2]);
      for (const url of c.posts) expect(url.pathname).toBe('/mcp/sales/message');
    } finally {
      await c.close();
    }
  });

  it('sends keep-alive comments on the interval, and ends the stream and its session at the maximum duration', async () => {
    const token = await a.token('alice');
    const stream = await openRawStream(sse(a.url), token);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    // The configured defaults reach the timers: 15 s keep-alive, 210 s at most (below Azure's 230 s).
    expect(timersA.pending('every', 15_000)).toBe(1);
    expect(timersA.pending('after', 210_000)).toBe(1);
    expect(timersA.fire('every', 15_000)).toBe(1);
    expect(await stream.reader.next()).toEqual({ type: 'comment', text: 'keep-alive' });
    expect(await a.app.sessions.get(stream.sessionId)).toBeDefined();

    expect(timersA.fire('after', 210_000)).toBe(1);
    expect(await stream.reader.next()).toBeNull();
    await eventually(async () => (await a.app.sessions.get(stream.sessionId)) === undefined, 'the session row is deleted');
    const late = await postMessage(`${a.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(late.status).toBe(404);
    expect(timersA.pending('every')).toBe(0);
  });

  it('a stream the client drops ends its session: the row is deleted and later POSTs get 404', async () => {
    const token = await a.token('alice');
    const stream = await openRawStream(sse(a.url), token);
    const open = a.app.streams.open;
    expect(await a.app.sessions.get(stream.sessionId)).toBeDefined();
    stream.abort();
    await eventually(async () => (await a.app.sessions.get(stream.sessionId)) === undefined, 'the session row is deleted');
    expect(a.app.streams.open).toBe(open - 1);
    const late = await postMessage(`${a.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(late.status).toBe(404);

    // The SDK client closing its transport is the same thing.
    const c = await connectSseClient({ streamUrl: sse(a.url), token });
    const sid = c.sessionId();
    await c.close();
    await eventually(async () => (await a.app.sessions.get(sid)) === undefined, 'the SDK client’s session row is deleted');
  });
});

describe('legacy HTTP+SSE transport across instances', () => {
  it('with the stream on one instance and every POST on another, the answers arrive on the stream through the queue', async () => {
    const c = await connectSseClient({ streamUrl: sse(a.url), token: await a.token('alice'), routePost: () => b.url });
    try {
      const tools = await c.client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('whoami');
      const who = await c.client.callTool({ name: 'whoami', arguments: {} });
      expect((who.structuredContent as { user: { username: string } }).user.username).toBe('alice@contoso.example');
      expect(c.posts.length).toBeGreaterThanOrEqual(4);
      for (const url of c.posts) expect(url.origin).toBe(b.url);
      // The stream is on A only; B served every message and had no stream to write to.
      expect((await a.app.sessions.get(c.sessionId()))?.streamInstance).toBe(a.app.streams.instance);
      expect(b.app.streams.open).toBe(0);
      expect(responsesIn(c.received).map((m) => m['id'])).toEqual([0, 1, 2]);
    } finally {
      await c.close();
    }
  });

  it('a sampling request travels B → stream on A, and its answer POSTed to A reaches the tool call waiting on B', async () => {
    const asked: string[] = [];
    const c = await connectSseClient({
      streamUrl: sse(a.url, 'conformance'),
      token: await a.token('alice'),
      capabilities: { sampling: {} },
      // Requests to B, the client's answers to A: the answer must hop back to B, where the tool waits.
      routePost: (body) => ((body as { result?: unknown }).result !== undefined ? a.url : b.url),
      setup: (client) =>
        client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
          asked.push((req.params.messages[0]!.content as { text: string }).text);
          return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' };
        }),
    });
    try {
      const result = await c.client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } });
      expect(result.content).toEqual([{ type: 'text', text: 'LLM response: Paris' }]);
      expect(asked).toEqual(['Capital of France?']);
      const request = c.received.find((m) => m['method'] === 'sampling/createMessage');
      expect(String(request?.['id'])).toMatch(new RegExp(`^srv\\.${b.app.streams.instance}\\.`));
      expect(c.posts.filter((u) => u.origin === a.url)).toHaveLength(1);
      expect(b.app.relay.waiting).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('delivers each answer once when the queue delivers a message twice (at-least-once)', async () => {
    const duplicated = duplicatingQueues(await openQueueService(queuesLocation(a.config.queues)!));
    const d = await startPeer(a, { queues: { service: duplicated.service } });
    try {
      const c = await connectSseClient({ streamUrl: sse(a.url), token: await a.token('alice'), routePost: () => d.url });
      try {
        await c.client.listTools();
        await c.client.callTool({ name: 'whoami', arguments: {} });
        // A last round trip behind the copies: once its answer is here, every copy before it was handled.
        await c.client.ping();
        await eventually(() => responsesIn(c.received).some((m) => m['id'] === 3), 'the ping answer is recorded');
        // Every message D posted to A's queue went in twice, yet each response crossed the stream once.
        expect(duplicated.duplicates()).toBeGreaterThanOrEqual(4);
        expect(responsesIn(c.received).map((m) => m['id'])).toEqual([0, 1, 2, 3]);
      } finally {
        await c.close();
      }
    } finally {
      await d.close();
    }
  });

  it('an instance shutting down ends its streams, deletes their sessions and its queue', async () => {
    const e = await startPeer(a);
    const token = await a.token('alice');
    const stream = await openRawStream(sse(e.url), token);
    const service = await openQueueService(queuesLocation(a.config.queues)!);
    const queue = service.getQueueClient(instanceQueueName(a.config.tables.prefix, e.app.streams.instance));
    expect(await queue.exists()).toBe(true);
    await e.close();
    expect(await stream.reader.next()).toBeNull();
    expect(await a.app.sessions.get(stream.sessionId)).toBeUndefined();
    expect(await queue.exists()).toBe(false);
    // Another instance now refuses the session.
    const late = await postMessage(`${a.url}${stream.endpoint}`, token, { jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(late.status).toBe(404);
  });
});

describe('legacy HTTP+SSE transport refuses hijacking', () => {
  it('the message URL needs the same user, a live SSE session of the same agent, and a token', async () => {
    const alice = await a.token('alice');
    const stream = await openRawStream(sse(a.url), alice);
    const other = await openRawStream(sse(a.url, 'service'), alice);
    try {
      const url = (sid: string, agent = 'sales') => `${a.url}/mcp/${agent}/message?sessionId=${encodeURIComponent(sid)}`;
      const ping = { jsonrpc: '2.0', id: 7, method: 'ping' };
      // Another user's token on alice's session.
      const bob = await postMessage(url(stream.sessionId), await a.token('bob'), ping);
      expect(bob.status).toBe(404);
      expect(await bob.json()).toMatchObject({ error: { code: -32001 } });
      // A guessed id, a malformed one, none at all.
      expect((await postMessage(url(randomBytes(32).toString('base64url')), alice, ping)).status).toBe(404);
      expect((await postMessage(url('../../sessions'), alice, ping)).status).toBe(404);
      expect((await postMessage(`${a.url}/mcp/sales/message`, alice, ping)).status).toBe(400);
      // Alice's own session of another agent, on this agent's message URL.
      expect((await postMessage(url(other.sessionId, 'sales'), alice, ping)).status).toBe(404);
      // A Streamable HTTP session id is not an SSE session.
      const init = await fetch(`${a.url}/mcp/sales`, {
        method: 'POST',
        headers: mcpHeaders(alice),
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
      const streamable = init.headers.get('mcp-session-id')!;
      await init.body?.cancel();
      expect((await postMessage(url(streamable), alice, ping)).status).toBe(404);
      // Nor the other way round: an SSE session id on the Streamable HTTP endpoint, for a call or a DELETE.
      const onStreamable = await fetch(`${a.url}/mcp/sales`, {
        method: 'POST',
        headers: mcpHeaders(alice, { 'mcp-session-id': stream.sessionId, 'mcp-protocol-version': '2024-11-05' }),
        body: JSON.stringify(ping),
      });
      expect(onStreamable.status).toBe(404);
      expect((await fetch(`${a.url}/mcp/sales`, { method: 'DELETE', headers: mcpHeaders(alice, { 'mcp-session-id': stream.sessionId }) })).status).toBe(404);
      expect(await a.app.sessions.get(stream.sessionId)).toBeDefined();
      // No token: 401 with the challenge that says where to get one.
      const anonymous = await postMessage(url(stream.sessionId), undefined, ping);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer .*resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp\/sales"/);
      const noStream = await fetch(sse(a.url), { headers: { accept: 'text/event-stream' } });
      expect(noStream.status).toBe(401);
      expect(noStream.headers.get('www-authenticate')).toMatch(/resource_metadata=/);
      // A page of another origin is refused before anything else.
      expect((await fetch(sse(a.url), { headers: { accept: 'text/event-stream', authorization: `Bearer ${alice}`, origin: 'https://evil.example' } })).status).toBe(403);
      expect((await postMessage(url(stream.sessionId), alice, ping, { origin: 'https://evil.example' })).status).toBe(403);

      // None of that reached alice's stream; her own message does, and only hers.
      expect((await postMessage(url(stream.sessionId), alice, ping)).status).toBe(202);
      expect(await stream.reader.nextMessage()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    } finally {
      stream.abort();
      other.abort();
    }
  });

  it('bad input gets a clear HTTP error, never a stack or an internal URL', async () => {
    const alice = await a.token('alice');
    const stream = await openRawStream(sse(a.url), alice);
    try {
      const url = `${a.url}${stream.endpoint}`;
      const raw = (body: string, contentType = 'application/json') =>
        fetch(url, { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'content-type': contentType }, body });
      const notJson = await raw('{');
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ error: { code: -32700 } });
      expect((await raw('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).status).toBe(400);
      expect((await raw('{"id":1,"method":"ping"}')).status).toBe(400);
      expect((await raw('{"jsonrpc":"2.0","id":1,"method":"ping"}', 'text/plain')).status).toBe(415);
      expect((await raw('x'.repeat(a.config.maxBodyBytes + 1))).status).toBe(413);
      expect((await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${alice}` } })).status).toBe(405);
      expect((await fetch(sse(a.url), { headers: { accept: 'application/json', authorization: `Bearer ${alice}` } })).status).toBe(406);
      // An unknown method is the MCP server's own JSON-RPC error, on the stream.
      expect((await postMessage(url, alice, { jsonrpc: '2.0', id: 'u', method: 'no/such' })).status).toBe(202);
      const unknown = await stream.reader.nextMessage();
      expect(unknown).toMatchObject({ id: 'u', error: { code: -32601 } });
      expect(JSON.stringify(unknown)).not.toMatch(/at \w+ \(|127\.0\.0\.1|Bearer/);
      // A message the MCP layer cannot parse is refused there with id null; the client gets it under its own id.
      expect((await postMessage(url, alice, { jsonrpc: '2.0', id: 'p', method: 'tools/call', params: 'not an object' })).status).toBe(202);
      expect(await stream.reader.nextMessage()).toMatchObject({ id: 'p', error: { code: -32700 } });
    } finally {
      stream.abort();
    }
  });
});

describe('legacy HTTP+SSE transport under the Functions adapter', () => {
  it('GET mcp/{agentId}/sse streams through HttpResponseInit, and POST mcp/{agentId}/message answers 202 once its answer is on the stream', async () => {
    const token = await a.token('alice');
    const context = new InvocationContext({ functionName: 'mcpLegacySse', invocationId: 'test' });
    const streamed = await legacyStreamFunction(async () => a.app)(
      new HttpRequest({ method: 'GET', url: sse(a.url), headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, params: { agentId: 'sales' } }),
      context,
    );
    expect(streamed.status).toBe(200);
    const reader = new SseReader(streamed.body as ReadableStream<Uint8Array>);
    const endpoint = await reader.nextEvent();
    expect(endpoint?.event).toBe('endpoint');
    const posted = await legacyMessageFunction(async () => a.app)(
      new HttpRequest({
        method: 'POST',
        url: `${a.url}${endpoint!.data}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        params: { agentId: 'sales' },
        body: { string: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } }) },
      }),
      context,
    );
    expect(posted.status).toBe(202);
    const answer = await reader.nextMessage();
    expect(answer).toMatchObject({ id: 3, result: { structuredContent: { user: { username: 'alice@contoso.example' } } } });
    await reader.cancel();
    const sid = new URL(endpoint!.data, a.url).searchParams.get('sessionId')!;
    await eventually(async () => (await a.app.sessions.get(sid)) === undefined, 'the session ends with the stream');
  });
});
