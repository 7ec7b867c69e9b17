/**
 * The servers `npm run bench` measures, one per process (scripts/bench.ts starts them): the raw
 * node:http ceiling, the peers in their documented stateless HTTP set-up with one echo tool (the
 * SDK's example, FastMCP, mcp-use) and ours (`npm start`'s composition with the test-only
 * conformance route). Each prints one JSON line `{ url, ... }` on stdout when it listens, and answers
 * `{ type: 'stats' | 'cpu' | 'reset' | 'stop' | 'profile-start' | 'profile-stop' }` on its IPC channel.
 *
 * Run: node dist/scripts/benchServers.js raw|sdk|fastmcp|mcp-use|ours
 */
import { channel } from 'node:diagnostics_channel';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type ClientRequest, createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';

import { freePort } from '../src/dev/azurite.js';

export type ServerKind = 'raw' | 'sdk' | 'fastmcp' | 'mcp-use' | 'ours';

/** What a server process reports on `stats` (counters since the last `reset`). */
export interface ServerStats {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 knows of (Buffers, wasm memory). */
  external: number;
  /** TCP connections this process opened, by what it connected to (ours only). */
  connections: Record<string, number>;
  /** Requests the Dataverse emulator served (ours only). */
  dataverseRequests: number;
  /** HTTP requests this process sent to Table Storage (Azurite), counted at node:http (ours only). */
  tableRequests: number;
}

/** What a server process prints once it listens. */
export interface ServerReady {
  url: string;
  /** Ours: a delegated token for alice, and the paths of the measured routes. */
  token?: string;
}

type Message = { type: 'stats' | 'cpu' | 'reset' | 'stop' } | { type: 'profile-start' } | { type: 'profile-stop'; dir: string };

const ECHO_TEXT = 'This is a simple text response for testing.';

async function raw(): Promise<ServerReady> {
  // The ceiling: parse the JSON body, answer a small JSON object; no MCP at all.
  const port = await freePort();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown };
      const answer = JSON.stringify({ jsonrpc: '2.0', id: body.id ?? null, result: { content: [{ type: 'text', text: ECHO_TEXT }] } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/mcp` };
}

async function sdk(): Promise<ServerReady> {
  // The SDK's documented stateless pattern: a factory building a McpServer per request,
  // createMcpHandler, mounted on node:http with toNodeHandler.
  const { McpServer, createMcpHandler } = await import('@modelcontextprotocol/server');
  const { toNodeHandler } = await import('@modelcontextprotocol/node');
  const { z } = await import('zod');
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'echo', version: '1.0.0' });
    server.registerTool('echo', { description: 'Echoes the text', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    return server;
  });
  const node = toNodeHandler(handler);
  const port = await freePort();
  const server = createServer((req, res) => void node(req, res));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/mcp` };
}

async function fastmcp(): Promise<ServerReady> {
  const { FastMCP } = await import('fastmcp');
  const { z } = await import('zod');
  const server = new FastMCP({ name: 'echo', version: '1.0.0' });
  server.addTool({ name: 'echo', description: 'Echoes the text', parameters: z.object({ text: z.string() }), execute: async ({ text }) => text });
  const port = await freePort();
  await server.start({ transportType: 'httpStream', httpStream: { port, host: '127.0.0.1', stateless: true } });
  return { url: `http://127.0.0.1:${port}/mcp` };
}

