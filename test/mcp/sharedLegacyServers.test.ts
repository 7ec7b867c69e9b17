import { type JSONRPCRequest, Server } from '@modelcontextprotocol/server';
import { beforeAll, describe, expect, it } from 'vitest';

import { hangUpOf } from '../../src/mcp/hangUp.js';
import { LegacyMultiplexer } from '../../src/mcp/legacyMultiplexer.js';
import { ServerRequestRelay } from '../../src/mcp/serverRequests.js';
import { sharedLegacyServable } from '../../src/mcp/sharedServers.js';
import { mcpHeaders, type TestServer } from '../helpers/harness.js';
import { expectOwnAnswers, useServerPair, waitingServer } from '../helpers/serverPair.js';

/**
 * The shared long-lived 2025-era server (MCP_SHARED_SERVERS, the default) must answer exactly as the
 * SDK's per-request fallback does: the same requests, in a session of each, and the answers compared.
 */

const VERSION = '2025-11-25';

let shared: TestServer;
let perRequest: TestServer;
useServerPair((pair) => ({ shared, perRequest } = pair));

/** Headers that differ per response whoever answers. */
const PER_RESPONSE = new Set(['date', 'x-request-id', 'keep-alive']);

interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The body as sent: SSE framing, event order and each message's bytes. */
  text: string;
}

async function open(server: TestServer, agent: string, capabilities: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(server.mcpUrl(agent), {
    method: 'POST',
    headers: mcpHeaders(await server.token('alice')),
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: VERSION, capabilities, clientInfo: { name: 'raw', version: '1' } } }),
  });
  await res.text();
  return res.headers.get('mcp-session-id')!;
}

async function post(server: TestServer, agent: string, body: unknown, session?: string): Promise<Answer> {
  const headers = mcpHeaders(await server.token('alice'), { 'mcp-protocol-version': VERSION, ...(session && { 'mcp-session-id': session }) });
  const res = await fetch(server.mcpUrl(agent), { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: Object.fromEntries([...res.headers].filter(([k]) => !PER_RESPONSE.has(k))), text: await res.text() };
}

const messagesOf = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);

const request = (method: string, params: Record<string, unknown> = {}, id: number | string = 1) => ({ jsonrpc: '2.0', id, method, params });
const call = (name: string, args: Record<string, unknown> = {}, id: number | string = 1) => request('tools/call', { name, arguments: args }, id);

