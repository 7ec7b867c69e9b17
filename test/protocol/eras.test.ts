import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function authHeaders(token: string) {
  return { requestInit: { headers: { Authorization: `Bearer ${token}` } } };
}

describe('both protocol eras on every agent route', () => {
  for (const agent of ['sales', 'service', 'dataverse']) {
    it(`modern 2026-07-28 client lists tools and calls whoami on /mcp/${agent}`, async () => {
      const token = await server.token('alice');
      const client = new ModernClient({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      await client.connect(new ModernTransport(new URL(server.mcpUrl(agent)), authHeaders(token)));
      expect(client.getDiscoverResult()).toBeDefined();
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('whoami');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.isError).toBeFalsy();
      const data = result.structuredContent as { user: { username: string }; agent: { id: string }; protocol: { era: string; version: string } };
      expect(data.user.username).toBe('alice@contoso.example');
      expect(data.agent.id).toBe(agent);
      expect(data.protocol).toEqual({ era: 'modern', version: '2026-07-28' });
      await client.close();
    });

    it(`2025-era client (SDK 1.x) opens a session, lists tools and calls whoami on /mcp/${agent}`, async () => {
      const token = await server.token('bob');
      const client = new LegacyClient({ name: 'legacy-test', version: '1.0.0' });
      const transport = new LegacyTransport(new URL(server.mcpUrl(agent)), authHeaders(token));
      await client.connect(transport);
      expect(transport.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('whoami');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const data = result.structuredContent as { user: { username: string }; protocol: { era: string; version: string } };
      expect(data.user.username).toBe('bob@contoso.example');
      expect(data.protocol).toEqual({ era: 'legacy', version: '2025-11-25' });
      await transport.terminateSession();
      await client.close();
    });
  }

  it('a default (legacy-mode) v2 client works too, and both eras list the same tools', async () => {
    const token = await server.token('alice');
    const legacy = new ModernClient({ name: 'v2-legacy', version: '1.0.0' });
    await legacy.connect(new ModernTransport(new URL(server.mcpUrl('sales')), authHeaders(token)));
    const modern = new ModernClient({ name: 'v2-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await modern.connect(new ModernTransport(new URL(server.mcpUrl('sales')), authHeaders(token)));
    const [a, b] = await Promise.all([legacy.listTools(), modern.listTools()]);
    expect(a.tools.map((t) => t.name)).toEqual(b.tools.map((t) => t.name));
    expect(a.tools[0]?.inputSchema).toEqual(b.tools[0]?.inputSchema);
    await legacy.close();
    await modern.close();
  });

  it('negotiates older 2025 revisions and records them on the session', async () => {
    for (const version of ['2025-03-26', '2025-06-18']) {
      const token = await server.token('alice');
      const res = await fetch(server.mcpUrl('sales'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
      });
      expect(res.status).toBe(200);
      const id = res.headers.get('mcp-session-id');
      expect(id).toBeTruthy();
      await res.text();
      const session = await server.app.sessions.get(id!);
      expect(session?.protocolVersion).toBe(version);
      expect(session?.agentId).toBe('sales');
    }
  });
});
