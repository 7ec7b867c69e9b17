import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/app/buildApp.js';
import type { McpApp } from '../../src/http/mcpApp.js';
import { type NodeHost, startNodeHost } from '../../src/http/nodeHost.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { mcpHeaders, startTestServer, type TestServer } from '../helpers/harness.js';

/** A second, independent instance (own handlers, caches and Table clients) on the same storage. */
async function startPeer(a: TestServer, port = 0): Promise<{ app: McpApp; host: NodeHost }> {
  const config = a.config;
  // Its own Table clients, caches and handlers: only the storage is shared.
  const app = await buildApp({ config, log: silentLogger, clock: a.clock.now });
  const host = await startNodeHost(app, { port, allowedOrigins: ['localhost'], allowedHosts: ['127.0.0.1', 'localhost'] });
  return { app, host };
}

let a: TestServer;
let b: { app: McpApp; host: NodeHost };
beforeAll(async () => {
  a = await startTestServer();
  b = await startPeer(a);
});
afterAll(async () => {
  await b?.host.close();
  await a?.close();
});

describe('2025-era sessions across instances', () => {
  it('a session initialised on one instance continues on the other; DELETE on one is seen by the other within SESSION_CACHE_SECONDS', async () => {
    const token = await a.token('alice');
    const hosts = [a.url, b.host.url];
    const seen: string[] = [];
    let turn = 0;
    // Alternate every HTTP request between the two instances, as a load balancer might.
    const balancingFetch: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const target = new URL(hosts[turn++ % 2]!);
      url.host = target.host;
      seen.push(url.port);
      return fetch(url, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(a.mcpUrl('sales')), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
      fetch: balancingFetch,
    });
    const client = new Client({ name: 'balanced', version: '1.0.0' });
    await client.connect(transport);
    const sid = transport.sessionId!;
    for (let i = 0; i < 4; i++) {
      const r = await client.callTool({ name: 'whoami', arguments: {} });
      expect(r.isError).toBeFalsy();
    }
    expect(new Set(seen).size).toBe(2);

    const del = await fetch(`${b.host.url}/mcp/sales`, { method: 'DELETE', headers: mcpHeaders(token, { 'mcp-session-id': sid }) });
    expect(del.status).toBe(200);
    const list = (host: string) =>
      fetch(`${host}/mcp/sales`, { method: 'POST', headers: mcpHeaders(token, { 'mcp-session-id': sid }), body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }) });
    // The instance that deleted it forgets it at once; the other may serve its remembered copy
    // (to this user only) until its cache entry ends, then reads the store and finds nothing.
    expect((await list(b.host.url)).status).toBe(404);
    a.clock.advance(a.config.sessions.cacheSeconds * 1000 + 1);
    expect((await list(a.url)).status).toBe(404);
    await client.close();
  });

  it('a session survives a restart of the instance serving it (same storage, new memory)', async () => {
    const token = await a.token('bob');
    const port = Number(new URL(b.host.url).port);
    const transport = new StreamableHTTPClientTransport(new URL(`${b.host.url}/mcp/service`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'restart', version: '1.0.0' });
    await client.connect(transport);
    expect((await client.callTool({ name: 'whoami', arguments: {} })).isError).toBeFalsy();

    await b.host.close();
    await b.app.close();
    b = await startPeer(a, port);
    expect(b.host.url).toContain(`:${port}`);

    const after = await client.callTool({ name: 'whoami', arguments: {} });
    expect((after.structuredContent as { user: { username: string } }).user.username).toBe('bob@contoso.example');
    expect(transport.sessionId).toBeDefined();
    await client.close();
  });
});