describe('the shared 2025-era server answers as the per-request one', () => {
  const sessions = new Map<TestServer, string>();
  beforeAll(async () => {
    for (const server of [shared, perRequest]) sessions.set(server, await open(server, 'conformance'));
  });

  /** Sends one body to both (in a session of each unless `stateless`); checks they agree byte for byte; whether the shared server took it. */
  async function both(body: unknown, agent = 'conformance', stateless = false): Promise<Answer & { tookShared: boolean }> {
    const before = shared.app.sharedLegacy!.stats().served;
    const session = (server: TestServer) => (stateless ? undefined : agent === 'conformance' ? sessions.get(server) : undefined);
    const [a, b] = await Promise.all([post(shared, agent, body, session(shared)), post(perRequest, agent, body, session(perRequest))]);
    expect(a).toEqual(b);
    return { ...a, tookShared: shared.app.sharedLegacy!.stats().served > before };
  }

  it('is off for MCP_SHARED_SERVERS=false and on by default', () => {
    expect(perRequest.app.sharedLegacy).toBeUndefined();
    expect(shared.app.sharedLegacy).toBeDefined();
  });

  it('tools, prompts, resources, completion, ping and protocol errors, in a session and without one', async () => {
    const cases: [string, unknown][] = [
      ['a result', call('test_simple_text')],
      ['a tool error', call('test_error_handling', {}, 'e')],
      ['an unknown tool', call('no_such_tool')],
      ['several content types', call('test_multiple_content_types')],
      ['tools/list', request('tools/list')],
      ['a list cursor', request('tools/list', { cursor: 'x' })],
      ['prompts/get', request('prompts/get', { name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } })],
      ['an unknown prompt', request('prompts/get', { name: 'no_such_prompt' })],
      ['resources/read', request('resources/read', { uri: 'test://static-text' })],
      ['resources/templates/list', request('resources/templates/list')],
      ['completion', request('completion/complete', { ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: '' } })],
      ['ping', { jsonrpc: '2.0', id: 9, method: 'ping' }],
      ['no params', { jsonrpc: '2.0', id: 1, method: 'tools/call' }],
      ['a bad log level', request('logging/setLevel', { level: 'loud' })],
    ];
    for (const stateless of [false, true]) {
      for (const [label, body] of cases) {
        const got = await both(body, 'conformance', stateless);
        expect(got.tookShared, label).toBe(true);
        expect(got.status, label).toBe(200);
        expect(got.headers['content-type'], label).toBe('text/event-stream');
        expect(messagesOf(got.text), label).toHaveLength(1);
      }
    }
    // Argument validation stays on the path (D365 tools validate before any Dataverse call).
    const invalid = await both(call('D365_Sales_ListLeads', { top: 'many' }), 'sales', true);
    expect(invalid.tookShared).toBe(true);
    expect(messagesOf(invalid.text)[0]).toMatchObject({ result: { isError: true } });
  });

  it('progress and, after logging/setLevel in the session, log notifications stream before the result with the client id', async () => {
    const progress = await both(request('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p1' } }, 7));
    expect(progress.tookShared).toBe(true);
    expect(messagesOf(progress.text).map((m) => m['method'] ?? m['id'])).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 7]);

    const quiet = await both(call('test_tool_with_logging', {}, 3));
    expect(messagesOf(quiet.text).map((m) => m['method'] ?? m['id'])).toEqual([3]);
    const set = await both(request('logging/setLevel', { level: 'info' }));
    expect(set.tookShared).toBe(true);
    // The level is stored on each server's own session (Table Storage).
    for (const server of [shared, perRequest]) expect((await server.app.sessions.get(sessions.get(server)!))?.logLevel).toBe('info');
    const logged = await both(call('test_tool_with_logging', {}, 4));
    const methods = messagesOf(logged.text).map((m) => m['method'] ?? m['id']);
    expect(methods.at(-1)).toBe(4);
    expect(methods.filter((m) => m === 'notifications/message').length).toBeGreaterThan(0);
  });

  it('a call that asks the client: refused without a session; in one, the request goes out on the stream under a relay id and its answer completes the call', async () => {
    const refused = await both(call('test_elicitation', { message: 'Name?' }), 'conformance', true);
    expect(refused.tookShared).toBe(true);
    expect(JSON.stringify(messagesOf(refused.text)[0])).toMatch(/no session to ask on/);

    const elicit = async (server: TestServer) => {
      const session = await open(server, 'conformance', { elicitation: {} });
      const token = await server.token('alice');
      const headers = mcpHeaders(token, { 'mcp-protocol-version': VERSION, 'mcp-session-id': session });
      const res = await fetch(server.mcpUrl('conformance'), { method: 'POST', headers, body: JSON.stringify(call('test_elicitation', { message: 'Name?' }, 5)) });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('elicitation/create')) text += (await reader.read()).value ?? '';
      const asked = messagesOf(text)[0]!;
      const answer = await fetch(server.mcpUrl('conformance'), {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: asked['id'], result: { action: 'accept', content: { response: 'Ada' } } }),
      });
      await answer.text();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      const [first, result] = messagesOf(text);
      return { accepted: answer.status, wireId: String(first!['id']), asked: { ...first, id: undefined }, result };
    };
    const before = shared.app.sharedLegacy!.stats().served;
    const [a, b] = await Promise.all([elicit(shared), elicit(perRequest)]);
    expect(shared.app.sharedLegacy!.stats().served).toBe(before + 1);
    expect(a.wireId).toMatch(new RegExp(`^srv\\.${shared.app.relay.instance}\\.`));
    expect({ ...a, wireId: undefined }).toEqual({ ...b, wireId: undefined });
    expect(a).toMatchObject({ accepted: 202, asked: { method: 'elicitation/create' }, result: { id: 5, result: { content: [{ text: expect.stringContaining('Ada') }] } } });
    expect(shared.app.relay.waiting).toBe(0);
    expect(shared.app.sharedLegacy!.stats().open).toBe(0);
  });

  it('batches and notifications go to the SDK fallback; concurrent calls with colliding ids each get their own answer', async () => {
    const notification = await both({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(notification).toMatchObject({ status: 202, tookShared: false });

    const names = ['test_simple_text', 'test_error_handling', 'test_image_content', 'test_simple_text'];
    const session = sessions.get(shared)!;
    const answers = await Promise.all(names.map((name) => post(shared, 'conformance', call(name, {}, 1), session)));
    answers.forEach((got, i) => {
      const message = messagesOf(got.text)[0] as { id: unknown; result: { isError?: boolean; content: { type: string }[] } };
      expect(message.id).toBe(1);
      expect(message.result.isError ?? false).toBe(names[i] === 'test_error_handling');
      expect(message.result.content[0]!.type).toBe(names[i] === 'test_image_content' ? 'image' : 'text');
    });
    expect(shared.app.sharedLegacy!.stats().open).toBe(0);
  });
});

