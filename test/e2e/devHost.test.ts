import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Four consecutive free loopback ports: the server and its embedded parts use PORT..PORT+3. */
async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const servers = [];
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const s = createServer();
      const result = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => resolve(true));
      });
      servers.push(s);
      if (!result) {
        ok = false;
        break;
      }
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    if (ok) return base;
  }
  throw new Error('no free port block');
}

let dataDir: string;
let port: number;
let child: ChildProcess | undefined;
const env = () => ({ ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

async function start(args: string[] = []): Promise<string> {
  child = spawn(process.execPath, ['dist/src/dev/start.js', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${out}`);
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (res?.status === 200) return out;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not healthy in time: ${out}`);
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function token(user: string, agent = 'sales'): Promise<string> {
  const { stdout } = await run(process.execPath, ['dist/scripts/token.js', '--user', user, '--agent', agent], { env: env() });
  const lines = stdout.trim().split('\n');
  return lines[lines.length - 1]!;
}

beforeAll(async () => {
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  dataDir = await mkdtemp(join(tmpdir(), 'dvmcp-e2e-'));
  port = await freePortBlock();
}, 120_000);

afterAll(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start (compiled dev host)', () => {
  it('serves every agent, mints tokens, keeps sessions across a restart, and --reset starts clean', async () => {
    const banner = await start();
    for (const agent of ['sales', 'service', 'dataverse']) expect(banner).toContain(`http://127.0.0.1:${port}/mcp/${agent}`);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { parts: Record<string, string> };
    expect(health.parts).toMatchObject({ tables: 'ok', identity: 'ok', dataverse: 'ok' });

    const alice = await token('alice');
    expect(alice.split('.')).toHaveLength(3);
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp/sales`), {
      requestInit: { headers: { Authorization: `Bearer ${alice}` } },
    });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    const first = await client.callTool({ name: 'whoami', arguments: {} });
    expect(JSON.stringify(first.structuredContent)).toContain('alice@contoso.example');

    // A new process on the same data: the stored session and the signing key carry over.
    await stop();
    await start();
    const again = await client.callTool({ name: 'whoami', arguments: {} });
    expect(again.isError).toBeFalsy();

    // --reset wipes sessions and keys: the old session is gone and the old token no longer verifies.
    await stop();
    await start(['--reset']);
    await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow();
    const res = await fetch(`http://127.0.0.1:${port}/mcp/sales`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(res.status).toBe(401);
    await client.close().catch(() => undefined);
  }, 180_000);

  it('the compiled Functions entry points load outside the host', async () => {
    const { stderr } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      "await import('./dist/functions/mcp.js'); await import('./dist/functions/wellKnown.js'); await import('./dist/functions/health.js'); await import('./dist/functions/sweep.js'); console.log('loaded')",
    ]);
    expect(stderr).not.toMatch(/Error/);
  });
});
