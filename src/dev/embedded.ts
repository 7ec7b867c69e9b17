import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import { type ConfidentialClient, generateSigningKey, loadOrCreateSecret, loadOrCreateSigningKey, type LocalIdp, startLocalIdp } from '../auth/localIdp.js';
import { TokenVerifier } from '../auth/tokenVerifier.js';
import { type Clock, systemClock } from '../config/clock.js';
import { type AppConfig, type Env, loadConfig } from '../config/config.js';
import type { EmulatorHandle } from '../emulator/index.js';
import { LOCAL_TENANT_ID, LOCAL_USERS } from '../emulator/users.js';
import { createMcpApp, type McpApp } from '../http/mcpApp.js';
import { type NodeHost, startNodeHost } from '../http/nodeHost.js';
import { openTables } from '../sessions/tableStorage.js';
import { createLogger, type Logger } from '../telemetry/log.js';
import { type AzuriteHandle, freePort, startAzurite } from './azurite.js';

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
 * Starts the whole product on one machine: Azurite Table Storage, the local identity provider,
 * the Dataverse emulator and the MCP server, each on loopback. `npm start` and the tests use it.
 */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<Embedded> {
  const env: Env = { ...(options.env ?? {}) };
  const log = options.log ?? createLogger('info');
  const dataDir = options.dataDir;
  if (dataDir && options.reset) await rm(dataDir, { recursive: true, force: true });
  const basePort = options.port ?? 0;
  const clock = options.clock ?? systemClock;
  const portFor = (offset: number) => (basePort === 0 ? 0 : basePort + offset);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };

  try {
    let azurite: AzuriteHandle | undefined;
    if (!env['TABLES_CONNECTION_STRING']) {
      if (options.tablesConnectionString) {
        env['TABLES_CONNECTION_STRING'] = options.tablesConnectionString;
      } else {
        azurite = await startAzurite({ port: portFor(3), ...(dataDir && { location: join(dataDir, 'azurite') }) });
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
      emulator = await startDataverseEmulator({
        port: portFor(2),
        ...(dataDir && { dataFile: join(dataDir, 'emulator', 'dataverse.sqlite') }),
        clock,
        verifyToken: async (token) => {
          if (!idp || !emulator) throw new Error('identity provider not ready');
          return idp.verifyDownstreamToken(token, emulator.url);
        },
      });
      closers.push(() => emulator!.close());
      env['DATAVERSE_URL'] = emulator.url;
    }

    if (embeddedIdentity) {
      const key = dataDir ? await loadOrCreateSigningKey(join(dataDir, 'idp', 'signing-key.json')) : await generateSigningKey();
      const clientSecret = await secretOrEphemeral(secretFile(join('idp', 'client-secret')));
      idp = await startLocalIdp({
        port: portFor(1),
        tenantId: LOCAL_TENANT_ID,
        key,
        users: LOCAL_USERS,
        clients: [{ clientId: LOCAL_APP_CLIENT_ID, clientSecret, audiences: [LOCAL_APP_ID_URI, LOCAL_APP_CLIENT_ID], ...options.appCredentials }],
        resources: env['DATAVERSE_URL'] ? [env['DATAVERSE_URL']] : [],
        now: clock,
      });
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

    const hostPort = basePort || (await freePort());
    env['PUBLIC_BASE_URL'] ??= `http://127.0.0.1:${hostPort}`;
    const config = loadConfig(env);
    const tables = await openTables(config.tables.connectionString ?? '', config.tables.prefix);
    const verifier = new TokenVerifier({ authority: config.auth.authority, v1IssuerBase: config.auth.v1IssuerBase, tenants: config.auth.tenants, now: clock });
    const app = createMcpApp({ config, tables, verifier, log, clock });
    closers.push(() => app.close());
    const host = await startNodeHost(app, {
      port: hostPort,
      allowedOrigins: [...LOOPBACK_NAMES, ...config.allowedOrigins],
      allowedHosts: [...LOOPBACK_NAMES, ...config.allowedHosts],
      healthChecks: {
        ...(idp && { identity: () => probe(`${idp.url}/${LOCAL_TENANT_ID}/discovery/v2.0/keys`) }),
        ...(emulator && { dataverse: () => probe(`${emulator.url}/_emulator/health`) }),
      },
    });
    closers.push(() => host.close());
    return { config, app, host, idp, emulator, azurite, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
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
  verifyToken: (token: string) => Promise<{ objectId: string }>;
}

async function startDataverseEmulator(options: EmulatorStartOptions): Promise<EmbeddedEmulator> {
  // Loaded on demand: only the dev host and tests ever start the emulator.
  const { startEmulator } = await import('../emulator/index.js');
  return startEmulator(options);
}
