import { readFileSync } from 'node:fs';

import { Server, type ServerOptions, type Transport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, expect } from 'vitest';

import { CONFORMANCE_AGENT } from '../../src/tools/conformance/index.js';
import { startTestServer, type TestServer } from './harness.js';

const productAgents = (JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] }).agents;
const AGENTS_JSON = JSON.stringify({ agents: [...productAgents, CONFORMANCE_AGENT] });

export interface ServerPair {
  shared: TestServer;
  perRequest: TestServer;
}

/** Two servers with the product agents and the conformance fixture: shared long-lived servers (the default), and one built per request. */
export async function startServerPair(): Promise<ServerPair> {
  const [shared, perRequest] = await Promise.all([
    startTestServer({ env: { AGENTS_JSON, ENABLE_TEST_AGENTS: 'true' } }),
    startTestServer({ env: { AGENTS_JSON, ENABLE_TEST_AGENTS: 'true', MCP_SHARED_SERVERS: 'false' } }),
  ]);
  return { shared, perRequest };
}

/** A server pair for the whole file: started before its tests (handed to `assign`), closed after them. */
export function useServerPair(assign: (pair: ServerPair) => void): void {
  let pair: ServerPair | undefined;
  beforeAll(async () => {
    pair = await startServerPair();
    assign(pair);
  });
  afterAll(async () => {
    await Promise.all([pair?.shared.close(), pair?.perRequest.close()]);
  });
}

/** A bare SDK server on `transport` whose tool `echo` answers and whose other tools wait until their call is cancelled. */
export async function waitingServer<T extends Transport>(transport: T, options: ServerOptions = {}) {
  const server = new Server({ name: 'mux-test', version: '1.0.0' }, { capabilities: { tools: {} }, ...options });
  const aborted: string[] = [];
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  server.setRequestHandler('tools/call', async (message, ctx) => {
    if (message.params.name === 'echo') return { content: [{ type: 'text', text: String(message.params.arguments?.['text']) }] };
    started();
    await new Promise<void>((resolve) => ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted.push(message.params.name);
    return { content: [{ type: 'text', text: 'too late' }] };
  });
  await server.connect(transport);
  return { server, mux: transport, aborted, running };
}

/** Three concurrent echo calls with the same client id (42) each get their own answer, and the multiplexer keeps nothing. */
export async function expectOwnAnswers(mux: { open: number; served: number }, answerOf: (text: string) => Promise<unknown>): Promise<void> {
  const answers = await Promise.all(['a', 'b', 'c'].map(answerOf));
  expect(answers).toEqual(['a', 'b', 'c'].map((text) => expect.objectContaining({ id: 42, result: expect.objectContaining({ content: [{ type: 'text', text }] }) })));
  expect(mux.open).toBe(0);
  expect(mux.served).toBe(3);
}
