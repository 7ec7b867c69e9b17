import { type JSONRPCRequest } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';

import { toResponse } from '../../src/mcp/answer.js';
import { ReportedHangUp } from '../../src/mcp/hangUp.js';
import { ModernMultiplexer } from '../../src/mcp/multiplexer.js';
import { classifyPost, sharedServable } from '../../src/mcp/sharedServers.js';
import { MODERN, mcpHeaders, modernHeaders, modernRequest, type TestServer } from '../helpers/harness.js';
import { expectOwnAnswers, useServerPair, waitingServer } from '../helpers/serverPair.js';

/**
 * The shared long-lived server (MCP_SHARED_SERVERS, the default) must answer exactly as the SDK's
 * per-request handler does: the same requests go to one instance of each and the answers are compared.
 */

let shared: TestServer;
let perRequest: TestServer;
useServerPair((pair) => ({ shared, perRequest } = pair));

interface Answer {
  status: number;
  contentType: string;
  /** The JSON-RPC messages carried, in order (one for JSON, each event's data for SSE). */
  messages: unknown[];
  /** A JSON answer byte for byte (a prepared answer must be the SDK's own bytes), and the headers sent with it. */
  json?: { text: string; headers: Record<string, string> };
}

/** Headers that differ per response whoever answers. */
const PER_RESPONSE = new Set(['date', 'x-request-id', 'keep-alive']);

async function answer(server: TestServer, agent: string, body: unknown, headers: (token: string) => Record<string, string>): Promise<Answer> {
  const res = await fetch(server.mcpUrl(agent), { method: 'POST', headers: headers(await server.token('alice')), body: JSON.stringify(body) });
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!;
  const text = await res.text();
  const messages =
    contentType === 'text/event-stream'
      ? text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => JSON.parse(l.slice(5)) as unknown)
      : text
        ? [JSON.parse(text) as unknown]
        : [];
  const json = contentType === 'application/json' ? { text, headers: Object.fromEntries([...res.headers].filter(([k]) => !PER_RESPONSE.has(k))) } : undefined;
  return { status: res.status, contentType, messages, ...(json && { json }) };
}

/** Sends one request to both servers; returns the shared one's answer after checking both agree, and whether the shared server took it. */
async function both(agent: string, body: unknown, headers: (token: string) => Record<string, string>): Promise<Answer & { tookShared: boolean }> {
  const before = shared.app.shared!.stats().served;
  const [a, b] = await Promise.all([answer(shared, agent, body, headers), answer(perRequest, agent, body, headers)]);
  expect(a).toEqual(b);
  return { ...a, tookShared: shared.app.shared!.stats().served > before };
}

const call = (name: string, args: Record<string, unknown> = {}, id: number | string = 1) => modernRequest('tools/call', { name, arguments: args }, id);
const headersFor = (method: string, name?: string, extra: Record<string, string> = {}) => (token: string) => ({ ...modernHeaders(token, method, name), ...extra });

