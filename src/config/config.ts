import { resolve } from 'node:path';
import { z } from 'zod';

import { type AgentConfig, ConfigError, COPILOT_PROVIDERS, loadAgentsFile, parseAgents } from './agents.js';

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
  MCP_SHARED_SERVERS: bool(true),
  /** `all` lists every agent tool to everyone, overriding agents' privilege-filtered discovery. */
  TOOL_DISCOVERY: z.enum(['privileges', 'all']).default('privileges'),
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
  // Cross-instance delivery (legacy SSE streams, answers to server→client requests): Storage Queues.
  QUEUES_CONNECTION_STRING: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  QUEUES_ACCOUNT_URL: z.preprocess((v) => (v === '' ? undefined : v), url.optional()),
  TABLES_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,30}$/, 'letters and digits only, starting with a letter')
    .optional()
    .transform((v) => v ?? 'mcp'),
  SESSION_IDLE_TTL_SECONDS: int(8 * 3600, 60, 30 * 86400),
  SESSION_MAX_TTL_SECONDS: int(7 * 86400, 60, 90 * 86400),
  SESSION_TOUCH_INTERVAL_SECONDS: int(300, 1, 86400),
  // An instance reuses a session row it read for this long (0: read it on every request); a DELETE
  // on another instance is seen here after at most this long.
  SESSION_CACHE_SECONDS: int(5, 0, 300),
  // A knowledge chat (chat tool) is remembered this long after its latest question.
  CHAT_HISTORY_TTL_MINUTES: int(60, 1, 7 * 1440),
  // Legacy HTTP+SSE streams: a comment this often keeps proxies from closing an idle stream, and a
  // stream ends before Azure's front end cuts every HTTP response at 230 s.
  SSE_KEEPALIVE_SECONDS: int(15, 1, 120),
  SSE_MAX_STREAM_SECONDS: int(210, 10, 225),
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
  // Summaries, drafts and answers: the embedded grounded generator unless a deployment chooses the
  // org's Copilot APIs or a chat-completions endpoint (each falls back to the embedded one).
  COPILOT_PROVIDER: z.enum(COPILOT_PROVIDERS).optional().transform((v) => v ?? 'embedded'),
  COPILOT_CHAT_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  COPILOT_CHAT_MODEL: z.string().optional(),
  COPILOT_CHAT_API_KEY: z.string().optional(),
  COPILOT_CHAT_AUTH: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['key', 'managed-identity']).optional()),
  COPILOT_CHAT_MANAGED_IDENTITY_CLIENT_ID: z.string().optional(),
  COPILOT_CHAT_SCOPE: z.string().optional().transform((v) => v || 'https://cognitiveservices.azure.com/.default'),
  COPILOT_CHAT_TIMEOUT_SECONDS: int(20, 1, 60),
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
  /** Plain 2026-07-28 and single 2025-era requests go to long-lived servers per agent route (src/mcp/sharedServers.ts). */
  sharedServers: boolean;
  /** `privileges`: each agent's `discovery` applies; `all`: every tool is listed to everyone. */
  toolDiscovery: 'privileges' | 'all';
  enableTestAgents: boolean;
  agents: AgentConfig[];
  allowedOrigins: string[];
  allowedHosts: string[];
  maxBodyBytes: number;
  tables: TablesConfig;
  queues: QueuesConfig;
  sessions: { idleTtlSeconds: number; maxTtlSeconds: number; touchIntervalSeconds: number; cacheSeconds: number };
  /** How long a knowledge chat's history is kept after its latest turn. */
  chatHistoryTtlSeconds: number;
  /** The legacy HTTP+SSE transport (2024-11-05): keep-alive interval and the longest a stream stays open. */
  legacySse: { keepAliveMs: number; maxStreamMs: number };
  stateSecret: string | undefined;
  auth: AuthConfig;
  dataverse: { url: string | undefined; timeoutMs: number };
  /** The longest one tool call may take, Dataverse retries and throttling waits included. */
  toolTimeoutMs: number;
  /** How long org metadata and each user's identity are kept before being read again. */
  metadataCacheMs: number;
  /** Where summaries, drafts and answers come from, and the chat endpoint when there is one. */
  copilot: CopilotConfig;
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

/**
 * Where each instance's delivery queue lives (Storage Queues): a connection string, or the account's
 * queue endpoint reached with the same managed identity as the tables.
 */
export interface QueuesConfig {
  connectionString: string | undefined;
  /** https://<account>.queue.core.windows.net: reached through @azure/identity. */
  accountUrl: string | undefined;
  /** The identity for `accountUrl` (TABLES_MANAGED_IDENTITY_CLIENT_ID: one identity for the account). */
  managedIdentityClientId: string | undefined;
}

/** The deployment's Copilot provider (agents may choose another) and the chat-completions endpoint. */
export interface CopilotConfig {
  provider: (typeof COPILOT_PROVIDERS)[number];
  chat: ChatConfig | undefined;
}

