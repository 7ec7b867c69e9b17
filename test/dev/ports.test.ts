import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { portIsFree, startAzurite } from '../../src/dev/azurite.js';
import { type DevHostRuntime, PortInUseError, RUNTIME_FILE, startEmbedded } from '../../src/dev/embedded.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { TestClock } from '../helpers/clock.js';
import { uniquePrefix } from '../helpers/harness.js';
import { freePortBlock, occupy, release } from './net.js';

const held: Array<Parameters<typeof release>[0]> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map(release));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Starts the whole embedded default (Azurite included) on the block at `port`; it must fail. */
async function startFailing(port: number, dataDir?: string): Promise<PortInUseError> {
  const started = startEmbedded({
    port,
    ...(dataDir && { dataDir }),
    env: { TABLES_PREFIX: uniquePrefix(), AGENTS_FILE: 'agents.json' },
    clock: new TestClock().now,
    log: silentLogger,
  });
  const err: unknown = await started.then(
    async (embedded) => {
      await embedded.close();
      return new Error('started although a port was taken');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof PortInUseError)) throw err;
  return err;
}

describe('a port of the dev host block already in use', () => {
  it('startAzurite refuses a taken port instead of mistaking the other listener for Azurite', async () => {
    const port = (await freePortBlock()) + 3;
    held.push(await occupy(port));
    await expect(startAzurite({ port })).rejects.toMatchObject({ code: 'EADDRINUSE', port });
  });

  const parts = [
    [0, 'MCP server'],
    [1, 'local identity provider'],
    [2, 'Dataverse emulator'],
    [3, 'Azurite Table Storage'],
  ] as const;

  it.each(parts)('PORT+%i names the %s, says another npm start may run, and offers a free block', async (offset, part) => {
    const base = await freePortBlock();
    held.push(await occupy(base + offset));
    const err = await startFailing(base);
    expect(err).toMatchObject({ port: base + offset, part });
    expect(err.message).toMatch(
      new RegExp(`^Port ${base + offset} \\(${part}\\) is already in use — another \`npm start\` may be running\\. Stop it, or move every port with PORT=\\d+ npm start\\.$`),
    );
    // The suggested block is another one, and free: following the advice works.
    const suggested = Number(/PORT=(\d+)/.exec(err.message)?.[1]);
    expect(suggested + 3 < base || suggested > base + 3).toBe(true);
    for (let i = 0; i < 4; i++) expect(await portIsFree(suggested + i)).toBe(true);
  });

  it('when a live dev host owns the same DATA_DIR, the advice moves the data too', async () => {
    const base = await freePortBlock();
    const dataDir = await mkdtemp(join(tmpdir(), 'dvmcp-ports-'));
    dirs.push(dataDir);
    // This test process stands in for the other host: its pid is alive.
    const other: DevHostRuntime = {
      pid: process.pid,
      port: base,
      url: `http://127.0.0.1:${base}`,
      dataDir,
      identityProvider: null,
      dataverseUrl: null,
      agents: [],
    };
    await writeFile(join(dataDir, RUNTIME_FILE), JSON.stringify(other));
    held.push(await occupy(base + 3));
    const err = await startFailing(base, dataDir);
    expect(err.message).toMatch(
      new RegExp(
        `^Port ${base + 3} \\(Azurite Table Storage\\) is already in use — another \`npm start\` \\(pid ${process.pid}, http://127\\.0\\.0\\.1:${base}\\) is running with this DATA_DIR\\. Stop it, or move every port and the data with PORT=(\\d+) DATA_DIR=\\S*-\\1 npm start\\.$`,
      ),
    );
  });
});
