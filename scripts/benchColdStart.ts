/**
 * Cold-start benchmark of the Azure Functions entries: 10 fresh node processes, each importing the
 * entries the way the Functions worker does (scripts/functionsHost.ts) and answering one
 * 2026-07-28 `tools/list` through the registered `mcp` handler, against Azurite, the local
 * identity provider and the Dataverse emulator on loopback (so the first request pays for
 * start-up: config, Table Storage tables, JWKS, token check, the on-behalf-of exchange and the
 * user's privileges). Prints medians for the esbuild bundle (what deploys) and, for
 * comparison, the tsc output of the same entries. A benchmark that prints figures, not a test.
 *
 * Run: npm run bench:coldstart   (targets: import ≤ 250 ms, first tools/list ≤ 400 ms after process start)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { generateSigningKey, type LocalIdp, startLocalIdp } from '../src/auth/localIdp.js';
import { LOCAL_APP_CLIENT_ID, LOCAL_APP_ID_URI } from '../src/dev/embedded.js';
import { startAzurite } from '../src/dev/azurite.js';
import { type EmulatorHandle, startEmulator } from '../src/emulator/index.js';
import { LOCAL_TENANT_ID, LOCAL_USERS } from '../src/emulator/users.js';
import { bundleFunctions, functionEntries, ROOT } from './bundleFunctions.js';
import type { HostReport } from './functionsHost.js';

const DEFAULT_RUNS = 10;
const run = promisify(execFile);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians of `runs` process starts: import of the entries and the first tools/list after process start. */
export interface ColdStart {
  importMs: number;
  firstMs: number;
}

/**
 * Measures the esbuild bundle (what deploys) and, unless `bundleOnly`, the tsc output for comparison.
 * `npm run bench` reuses it with `bundleOnly` and its own run count.
 */
export async function measureColdStart(options: { runs?: number; bundleOnly?: boolean; print?: boolean } = {}): Promise<{ bundled: ColdStart; compiled?: ColdStart }> {
  const RUNS = options.runs ?? DEFAULT_RUNS;
  const print = options.print ?? true;
  const console: Pick<Console, 'log'> = print ? globalThis.console : { log: () => undefined };
  const bundle = await bundleFunctions({ ifChanged: true });
  const host = join(ROOT, 'dist', 'scripts', 'functionsHost.js');
  const azurite = await startAzurite();
  const key = await generateSigningKey();
  const clientSecret = randomBytes(24).toString('base64url');
  // The sales route lists the tools the user's privileges allow: the first tools/list reads them
  // from Dataverse (the emulator, warm in this process), on behalf of the user, as on a real org.
  let idp: LocalIdp | undefined;
  const emulator: EmulatorHandle = await startEmulator({
    verifyToken: async (token) => {
      if (!idp) throw new Error('identity provider not ready');
      return idp.verifyDownstreamToken(token, emulator.url);
    },
  });
  idp = await startLocalIdp({
    tenantId: LOCAL_TENANT_ID,
    key,
    users: LOCAL_USERS,
    clients: [{ clientId: LOCAL_APP_CLIENT_ID, clientSecret, audiences: [LOCAL_APP_ID_URI, LOCAL_APP_CLIENT_ID] }],
    resources: [emulator.url],
  });
  try {
    const token = await idp.mintUserToken(LOCAL_USERS[0]!, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    });
    const baseEnv = {
      PATH: process.env['PATH'] ?? '',
      TABLES_CONNECTION_STRING: azurite.connectionString,
      MCP_STATE_SECRET: randomBytes(32).toString('hex'),
      AUTH_AUTHORITY: idp.url,
      AUTH_V1_ISSUER_BASE: `${idp.url}/sts`,
      AUTH_TENANTS: LOCAL_TENANT_ID,
      AUTH_CLIENT_ID: LOCAL_APP_CLIENT_ID,
      AUTH_APP_ID_URI: LOCAL_APP_ID_URI,
      AUTH_CLIENT_SECRET: clientSecret,
      DATAVERSE_URL: emulator.url,
      AGENTS_FILE: join(ROOT, 'agents.json'),
      PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
      MCP_HOST_INVOKE: body,
      MCP_HOST_TOKEN: token,
      MCP_HOST_AGENT: 'sales',
      MCP_HOST_PROTOCOL_VERSION: '2026-07-28',
      MCP_HOST_REPEAT: '1',
    };
    const measure = async (label: string, entries: string[]) => {
      const imports: number[] = [];
      const firsts: number[] = [];
      const startups: number[] = [];
      const warms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Own tables per process, as a fresh deployment would create them.
        const env = { ...baseEnv, TABLES_PREFIX: `b${randomBytes(4).toString('hex')}` };
        const { stdout } = await run(process.execPath, [host, ...entries], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
        const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as HostReport;
        const answer = report.invocation;
        if (!answer || answer.status !== 200 || !answer.body.includes('"tools"')) {
          throw new Error(`${label}: tools/list did not answer 200 with tools (status ${answer?.status}: ${answer?.body.slice(0, 300)})`);
        }
        imports.push(report.importMs);
        startups.push(report.startupMs);
        warms.push(report.warmMs ?? NaN);
        firsts.push(answer.completedAtMs);
      }
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
      console.log(`${label}`);
      console.log(`  node + harness start-up median ${median(startups).toFixed(0)} ms   (before the first entry is imported)`);
      console.log(`  import of the entries   median ${median(imports).toFixed(0)} ms   (runs: ${fmt(imports)})`);
      console.log(`  first tools/list done   median ${median(firsts).toFixed(0)} ms after process start   (runs: ${fmt(firsts)})`);
      console.log(`  same request, warm       median ${median(warms).toFixed(0)} ms   (so building the app and first-use costs take the rest)`);
      return { importMs: median(imports), firstMs: median(firsts) };
    };

    console.log(`Cold start of the Functions entries (node ${process.version}, ${cpus().length} CPUs, ${RUNS} process starts each)`);
    const bundled = await measure(`esbuild bundle (${bundle.entries.length} entries, ${bundle.chunks.length} chunks; what deploys)`, bundle.entries.map((e) => join(bundle.outdir, e)));
    const entries = functionEntries().map((f) => join(ROOT, 'dist', f.replace(/\.ts$/, '.js')));
    const compiled = !options.bundleOnly && entries.every((f) => existsSync(f)) ? await measure('tsc output, unbundled (for comparison)', entries) : undefined;
    const ok = bundled.importMs <= 250 && bundled.firstMs <= 400;
    console.log(`targets: import ≤ 250 ms, first tools/list ≤ 400 ms after process start: ${ok ? 'met' : 'NOT met'}`);
    return { bundled, ...(compiled && { compiled }) };
  } finally {
    await idp.close();
    await emulator.close();
    await azurite.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureColdStart().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
