import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, inject, it } from 'vitest';

import { type DevHostRuntime, findRunningDevHost, LOCAL_APP_CLIENT_ID, LOCAL_APP_ID_URI, RUNTIME_FILE, startEmbedded } from '../../src/dev/embedded.js';
import { LOCAL_TENANT_ID } from '../../src/emulator/users.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { TestClock } from '../helpers/clock.js';
import { uniquePrefix } from '../helpers/harness.js';
import { freePortBlock } from './net.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dvmcp-runtime-'));
  dirs.push(dir);
  return dir;
}

function startOn(dataDir: string) {
  return startEmbedded({
    dataDir,
    env: { TABLES_PREFIX: uniquePrefix(), AGENTS_FILE: 'agents.json' },
    tablesConnectionString: inject('tablesConnectionString'),
    emulator: false,
    clock: new TestClock().now,
    log: silentLogger,
  });
}

const exists = (file: string) => access(file).then(
  () => true,
  () => false,
);

function runtime(overrides: Partial<DevHostRuntime>): DevHostRuntime {
  return { pid: process.pid, port: 1, url: 'http://127.0.0.1:1', dataDir: '/x', identityProvider: null, dataverseUrl: null, agents: [], ...overrides };
}

describe('the dev host runtime file', () => {
  it('is written to DATA_DIR with the URLs, issuer and agents once serving, and removed on close', async () => {
    const dataDir = await tempDir();
    const embedded = await startOn(dataDir);
    const file = join(dataDir, RUNTIME_FILE);
    let closed = false;
    try {
      const written = JSON.parse(await readFile(file, 'utf8')) as DevHostRuntime;
      expect(written).toMatchObject({
        pid: process.pid,
        port: Number(new URL(embedded.host.url).port),
        url: embedded.host.url,
        dataDir,
        identityProvider: { url: embedded.idp!.url, issuer: `${embedded.idp!.url}/${LOCAL_TENANT_ID}/v2.0`, tenantId: LOCAL_TENANT_ID },
      });
      expect(written.agents.find((a) => a.id === 'sales')).toEqual({
        id: 'sales',
        url: `${embedded.host.url}/mcp/sales`,
        audiences: [LOCAL_APP_ID_URI, LOCAL_APP_CLIENT_ID],
        requiredScopes: [`${LOCAL_APP_ID_URI}/access_as_user`],
      });
      expect(await findRunningDevHost(dataDir)).toMatchObject({ state: 'running', runtime: { url: embedded.host.url } });
      await embedded.close();
      closed = true;
      expect(await exists(file)).toBe(false);
      expect(await findRunningDevHost(dataDir)).toEqual({ state: 'absent' });
    } finally {
      if (!closed) await embedded.close();
    }
  });

  it('is left alone on close when another dev host has written its own since', async () => {
    const dataDir = await tempDir();
    const embedded = await startOn(dataDir);
    const newer = runtime({ pid: process.pid, url: 'http://127.0.0.1:2', dataDir });
    await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(newer));
    await embedded.close();
    expect(JSON.parse(await readFile(join(dataDir, RUNTIME_FILE), 'utf8'))).toEqual(newer);
  });

  it('is not trusted when its process is gone', async () => {
    const dataDir = await tempDir();
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(runtime({ pid: child.pid!, dataDir })));
    expect(await findRunningDevHost(dataDir)).toMatchObject({ state: 'stale', reason: `the dev host that wrote it (pid ${child.pid}) is no longer running` });
  });

  it('is not trusted when its process lives but nothing answers /health on its port', async () => {
    const dataDir = await tempDir();
    // Below the ephemeral range: no other test's host (port 0) can come to answer on it meanwhile.
    const port = await freePortBlock();
    await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(runtime({ pid: process.pid, port, url: `http://127.0.0.1:${port}`, dataDir })));
    expect(await findRunningDevHost(dataDir)).toMatchObject({ state: 'stale', reason: `nothing answers at http://127.0.0.1:${port}/health` });
  });

  it('that is malformed counts as absent', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, RUNTIME_FILE), '{"pid": "not a number"');
    expect(await findRunningDevHost(dataDir)).toEqual({ state: 'absent' });
  });
});
