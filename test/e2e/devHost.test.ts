import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { freePortBlock } from '../dev/net.js';

const run = promisify(execFile);

let dataDir: string;
let port: number;
let child: ChildProcess | undefined;
const env = () => ({ ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

async function start(args: string[] = []): Promise<string> {
  child = spawn(process.execPath, ['dist/src/dev/start.js', ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // Up to a minute of polls, counted rather than read off the clock.
  for (let poll = 0; poll < 240; poll++) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${out}`);
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    // Healthy first, then the banner is written: wait for both (its last line).
    if (res?.status === 200 && out.includes('Press Ctrl+C to stop.')) return out;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not healthy in time: ${out}`);
}

async function stop(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** A token as `npm run token` mints it; without PORT, as from a shell that did not start the host. */
async function token(user: string, agent = 'sales', options: { withPort?: boolean } = {}): Promise<string> {
  const { PORT: _port, ...withoutPort } = env();
  const { stdout } = await run(process.execPath, ['dist/scripts/token.js', '--user', user, '--agent', agent], { env: options.withPort === false ? withoutPort : env() });
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

    // The host's runtime file tells the token script its issuer, so PORT need not be repeated.
    const runtime = JSON.parse(await readFile(join(dataDir, 'dev-host.json'), 'utf8')) as { url: string; identityProvider: { issuer: string } };
    expect(runtime).toMatchObject({ url: `http://127.0.0.1:${port}`, identityProvider: { issuer: expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port + 1}/`)) } });
    const alice = await token('alice', 'sales', { withPort: false });
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

  it('a second npm start on the same ports and DATA_DIR stops with a clear message and leaves the first alone', async () => {
    await stop();
    await start();
    const second = spawn(process.execPath, ['dist/src/dev/start.js'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    second.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(second, 'exit')) as [number | null];
    expect(code).toBe(1);
    // Azurite's port is the first one claimed.
    expect(stderr).toContain(`Port ${port + 3} (Azurite Table Storage) is already in use — another \`npm start\` (pid ${child!.pid}, http://127.0.0.1:${port}) is running with this DATA_DIR.`);
    expect(stderr).toMatch(/Stop it, or move every port and the data with PORT=(\d+) DATA_DIR=\S+-\1 npm start\.\n$/);
    expect(stderr).not.toMatch(/^\s+at /m);

    // The first host still runs and answers, and its runtime file is still there for the token script.
    expect(child!.exitCode).toBeNull();
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toHaveProperty('parts');
    expect(JSON.parse(await readFile(join(dataDir, 'dev-host.json'), 'utf8'))).toMatchObject({ pid: child!.pid });

    // A token from another DATA_DIR's key would be refused by this host: the script says so instead.
    const otherDir = await mkdtemp(join(tmpdir(), 'dvmcp-e2e-other-'));
    const other = await run(process.execPath, ['dist/scripts/token.js', '--user', 'alice'], { env: { ...env(), DATA_DIR: otherDir } }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    await rm(otherDir, { recursive: true, force: true });
    expect(other?.code).toBe(1);
    expect(other?.stderr).toContain(`The identity provider at http://127.0.0.1:${port + 1} signs with another key than the one in DATA_DIR=${otherDir}`);

    // A clean stop removes the runtime file.
    await stop();
    await expect(access(join(dataDir, 'dev-host.json'))).rejects.toThrow();
  }, 120_000);

  it('the compiled Functions entry points load outside the host', async () => {
    const { stderr } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      "await import('./dist/functions/mcp.js'); await import('./dist/functions/wellKnown.js'); await import('./dist/functions/health.js'); await import('./dist/functions/sweep.js'); console.log('loaded')",
    ]);
    expect(stderr).not.toMatch(/Error/);
  });
});