describe('the shared server answers as the per-request one', () => {
  it('is off for MCP_SHARED_SERVERS=false and on by default', () => {
    expect(perRequest.app.shared).toBeUndefined();
    expect(shared.app.shared).toBeDefined();
  });

  it('tools/call: a result, a tool error, an unknown tool, invalid arguments', async () => {
    const ok = await both('conformance', call('test_simple_text'), headersFor('tools/call', 'test_simple_text'));
    expect(ok).toMatchObject({ status: 200, tookShared: true });
    expect(ok.messages[0]).toMatchObject({ id: 1, result: { content: [{ type: 'text' }] } });

    const failed = await both('conformance', call('test_error_handling', {}, 'e'), headersFor('tools/call', 'test_error_handling'));
    expect(failed).toMatchObject({ status: 200, tookShared: true, messages: [{ id: 'e', result: { isError: true } }] });

    const unknown = await both('conformance', call('no_such_tool'), headersFor('tools/call', 'no_such_tool'));
    expect(unknown.tookShared).toBe(true);
    expect(unknown.messages[0]).toMatchObject({ error: { code: -32602, message: expect.stringMatching(/Unknown tool/) } });

    // Schema validation of the arguments stays on the path (D365 tools validate before any Dataverse call).
    const invalid = await both('sales', call('D365_Sales_ListLeads', { top: 'many' }), headersFor('tools/call', 'D365_Sales_ListLeads'));
    expect(invalid.tookShared).toBe(true);
    expect(invalid.messages[0]).toMatchObject({ result: { isError: true } });
  });

  it('prompts, resources and completion', async () => {
    const cases: [string, string | undefined, Record<string, unknown>][] = [
      ['prompts/list', undefined, {}],
      ['prompts/get', 'test_simple_prompt', { name: 'test_simple_prompt' }],
      ['prompts/get', 'test_prompt_with_arguments', { name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } }],
      ['prompts/get', 'no_such_prompt', { name: 'no_such_prompt' }],
      ['resources/list', undefined, {}],
      ['resources/templates/list', undefined, {}],
      ['resources/read', 'test://static-text', { uri: 'test://static-text' }],
      ['resources/read', 'test://nothing-here', { uri: 'test://nothing-here' }],
      ['completion/complete', undefined, { ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: '' } }],
    ];
    for (const [method, name, params] of cases) {
      const got = await both('conformance', modernRequest(method, params), headersFor(method, name));
      expect(got.tookShared, method).toBe(true);
      expect(got.messages).toHaveLength(1);
    }
  });

  it('tools/list (its cache keeps the first answer, so the first one is compared)', async () => {
    const got = await both('service', modernRequest('tools/list'), headersFor('tools/list'));
    expect(got).toMatchObject({ status: 200, tookShared: true });
    expect((got.messages[0] as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(5);
  });

  it('notifications before the result switch the answer to SSE, with the client id on every message', async () => {
    const body = modernRequest('tools/call', { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: 'p1' } }, 7);
    // modernRequest put its own _meta under params; merge the progress token into it.
    const params = body['params'] as { _meta: Record<string, unknown> };
    params._meta = { ...params._meta, progressToken: 'p1' };
    const got = await both('conformance', body, headersFor('tools/call', 'test_tool_with_progress'));
    expect(got).toMatchObject({ status: 200, contentType: 'text/event-stream', tookShared: true });
    expect(got.messages.map((m) => (m as { method?: string }).method ?? 'result')).toEqual([
      'notifications/progress',
      'notifications/progress',
      'notifications/progress',
      'result',
    ]);
    expect(got.messages[0]).toMatchObject({ params: { progressToken: 'p1', progress: 0 } });
    expect(got.messages[3]).toMatchObject({ id: 7, result: { content: [{ text: 'Progress reported' }] } });
  });

  it('a call that needs the client: refused without the capability; with it, input_required, then the second round completes', async () => {
    const refused = await both('conformance', call('test_elicitation', { message: 'Name?' }), headersFor('tools/call', 'test_elicitation'));
    expect(refused.tookShared).toBe(true);
    expect(refused.messages[0]).toMatchObject({ error: { code: -32021 } });

    const withCaps = (body: Record<string, unknown>) => {
      (body['params'] as { _meta: Record<string, unknown> })._meta['io.modelcontextprotocol/clientCapabilities'] = { elicitation: { form: {} } };
      return body;
    };
    // Each server signs its own request state: each runs both rounds, and the rounds are compared.
    const rounds = async (server: TestServer) => {
      const first = await answer(server, 'conformance', withCaps(call('test_elicitation', { message: 'Name?' })), headersFor('tools/call', 'test_elicitation'));
      const result = (first.messages[0] as { result: { resultType: string; requestState: string; inputRequests: Record<string, unknown> } }).result;
      const retry = withCaps(
        modernRequest('tools/call', { name: 'test_elicitation', arguments: { message: 'Name?' }, requestState: result.requestState, inputResponses: { answer: { action: 'accept', content: { response: 'Ada' } } } }, 2),
      );
      const second = await answer(server, 'conformance', retry, headersFor('tools/call', 'test_elicitation'));
      return { first: { status: first.status, resultType: result.resultType, inputRequests: result.inputRequests }, second };
    };
    const before = shared.app.shared!.stats().served;
    const [a, b] = await Promise.all([rounds(shared), rounds(perRequest)]);
    expect(a).toEqual(b);
    expect(shared.app.shared!.stats().served).toBe(before + 2);
    expect(a.first).toMatchObject({ status: 200, resultType: 'input_required' });
    expect(a.second.messages[0]).toMatchObject({ id: 2, result: { content: [{ text: expect.stringContaining('Ada') }] } });
  });

  it('requests the shared server does not take go to the SDK handler, which refuses them alike', async () => {
    const refused: [string, unknown, (token: string) => Record<string, string>][] = [
      // Mcp-Name disagrees with the body, is Base64-encoded (the SDK decodes it), or is missing.
      ['name mismatch', call('test_simple_text'), headersFor('tools/call', 'test_error_handling')],
      ['encoded name', call('test_simple_text'), headersFor('tools/call', `=?base64?${Buffer.from('test_simple_text').toString('base64')}?=`)],
      ['no Mcp-Name', call('test_simple_text'), headersFor('tools/call')],
      ['no Mcp-Method', call('test_simple_text'), (t) => mcpHeaders(t, { 'mcp-protocol-version': MODERN, 'mcp-name': 'test_simple_text' })],
      ['no MCP-Protocol-Version', call('test_simple_text'), (t) => mcpHeaders(t, { 'mcp-method': 'tools/call', 'mcp-name': 'test_simple_text' })],
      ['Mcp-Method mismatch', call('test_simple_text'), headersFor('tools/list', 'test_simple_text')],
      ['unsupported revision', modernRequest('tools/list'), (t) => ({ ...modernHeaders(t, 'tools/list'), 'mcp-protocol-version': '2099-01-01' })],
      ['a method it does not take', modernRequest('server/discover'), headersFor('server/discover')],
      ['unknown method', modernRequest('tools/destroy'), headersFor('tools/destroy')],
      ['no params', { jsonrpc: '2.0', id: 1, method: 'tools/call' }, headersFor('tools/call', 'test_simple_text')],
    ];
    for (const [label, body, headers] of refused) {
      const got = await both('conformance', body, headers);
      expect(got.tookShared, label).toBe(false);
    }
    // The encoded name is a valid way to send it: served by the SDK handler.
    const encoded = await both('conformance', call('test_simple_text'), headersFor('tools/call', `=?base64?${Buffer.from('test_simple_text').toString('base64')}?=`));
    expect(encoded.status).toBe(200);
  });

  it('serves concurrent calls whose ids collide, each with its own answer, and leaves nothing open', async () => {
    const token = await shared.token('alice');
    const calls = ['test_simple_text', 'test_error_handling', 'test_image_content', 'test_simple_text'].map(async (name) => {
      const res = await fetch(shared.mcpUrl('conformance'), { method: 'POST', headers: modernHeaders(token, 'tools/call', name), body: JSON.stringify(call(name, {}, 1)) });
      return { name, body: (await res.json()) as { id: unknown; result: { isError?: boolean; content: { type: string }[] } } };
    });
    for (const { name, body } of await Promise.all(calls)) {
      expect(body.id).toBe(1);
      expect(body.result.isError ?? false, name).toBe(name === 'test_error_handling');
      expect(body.result.content[0]!.type).toBe(name === 'test_image_content' ? 'image' : 'text');
    }
    expect(shared.app.shared!.stats().open).toBe(0);
  });
});

