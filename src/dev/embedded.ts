import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';

import { z } from 'zod';

import { type ConfidentialClient, generateSigningKey, loadOrCreateSecret, loadOrCreateSigningKey, type LocalIdp, startLocalIdp } from '../auth/localIdp.js';
import { type Clock, systemClock } from '../config/clock.js';
import { type AppConfig, type Env, loadConfig } from '../config/config.js';
import type { EmulatorHandle, OrgProfile } from '../emulator/index.js';
import { LOCAL_TENANT_ID, LOCAL_USERS } from '../emulator/users.js';
import { type BuildOptions, buildApp } from '../app/buildApp.js';
import type { McpApp } from '../http/mcpApp.js';
import { listenNodeHost, type NodeHost } from '../http/nodeHost.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { type AzuriteHandle, isAddressInUse, portIsFree, startAzurite } from './azurite.js';

/** The local app registration the embedded issuer knows (stands in for the Entra app). */
export const LOCAL_APP_CLIENT_ID = 'd1a7a5e0-6d3b-4c1e-9f0a-5e7c0de0c11e';
export const LOCAL_APP_ID_URI = 'api://dataverse-mcp-local';

export interface EmbeddedOptions {
  /** Persistence root; absent = everything in memory (tests). */
  dataDir?: string;
  reset?: boolean;
  /** Port of the MCP server; the embedded parts use the next ones (0 = all ephemeral). */
  port?: number;
  /** Base environment (process.env for npm start); embedded parts fill what it leaves unset. */
  env?: Env;
  /** Use this Table Storage instead of starting Azurite (tests share one Azurite). */
  tablesConnectionString?: string;
  log?: Logger;
  /** Start the Dataverse emulator unless DATAVERSE_URL points elsewhere (default true). */
  emulator?: boolean;
  /** Extra credentials the local app registration accepts (certificate, federated), for tests of those paths. */
  appCredentials?: Pick<ConfidentialClient, 'certificate' | 'federated'>;
  /** One time source for every part (server, identity provider, emulator); tests pin it. */
  clock?: Clock;
  /** Optional solutions the emulated org has (default: all the sample data uses). */
  emulatorProfile?: OrgProfile;
  /** Legacy SSE keep-alive and maximum-duration timers (tests drive them by hand). */
  streamTimers?: BuildOptions['streamTimers'];
  /** Delivery queue polling and pipeline (tests make it quick, or disturb the wire). */
  queues?: BuildOptions['queues'];
}

export type EmbeddedEmulator = EmulatorHandle;

export interface Embedded {
  config: AppConfig;
  app: McpApp;
  host: NodeHost;
  /** The local identity provider, when the embedded default is in use. */
  idp: LocalIdp | undefined;
  emulator: EmbeddedEmulator | undefined;
  azurite: AzuriteHandle | undefined;
  close(): Promise<void>;
}

