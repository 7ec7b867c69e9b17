import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/**
 * What `curl -X POST <url> -H "Content-Type: application/json" -H "Authorization: Bearer $TOKEN" -d '<body>'`
 * sends: curl's own `Accept: * / *` (without the spaces), no MCP headers, no session id. The bodies are the
 * MCP-in-a-connector reference's, byte for byte, except that the tool called is one this server has.
 */
async function curl(token: string, body: string): Promise<Response> {
  return fetch(server.mcpUrl('sales'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: '*/*', 'User-Agent': 'curl/8.5.0', Authorization: `Bearer ${token}` },
    body,
  });
}

describe('the connector reference curl sequence (README: Testing with curl)', () => {
  it('initialize, tools/list and tools/call work without Accept negotiation, capabilities or Mcp-Session-Id', async () => {
    const token = await server.token('alice');

    const init = await curl(token, '{"jsonrpc":"2.0","method":"initialize","id":1,"params":{"protocolVersion":"2025-11-25","clientInfo":{"name":"test"}}}');
    expect(init.status).toBe(200);
    // Offered, and ignored by curl: what follows is served without it.
    expect(init.headers.get('mcp-session-id')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await readJsonRpc(init)).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25', serverInfo: { name: expect.any(String) } } });

    const list = await curl(token, '{"jsonrpc":"2.0","method":"tools/list","id":2}');
    expect(list.status).toBe(200);
    const listed = await readJsonRpc(list);
    expect(listed).toMatchObject({ id: 2 });
    expect((listed['result'] as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toContain('whoami');

    const call = await curl(token, '{"jsonrpc":"2.0","method":"tools/call","id":3,"params":{"name":"whoami","arguments":{}}}');
    expect(call.status).toBe(200);
    const called = await readJsonRpc(call);
    expect(called).toMatchObject({ id: 3 });
    expect((called['result'] as { isError?: boolean }).isError).toBeFalsy();
    const data = (called['result'] as { structuredContent: { user: { username: string }; protocol: { era: string; version: string } } }).structuredContent;
    expect(data.user.username).toBe('alice@contoso.example');
    // No session and no MCP-Protocol-Version header: the spec's default revision.
    expect(data.protocol).toEqual({ era: 'legacy', version: '2025-03-26' });
  });

  it('the same sequence without a token gets the 401 challenge that says where to authenticate', async () => {
    const res = await fetch(server.mcpUrl('sales'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: '*/*' },
      body: '{"jsonrpc":"2.0","method":"tools/list","id":2}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata="');
    await res.text();
  });
});
