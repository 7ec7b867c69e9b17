import { readFileSync } from 'node:fs';

import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/config.js';
import { CONFORMANCE_AGENT } from '../../src/tools/conformance/index.js';
import { mcpHeaders, startTestServer, type TestServer } from '../helpers/harness.js';

const productAgents = (JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] }).agents;
const withFixture = JSON.stringify({ agents: [...productAgents, CONFORMANCE_AGENT] });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ emulator: true, env: { AGENTS_JSON: withFixture, ENABLE_TEST_AGENTS: 'true' } });
});
afterAll(async () => {
  await server?.close();
});

async function legacyClient(user = 'alice', capabilities: Record<string, object> = { sampling: {}, elicitation: {} }) {
  const token = await server.token(user);
  const client = new LegacyClient({ name: 'fixture-test', version: '1.0.0' }, { capabilities });
  const transport = new LegacyTransport(new URL(server.mcpUrl('conformance')), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return { client, transport };
}

describe('the test-only route', () => {
  it('is not served unless ENABLE_TEST_AGENTS is set, and a deployment cannot set it', async () => {
    const plain = await startTestServer({ emulator: false, env: { AGENTS_JSON: withFixture } });
    try {
      const res = await fetch(plain.mcpUrl('conformance'), {
        method: 'POST',
        headers: mcpHeaders(await plain.token()),
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
    expect(() => loadConfig({ AGENTS_JSON: withFixture, ENABLE_TEST_AGENTS: 'true', WEBSITE_HOSTNAME: 'dv-mcp.azurewebsites.net' })).toThrow(/cannot be set on a deployment/);
    const sneaky = JSON.stringify({ agents: [{ ...CONFORMANCE_AGENT, id: 'sneaky', testOnly: false }] });
    expect(() => loadConfig({ AGENTS_JSON: sneaky })).toThrow(/conformance fixture is for testOnly agents only/);
  });
});

describe('2025-era server→client requests', () => {
  it('asks the client on the call stream and runs again with its answer (sampling, elicitation)', async () => {
    const { client, transport } = await legacyClient();
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      asked.push(`sampling:${(req.params.messages[0]!.content as { text: string }).text}`);
      return { role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'test-model', stopReason: 'endTurn' };
    });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(`elicit:${req.params.message}`);
      return { action: 'accept', content: { response: 'yes' } };
    });
    try {
      const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } });
      expect(sampled.content).toEqual([{ type: 'text', text: 'LLM response: Paris' }]);
      const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Proceed?' } });
      expect(elicited.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"response":"yes"}' }]);
      expect(asked).toEqual(['sampling:Capital of France?', 'elicit:Proceed?']);
      expect(server.app.relay.waiting).toBe(0);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  it('refuses when the client did not declare the capability, and asks nothing', async () => {
    const { client, transport } = await legacyClient('alice', {});
    try {
      const result = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } });
      expect(result.isError).toBe(true);
      expect((result.content as Array<{ text: string }>)[0]!.text).toMatch(/needs the client to support sampling/);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  it('accepts an answer only from the session and user it was asked of, once', async () => {
    const { client, transport } = await legacyClient();
    const other = await legacyClient('sam');
    let answer: (() => Promise<void>) | undefined;
    const wireIds: string[] = [];
    // The client records the request id and answers late, after others have tried to answer in its place.
    client.setRequestHandler(CreateMessageRequestSchema, async (_req, extra) => {
      wireIds.push(String(extra.requestId));
      await new Promise<void>((resolve) => (answer = async () => resolve()));
      return { role: 'assistant', content: { type: 'text', text: 'genuine' }, model: 'm', stopReason: 'endTurn' };
    });
    try {
      const call = client.callTool({ name: 'test_sampling', arguments: { prompt: 'p' } });
      while (!answer) await new Promise((r) => setTimeout(r, 5));
      const wireId = wireIds[0]!;
      expect(wireId).toMatch(/^srv\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16,}$/);
      const forged = { jsonrpc: '2.0', id: wireId, result: { role: 'assistant', content: { type: 'text', text: 'forged' }, model: 'm' } };
      // Another user's session posting the same id: accepted at HTTP level (no probing), delivered nowhere.
      const foreign = await fetch(server.mcpUrl('conformance'), {
        method: 'POST',
        headers: mcpHeaders(await server.token('sam'), { 'mcp-session-id': other.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' }),
        body: JSON.stringify(forged),
      });
      expect(foreign.status).toBe(202);
      expect(server.app.relay.waiting).toBe(1);
      await answer();
      const result = await call;
      expect(result.content).toEqual([{ type: 'text', text: 'LLM response: genuine' }]);
      // Replaying the genuine answer finds nothing waiting.
      const replay = await fetch(server.mcpUrl('conformance'), {
        method: 'POST',
        headers: mcpHeaders(await server.token('alice'), { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' }),
        body: JSON.stringify(forged),
      });
      expect(replay.status).toBe(202);
      expect(server.app.relay.waiting).toBe(0);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await other.transport.terminateSession().catch(() => undefined);
      await Promise.all([client.close(), other.client.close()]);
    }
  });
});

describe('logging', () => {
  it('sends log notifications in a 2025 session only after logging/setLevel, which the session row keeps', async () => {
    const { client, transport } = await legacyClient();
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      logs.push(`${n.params.level}:${String(n.params.data)}`);
    });
    try {
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      expect(logs).toEqual([]);
      await client.setLoggingLevel('info');
      expect((await server.app.sessions.get(transport.sessionId!))?.logLevel).toBe('info');
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      expect(logs).toEqual(['info:Tool execution started', 'info:Tool processing data', 'info:Tool execution completed']);
      await client.setLoggingLevel('warning');
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      expect(logs).toHaveLength(3);
      await expect(client.request({ method: 'logging/setLevel', params: { level: 'loud' } } as never, LoggingMessageNotificationSchema as never)).rejects.toThrow();
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  it('sends them in 2026-07-28 only for a request whose _meta names a log level', async () => {
    const token = await server.token();
    const client = new ModernClient({ name: 'fixture-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(server.mcpUrl('conformance')), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    const logs: unknown[] = [];
    client.fallbackNotificationHandler = async (n) => {
      if (n.method === 'notifications/message') logs.push(n.params);
    };
    try {
      await client.callTool({ name: 'test_logging_tool', arguments: {} });
      expect(logs).toEqual([]);
      await client.callTool({ name: 'test_logging_tool', arguments: {}, _meta: { 'io.modelcontextprotocol/logLevel': 'debug' } });
      expect(logs).toEqual([{ level: 'info', data: 'Diagnostic trace logging activated', logger: 'test_logging_tool' }]);
    } finally {
      await client.close();
    }
  });
});

describe('subscriptions', () => {
  it('are acknowledged for the fixture in the 2025 era and are no method in 2026-07-28', async () => {
    const { client, transport } = await legacyClient();
    try {
      expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
      await expect(client.subscribeResource({ uri: 'test://watched-resource' })).resolves.toEqual({});
      await expect(client.subscribeResource({ uri: 'test://nothing-here' })).rejects.toThrow(/Resource not found/);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
    const res = await fetch(server.mcpUrl('conformance'), {
      method: 'POST',
      headers: mcpHeaders(await server.token(), { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'resources/subscribe', 'mcp-name': 'test://watched-resource' }),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'resources/subscribe',
        params: { uri: 'test://watched-resource', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
      }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32601);
  });
});
