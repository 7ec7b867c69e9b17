import { readFileSync } from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/app/buildApp.js';
import type { McpApp } from '../../src/http/mcpApp.js';
import { type NodeHost, startNodeHost } from '../../src/http/nodeHost.js';
import { openQueueService, queuesLocation } from '../../src/sessions/instanceMailbox.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { CONFORMANCE_AGENT } from '../../src/tools/conformance/index.js';
import { mcpHeaders, startTestServer, TEST_QUEUE_POLL, type TestServer } from '../helpers/harness.js';
import { duplicatingQueues } from '../helpers/wire.js';

const productAgents = (JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] }).agents;
const withFixture = JSON.stringify({ agents: [...productAgents, CONFORMANCE_AGENT] });

let a: TestServer;
let b: { app: McpApp; host: NodeHost };
let duplicated: ReturnType<typeof duplicatingQueues>;
beforeAll(async () => {
  a = await startTestServer({ env: { AGENTS_JSON: withFixture, ENABLE_TEST_AGENTS: 'true' } });
  // B posts every message twice, as a retried send after a lost acknowledgement would.
  duplicated = duplicatingQueues(await openQueueService(queuesLocation(a.config.queues)!));
  const app = await buildApp({ config: a.config, log: silentLogger, clock: a.clock.now, queues: { poll: TEST_QUEUE_POLL, service: duplicated.service } });
  b = { app, host: await startNodeHost(app, { allowedHosts: ['127.0.0.1'] }) };
});
afterAll(async () => {
  await b?.host.close();
  await b?.app.close();
  await a?.close();
});

const isAnswer = (body: unknown) => typeof body === 'object' && body !== null && 'result' in body && !('method' in body);

describe('server→client answers across instances (2025-era Streamable HTTP)', () => {
  it('a sampling answer POSTed to instance B reaches the tool call waiting on instance A, once', async () => {
    const token = await a.token('alice');
    const answeredOn: string[] = [];
    // The tool call (and everything else) goes to A; the client's answer lands on B, as a load balancer may send it.
    const balancer: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (typeof init?.body === 'string' && isAnswer(JSON.parse(init.body))) {
        url.host = new URL(b.host.url).host;
        answeredOn.push(url.origin);
      }
      return fetch(url, init);
    };
    const transport = new StreamableHTTPClientTransport(new URL(a.mcpUrl('conformance')), { requestInit: { headers: { Authorization: `Bearer ${token}` } }, fetch: balancer });
    const client = new Client({ name: 'hop-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
    const wireIds: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (_req, extra) => {
      wireIds.push(String(extra.requestId));
      return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' };
    });
    await client.connect(transport);
    try {
      const sent = duplicated.duplicates();
      const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } });
      expect(result.content).toEqual([{ type: 'text', text: 'LLM response: Paris' }]);
      // Asked by A (the id names it), answered on B, carried through A's queue, twice, and taken once.
      expect(wireIds).toHaveLength(1);
      expect(wireIds[0]).toMatch(new RegExp(`^srv\\.${a.app.streams.instance}\\.`));
      expect(answeredOn).toEqual([b.host.url]);
      expect(duplicated.duplicates()).toBe(sent + 1);
      expect(a.app.relay.waiting).toBe(0);
      expect(b.app.relay.waiting).toBe(0);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  it('an answer naming an instance that has ended, or none, is accepted with 202 and goes nowhere', async () => {
    const token = await a.token('alice');
    const init = await fetch(b.host.url + '/mcp/conformance', {
      method: 'POST',
      headers: mcpHeaders(token),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'x', version: '1' } } }),
    });
    const sid = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const answer = (id: string) =>
      fetch(b.host.url + '/mcp/conformance', {
        method: 'POST',
        headers: mcpHeaders(token, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }),
        body: JSON.stringify({ jsonrpc: '2.0', id, result: { role: 'assistant', content: { type: 'text', text: 'x' }, model: 'm' } }),
      });
    expect((await answer(`srv.0123456789abcdef.${'x'.repeat(24)}`)).status).toBe(202);
    expect((await answer('not-a-relay-id')).status).toBe(202);
  });
});