describe('sharedServable', () => {
  const classify = (body: unknown, headers: Record<string, string>) => {
    const h = new Headers(headers);
    return sharedServable(classifyPost(body, h), h);
  };
  const std = (method: string, name?: string) => modernHeaders('t', method, name);

  it('takes plain modern requests of the listed methods', () => {
    expect(classify(call('x'), std('tools/call', 'x'))).toBe(true);
    expect(classify(modernRequest('tools/list'), std('tools/list'))).toBe(true);
    expect(classify(modernRequest('resources/read', { uri: 'test://a' }), std('resources/read', 'test://a'))).toBe(true);
  });

  it('leaves everything else to the SDK handler', () => {
    expect(classify(call(' x'), std('tools/call', ' x'))).toBe(false); // whitespace the SDK may trim
    expect(classify(call(''), std('tools/call', ''))).toBe(false);
    expect(classify(call('=?base64?eA==?='), std('tools/call', '=?base64?eA==?='))).toBe(false);
    expect(classify(call('x'), std('tools/call', 'y'))).toBe(false);
    expect(classify(call('x'), std('tools/call'))).toBe(false);
    expect(classify(modernRequest('subscriptions/listen'), std('subscriptions/listen'))).toBe(false);
    expect(classify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }, std('notifications/cancelled'))).toBe(false);
    // A 2025-era request (no per-request envelope).
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-protocol-version': '2025-11-25' })).toBe(false);
  });
});

