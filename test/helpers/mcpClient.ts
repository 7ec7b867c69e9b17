import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import type { TestServer } from './harness.js';

export interface ToolResult {
  isError?: boolean;
  text: string;
  data: Record<string, unknown>;
}

export interface TestClient {
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** Calls a confirmable tool, then confirms with the returned handle (as a user agreeing would). */
  callConfirmed(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  listTools(): Promise<Array<{ name: string; annotations?: Record<string, unknown> }>>;
  close(): Promise<void>;
}

function toResult(raw: unknown): ToolResult {
  const r = raw as { isError?: unknown; content?: unknown; structuredContent?: unknown };
  const content = Array.isArray(r.content) ? (r.content as Array<{ type: string; text?: string }>) : [];
  return { isError: r.isError === true, text: content[0]?.text ?? '', data: (r.structuredContent ?? {}) as Record<string, unknown> };
}

/**
 * An MCP client for a seeded user. `legacy` uses the 1.x SDK (2025-era session, confirmation
 * handles); `modern` the v2 client pinned to 2026-07-28 without elicitation (handles too).
 */
export async function connect(server: TestServer, user: string, agent: string, era: 'legacy' | 'modern' = 'legacy'): Promise<TestClient> {
  const token = await server.token(user);
  const init = { requestInit: { headers: { Authorization: `Bearer ${token}` } } };
  const url = new URL(server.mcpUrl(agent));
  let callTool: (name: string, args: Record<string, unknown>) => Promise<ToolResult>;
  let list: () => Promise<Array<{ name: string; annotations?: Record<string, unknown> }>>;
  let close: () => Promise<void>;
  if (era === 'legacy') {
    const client = new LegacyClient({ name: 'test', version: '1.0.0' });
    const transport = new LegacyTransport(url, init);
    await client.connect(transport);
    callTool = async (name, args) => toResult(await client.callTool({ name, arguments: args }));
    list = async () => (await client.listTools()).tools;
    close = async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    };
  } else {
    const client = new ModernClient({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(url, init));
    callTool = async (name, args) => toResult(await client.callTool({ name, arguments: args }));
    list = async () => (await client.listTools()).tools;
    close = () => client.close();
  }
  return {
    call: (name, args = {}) => callTool(name, args),
    async callConfirmed(name, args = {}) {
      const first = await callTool(name, args);
      if (first.isError || first.data['status'] !== 'confirmation_required') return first;
      const handle = (first.data['confirmation'] as { handle: string }).handle;
      return callTool(name, { ...args, confirmationHandle: handle });
    },
    listTools: () => list(),
    close: () => close(),
  };
}

/** The `result` of a completed confirmable tool, or the plain data of any other tool. */
export function resultOf<T = Record<string, unknown>>(r: ToolResult): T {
  if (r.isError) throw new Error(`tool failed: ${r.text}`);
  return (r.data['status'] === 'completed' ? r.data['result'] : r.data) as T;
}
