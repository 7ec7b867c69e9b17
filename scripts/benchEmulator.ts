/**
 * Benchmark of the local Dataverse emulator: seeded-database build time (median of 3 fresh builds)
 * and p50/p95 latency of 500 sequential 25-row lead list requests over loopback HTTP after a warm-up.
 * Run: npm run bench:emulator
 */
import { cpus } from 'node:os';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { EmulatorCore } from '../src/emulator/emulatorCore.js';
import { LOCAL_USERS, startEmulator } from '../src/emulator/index.js';

const ANCHOR = new Date('2026-11-20T12:00:00Z');
const WARMUP = 100;
const RUNS = 500;

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

async function main(): Promise<void> {
  console.log(`Dataverse emulator benchmark (node ${process.version}, ${cpus().length} CPUs)`);

  const builds: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const core = await EmulatorCore.open({ anchorTime: ANCHOR });
    builds.push(performance.now() - t0);
    await core.close();
  }
  const sortedBuilds = [...builds].sort((a, b) => a - b);
  console.log(`seed build: median ${percentile(sortedBuilds, 50).toFixed(1)} ms (runs: ${builds.map((b) => b.toFixed(1)).join(', ')} ms)`);

  // Real RS256 tokens; verified results are cached per token, as a production verifier would.
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const verified = new Map<string, string>();
  const emu = await startEmulator({
    anchorTime: ANCHOR,
    verifyToken: async (token) => {
      const hit = verified.get(token);
      if (hit) return { objectId: hit };
      const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'] });
      if (typeof payload.oid !== 'string') throw new Error('no oid');
      verified.set(token, payload.oid);
      return { objectId: payload.oid };
    },
  });
  const alice = LOCAL_USERS.find((u) => u.alias === 'alice');
  if (!alice) throw new Error('alice missing');
  const token = await new SignJWT({ oid: alice.objectId }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('10m').sign(privateKey);
  const filter = encodeURIComponent("statecode eq 0 and leadqualitycode ne 3");
  const url = `${emu.url}/api/data/v9.2/leads?$select=fullname,subject,companyname,leadqualitycode,estimatedvalue,createdon,_ownerid_value&$filter=${filter}&$orderby=createdon desc&$top=25`;
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: 'application/json',
    'OData-MaxVersion': '4.0',
    'OData-Version': '4.0',
    Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"',
  };
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { value?: unknown[] };
    const ms = performance.now() - t0;
    if (res.status !== 200 || body.value?.length !== 25) throw new Error(`unexpected answer ${res.status}`);
    return ms;
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once());
  const sorted = [...times].sort((a, b) => a - b);
  const serverMs = emu.requests.slice(-RUNS).map((r) => r.ms).sort((a, b) => a - b);
  console.log(`lead list (25 rows, $select + $filter + $orderby, formatted values): ${RUNS} sequential requests after ${WARMUP} warm-up`);
  console.log(`  round trip over loopback: p50 ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms, mean ${(times.reduce((s, x) => s + x, 0) / times.length).toFixed(2)} ms`);
  console.log(`  server handling:          p50 ${percentile(serverMs, 50).toFixed(2)} ms, p95 ${percentile(serverMs, 95).toFixed(2)} ms`);
  await emu.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