describe('ModernMultiplexer', () => {
  const waiting = () => waitingServer(new ModernMultiplexer(), { supportedProtocolVersions: [MODERN] });
  const request = (signal?: AbortSignal) => new Request('http://127.0.0.1/mcp/x', { method: 'POST', ...(signal && { signal }) });

  it('gives each exchange its own answer under the client id', async () => {
    const { server, mux } = await waiting();
    await expectOwnAnswers(mux, async (text) => toResponse(await mux.serve(call('echo', { text }, 42) as unknown as JSONRPCRequest, { request: request() })).json());
    await server.close();
  });

  it('cancels the handler of a client that hangs up, answers 499 and keeps no exchange', async () => {
    const { server, mux, aborted, running } = await waiting();
    const hangUp = new AbortController();
    const pending = mux.serve(call('wait') as unknown as JSONRPCRequest, { request: request(hangUp.signal) });
    await running;
    expect(mux.open).toBe(1);
    hangUp.abort();
    expect((await pending).status).toBe(499);
    await vi.waitFor(() => expect(aborted).toEqual(['wait']));
    expect(mux.open).toBe(0);
    // The server goes on serving others.
    const next = await mux.serve(call('echo', { text: 'still here' }) as unknown as JSONRPCRequest, { request: request() });
    expect(await toResponse(next).json()).toMatchObject({ result: { content: [{ text: 'still here' }] } });
    await server.close();
  });

  it('hears a hang-up passed apart from the Request (as the node host passes it)', async () => {
    const { server, mux, aborted, running } = await waiting();
    const hangUp = new ReportedHangUp();
    const pending = mux.serve(call('wait') as unknown as JSONRPCRequest, { request: request() }, hangUp);
    await running;
    hangUp.hangUp();
    expect((await pending).status).toBe(499);
    await vi.waitFor(() => expect(aborted).toEqual(['wait']));
    expect(mux.open).toBe(0);
    // Already gone when it arrives: not dispatched at all.
    const gone = mux.serve(call('wait') as unknown as JSONRPCRequest, { request: request() }, hangUp);
    expect((await gone).status).toBe(499);
    expect(mux.served).toBe(1);
    await server.close();
  });

  it('refuses new exchanges once closed', async () => {
    const { server, mux } = await waiting();
    await server.close();
    await expect(mux.serve(call('echo', { text: 'x' }) as unknown as JSONRPCRequest, { request: request() })).rejects.toThrow(/shutting down/);
  });
});
