import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, appendFile, cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type DevHostRuntime, LOCAL_APP_ID_URI, RUNTIME_FILE } from '../../src/dev/embedded.js';
import { LOCAL_TENANT_ID } from '../../src/emulator/users.js';
import { freePortBlock } from './net.js';

const run = promisify(execFile);

/**
 * `npm run token` runs in a copy of the project (sources, configs, package.json; node_modules
 * linked), so the build it does never races the other tests' builds in ./dist.
 */
let project: string;
let dataDir: string;
/** DATA_DIR as the script shows it: relative to the project, where npm runs it. */
const shownDataDir = 'data';

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'dvmcp-token-'));
  for (const entry of ['src', 'functions', 'scripts', 'views', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'agents.json', 'agents.schema.json']) {
    await cp(resolve(entry), join(project, entry), { recursive: true });
  }
  await symlink(resolve('node_modules'), join(project, 'node_modules'), 'dir');
  await run('npm', ['run', '--silent', 'build'], { cwd: project });
  dataDir = join(project, 'data');
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the copy with only the settings given (none inherited from this shell). */
async function inProject(command: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(command, args, { cwd: project, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code: code ?? -1, stdout, stderr };
}

const token = (args: string[], env: Record<string, string> = {}) => inProject(process.execPath, ['dist/scripts/token.js', ...args], { DATA_DIR: dataDir, ...env });

function claims(result: Result): Record<string, unknown> {
  expect(result).toMatchObject({ code: 0 });
  const jwt = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('npm run token', () => {
  it.each(['0', '25', '24.5', '-3', 'abc', '', 'Infinity'])('--hours %j is refused with exit code 2', async (hours) => {
    const result = await token(['--user', 'alice', `--hours=${hours}`]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `--hours must be a number from 1 to 24 (got "${hours}").\n` });
  });

  it('--hours within 1..24 sets the lifetime (8 h by default)', async () => {
    const two = claims(await token(['--user', 'alice', '--hours', '2']));
    expect(Number(two['exp']) - Number(two['iat'])).toBe(2 * 3600);
    const byDefault = claims(await token(['--user', 'alice']));
    expect(Number(byDefault['exp']) - Number(byDefault['iat'])).toBe(8 * 3600);
  });

  it("--agent sets the audience to the agent's own, or the local app id URI", async () => {
    const agents = {
      agents: [
        { id: 'custom', title: 'Custom', toolsets: ['core'], audiences: ['api://custom-agent', 'c0ffee00-0000-4000-8000-000000000001'] },
        { id: 'plain', title: 'Plain', toolsets: ['core'] },
      ],
    };
    const env = { AGENTS_JSON: JSON.stringify(agents) };
    expect(claims(await token(['--user', 'bob', '--agent', 'custom'], env))).toMatchObject({ aud: 'api://custom-agent', scp: 'access_as_user' });
    expect(claims(await token(['--user', 'bob', '--agent', 'plain'], env))).toMatchObject({ aud: LOCAL_APP_ID_URI });
    expect(await token(['--user', 'bob', '--agent', 'nope'], env)).toMatchObject({ code: 2, stderr: 'Unknown agent "nope". Agents: custom, plain.\n' });
  });

  it('a command line it cannot parse is a usage error (exit code 2)', async () => {
    const result = await token(['--user', 'alice', '--hours']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Option '--hours <value>' argument missing");
    expect(result.stderr).toContain('Usage: npm run token -- --user <');
  });

  it('without a running dev host, mints for the issuer of the PORT given and says to start with the same PORT and DATA_DIR', async () => {
    const port = await freePortBlock();
    const result = await token(['--user', 'alice'], { PORT: String(port) });
    expect(claims(result)).toMatchObject({ iss: `http://127.0.0.1:${port + 1}/${LOCAL_TENANT_ID}/v2.0` });
    expect(result.stderr).toContain(`No dev host is running on DATA_DIR=${shownDataDir}.`);
    expect(result.stderr).toContain(`start the server with the same settings: PORT=${port} DATA_DIR=${shownDataDir} npm start\n`);
  });

  describe('with a runtime file in DATA_DIR', () => {
    let health: Server;
    let healthPort: number;
    const fakeIssuer = `http://127.0.0.1:1/${LOCAL_TENANT_ID}/v2.0`;
    const written = (pid: number, port: number): DevHostRuntime => ({
      pid,
      port,
      url: `http://127.0.0.1:${port}`,
      dataDir,
      identityProvider: { url: 'http://127.0.0.1:1', issuer: fakeIssuer, tenantId: LOCAL_TENANT_ID },
      dataverseUrl: null,
      agents: [{ id: 'sales', url: `http://127.0.0.1:${port}/mcp/sales`, audiences: ['api://from-runtime'], requiredScopes: ['api://from-runtime/custom_scope'] }],
    });

    beforeAll(async () => {
      // Stands in for a dev host's /health: the token script only needs the port to answer.
      health = createServer((_req, res) => res.writeHead(200).end('{}'));
      health.listen(0, '127.0.0.1');
      await once(health, 'listening');
      healthPort = (health.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((r) => health.close(() => r()));
      await rm(join(dataDir, RUNTIME_FILE), { force: true });
    });

    it("of a live dev host, uses its issuer and agents whatever PORT this shell has", async () => {
      // This test process is alive, and its port answers /health.
      await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(written(process.pid, healthPort)));
      const result = await token(['--user', 'alice']);
      expect(claims(result)).toMatchObject({ iss: fakeIssuer, aud: 'api://from-runtime', scp: 'custom_scope' });
      expect(result.stderr).toContain(`on http://127.0.0.1:${healthPort}/mcp/sales (audience api://from-runtime)`);
      const withPort = await token(['--user', 'alice'], { PORT: '9999' });
      expect(claims(withPort)).toMatchObject({ iss: fakeIssuer });
      expect(withPort.stderr).toContain(`PORT=9999 is ignored: the dev host running on DATA_DIR=${shownDataDir} listens on port ${healthPort}.`);
    });

    it('of a live dev host that trusts Entra ID, is an error (exit code 2)', async () => {
      await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify({ ...written(process.pid, healthPort), identityProvider: null }));
      expect(await token(['--user', 'alice'])).toEqual({
        code: 2,
        stdout: '',
        stderr: `The dev host at http://127.0.0.1:${healthPort} trusts Entra ID (AUTH_CLIENT_ID), not the local identity provider. Get a token from Entra instead.\n`,
      });
    });

    it('whose process is gone, is ignored and says so', async () => {
      const gone = spawn(process.execPath, ['-e', '']);
      await once(gone, 'exit');
      await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(written(gone.pid!, healthPort)));
      const port = await freePortBlock();
      const result = await token(['--user', 'alice'], { PORT: String(port) });
      expect(claims(result)).toMatchObject({ iss: `http://127.0.0.1:${port + 1}/${LOCAL_TENANT_ID}/v2.0`, aud: LOCAL_APP_ID_URI });
      expect(result.stderr).toContain(`(ignoring ${join(shownDataDir, RUNTIME_FILE)}: the dev host that wrote it (pid ${gone.pid}) is no longer running)`);
    });

    it('whose process lives but whose port does not answer, is ignored and says so', async () => {
      const port = await freePortBlock();
      await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(written(process.pid, port)));
      const result = await token(['--user', 'alice'], { PORT: String(port) });
      expect(claims(result)).toMatchObject({ iss: `http://127.0.0.1:${port + 1}/${LOCAL_TENANT_ID}/v2.0` });
      expect(result.stderr).toContain(`nothing answers at http://127.0.0.1:${port}/health)`);
    });
  });

  it('does not rebuild when dist is current, and rebuilds what changed or is missing', async () => {
    const compiled = join(project, 'dist', 'scripts', 'token.js');
    // A rebuild rewrites the file, so a marker that survives proves tsc emitted nothing.
    await appendFile(compiled, '\n// marker: not rebuilt\n');
    const first = await inProject('npm', ['run', '--silent', 'token', '--', '--user', 'alice'], { DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    expect(await readFile(compiled, 'utf8')).toContain('// marker: not rebuilt');

    // A changed source is compiled before the script runs (what keeps npm start correct).
    await appendFile(join(project, 'src', 'dev', 'embedded.ts'), "\nexport const BUILD_PROBE = 'rebuilt after a source change';\n");
    expect((await inProject('npm', ['run', '--silent', 'token', '--', '--user', 'alice'], { DATA_DIR: dataDir })).code).toBe(0);
    expect(await readFile(join(project, 'dist', 'src', 'dev', 'embedded.js'), 'utf8')).toContain('rebuilt after a source change');

    // An output deleted by hand is emitted again.
    const startJs = join(project, 'dist', 'src', 'dev', 'start.js');
    await rm(startJs);
    expect((await inProject('npm', ['run', '--silent', 'build'])).code).toBe(0);
    await expect(access(startJs)).resolves.toBeUndefined();
  }, 60_000);
});
