import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createLogger } from '../../src/telemetry/log.js';
import { mcpHeaders, modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
let token: string;
/** What the server logged at info level and above. */
const logged: string[] = [];
beforeAll(async () => {
  server = await startTestServer({
    log: createLogger('info', {}, { write: (_level, line) => void logged.push(line) }),
    env: {
      AGENTS_JSON: JSON.stringify({
        agents: [
          { id: 'sales', title: 'Sales', toolsets: ['core'] },
          { id: 'off', title: 'Off', toolsets: ['core'], enabled: false },
        ],
      }),
      MAX_BODY_BYTES: '4096',
    },
  });
  token = await server.token('alice');
});
afterAll(async () => {
  await server?.close();
});

const initialize = (version = '2025-11-25') => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

async function post(body: unknown, headers: Record<string, string> = mcpHeaders(token), agent = 'sales'): Promise<Response> {
  return fetch(server.mcpUrl(agent), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function openSession(version = '2025-11-25'): Promise<string> {
  const res = await post(initialize(version));
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('mcp-session-id')!;
}

/** A POST through node:http, which (unlike fetch) can leave Accept out altogether. */
async function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function leaksNothing(text: string) {
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toContain(server.idp!.url);
}

describe('HTTP statuses before JSON-RPC', () => {
  it('a client that hangs up halfway through its body costs nothing: no error logged, the server serves on', async () => {
    const { connect } = await import('node:net');
    const u = new URL(server.url);
    const before = logged.length;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => {
        socket.write(
          `POST /mcp/sales HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
            `Accept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n{"jsonrpc":"2.0",`,
          () => socket.destroy(),
        );
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // Whether it hung up while the token was checked or while the body was awaited, the request ends.
    await vi.waitFor(() => expect(logged.slice(before).join('\n')).toContain('the client closed the connection before its body arrived'));
    const res = await post(initialize());
    expect(res.status).toBe(200);
    await res.text();
    expect(logged.slice(before).filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('404 with a JSON body for an unknown agent', async () => {
    const res = await post(initialize(), mcpHeaders(token), 'nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'unknown_agent' });
  });

  it('403 for a disabled agent, before any token is looked at', async () => {
    const res = await fetch(server.mcpUrl('off'), { method: 'POST', body: '{}' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'agent_disabled' });
  });

  it('403 for a foreign Origin (DNS rebinding / CSRF)', async () => {
    const res = await post(initialize(), mcpHeaders(token, { origin: 'https://evil.example' }));
    expect(res.status).toBe(403);
    const ok = await post(initialize(), mcpHeaders(token, { origin: 'http://localhost:6274' }));
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it('403 for a foreign Host header, the SDK\'s refusal, every time (the decision is remembered per value)', async () => {
    const { request } = await import('node:http');
    const url = new URL(server.mcpUrl('sales'));
    const withHost = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...mcpHeaders(token), host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(initialize()));
      });
    for (let i = 0; i < 2; i++) {
      const foreign = await withHost('attacker.example');
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: 'Invalid Host: attacker.example' }, id: null });
      expect((await withHost(url.host)).status).toBe(200);
    }
  });

  it('406 when Accept does not list both media types', async () => {
    const res = await post(initialize(), { ...mcpHeaders(token), accept: 'application/json' });
    expect(res.status).toBe(406);
  });

  const contentTypeCases: Array<[string, number]> = [
    ['application/jsonx', 415],
    ['application/json-patch+json', 415],
    ['application/json; charset=iso-8859-1', 415],
    ['application/json; charset="UTF-16"', 415],
    ['Application/JSON', 200],
    ['application/json; charset=utf-8', 200],
    ['application/json;charset="UTF-8"', 200],
  ];

  // Accept is parsed as media ranges (RFC 9110 §12.5.1), not searched for substrings.
  const acceptCases: Array<[string, number]> = [
    ['application/jsonx, text/event-streamy', 406],
    ['application/json;q=0, text/event-stream', 406],
    ['application/json, text/event-stream;q=0.000', 406],
    ['application/json;q=0, */*', 406],
    ['*/*;q=0', 406],
    ['application/*', 406],
    ['text/*, application/json;q=2', 406],
    ['application / json, text/event-stream', 406],
    ['garbage', 406],
    ['APPLICATION/JSON, Text/Event-Stream', 200],
    ['application/json; charset=utf-8; q=0.9, text/event-stream; q=0.1', 200],
    ['*/*', 200],
    ['application/*, text/*', 200],
    ['text/event-stream, */*;q=0.5', 200],
    ['text/html;note="a, b", application/json, text/event-stream', 200],
  ];
  for (const [accept, status] of acceptCases) {
    it(`${status} for Accept: ${accept}`, async () => {
      const res = await post(initialize(), { ...mcpHeaders(token), accept });
      expect(res.status).toBe(status);
      const text = await res.text();
      if (status === 406) expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/^Not Acceptable/) } });
    });
  }

  it('the same decisions when each Accept and Content-Type comes again (they are remembered per value)', async () => {
    const cases: Array<[Record<string, string>, number]> = [
      ...acceptCases.map(([accept, status]): [Record<string, string>, number] => [{ accept }, status]),
      ...contentTypeCases.map(([contentType, status]): [Record<string, string>, number] => [{ 'content-type': contentType }, status]),
    ];
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(cases.map(async ([headers]) => (await post(initialize(), { ...mcpHeaders(token), ...headers })).status));
      expect(got).toEqual(cases.map(([, status]) => status));
    }
  });

  it('200 without any Accept header (no preference: both types acceptable)', async () => {
    const { accept: _omitted, ...headers } = mcpHeaders(token);
    const { status, headers: got } = await rawPost(server.mcpUrl('sales'), headers, JSON.stringify(initialize()));
    expect(status).toBe(200);
    expect(got['content-type']).toBe('text/event-stream');
  });

  it('the modern era parses Accept the same way', async () => {
    const star = await post(modernRequest('tools/list'), { ...modernHeaders(token, 'tools/list'), accept: '*/*' });
    expect(star.status).toBe(200);
    await star.text();
    const zero = await post(modernRequest('tools/list'), { ...modernHeaders(token, 'tools/list'), accept: 'application/json;q=0, text/event-stream' });
    expect(zero.status).toBe(406);
  });

  it('415 for a non-JSON Content-Type', async () => {
    const res = await post(initialize(), { ...mcpHeaders(token), 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
  });

  for (const [contentType, status] of contentTypeCases) {
    it(`${status} for Content-Type: ${contentType}`, async () => {
      const res = await post(initialize(), { ...mcpHeaders(token), 'content-type': contentType });
      expect(res.status).toBe(status);
      const text = await res.text();
      if (status === 415) expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/^Unsupported Media Type/) } });
    });
  }

  it('415 for a charset other than UTF-8 says what to send', async () => {
    const res = await post(initialize(), { ...mcpHeaders(token), 'content-type': 'application/json; charset=iso-8859-1' });
    expect(res.status).toBe(415);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toBe('Unsupported Media Type: the body must be UTF-8 JSON; send Content-Type: application/json; charset=utf-8 (not iso-8859-1).');
  });

  it('413 for a body over the limit', async () => {
    const big = { ...initialize(), padding: 'x'.repeat(10_000) };
    const res = await post(big);
    expect(res.status).toBe(413);
  });

  it('400 with a JSON-RPC parse error for invalid JSON, and for a non-object body', async () => {
    const res = await post('{"jsonrpc":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
    const scalar = await post('42');
    expect(scalar.status).toBe(400);
    expect(await scalar.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('405 for GET (no standalone stream) and for other methods', async () => {
    const get = await fetch(server.mcpUrl('sales'), { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    const put = await fetch(server.mcpUrl('sales'), { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toContain('POST');
  });
});

describe('service-wide switch', () => {
  it('MCP_ENABLED=false answers 403 on every agent, whatever the agent toggle says', async () => {
    const off = await startTestServer({ env: { MCP_ENABLED: 'false' } });
    try {
      const t = await off.token('alice');
      for (const agent of ['sales', 'service', 'dataverse']) {
        const res = await fetch(off.mcpUrl(agent), { method: 'POST', headers: mcpHeaders(t), body: JSON.stringify(initialize()) });
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: 'mcp_disabled' });
      }
      expect((await fetch(`${off.url}/.well-known/oauth-protected-resource/mcp/sales`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('2025-era sessions', () => {
  it('a request without a session id is served statelessly, and stores no session', async () => {
    const before = await countSessions();
    const res = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const msg = await readJsonRpc(res);
    expect(msg).toMatchObject({ id: 2 });
    expect((msg['result'] as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toContain('whoami');
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(await countSessions()).toBe(before);
  });

  it('without a session: an unsupported MCP-Protocol-Version is 400; batches only at 2025-03-26', async () => {
    const bad = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, mcpHeaders(token, { 'mcp-protocol-version': '1999-01-01' }));
    expect(bad.status).toBe(400);
    await bad.text();
    const batch = [
      { jsonrpc: '2.0', id: 7, method: 'ping' },
      { jsonrpc: '2.0', id: 8, method: 'ping' },
    ];
    const refused = await post(batch, mcpHeaders(token, { 'mcp-protocol-version': '2025-11-25' }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: -32600 } });
    const answered = await post(batch, mcpHeaders(token, { 'mcp-protocol-version': '2025-03-26' }));
    expect(answered.status).toBe(200);
    const text = await answered.text();
    expect(text).toContain('"id":7');
    expect(text).toContain('"id":8');
  });

  it('404 for an unknown session id, 404 for a malformed one', async () => {
    for (const id of ['A'.repeat(43), 'not a session id']) {
      const res = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }, mcpHeaders(token, { 'mcp-session-id': id }));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: -32001 } });
    }
  });

  it('202 for notifications', async () => {
    const sid = await openSession();
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, mcpHeaders(token, { 'mcp-session-id': sid }));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });

  it('400 for an unsupported or mismatching MCP-Protocol-Version', async () => {
    const sid = await openSession('2025-06-18');
    const bad = await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' }));
    expect(bad.status).toBe(400);
    const mismatch = await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }));
    expect(mismatch.status).toBe(400);
    const good = await post({ jsonrpc: '2.0', id: 6, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }));
    expect(good.status).toBe(200);
    expect((await readJsonRpc(good))['result']).toBeDefined();
  });

  it('batches: refused after 2025-03-26, answered for 2025-03-26 sessions', async () => {
    const sid = await openSession('2025-11-25');
    const batch = [
      { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      { jsonrpc: '2.0', id: 8, method: 'ping' },
    ];
    const refused = await post(batch, mcpHeaders(token, { 'mcp-session-id': sid }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: -32600 } });

    const old = await openSession('2025-03-26');
    const answered = await post(batch, mcpHeaders(token, { 'mcp-session-id': old }));
    expect(answered.status).toBe(200);
    const text = await answered.text();
    expect(text).toContain('"id":7');
    expect(text).toContain('"id":8');

    const initInBatch = await post([initialize(), { jsonrpc: '2.0', id: 9, method: 'ping' }]);
    expect(initInBatch.status).toBe(400);
  });

  it('400 -32602 for a malformed initialize', async () => {
    const malformed = [
      { protocolVersion: 5 },
      { protocolVersion: '2025-11-25', capabilities: 'none', clientInfo: { name: 'raw', version: '1' } },
      { protocolVersion: '2025-11-25', capabilities: {} },
    ];
    for (const params of malformed) {
      const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: -32602 }, id: 1 });
    }
  });

  it('initialize without capabilities (and without clientInfo.version) opens a session with no capabilities', async () => {
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', clientInfo: { name: 'curl' } } });
    expect(res.status).toBe(200);
    const msg = await readJsonRpc(res);
    expect(msg['result']).toMatchObject({ protocolVersion: '2025-11-25' });
    const session = await server.app.sessions.get(res.headers.get('mcp-session-id')!);
    expect(session).toMatchObject({ clientCapabilities: {}, clientInfo: { name: 'curl', version: '' } });
  });

  it('DELETE ends the session; the id then answers 404', async () => {
    const sid = await openSession();
    const del = await fetch(server.mcpUrl('sales'), { method: 'DELETE', headers: mcpHeaders(token, { 'mcp-session-id': sid }) });
    expect(del.status).toBe(200);
    const after = await post({ jsonrpc: '2.0', id: 10, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid }));
    expect(after.status).toBe(404);
    const again = await fetch(server.mcpUrl('sales'), { method: 'DELETE', headers: mcpHeaders(token, { 'mcp-session-id': sid }) });
    expect(again.status).toBe(404);
    const noId = await fetch(server.mcpUrl('sales'), { method: 'DELETE', headers: mcpHeaders(token) });
    expect(noId.status).toBe(400);
  });

  it("another user's session id answers 404 (and cannot be deleted)", async () => {
    const sid = await openSession();
    const bob = await server.token('bob');
    const hijack = await post({ jsonrpc: '2.0', id: 11, method: 'tools/list' }, mcpHeaders(bob, { 'mcp-session-id': sid }));
    expect(hijack.status).toBe(404);
    leaksNothing(await hijack.text());
    const del = await fetch(server.mcpUrl('sales'), { method: 'DELETE', headers: mcpHeaders(bob, { 'mcp-session-id': sid }) });
    expect(del.status).toBe(404);
    const owner = await post({ jsonrpc: '2.0', id: 12, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid }));
    expect(owner.status).toBe(200);
    await owner.text();
  });

  it('an id minted on one agent route is not valid on another', async () => {
    const sid = await openSession();
    const other = await post({ jsonrpc: '2.0', id: 13, method: 'tools/list' }, mcpHeaders(token, { 'mcp-session-id': sid }), 'off');
    expect(other.status).toBe(403);
  });
});

describe('modern era', () => {
  it('answers tools/list as JSON with no session and no Table write', async () => {
    const before = await countSessions();
    const res = await post(modernRequest('tools/list'), modernHeaders(token, 'tools/list'));
    expect(res.status).toBe(200);
    const msg = await readJsonRpc(res);
    expect((msg['result'] as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(await countSessions()).toBe(before);
  });

  it('unknown tool is a JSON-RPC -32602, bad arguments an isError result', async () => {
    const unknown = await post(modernRequest('tools/call', { name: 'nope', arguments: {} }), modernHeaders(token, 'tools/call', 'nope'));
    const u = await readJsonRpc(unknown);
    expect(u['error']).toMatchObject({ code: -32602 });
  });

  it('unsupported modern revision: 400 with the supported list', async () => {
    const body = modernRequest('tools/list');
    (body['params'] as { _meta: Record<string, string> })._meta['io.modelcontextprotocol/protocolVersion'] = '2099-01-01';
    const res = await post(body, modernHeaders(token, 'tools/list'));
    expect(res.status).toBe(400);
  });
});

async function countSessions(): Promise<number> {
  let n = 0;
  for await (const _ of server.app.tables.sessions.listEntities()) n++;
  return n;
}
