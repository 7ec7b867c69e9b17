/**
 * Benchmark of D365_Sales_PrioritizeLeads at scale: the whole product on loopback (Azurite, the local
 * identity provider, the Dataverse emulator, the MCP server), 10,000 open leads seeded on demand on
 * top of the sample org, then the ranking called as alice through a real MCP client. Prints the
 * Dataverse requests one call makes, the time the emulator spent answering them (it stands in for
 * Dataverse), the rest of the call (this server: MCP, token checks, ranking, the decision-log
 * write), and the ranking itself in isolation. A benchmark that prints figures, not a timed test.
 *
 * Run: npm run bench:prioritize   (target: under 1 s of server time for 10,000 leads)
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpus } from 'node:os';

import { LOCAL_APP_ID_URI, startEmbedded } from '../src/dev/embedded.js';
import { findLocalUser } from '../src/emulator/users.js';
import { silentLogger } from '../src/telemetry/log.js';
import { type Candidate, DEFAULT_WEIGHTS, explain, hotRule, rankLeads } from '../src/tools/sales/ranking.js';

const LEADS = 10_000;
const RUNS = 5;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time covered by at least one request (requests overlap: aggregates run four at a time). */
function busyMs(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [start, end] = sorted[0] ?? [0, 0];
  for (const [s, e] of sorted.slice(1)) {
    if (s > end) {
      total += end - start;
      [start, end] = [s, e];
    } else end = Math.max(end, e);
  }
  return total + (end - start);
}

async function main(): Promise<void> {
  console.log(`D365_Sales_PrioritizeLeads benchmark (node ${process.version}, ${cpus().length} CPUs)`);
  const embedded = await startEmbedded({ env: { AGENTS_FILE: 'agents.json' }, log: silentLogger });
  try {
    const emulator = embedded.emulator!;
    const t0 = performance.now();
    const seeded = emulator.seedLeads({ count: LEADS });
    console.log(`seeded ${seeded.leads} open leads, ${seeded.activities} activities, ${seeded.scores} scores in ${(performance.now() - t0).toFixed(0)} ms`);

    const alice = findLocalUser('alice')!;
    const token = await embedded.idp!.mintUserToken(alice, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${embedded.host.url}/mcp/sales`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    const call = async () => {
      const r = (await client.callTool({ name: 'D365_Sales_PrioritizeLeads', arguments: { top: 20 } })) as { isError?: boolean; structuredContent?: { considered?: number } };
      if (r.isError || !r.structuredContent?.considered) throw new Error('the ranking failed');
      return r.structuredContent.considered;
    };
    await call(); // warm: metadata, tokens, statement caches

    const totals: number[] = [];
    const dataverse: number[] = [];
    const requests: number[] = [];
    let considered = 0;
    let longestUrl = 0;
    for (let i = 0; i < RUNS; i++) {
      emulator.clearRequests();
      const start = performance.now();
      considered = await call();
      totals.push(performance.now() - start);
      const log = emulator.requests;
      requests.push(log.length);
      dataverse.push(busyMs(log.map((r) => [Date.parse(r.time) - r.ms, Date.parse(r.time)] as const)));
      longestUrl = Math.max(longestUrl, ...log.map((r) => emulator.url.length + r.path.length));
    }
    const server = totals.map((t, i) => t - dataverse[i]!);
    console.log(`ranked ${considered} open leads (the sample org's and the seeded ones), top 20 returned; ${RUNS} calls after a warm-up, medians:`);
    console.log(`  Dataverse requests per call: ${median(requests)} (longest URL ${longestUrl} characters; Dataverse accepts 32,768)`);
    console.log(`  call, end to end:            ${median(totals).toFixed(0)} ms`);
    console.log(`  emulator answering (busy):   ${median(dataverse).toFixed(0)} ms`);
    console.log(`  server time (the rest):      ${median(server).toFixed(0)} ms`);

    // The ranking alone, over candidates shaped like the real ones.
    const now = new Date();
    const candidates: Candidate[] = Array.from({ length: LEADS }, (_, i) => ({
      leadId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      fullName: `Lead ${i}`,
      company: `Company ${i % 500}`,
      createdOn: new Date(now.getTime() - (i % 60) * 86_400_000).toISOString(),
      isOpen: true,
      status: 'Open',
      ratedHot: i % 5 === 0,
      score: i % 7 === 0 ? undefined : (i * 37) % 100,
      trendCode: i % 4,
      estimatedValue: (i * 991) % 500_000,
      interactions: i % 7,
      lastInteractionOn: i % 6 === 0 ? undefined : new Date(now.getTime() - ((i * 13) % 720) * 3_600_000).toISOString(),
      lastInteractionKind: i % 6 === 0 ? undefined : (['email', 'phonecall', 'task'] as const)[i % 3],
    }));
    const rankTimes: number[] = [];
    const rule = hotRule(undefined, undefined, true);
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      for (const r of rankLeads(candidates, DEFAULT_WEIGHTS, rule, now).slice(0, 20)) explain(r, rule, now);
      rankTimes.push(performance.now() - s);
    }
    console.log(`  ranking ${LEADS} candidates in isolation (and explaining the top 20): ${median(rankTimes).toFixed(1)} ms`);
    await client.close();
  } finally {
    await embedded.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