/** Local, loopback-only origins and hosts: the dev server refuses browser pages from anywhere else. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Starts the whole product on one machine: Azurite (tables and queues), the local identity provider,
 * the Dataverse emulator and the MCP server, each on loopback. `npm start` and the tests use it.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const env: Env = { ...(options.env ?? {}) };
  const log = options.log ?? createLogger('info');
  const dataDir = options.dataDir;
  if (dataDir && options.reset) {
    // Deleting the data of a host that is still serving from it would corrupt both.
    const running = await findRunningDevHost(dataDir);
    if (running.state === 'running') {
      throw new Error(`--reset would delete the data of the dev host still running from ${displayPath(dataDir)} (pid ${running.runtime.pid}, ${running.runtime.url}). Stop it first.`);
    }
    await rm(dataDir, { recursive: true, force: true });
  }
  const basePort = options.port ?? 0;
  const clock = options.clock ?? systemClock;
  const portFor = (offset: number) => (basePort === 0 ? 0 : basePort + offset);
  const closers: Array<() => Promise<void>> = [];
  // Each part's own port, so a conflict names the part (offsets as in portFor).
  const onPort = async <T>(offset: number, start: () => Promise<T>): Promise<T> => {
    try {
      return await start();
    } catch (err) {
      if (basePort !== 0 && isAddressInUse(err)) throw await portInUseError(basePort, offset, dataDir);
      throw err;
    }
  };
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };

  try {
    let azurite: AzuriteHandle | undefined;
    if (!env['TABLES_CONNECTION_STRING']) {
      if (options.tablesConnectionString) {
        env['TABLES_CONNECTION_STRING'] = options.tablesConnectionString;
      } else {
        azurite = await onPort(3, () => startAzurite({ port: portFor(3), ...(dataDir && { location: join(dataDir, 'azurite') }) }));
        closers.push(() => azurite!.close());
        env['TABLES_CONNECTION_STRING'] = azurite.connectionString;
      }
    }

    const secretFile = (name: string) => (dataDir ? join(dataDir, name) : undefined);
    env['MCP_STATE_SECRET'] ??= await secretOrEphemeral(secretFile('state-secret'));

    let idp: LocalIdp | undefined;
    let emulator: EmbeddedEmulator | undefined;
    const embeddedIdentity = !env['AUTH_CLIENT_ID'];
    const wantEmulator = (options.emulator ?? true) && !env['DATAVERSE_URL'];

    if (wantEmulator) {
      emulator = await onPort(2, () =>
        startDataverseEmulator({
          port: portFor(2),
          ...(dataDir && { dataFile: join(dataDir, 'emulator', 'dataverse.sqlite') }),
          clock,
          ...(options.emulatorProfile && { profile: options.emulatorProfile }),
          verifyToken: async (token) => {
            if (!idp || !emulator) throw new Error('identity provider not ready');
            return idp.verifyDownstreamToken(token, emulator.url);
          },
        }),
      );
      closers.push(() => emulator!.close());
      env['DATAVERSE_URL'] = emulator.url;
    }

    if (embeddedIdentity) {
      const key = dataDir ? await loadOrCreateSigningKey(join(dataDir, 'idp', 'signing-key.json')) : await generateSigningKey();
      const clientSecret = await secretOrEphemeral(secretFile(join('idp', 'client-secret')));
      idp = await onPort(1, () =>
        startLocalIdp({
          port: portFor(1),
          tenantId: LOCAL_TENANT_ID,
          key,
          users: LOCAL_USERS,
          clients: [{ clientId: LOCAL_APP_CLIENT_ID, clientSecret, audiences: [LOCAL_APP_ID_URI, LOCAL_APP_CLIENT_ID], ...options.appCredentials }],
          resources: env['DATAVERSE_URL'] ? [env['DATAVERSE_URL']] : [],
          now: clock,
        }),
      );
      closers.push(() => idp!.close());
      Object.assign(env, {
        AUTH_AUTHORITY: idp.url,
        // No v1 issuer exists locally; a distinct base keeps the v1 code path testable with minted tokens.
        AUTH_V1_ISSUER_BASE: `${idp.url}/sts`,
        AUTH_TENANTS: LOCAL_TENANT_ID,
        AUTH_CLIENT_ID: LOCAL_APP_CLIENT_ID,
        AUTH_APP_ID_URI: LOCAL_APP_ID_URI,
        ...(!env['AUTH_OBO_MODE'] && { AUTH_CLIENT_SECRET: clientSecret }),
      });
    }

    // The port is held before the app is built: the app needs its public URL.
    const listener = await onPort(0, () => listenNodeHost({ port: basePort }));
    closers.push(() => listener.close());
    env['PUBLIC_BASE_URL'] ??= listener.url;
    const config = loadConfig(env);
    const app = await buildApp({
      config,
      log,
      clock,
      ...(options.streamTimers && { streamTimers: options.streamTimers }),
      ...(options.queues && { queues: options.queues }),
    });
    closers.push(() => app.close());
    const host = listener.serve(app, {
      allowedOrigins: [...LOOPBACK_NAMES, ...config.allowedOrigins],
      allowedHosts: [...LOOPBACK_NAMES, ...config.allowedHosts],
      healthChecks: {
        ...(idp && { identity: () => probe(`${idp.url}/${LOCAL_TENANT_ID}/discovery/v2.0/keys`) }),
        ...(emulator && { dataverse: () => probe(`${emulator.url}/_emulator/health`) }),
      },
    });
    closers.push(() => host.close());
    if (dataDir) {
      const runtime: DevHostRuntime = {
        pid: process.pid,
        port: Number(new URL(host.url).port),
        url: host.url,
        dataDir,
        identityProvider: idp ? { url: idp.url, issuer: idp.issuer, tenantId: idp.tenantId } : null,
        dataverseUrl: config.dataverse.url ?? null,
        agents: [...app.routes.values()].map((r) => ({
          id: r.config.id,
          url: `${host.url}/mcp/${r.config.id}`,
          audiences: [...r.auth.audiences],
          requiredScopes: [...r.auth.requiredScopes],
        })),
      };
      closers.push(await writeRuntimeFile(dataDir, runtime));
    }
    return { config, app, host, idp, emulator, azurite, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Written to DATA_DIR once a dev host serves and removed when it stops, so `npm run token` finds the
 * issuer and agents of the host actually running there, whatever PORT it was started with.
 */
export const RUNTIME_FILE = 'dev-host.json';

const RuntimeSchema = z.object({
  pid: z.number().int().positive(),
  port: z.number().int().min(1).max(65_535),
  url: z.string(),
  dataDir: z.string(),
  identityProvider: z.object({ url: z.string(), issuer: z.string(), tenantId: z.string() }).nullable(),
  dataverseUrl: z.string().nullable(),
  agents: z.array(z.object({ id: z.string(), url: z.string(), audiences: z.array(z.string()), requiredScopes: z.array(z.string()) })),
});