async function mcpUse(): Promise<ServerReady> {
  const { MCPServer } = await import('mcp-use');
  const { z } = await import('zod');
  const server = new MCPServer({ name: 'echo', version: '1.0.0' });
  server.tool({ name: 'echo', description: 'Echoes the text', inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  const port = await freePort();
  await server.listen(port, { host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${port}/mcp` };
}

interface Ours {
  ready: ServerReady;
  stats(): Pick<ServerStats, 'connections' | 'dataverseRequests' | 'tableRequests'>;
  reset(): void;
  close(): Promise<void>;
}

async function ours(): Promise<Ours> {
  const { startEmbedded, LOCAL_APP_ID_URI } = await import('../src/dev/embedded.js');
  const { CONFORMANCE_AGENT } = await import('../src/tools/conformance/index.js');
  const { findLocalUser } = await import('../src/emulator/users.js');
  const { silentLogger } = await import('../src/telemetry/log.js');
  const { randomBytes } = await import('node:crypto');

  // Every TCP connection this process opens (undici and the Table client use net.connect), by port.
  const opened = new Map<number, number>();
  channel('net.client.socket').subscribe((message) => {
    const socket = (message as { socket: Socket }).socket;
    socket.once('connect', () => opened.set(socket.remotePort ?? 0, (opened.get(socket.remotePort ?? 0) ?? 0) + 1));
  });

  // Every HTTP request this process sends through node:http (the Table client's transport), by port.
  const sent = new Map<number, number>();
  channel('http.client.request.start').subscribe((message) => {
    const port = Number((message as { request: ClientRequest }).request.getHeader('host')?.toString().split(':')[1] ?? 0);
    sent.set(port, (sent.get(port) ?? 0) + 1);
  });

  const product = JSON.parse(readFileSync('agents.json', 'utf8')) as { agents: unknown[] };
  const embedded = await startEmbedded({
    env: {
      AGENTS_JSON: JSON.stringify({ agents: [...product.agents, CONFORMANCE_AGENT] }),
      ENABLE_TEST_AGENTS: 'true',
      TABLES_PREFIX: `bench${randomBytes(4).toString('hex')}`,
    },
    log: silentLogger,
    emulator: true,
  });
  const token = await embedded.idp!.mintUserToken(findLocalUser('alice')!, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'], lifetimeSeconds: 3600 });
  const portOf = (url: string) => Number(new URL(url).port);
  const named = new Map<number, string>([
    [portOf(embedded.emulator!.url), 'dataverse'],
    [portOf(embedded.idp!.url), 'token endpoint'],
    ...(embedded.azurite ? ([[embedded.azurite.port, 'table storage']] as const) : []),
  ]);
  return {
    ready: { url: embedded.host.url, token },
    stats: () => {
      const connections: Record<string, number> = {};
      for (const [port, count] of opened) connections[named.get(port) ?? 'other'] = (connections[named.get(port) ?? 'other'] ?? 0) + count;
      const tableRequests = embedded.azurite ? (sent.get(embedded.azurite.port) ?? 0) : 0;
      return { connections, dataverseRequests: embedded.emulator!.requests.length, tableRequests };
    },
    reset: () => {
      opened.clear();
      sent.clear();
      embedded.emulator!.clearRequests();
    },
    close: () => embedded.close(),
  };
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  let extra: Ours | undefined;
  let ready: ServerReady;
  if (kind === 'raw') ready = await raw();
  else if (kind === 'sdk') ready = await sdk();
  else if (kind === 'fastmcp') ready = await fastmcp();
  else if (kind === 'mcp-use') ready = await mcpUse();
  else if (kind === 'ours') ready = (extra = await ours()).ready;
  else throw new Error(`unknown server kind ${String(kind)}`);

  // A CPU profile of the measured rounds only (start-up and seeding left out), through the inspector.
  let profiler: Session | undefined;
  const profile = async (message: Extract<Message, { type: 'profile-start' | 'profile-stop' }>): Promise<void> => {
    if (message.type === 'profile-start') {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      process.send?.({ type: 'profile-start' });
      return;
    }
    const { profile: taken } = (await profiler!.post('Profiler.stop')) as { profile: object };
    profiler!.disconnect();
    mkdirSync(message.dir, { recursive: true });
    const file = join(message.dir, `${kind}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(taken));
    process.send?.({ type: 'profile-stop', stats: file });
  };

  process.on('message', (message: Message) => {
    if (message.type === 'profile-start' || message.type === 'profile-stop') {
      void profile(message);
      return;
    }
    if (message.type === 'cpu') {
      // CPU time this process has used (user + system, µs): the bench divides a round's by its calls.
      const { user, system } = process.cpuUsage();
      process.send?.({ type: 'cpu', stats: user + system });
      return;
    }
    if (message.type === 'stop') {
      void (extra?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
    }
    if (message.type === 'reset') {
      extra?.reset();
      process.send?.({ type: 'reset' });
      return;
    }
    // Measured after a full collection, so the figure is what stays, not garbage not yet collected.
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    const stats: ServerStats = { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, connections: {}, dataverseRequests: 0, tableRequests: 0, ...extra?.stats() };
    process.send?.({ type: 'stats', stats });
  });
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