export interface ChatConfig {
  /** The full chat-completions URL (https, or http on loopback). */
  url: string;
  model: string;
  timeoutMs: number;
  auth:
    | { kind: 'key'; key: string; /** Azure OpenAI takes `api-key`; other services a bearer key. */ header: 'api-key' | 'authorization' }
    | { kind: 'managed-identity'; clientId: string | undefined; scope: string };
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

  if (e.QUEUES_CONNECTION_STRING && e.QUEUES_ACCOUNT_URL) {
    throw new ConfigError('Set either QUEUES_CONNECTION_STRING (Azurite, account keys) or QUEUES_ACCOUNT_URL (managed identity), not both.');
  }

  const clientId = e.AUTH_CLIENT_ID ?? '';
  const appIdUri = e.AUTH_APP_ID_URI ?? (clientId ? `api://${clientId}` : '');
  const audiences = e.AUTH_AUDIENCES.length > 0 ? e.AUTH_AUDIENCES : [appIdUri, clientId].filter(Boolean);

  return {
    publicBaseUrl,
    mcpEnabled: e.MCP_ENABLED,
    sharedServers: e.MCP_SHARED_SERVERS,
    toolDiscovery: e.TOOL_DISCOVERY,
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
    queues: {
      // An account connection string (or Azurite's) serves queues as well as tables.
      connectionString: e.QUEUES_CONNECTION_STRING ?? (e.QUEUES_ACCOUNT_URL ? undefined : servesQueues(e.TABLES_CONNECTION_STRING)),
      accountUrl: e.QUEUES_ACCOUNT_URL,
      managedIdentityClientId: e.TABLES_MANAGED_IDENTITY_CLIENT_ID,
    },
    legacySse: { keepAliveMs: e.SSE_KEEPALIVE_SECONDS * 1000, maxStreamMs: e.SSE_MAX_STREAM_SECONDS * 1000 },
    sessions: {
      idleTtlSeconds: e.SESSION_IDLE_TTL_SECONDS,
      maxTtlSeconds: e.SESSION_MAX_TTL_SECONDS,
      touchIntervalSeconds: e.SESSION_TOUCH_INTERVAL_SECONDS,
      cacheSeconds: e.SESSION_CACHE_SECONDS,
    },
    chatHistoryTtlSeconds: e.CHAT_HISTORY_TTL_MINUTES * 60,
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
    copilot: copilotConfig(e, agents),
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

function copilotConfig(e: z.infer<typeof EnvSchema>, agents: readonly AgentConfig[]): CopilotConfig {
  const chat = chatConfig(e);
  const wantsChat = [e.COPILOT_PROVIDER === 'chat' && 'COPILOT_PROVIDER=chat', ...agents.filter((a) => a.copilot === 'chat').map((a) => `agent ${a.id} (copilot: chat)`)].filter(Boolean);
  if (!chat && wantsChat.length) throw new ConfigError(`${wantsChat.join(' and ')} needs a chat-completions endpoint: set COPILOT_CHAT_URL and COPILOT_CHAT_MODEL.`);
  return { provider: e.COPILOT_PROVIDER, chat };
}

function chatConfig(e: z.infer<typeof EnvSchema>): ChatConfig | undefined {
  if (!e.COPILOT_CHAT_URL) return undefined;
  const url = new URL(e.COPILOT_CHAT_URL);
  // CRM facts never travel in clear text, except to a model on this machine.
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError('COPILOT_CHAT_URL must be an https URL (http only on 127.0.0.1 or localhost).');
  if (url.username || url.password) throw new ConfigError('COPILOT_CHAT_URL must not carry credentials; set COPILOT_CHAT_API_KEY or use a managed identity.');
  if (!e.COPILOT_CHAT_MODEL) throw new ConfigError('COPILOT_CHAT_URL needs COPILOT_CHAT_MODEL (the model or deployment name).');
  const kind = e.COPILOT_CHAT_AUTH ?? (e.COPILOT_CHAT_API_KEY ? 'key' : 'managed-identity');
  if (kind === 'key' && !e.COPILOT_CHAT_API_KEY) throw new ConfigError('COPILOT_CHAT_AUTH=key needs COPILOT_CHAT_API_KEY.');
  const azure = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/i.test(url.hostname);
  return {
    url: e.COPILOT_CHAT_URL,
    model: e.COPILOT_CHAT_MODEL,
    timeoutMs: e.COPILOT_CHAT_TIMEOUT_SECONDS * 1000,
    auth:
      kind === 'key'
        ? { kind: 'key', key: e.COPILOT_CHAT_API_KEY ?? '', header: azure ? 'api-key' : 'authorization' }
        : { kind: 'managed-identity', clientId: e.COPILOT_CHAT_MANAGED_IDENTITY_CLIENT_ID || undefined, scope: e.COPILOT_CHAT_SCOPE },
  };
}

/** The tables' connection string when it also reaches queues: not one that names only a table endpoint. */
function servesQueues(connectionString: string | undefined): string | undefined {
  if (!connectionString) return undefined;
  if (/(^|;)\s*QueueEndpoint=/i.test(connectionString) || /UseDevelopmentStorage=true/i.test(connectionString)) return connectionString;
  return /(^|;)\s*TableEndpoint=/i.test(connectionString) ? undefined : connectionString;
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
