/**
 * `npm run bench`: side by side, in one run, on 127.0.0.1, 50 connections (autocannon as a library):
 * the raw node:http ceiling, the peers a user would otherwise pick (the SDK's documented stateless
 * example, FastMCP, mcp-use; one echo tool each, own process) and this server (token validation,
 * origin/host checks, schema validation and audit on the path). Then Dataverse requests per call,
 * TCP connections opened to Dataverse and the token endpoint per 1,000 calls, RSS after 10,000
 * sessions and 100,000 calls, and the cold start of the bundled Functions entry. A benchmark that
 * prints ratios measured in the same run, not a test.
 *
 * Run: npm run bench [-- --quick] [-- --only raw,sdk,fastmcp,mcp-use,ours-call,ours-legacy,ours-list,ours-leads,ours-extra,coldstart]
 *      [-- --duration S] [-- --rounds N] [-- --cpu-prof DIR (a CPU profile of our server process during the measured rounds)]
 *      [-- --compare DIST (our rows again, from another build's dist directory, interleaved round by round:
 *       an A/B of a change measured in one run, where separate runs drift more than the change)]
 */
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import autocannon from 'autocannon';

import { ROOT } from './bundleFunctions.js';
import { measureColdStart } from './benchColdStart.js';
import { summariseCpuProfile } from './cpuProfileSummary.js';
import type { ServerKind, ServerReady, ServerStats } from './benchServers.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const DURATION = Number(option('--duration') ?? (QUICK ? 3 : 5));
const ROUNDS = Number(option('--rounds') ?? (QUICK ? 1 : 3));
const WARMUP = QUICK ? 1 : 3;
const CONNECTIONS = 50;
const ONLY = option('--only')?.split(',');
const CPU_PROF = option('--cpu-prof');
const COMPARE = option('--compare');
const SESSIONS = QUICK ? 2_000 : 10_000;
const CALLS = QUICK ? 20_000 : 100_000;
const COLD_RUNS = QUICK ? 3 : 10;
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const SIMPLE_TEXT = 'This is a simple text response for testing.';

const run = promisify(execFile);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the server process per answered call, µs. */
  cpu: number;
  note?: string;
}

/** A server process of scripts/benchServers.ts. */
class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: ServerReady,
  ) {}

  static async start(kind: ServerKind, execPath = process.execPath, dist = join(ROOT, 'dist')): Promise<ServerProcess> {
    const execArgv = ['--expose-gc'];
    const child = fork(join(dist, 'scripts', 'benchServers.js'), [kind], {
      cwd: ROOT,
      execPath,
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // No telemetry leaves the machine from the peers (mcp-use reports anonymised usage by default).
      env: { ...process.env, MCP_USE_ANONYMIZED_TELEMETRY: 'false', NODE_ENV: 'production' },
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const json = out.split('\n').find((l) => l.startsWith('{"url"'));
        if (json) resolve(json);
      });
      child.once('exit', (code) => reject(new Error(`${kind} server exited (${code}) before listening: ${stderr.trim().split('\n').slice(-5).join(' | ')}`)));
    });
    return new ServerProcess(child, JSON.parse(line) as ServerReady);
  }

  private ask<T>(type: 'stats' | 'cpu' | 'reset' | 'profile-start' | 'profile-stop', extra: object = {}): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; stats?: T }) => {
        if (m.type !== type) return;
        this.child.off('message', onMessage);
        resolve(m.stats as T);
      };
      this.child.on('message', onMessage);
      this.child.send({ type, ...extra });
    });
  }

  stats(): Promise<ServerStats> {
    return this.ask<ServerStats>('stats');
  }

  /** CPU time the process has used so far (user + system), µs. */
  cpu(): Promise<number> {
    return this.ask<number>('cpu');
  }

  async reset(): Promise<void> {
    await this.ask('reset');
  }

  async startProfile(): Promise<void> {
    await this.ask('profile-start');
  }

  /** Stops the profile started last; resolves with the file it was written to. */
  stopProfile(dir: string): Promise<string> {
    return this.ask<string>('profile-stop', { dir });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send({ type: 'stop' });
    const exited = once(this.child, 'exit');
    const timer = setTimeout(() => this.child.kill(), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

interface Load {
  url: string;
  headers: Record<string, string>;
  /** The body of request number `id` (ids are unique: a session never sees one twice). */
  body(id: number): string;
  /** What a correct answer contains (every response body is checked). */
  expect: string;
}

let nextId = 1;

async function cannon(load: Load, opts: { duration?: number; amount?: number }): Promise<{ result: autocannon.Result; bad: number }> {
  let bad = 0;
  const result = await autocannon({
    url: load.url,
    connections: CONNECTIONS,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? DURATION }),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: load.headers,
        setupRequest: (req) => ({ ...req, body: load.body(nextId++) }),
        onResponse: (status, body) => {
          // A fast 200 with an error inside is not a result.
          if (status !== 200 || !body.includes(load.expect) || body.includes('"isError":true') || body.includes('"error":{"code"')) bad++;
        },
      },
    ],
  });
  return { result, bad };
}

