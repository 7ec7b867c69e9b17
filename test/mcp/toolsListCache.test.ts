import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toolsListCacheOf } from '../../src/http/handleMcp.js';
import { toolsListKey } from '../../src/mcp/toolsListCache.js';
import { modernHeaders, modernRequest, readJsonRpc, startTestServer, type TestServer } from '../helpers/harness.js';

/**
 * Pre-serialised tools/list answers: the SDK answers the first request per agent and revision, later
 * ones get that answer. These tests fail if a cached answer drifts from what the SDK produces, leaks
 * across agents, or is served before authentication.
 */
let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = await server.token('alice');
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function list(agent: string, id: number | string, params: Record<string, unknown> = {}, headers: Record<string, string> = modernHeaders(token, 'tools/list')) {
  const res = await fetch(server.mcpUrl(agent), { method: 'POST', headers, body: JSON.stringify(modernRequest('tools/list', params, id)) });
  return { status: res.status, text: await res.clone().text(), message: res.status === 200 ? await readJsonRpc(res) : undefined };
}

describe('tools/list from the pre-serialised answer', () => {
  it('answers exactly what the SDK answers for the same request, under the caller’s id', async () => {
    const cache = toolsListCacheOf(server.app);
    const hits = cache.hits;
    const first = await list('sales', 1);
    expect(cache.hits).toBe(hits);
    const second = await list('sales', 'two');
    expect(cache.hits).toBe(hits + 1);
    // An extra params member is not a cache candidate: the SDK answers it, with the cache warm.
    const bySdk = await list('sales', 3, { extra: true });
    expect(cache.hits).toBe(hits + 1);

    expect(first.status).toBe(200);
    expect(second.message?.['id']).toBe('two');
    const { id: _a, ...fromSdk } = first.message!;
    const { id: _b, ...fromCache } = second.message!;
    const { id: _c, ...fromSdkWarm } = bySdk.message!;
    expect(fromCache).toEqual(fromSdk);
    expect(fromCache).toEqual(fromSdkWarm);
    // Byte for byte, apart from the id.
    expect(second.text).toBe(first.text.replace(/"id":1}$/, '"id":"two"}'));
    expect((fromCache['result'] as { tools: unknown[] }).tools.length).toBeGreaterThan(5);
  });

  it('keeps one answer per agent route', async () => {
    const sales = await list('sales', 1);
    const service = await list('service', 1);
    await list('service', 2);
    const names = (m: typeof sales) => (m.message!['result'] as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names(sales)).toContain('D365_Sales_ListLeads');
    expect(names(service)).not.toContain('D365_Sales_ListLeads');
    expect(names(await list('service', 3))).toEqual(names(service));
  });

  it('authenticates before it answers, and leaves malformed requests to the SDK', async () => {
    await list('sales', 1);
    const hits = toolsListCacheOf(server.app).hits;
    const anonymous = await list('sales', 2, {}, modernHeaders('', 'tools/list'));
    expect(anonymous.status).toBe(401);
    // Mcp-Method naming another method than the body: the SDK's cross-check refuses it.
    const mismatched = await list('sales', 3, {}, modernHeaders(token, 'tools/call'));
    expect(mismatched.status).toBe(400);
    // A cursor: the handler refuses it (single page).
    const cursor = await list('sales', 4, { cursor: 'x' });
    expect(cursor.text).toMatch(/Invalid cursor/);
    expect(toolsListCacheOf(server.app).hits).toBe(hits);
  });

  it('has room in its key for the privilege set discovery will be filtered by', () => {
    const base = { agentId: 'sales', revision: '2026-07-28' };
    expect(toolsListKey(base)).not.toBe(toolsListKey({ ...base, privileges: 'roles:abc' }));
    expect(toolsListKey({ ...base, privileges: 'roles:abc' })).not.toBe(toolsListKey({ ...base, privileges: 'roles:def' }));
    expect(toolsListKey(base)).not.toBe(toolsListKey({ ...base, agentId: 'service' }));
  });
});