describe('sharedLegacyServable', () => {
  it('takes single requests of the listed methods, and nothing that touches the instance', () => {
    expect(sharedLegacyServable(call('x'))).toBe(true);
    expect(sharedLegacyServable({ jsonrpc: '2.0', id: 'a', method: 'ping' })).toBe(true);
    expect(sharedLegacyServable(request('initialize', {}))).toBe(false);
    expect(sharedLegacyServable([call('x')])).toBe(false);
    expect(sharedLegacyServable({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } })).toBe(false);
    expect(sharedLegacyServable({ jsonrpc: '2.0', id: 1, result: {} })).toBe(false);
    expect(sharedLegacyServable({ jsonrpc: '2.0', id: null, method: 'tools/list' })).toBe(false);
    expect(sharedLegacyServable({ jsonrpc: '2.0', id: 1, method: 'tasks/list' })).toBe(false);
  });
});

describe('LegacyMultiplexer', () => {
  const waiting = () => waitingServer(new LegacyMultiplexer(1_000_000));
  const httpRequest = () => new Request('http://127.0.0.1/mcp/x', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
  const authInfo = { token: '', clientId: '', scopes: [] };
  const serve = (mux: LegacyMultiplexer, body: unknown, signal = new AbortController().signal) => mux.serve(httpRequest(), body as JSONRPCRequest, authInfo, undefined, hangUpOf(signal));

  it('gives each exchange its own answer under the client id', async () => {
    const { server, mux } = await waiting();
    await expectOwnAnswers(mux, async (text) => messagesOf(await (await serve(mux, call('echo', { text }, 42))).text())[0]);
    await server.close();
  });

  it('cancels the handler of a client that hangs up and keeps no exchange; one gone before it started gets 499', async () => {
    const { server, mux, aborted, running } = await waiting();
    const hangUp = new AbortController();
    const response = await serve(mux, call('wait', {}, 1), hangUp.signal);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    await running;
    expect(mux.open).toBe(1);
    hangUp.abort();
    await expect.poll(() => aborted).toEqual(['wait']);
    expect(mux.open).toBe(0);
    await response.body?.cancel();

    const gone = new AbortController();
    gone.abort();
    expect((await serve(mux, call('echo', { text: 'x' }), gone.signal)).status).toBe(499);
    expect(mux.open).toBe(0);
    await server.close();
  });

  it('a request the transport refuses (an unsupported MCP-Protocol-Version) leaves no exchange', async () => {
    const { server, mux } = await waiting();
    const request = new Request('http://127.0.0.1/mcp/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '1999-01-01' },
    });
    const response = await mux.serve(request, call('echo', { text: 'x' }) as JSONRPCRequest, authInfo, undefined, hangUpOf(new AbortController().signal));
    expect(response.status).toBe(400);
    expect(mux.open).toBe(0);
    await server.close();
  });

  it('sends a session call\'s requests to the client under relay ids and forgets them when the call ends', async () => {
    const server = new Server({ name: 'mux-test', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/call', async (_message, ctx) => {
      const answer = (await ctx.mcpReq.send({ method: 'roots/list' } as never, { timeout: 5000 } as never)) as { roots: unknown[] };
      return { content: [{ type: 'text', text: `roots: ${answer.roots.length}` }] };
    });
    const mux = new LegacyMultiplexer(1_000_000);
    await server.connect(mux);
    const relay = new ServerRequestRelay(undefined, '0123456789abcdef');
    const response = await mux.serve(httpRequest(), call('x', {}, 'c1') as JSONRPCRequest, authInfo, { relay, sessionId: 's1', owner: 'u1' }, hangUpOf(new AbortController().signal));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('roots/list')) text += (await reader.read()).value ?? '';
    const asked = messagesOf(text)[0]!;
    expect(asked['id']).toMatch(/^srv\.0123456789abcdef\./);
    // Another session's answer is not taken; the asking session's is.
    expect(await relay.route('s2', 'u1', { jsonrpc: '2.0', id: asked['id'] as string, result: { roots: [] } })).toBe(false);
    expect(await relay.route('s1', 'u1', { jsonrpc: '2.0', id: asked['id'] as string, result: { roots: [{ uri: 'file:///a' }] } })).toBe(true);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(messagesOf(text)[1]).toMatchObject({ id: 'c1', result: { content: [{ text: 'roots: 1' }] } });
    expect(relay.waiting).toBe(0);
    expect(mux.open).toBe(0);
    await server.close();
  });
});
