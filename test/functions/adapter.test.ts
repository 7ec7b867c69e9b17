import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mcpFunction } from '../../functions/mcp.js';
import { modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const context = () => new InvocationContext({ functionName: 'mcp', invocationId: 'test' });

describe('Azure Functions adapter', () => {
  it('serves the same handler: 2025-era initialize then tools/call through HttpRequest/HttpResponseInit', async () => {
    const handler = mcpFunction(async () => server.app);
    const token = await server.token('alice');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await handler(
      new HttpRequest({
        method: 'POST',
        url: server.mcpUrl('sales'),
        headers,
        params: { agentId: 'sales' },
        body: { string: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fx', version: '1' } } }) },
      }),
      context(),
    );
    expect(init.status).toBe(200);
    const sid = (init.headers as Record<string, string>)['mcp-session-id'];
    expect(sid).toBeTruthy();
    const initBody = await readJsonRpc(new Response(init.body as ReadableStream, { headers: init.headers as Record<string, string> }));
    expect(initBody['result']).toMatchObject({ protocolVersion: '2025-11-25' });

    const call = await handler(
      new HttpRequest({
        method: 'POST',
        url: server.mcpUrl('sales'),
        headers: { ...headers, 'mcp-session-id': sid!, 'mcp-protocol-version': '2025-11-25' },
        params: { agentId: 'sales' },
        body: { string: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }) },
      }),
      context(),
    );
    expect(call.status).toBe(200);
    const result = await readJsonRpc(new Response(call.body as ReadableStream, { headers: call.headers as Record<string, string> }));
    expect(JSON.stringify(result)).toContain('alice@contoso.example');
  });

  it('hands a shared server\'s prepared 2026-07-28 answer over as its bytes, with its length', async () => {
    const handler = mcpFunction(async () => server.app);
    const served = server.app.shared!.stats().served;
    const res = await handler(
      new HttpRequest({
        method: 'POST',
        url: server.mcpUrl('sales'),
        headers: modernHeaders(await server.token('alice'), 'tools/call', 'whoami'),
        params: { agentId: 'sales' },
        body: { string: JSON.stringify(modernRequest('tools/call', { name: 'whoami', arguments: {} }, 7)) },
      }),
      context(),
    );
    expect(server.app.shared!.stats().served).toBe(served + 1);
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json' });
    // Its JSON text as it is (a string; a cached tools/list hands over bytes), no web Response in between.
    expect(typeof res.body).toBe('string');
    const message = JSON.parse(res.body as string) as Record<string, unknown>;
    expect(message).toMatchObject({ jsonrpc: '2.0', id: 7 });
    expect(JSON.stringify(message['result'])).toContain('alice@contoso.example');
  });

  it('answers 404 for an unknown agent and 503 while the app cannot start', async () => {
    const handler = mcpFunction(async () => server.app);
    const res = await handler(new HttpRequest({ method: 'POST', url: `${server.url}/mcp/x`, params: { agentId: 'x' }, body: { string: '{}' } }), context());
    expect(res.status).toBe(404);
    const failing = mcpFunction(async () => {
      throw new Error('storage down');
    });
    const down = await failing(new HttpRequest({ method: 'POST', url: server.mcpUrl('sales'), params: { agentId: 'sales' } }), context());
    expect(down.status).toBe(503);
    expect(JSON.stringify(down.body)).not.toContain('storage down');
  });

  it('host.json serves /mcp/{agentId} with an empty route prefix', async () => {
    const { readFile } = await import('node:fs/promises');
    const host = JSON.parse(await readFile('host.json', 'utf8')) as { extensions: { http: { routePrefix: string } } };
    expect(host.extensions.http.routePrefix).toBe('');
  });
});