export type DevHostRuntime = z.infer<typeof RuntimeSchema>;

async function writeRuntimeFile(dataDir: string, runtime: DevHostRuntime): Promise<() => Promise<void>> {
  const file = join(dataDir, RUNTIME_FILE);
  await mkdir(dataDir, { recursive: true });
  // Renamed into place, so a reader never sees half a file.
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(runtime, null, 2)}\n`);
  await rename(partial, file);
  return async () => {
    // A dev host started later on the same DATA_DIR may own the file by now.
    const current = await readRuntimeFile(dataDir);
    if (current?.pid === runtime.pid && current.url === runtime.url) await rm(file, { force: true });
  };
}

/** The runtime file in `dataDir` as written, or undefined when absent or unreadable. */
export async function readRuntimeFile(dataDir: string): Promise<DevHostRuntime | undefined> {
  const text = await readFile(join(dataDir, RUNTIME_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = RuntimeSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
  }
}

export type DevHostLookup =
  | { state: 'running'; runtime: DevHostRuntime }
  | { state: 'stale'; runtime: DevHostRuntime; reason: string }
  | { state: 'absent' };

/**
 * The dev host serving from `dataDir`, if any. A file left by a killed host is not trusted: its
 * process must be alive and its port must answer /health (a reused pid alone proves nothing).
 */
export async function findRunningDevHost(dataDir: string): Promise<DevHostLookup> {
  const runtime = await readRuntimeFile(dataDir);
  if (!runtime) return { state: 'absent' };
  if (!processAlive(runtime.pid)) return { state: 'stale', runtime, reason: `the dev host that wrote it (pid ${runtime.pid}) is no longer running` };
  // Built from the port, not a URL in the file: only ever loopback. A refused connection fails at
  // once; the generous timeout only bounds a listener that accepts and never answers.
  const health = `http://127.0.0.1:${runtime.port}/health`;
  const res = await fetch(health, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!res) return { state: 'stale', runtime, reason: `nothing answers at ${health}` };
  await res.body?.cancel();
  return { state: 'running', runtime };
}

/** What each port of the block is for (offset from PORT), as named in conflicts. */
const PORT_PARTS: Readonly<Record<number, string>> = { 0: 'MCP server', 1: 'local identity provider', 2: 'Dataverse emulator', 3: 'Azurite Table Storage' };

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly part: string,
    message: string,
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

async function portInUseError(basePort: number, offset: number, dataDir: string | undefined): Promise<PortInUseError> {
  const port = basePort + offset;
  const part = PORT_PARTS[offset] ?? 'dev host';
  const next = await suggestBasePort(basePort);
  const owner = dataDir ? await readRuntimeFile(dataDir) : undefined;
  // Following the advice must not put two hosts on one DATA_DIR: they would overwrite each other's data.
  const advice =
    owner && dataDir && processAlive(owner.pid)
      ? `another \`npm start\` (pid ${owner.pid}, ${owner.url}) is running with this DATA_DIR. Stop it, or move every port and the data with PORT=${next} DATA_DIR=${shellWord(displayPath(`${dataDir}-${next}`))} npm start.`
      : `another \`npm start\` may be running. Stop it, or move every port with PORT=${next} npm start.`;
  return new PortInUseError(port, part, `Port ${port} (${part}) is already in use — ${advice}`);
}

/** A base port whose block of four is free now, so the advice works when followed. */
async function suggestBasePort(taken: number): Promise<number> {
  for (let candidate = 8000; candidate < 10_000; candidate += 100) {
    if (candidate <= taken + 3 && taken <= candidate + 3) continue;
    let free = true;
    for (let i = 0; i < 4 && free; i++) free = await portIsFree(candidate + i).catch(() => false);
    if (free) return candidate;
  }
  return taken === 8000 ? 9000 : 8000;
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Quotes a value for a POSIX shell command line when it needs it. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

async function probe(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return res?.ok ?? false;
}

async function secretOrEphemeral(file: string | undefined): Promise<string> {
  return file ? loadOrCreateSecret(file) : (await import('node:crypto')).randomBytes(32).toString('base64url');
}

interface EmulatorStartOptions {
  port: number;
  dataFile?: string;
  clock: Clock;
  profile?: OrgProfile;
  verifyToken: (token: string) => Promise<{ objectId: string }>;
}

async function startDataverseEmulator(options: EmulatorStartOptions): Promise<EmbeddedEmulator> {
  // Loaded on demand: only the dev host and tests ever start the emulator.
  const { startEmulator } = await import('../emulator/index.js');
  return startEmulator(options);
}