const envelope = (clientName: string) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: clientName, version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
});

function modernCall(url: string, tool: string, args: Record<string, unknown>, expect: string, token?: string): Load {
  return {
    url,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': tool,
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args, _meta: envelope('bench') } }),
    expect,
  };
}

function modernList(url: string, token: string, expect: string): Load {
  return {
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', authorization: `Bearer ${token}` },
    body: (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: { _meta: envelope('bench') } }),
    expect,
  };
}

function legacyCall(url: string, tool: string, args: Record<string, unknown>, expect: string, extra: Record<string, string> = {}): Load {
  return {
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': LEGACY, ...extra },
    body: (id) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } }),
    expect,
  };
}

const initializeBody = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } } });

/** Opens a 2025-era session on `url` (initialize, then notifications/initialized) and returns its id. */
async function openSession(url: string, token: string): Promise<string> {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` };
  const res = await fetch(url, { method: 'POST', headers, body: initializeBody(0) });
  await res.text();
  const id = res.headers.get('mcp-session-id');
  if (res.status !== 200 || !id) throw new Error(`initialize answered ${res.status} without a session id`);
  const note = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': LEGACY },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await note.text();
  return id;
}

/** Node ≥ 22.22.2 for mcp-use 2.x: this node if it is one, else node@22 from the npm registry (as CI gets it). */
async function node22(): Promise<string> {
  const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && (minor > 22 || (minor === 22 && patch >= 2)))) return process.execPath;
  const { stdout } = await run('npx', ['-y', '-p', 'node@22', '--', 'node', '-p', 'process.execPath'], { timeout: 180_000 });
  return stdout.trim().split('\n').pop() ?? '';
}

const wanted = (key: string) => !ONLY || ONLY.includes(key);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** What our rows send to a server of ours at `base` (its own token: each has its own identity provider). */
function oursLoads(base: string, token: string) {
  const url = (agent: string) => `${base}/mcp/${agent}`;
  return {
    url,
    simple: modernCall(url('conformance'), 'test_simple_text', {}, SIMPLE_TEXT, token),
    leads: modernCall(url('sales'), 'D365_Sales_ListLeads', { top: 25 }, '"leads"', token),
    list: modernList(url('sales'), token, '"D365_Sales_ListLeads"'),
    whoami: modernCall(url('sales'), 'whoami', {}, '"objectId"', token),
    legacySimple: async () => {
      const session = await openSession(url('conformance'), token);
      return legacyCall(url('conformance'), 'test_simple_text', {}, SIMPLE_TEXT, { authorization: `Bearer ${token}`, 'mcp-session-id': session });
    },
  };
}

async function main(): Promise<void> {
  console.log(
    `MCP hot-path benchmark (node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections; every row ${ROUNDS} × ${DURATION} s, rounds interleaved, median shown, after ${WARMUP} s warm-up${QUICK ? '; --quick' : ''})`,
  );
  const skipped: string[] = [];
  const scenarios: Array<{ name: string; note?: string; load: Load; server: ServerProcess }> = [];
  const peers: ServerProcess[] = [];

  // The peers, each in its own process; all stay up so that rounds can interleave (idle ones cost nothing).
  const peerSpecs: Array<{ key: string; kind: ServerKind; name: string; load: (url: string) => Load; note?: string; execPath?: () => Promise<string> }> = [
    { key: 'raw', kind: 'raw', name: 'raw node:http JSON echo (ceiling)', load: (url) => modernCall(url, 'echo', { text: 'hello' }, SIMPLE_TEXT) },
    {
      key: 'sdk',
      kind: 'sdk',
      name: 'SDK v2 documented stateless example (createMcpHandler + toNodeHandler), modern tools/call',
      load: (url) => modernCall(url, 'echo', { text: 'hello' }, '"text":"hello"'),
    },
    {
      key: 'fastmcp',
      kind: 'fastmcp',
      name: 'FastMCP httpStream stateless, 2025-11-25 tools/call',
      load: (url) => legacyCall(url, 'echo', { text: 'hello' }, '"text":"hello"'),
      note: 'FastMCP speaks only the 2025 revisions',
    },
    {
      key: 'mcp-use',
      kind: 'mcp-use',
      name: 'mcp-use MCPServer.listen, modern tools/call',
      load: (url) => modernCall(url, 'echo', { text: 'hello' }, '"text":"hello"'),
      execPath: node22,
    },
  ];
  for (const peer of peerSpecs) {
    if (!wanted(peer.key)) continue;
    try {
      const execPath = peer.execPath ? await peer.execPath() : process.execPath;
      const server = await ServerProcess.start(peer.kind, execPath);
      peers.push(server);
      const note = [peer.note, execPath !== process.execPath ? `own process on node ${(await run(execPath, ['--version'])).stdout.trim()}: mcp-use 2.x requires node ≥ 22.22.2` : undefined]
        .filter(Boolean)
        .join('; ');
      scenarios.push({ name: peer.name, load: peer.load(server.ready.url), server, ...(note && { note }) });
    } catch (err) {
      skipped.push(`${peer.name}: not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const oursKeys = ['ours-call', 'ours-legacy', 'ours-list', 'ours-leads', 'ours-extra'];
  const ours = oursKeys.some(wanted) ? await ServerProcess.start('ours') : undefined;
  let compared: ServerProcess | undefined;
  let profile: string | undefined;
  try {
    const token = ours?.ready.token ?? '';
    const mine = oursLoads(ours?.ready.url ?? '', token);
    const { url, simple, leads, list, whoami, legacySimple } = mine;
    if (ours) {
      // With --compare, each of our rows is followed by the same row served by the other build.
      compared = COMPARE ? await ServerProcess.start('ours', process.execPath, resolve(COMPARE)) : undefined;
      const twin = compared;
      const add = async (key: string, name: string, load: (server: ServerProcess) => Load | Promise<Load>) => {
        if (!wanted(key)) return;
        scenarios.push({ name, load: await load(ours), server: ours });
        if (twin) scenarios.push({ name: `${name} [${COMPARE}]`, load: await load(twin), server: twin });
      };
      const loads = (server: ServerProcess) => (server === ours ? mine : oursLoads(server.ready.url, server.ready.token ?? ''));
      await add('ours-call', 'ours: modern tools/call test_simple_text (token validation)', (s) => loads(s).simple);
      await add('ours-legacy', 'ours: 2025-11-25 tools/call test_simple_text in a Table Storage session', (s) => loads(s).legacySimple());
      await add('ours-list', 'ours: modern tools/list, sales agent', (s) => loads(s).list);
      await add('ours-leads', 'ours: modern D365_Sales_ListLeads top 25 (emulator)', (s) => loads(s).leads);
    }

    for (const s of scenarios) await cannon(s.load, { duration: WARMUP });
    const runs = new Map<string, Row[]>();
    if (CPU_PROF) await ours?.startProfile();
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of scenarios) {
        const before = await s.server.cpu();
        const { result, bad } = await cannon(s.load, { duration: DURATION });
        const cpu = ((await s.server.cpu()) - before) / Math.max(1, result.requests.total);
        const row: Row = { name: s.name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + bad, cpu, ...(s.note && { note: s.note }) };
        runs.set(s.name, [...(runs.get(s.name) ?? []), row]);
      }
    }
    if (CPU_PROF) profile = await ours?.stopProfile(CPU_PROF);
    const rows = scenarios.map((s) => medianRow(runs.get(s.name)!));
    await Promise.all(peers.map((p) => p.stop()));
    printTable(rows, skipped);

    if (ours && wanted('ours-extra')) {
      console.log('\nRequests per tool call, warm caches, 20 sequential calls each (Dataverse counted at the emulator, Table Storage at the server\'s node:http)');
      console.log(`  ${''.padEnd(40)} dataverse  table storage`);
      for (const [name, load] of [
        ['test_simple_text', simple],
        ['test_simple_text, 2025-era session', await legacySimple()],
        ['tools/list (sales)', list],
        ['whoami', whoami],
        ['D365_Sales_ListLeads top 25', leads],
      ] as const) {
        await sequential(load, 2);
        await ours.reset();
        await sequential(load, 20);
        const s = await ours.stats();
        console.log(`  ${name.padEnd(40)} ${(s.dataverseRequests / 20).toFixed(1).padStart(9)}  ${(s.tableRequests / 20).toFixed(2).padStart(13)}`);
      }

      console.log('\nTCP connections opened per 1,000 calls at 50 connections (keep-alive; counted at the client sockets of the server process)');
      for (const [name, load] of [
        ['D365_Sales_ListLeads top 25', leads],
        ['whoami', whoami],
      ] as const) {
        await ours.reset();
        const { result, bad } = await cannon(load, { amount: 1000 });
        const c = (await ours.stats()).connections;
        console.log(
          `  ${name.padEnd(30)} dataverse ${c['dataverse'] ?? 0}, token endpoint ${c['token endpoint'] ?? 0}, table storage ${c['table storage'] ?? 0}, other ${c['other'] ?? 0}   (${result.errors + result.non2xx + bad} errors)`,
        );
      }

      console.log(`\nRSS of the server process (after a full GC; the emulator, identity provider and MCP server share it)`);
      const warm = await ours.stats();
      console.log(`  warm                              ${mb(warm.rss)}   (heap ${mb(warm.heapUsed)}, external ${mb(warm.external)})`);
      // Calls first: sessions opened before them would leave freed pages in the RSS the calls are compared against.
      // Sampled every tenth of the run: the allocator hands pages back to the system when it pleases,
      // so two readings can differ by more than a leak would; a leak shows as a trend across all of them.
      const first = Math.min(10_000, CALLS / 10);
      await cannon(simple, { amount: first });
      const samples = [{ calls: first, ...(await ours.stats()) }];
      console.log(`  after ${first.toLocaleString('en')} calls                ${mb(samples[0]!.rss)}   (heap ${mb(samples[0]!.heapUsed)}, external ${mb(samples[0]!.external)})`);
      let failed = 0;
      for (let calls = first; calls < CALLS; ) {
        const step = Math.min(CALLS / 10, CALLS - calls);
        const r = await cannon(simple, { amount: step });
        failed += r.bad + r.result.errors;
        calls += step;
        samples.push({ calls, ...(await ours.stats()) });
      }
      const afterFirst = samples[0]!;
      const afterAll = samples.at(-1)!;
      const change = ((afterAll.rss - afterFirst.rss) / afterFirst.rss) * 100;
      console.log(
        `  after ${CALLS.toLocaleString('en')} calls               ${mb(afterAll.rss)}   (heap ${mb(afterAll.heapUsed)}, external ${mb(afterAll.external)}; ${signed(change)} % from ${first.toLocaleString('en')} calls, heap ${signed(((afterAll.heapUsed - afterFirst.heapUsed) / afterFirst.heapUsed) * 100)} %; ${failed} errors)`,
      );
      const calls = samples.map((x) => x.calls);
      const band = (ys: readonly number[]) => `${mb(Math.min(...ys))}–${mb(Math.max(...ys))}, trend ${signed(slopePerCalls(calls, ys, CALLS - first) / 1048576)} MB`;
      console.log(
        `  ${samples.length} readings from ${first.toLocaleString('en')} to ${CALLS.toLocaleString('en')} calls: RSS ${band(samples.map((x) => x.rss))} over the run; heap ${band(samples.map((x) => x.heapUsed))}`,
      );
      const sessions = await cannon(
        { url: url('conformance'), headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` }, body: initializeBody, expect: '"protocolVersion"' },
        { amount: SESSIONS },
      );
      const afterSessions = await ours.stats();
      console.log(`  after ${SESSIONS.toLocaleString('en')} sessions opened     ${mb(afterSessions.rss)}   (heap ${mb(afterSessions.heapUsed)}, external ${mb(afterSessions.external)}; ${sessions.bad + sessions.result.errors} errors)`);
    }
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await ours?.stop();
    await compared?.stop();
  }
  if (profile) console.log(`\n${summariseCpuProfile(profile)}`);

  if (wanted('coldstart')) {
    console.log(`\nCold start (bundled Functions entry, median of ${COLD_RUNS} process starts; npm run bench:coldstart has the detail)`);
    const { bundled } = await measureColdStart({ runs: COLD_RUNS, bundleOnly: true, print: false });
    console.log(`  import of the bundled entries     ${bundled.importMs.toFixed(0)} ms`);
    console.log(`  first tools/list answered         ${bundled.firstMs.toFixed(0)} ms after process start`);
  }
}

/** The least-squares slope of `ys` over `xs`, scaled to a span of `span` on the x axis. */
function slopePerCalls(xs: readonly number[], ys: readonly number[], span: number): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * span;
}

/** A percentage with its sign. */
function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

/** The round with the median throughput (its latencies with it); errors of every round. */
function medianRow(runs: readonly Row[]): Row {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...mid, errors: runs.reduce((n, r) => n + r.errors, 0) };
}

/** `count` calls one after another (no concurrency), each checked. */
async function sequential(load: Load, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(load.url, { method: 'POST', headers: load.headers, body: load.body(nextId++) });
    const text = await res.text();
    if (res.status !== 200 || !text.includes(load.expect)) throw new Error(`${load.url}: unexpected answer ${res.status}: ${text.slice(0, 200)}`);
  }
}

function printTable(rows: readonly Row[], skipped: readonly string[]): void {
  const raw = rows.find((r) => r.name.startsWith('raw'));
  const sdk = rows.find((r) => r.name.startsWith('SDK'));
  const pct = (r: Row) => (raw ? `${((r.rps / raw.rps) * 100).toFixed(1)} %` : '–');
  const times = (r: Row) => (sdk ? `${(r.rps / sdk.rps).toFixed(2)}×` : '–');
  // CPU per call steadies what req/s cannot on a shared machine (the client and neighbours take turns).
  const cpuPct = (r: Row) => (raw ? `${((raw.cpu / r.cpu) * 100).toFixed(1)} %` : '–');
  const cpuTimes = (r: Row) => (sdk ? `${(sdk.cpu / r.cpu).toFixed(2)}×` : '–');
  console.log('');
  console.log('| server / scenario | req/s | p50 ms | p99 ms | errors | % of raw | × SDK example | server CPU µs/call | raw CPU / this | SDK CPU / this |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name}${r.note ? ` (${r.note})` : ''} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${pct(r)} | ${times(r)} | ${r.cpu.toFixed(0)} | ${cpuPct(r)} | ${cpuTimes(r)} |`);
  }
  for (const s of skipped) console.log(`- ${s}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
