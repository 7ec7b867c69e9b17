import { resolve } from 'node:path';
import { z } from 'zod';

import { type AgentConfig, ConfigError, loadAgentsFile, parseAgents } from './agents.js';

/**
 * The only reader of process.env. Everything the server needs is validated here once, so a bad
 * setting fails at start-up with a message that names it, never at the first request.
 */

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));
const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().transform((v) => v ?? fallback);
const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));
const url = z.string().url().transform((u) => u.replace(/\/+$/, ''));

/** Longest access-token lifetime accepted (`exp - iat`, and `exp - now`) unless AUTH_MAX_TOKEN_LIFETIME_SECONDS says otherwise. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

const EnvSchema = z.object({
  PUBLIC_BASE_URL: url.optional(),
  WEBSITE_HOSTNAME: z.string().optional(),
  MCP_ENABLED: bool(true),
  ENABLE_TEST_AGENTS: bool(false),
  AGENTS_FILE: z.string().optional(),
  AGENTS_JSON: z.string().optional(),
  ALLOWED_ORIGINS: list,
  ALLOWED_HOSTS: list,
  MAX_BODY_BYTES: int(1_048_576, 1024, 4_194_304),
  TABLES_CONNECTION_STRING: z.string().optional(),
  // Azure: the account's table endpoint, reached with a managed identity instead of a connection string.
  TABLES_ACCOUNT_URL: z.preprocess((v) => (v === '' ? undefined : v), url.optional()),
  TABLES_MANAGED_IDENTITY_CLIENT_ID: z.string().optional(),
  TABLES_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,30}$/, 'letters and digits only, starting with a letter')
    .optional()
    .transform((v) => v ?? 'mcp'),
  SESSION_IDLE_TTL_SECONDS: int(8 * 3600, 60, 30 * 86400),
  SESSION_MAX_TTL_SECONDS: int(7 * 86400, 60, 90 * 86400),
  SESSION_TOUCH_INTERVAL_SECONDS: int(300, 1, 86400),
  MCP_STATE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_AUTHORITY: url.optional().transform((v) => v ?? 'https://login.microsoftonline.com'),
  AUTH_V1_ISSUER_BASE: url.optional().transform((v) => v ?? 'https://sts.windows.net'),
  AUTH_TENANTS: list,
  AUTH_CLIENT_ID: z.string().optional(),
  AUTH_APP_ID_URI: z.string().optional(),
  AUTH_AUDIENCES: list,
  AUTH_REQUIRED_SCOPES: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(/[\s,]+/).filter(Boolean) : ['access_as_user'])),
  // Entra's default lifetime is 60-90 min; CAE-capable clients get up to 28 h (100800) and need a higher cap.
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: int(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 300, 7 * 86400),
  AUTH_CLIENT_SECRET: z.string().optional(),
  AUTH_CLIENT_CERTIFICATE_PATH: z.string().optional(),
  AUTH_CLIENT_CERTIFICATE_THUMBPRINT: z.string().optional(),
  AUTH_MANAGED_IDENTITY_CLIENT_ID: z.string().optional(),
  AUTH_OBO_MODE: z.enum(['secret', 'certificate', 'managed-identity']).optional(),
  DATAVERSE_URL: url.optional(),
  DATAVERSE_TIMEOUT_MS: int(30_000, 1000, 120_000),
  // Azure's front end ends an HTTP-triggered function after 230 s whatever functionTimeout says, so
  // a whole tool call (every request, retry and Retry-After wait) must end well before that.
  TOOL_TIMEOUT_SECONDS: int(120, 1, 200),
  // Org metadata (tables, columns, lookups, privilege names) and who each user is change with
  // deployments and role assignments, not requests: read once and kept this long.
  METADATA_CACHE_MINUTES: int(10, 1, 1440),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional().transform((v) => v ?? 'info'),
  IDENTITY_ENDPOINT: z.string().url().optional(),
  IDENTITY_HEADER: z.string().optional(),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
  LOG_FORMAT: z.enum(['default', 'json']).optional().transform((v) => v ?? 'default'),
});

/** Every setting the server reads (tests check the deployment and local.settings.sample.json against it). */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvSchema.shape);
/** Settings the hosting platform provides (App Service / Functions), never set by hand. */
export const PLATFORM_SETTINGS: readonly string[] = ['WEBSITE_HOSTNAME', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER'];

export type OboCredential =
  | { kind: 'secret'; clientSecret: string }
  | { kind: 'certificate'; certificatePath: string; thumbprint: string }
  | { kind: 'managed-identity'; managedIdentityClientId?: string };

export interface AuthConfig {
  /** Base of the authority, e.g. https://login.microsoftonline.com (Entra) or the local issuer. */
  authority: string;
  /** Base of Entra's v1 issuer (https://sts.windows.net); tokens from either form are accepted. */
  v1IssuerBase: string;
  /** Tenants whose tokens are accepted. */
  tenants: string[];
  /** The server's application (client) id, used for the on-behalf-of exchange. */
  clientId: string;
  /** Application ID URI (api://…), used to name full scopes in the protected-resource metadata. */
  appIdUri: string;
  audiences: string[];
  requiredScopes: string[];
  /** Tokens living longer than this (`exp - iat` or `exp - now`) are refused. */
  maxTokenLifetimeSeconds: number;
  obo: OboCredential | undefined;
  /** App Service / Functions managed identity endpoint (for the federated OBO credential). */
  managedIdentity: { endpoint: string; header: string } | undefined;
}

export interface AppConfig {
  publicBaseUrl: string;
  mcpEnabled: boolean;
  enableTestAgents: boolean;
  agents: AgentConfig[];
  allowedOrigins: string[];
  allowedHosts: string[];
  maxBodyBytes: number;
  tables: TablesConfig;
  sessions: { idleTtlSeconds: number; maxTtlSeconds: number; touchIntervalSeconds: number };
  stateSecret: string | undefined;
  auth: AuthConfig;
  dataverse: { url: string | undefined; timeoutMs: number };
  /** The longest one tool call may take, Dataverse retries and throttling waits included. */
  toolTimeoutMs: number;
  /** How long org metadata and each user's identity are kept before being read again. */
  metadataCacheMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  appInsightsConnectionString: string | undefined;
  /** `json`: telemetry records are printed as structured log lines too. */
  logFormat: 'default' | 'json';
}

/** Where sessions, handles and audit rows live: a connection string (Azurite, keys) or an account URL with a managed identity. */
export interface TablesConfig {
  connectionString: string | undefined;
  /** https://<account>.table.core.windows.net: reached through @azure/identity. */
  accountUrl: string | undefined;
  /** User-assigned identity for `accountUrl`; without it, DefaultAzureCredential decides. */
  managedIdentityClientId: string | undefined;
  prefix: string;
}

export type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  const e = parsed.data;

  const agents = e.AGENTS_JSON
    ? parseAgents(safeJson(e.AGENTS_JSON, 'AGENTS_JSON'), 'AGENTS_JSON')
    : loadAgentsFile(resolve(e.AGENTS_FILE ?? 'agents.json'));

  const publicBaseUrl =
    e.PUBLIC_BASE_URL ?? (e.WEBSITE_HOSTNAME ? `https://${e.WEBSITE_HOSTNAME}` : 'http://127.0.0.1:7071');

  // Fixture routes are for local runs and CI: a deployment (App Service sets WEBSITE_HOSTNAME) refuses them.
  if (e.ENABLE_TEST_AGENTS && e.WEBSITE_HOSTNAME) {
    throw new ConfigError('ENABLE_TEST_AGENTS cannot be set on a deployment: test-only agents (the conformance fixture) are served only locally and in CI.');
  }

  if (e.TABLES_CONNECTION_STRING && e.TABLES_ACCOUNT_URL) {
    throw new ConfigError('Set either TABLES_CONNECTION_STRING (Azurite, account keys) or TABLES_ACCOUNT_URL (managed identity), not both.');
  }

  const clientId = e.AUTH_CLIENT_ID ?? '';
  const appIdUri = e.AUTH_APP_ID_URI ?? (clientId ? `api://${clientId}` : '');
  const audiences = e.AUTH_AUDIENCES.length > 0 ? e.AUTH_AUDIENCES : [appIdUri, clientId].filter(Boolean);

  return {
    publicBaseUrl,
    mcpEnabled: e.MCP_ENABLED,
    enableTestAgents: e.ENABLE_TEST_AGENTS,
    agents,
    allowedOrigins: e.ALLOWED_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    tables: {
      connectionString: e.TABLES_CONNECTION_STRING,
      accountUrl: e.TABLES_ACCOUNT_URL,
      managedIdentityClientId: e.TABLES_MANAGED_IDENTITY_CLIENT_ID,
      prefix: e.TABLES_PREFIX,
    },
    sessions: {
      idleTtlSeconds: e.SESSION_IDLE_TTL_SECONDS,
      maxTtlSeconds: e.SESSION_MAX_TTL_SECONDS,
      touchIntervalSeconds: e.SESSION_TOUCH_INTERVAL_SECONDS,
    },
    stateSecret: e.MCP_STATE_SECRET,
    auth: {
      authority: e.AUTH_AUTHORITY,
      v1IssuerBase: e.AUTH_V1_ISSUER_BASE,
      tenants: e.AUTH_TENANTS,
      clientId,
      appIdUri,
      audiences,
      requiredScopes: e.AUTH_REQUIRED_SCOPES,
      maxTokenLifetimeSeconds: e.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
      obo: oboCredential(e),
      managedIdentity: e.IDENTITY_ENDPOINT && e.IDENTITY_HEADER ? { endpoint: e.IDENTITY_ENDPOINT, header: e.IDENTITY_HEADER } : undefined,
    },
    dataverse: { url: e.DATAVERSE_URL, timeoutMs: e.DATAVERSE_TIMEOUT_MS },
    toolTimeoutMs: e.TOOL_TIMEOUT_SECONDS * 1000,
    metadataCacheMs: e.METADATA_CACHE_MINUTES * 60_000,
    logLevel: e.LOG_LEVEL,
    appInsightsConnectionString: e.APPLICATIONINSIGHTS_CONNECTION_STRING,
    logFormat: e.LOG_FORMAT,
  };
}

function oboCredential(e: z.infer<typeof EnvSchema>): OboCredential | undefined {
  const mode =
    e.AUTH_OBO_MODE ??
    (e.AUTH_CLIENT_SECRET ? 'secret' : e.AUTH_CLIENT_CERTIFICATE_PATH ? 'certificate' : undefined);
  switch (mode) {
    case 'secret':
      if (!e.AUTH_CLIENT_SECRET) throw new ConfigError('AUTH_OBO_MODE=secret needs AUTH_CLIENT_SECRET.');
      return { kind: 'secret', clientSecret: e.AUTH_CLIENT_SECRET };
    case 'certificate':
      if (!e.AUTH_CLIENT_CERTIFICATE_PATH || !e.AUTH_CLIENT_CERTIFICATE_THUMBPRINT) {
        throw new ConfigError(
          'AUTH_OBO_MODE=certificate needs AUTH_CLIENT_CERTIFICATE_PATH (PEM with key) and AUTH_CLIENT_CERTIFICATE_THUMBPRINT.',
        );
      }
      return {
        kind: 'certificate',
        certificatePath: e.AUTH_CLIENT_CERTIFICATE_PATH,
        thumbprint: e.AUTH_CLIENT_CERTIFICATE_THUMBPRINT,
      };
    case 'managed-identity':
      return e.AUTH_MANAGED_IDENTITY_CLIENT_ID
        ? { kind: 'managed-identity', managedIdentityClientId: e.AUTH_MANAGED_IDENTITY_CLIENT_ID }
        : { kind: 'managed-identity' };
    default:
      return undefined;
  }
}

function safeJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Settings of the local dev host (`npm start`), read from the same single place as everything else. */
export interface DevHostSettings {
  port: number;
  dataDir: string;
}

export function readDevHostSettings(env: Env = process.env): DevHostSettings {
  const parsed = z
    .object({
      PORT: z.coerce.number().int().min(1).max(65_000).optional(),
      DATA_DIR: z.string().optional(),
    })
    .safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid PORT or DATA_DIR: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return { port: parsed.data.PORT ?? 7071, dataDir: resolve(parsed.data.DATA_DIR ?? 'data') };
}

/** A copy of the process environment, for hosts that pass it on to `loadConfig`. */
export function processEnv(): Env {
  return { ...process.env };
}
