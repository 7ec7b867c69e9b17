import {
  type AuthMetadataOptions,
  createMcpHandler,
  createRequestStateCodec,
  getOAuthProtectedResourceMetadataUrl,
  legacyStatelessFallback,
  type LegacyHttpHandler,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';

import { fullScope, type RouteAuthPolicy } from '../auth/authenticate.js';
import { OboClient, OboError } from '../auth/obo.js';
import { principalKey } from '../auth/principal.js';
import type { TokenVerifier } from '../auth/tokenVerifier.js';
import type { AgentConfig } from '../config/agents.js';
import { ConfigError } from '../config/agents.js';
import { type Clock, systemClock } from '../config/clock.js';
import type { AppConfig } from '../config/config.js';
import { DataverseClient } from '../dataverse/client.js';
import { MetadataCaches } from '../dataverse/metadata.js';
import { PrivilegeCaches } from '../dataverse/privileges.js';
import { type AgentSurface, createServer, type ServerDeps } from '../mcp/createServer.js';
import type { ConfirmState } from '../mcp/dispatch.js';
import { fromAuthInfo } from '../mcp/requestContext.js';
import { deriveKey } from '../mcp/secrets.js';
import { compileTool, toolsForAgent, type CompiledTool } from '../mcp/toolInventory.js';
import { AuditLog } from '../sessions/auditLog.js';
import { ConfirmationStore } from '../sessions/confirmationStore.js';
import { SessionStore } from '../sessions/sessionStore.js';
import type { TableClients } from '../sessions/tableStorage.js';
import type { Logger } from '../telemetry/log.js';
import { ToolError } from '../tools/defineTool.js';
import { ALL_TOOLS } from '../tools/index.js';

/** Tables the Dataverse tools may use when an agent does not list its own. */
const DEFAULT_TABLES = ['account', 'contact', 'lead', 'opportunity', 'incident', 'annotation', 'email', 'task', 'phonecall', 'knowledgearticle', 'systemuser'];

/** Everything one agent route needs, built once at start-up. */
export interface AgentRoute {
  config: AgentConfig;
  surface: AgentSurface;
  auth: RouteAuthPolicy;
  resourceUrl: URL;
  metadata: AuthMetadataOptions;
}

export interface McpApp {
  config: AppConfig;
  log: Logger;
  routes: ReadonlyMap<string, AgentRoute>;
  sessions: SessionStore;
  confirmations: ConfirmationStore;
  tables: TableClients;
  verifier: TokenVerifier;
  modern: McpHttpHandler;
  legacy: LegacyHttpHandler;
  close(): Promise<void>;
}

export interface McpAppDeps {
  config: AppConfig;
  tables: TableClients;
  verifier: TokenVerifier;
  log: Logger;
  /** For tests that need to observe outbound calls. */
  fetch?: typeof fetch;
  /** Time source for expiries, cursors and audit rows; default the wall clock. */
  clock?: Clock;
}

export function createMcpApp({ config, tables, verifier, log, fetch: fetchImpl, clock = systemClock }: McpAppDeps): McpApp {
  if (!config.stateSecret) {
    throw new ConfigError('MCP_STATE_SECRET is required (32+ characters, the same on every instance): it protects confirmations and cursors.');
  }
  const compiled = ALL_TOOLS.map(compileTool);
  const routes = new Map<string, AgentRoute>();
  for (const agent of config.agents) {
    if (agent.testOnly && !config.enableTestAgents) continue;
    routes.set(agent.id, buildRoute(agent, compiled, config));
  }

  const confirmations = new ConfirmationStore(tables.handles, 600, clock);
  const stateCodec = createRequestStateCodec<ConfirmState>({
    key: deriveKey(config.stateSecret, 'request-state'),
    ttlSeconds: 600,
    // Request state minted for one user and agent is refused for any other.
    bind: (ctx) => {
      const rc = fromAuthInfo(ctx.http?.authInfo);
      return `${principalKey(rc.principal)}|${rc.surface.view.id}`;
    },
  });
  const obo = config.auth.obo
    ? new OboClient({
        authority: config.auth.authority,
        clientId: config.auth.clientId,
        credential: config.auth.obo,
        ...(config.auth.managedIdentity && { managedIdentity: config.auth.managedIdentity }),
        ...(fetchImpl && { fetch: fetchImpl }),
        now: clock,
      })
    : undefined;
  const dataverseUrl = config.dataverse.url;
  const scope = dataverseUrl ? `${dataverseUrl}/.default` : '';
  const deps: ServerDeps = {
    // One validator for every per-request server: building Ajv per instance costs ~200 µs.
    validator: new AjvJsonSchemaValidator(),
    confirmations,
    audit: new AuditLog(tables.audit, log, clock),
    stateCodec,
    cursorKey: deriveKey(config.stateSecret, 'cursor'),
    privilegeCaches: new PrivilegeCaches(clock),
    metadataCaches: new MetadataCaches(clock),
    toolTimeoutMs: config.toolTimeoutMs,
    now: clock,
    dataverse: (rc, signal) =>
      new DataverseClient({
        url: dataverseUrl ?? 'https://dataverse.invalid',
        timeoutMs: config.dataverse.timeoutMs,
        signal,
        log: rc.log,
        ...(fetchImpl && { fetch: fetchImpl }),
        tokens: {
          getToken: async (_signal, options) => {
            if (!dataverseUrl) throw new ToolError('Dataverse is not configured on this server (DATAVERSE_URL is not set).', 'unavailable');
            if (!obo) throw new OboError('This server has no credential for the on-behalf-of exchange (set AUTH_CLIENT_SECRET, a certificate or managed identity).', 'misconfigured');
            return obo.getToken(rc.assertion, rc.principal, scope, options);
          },
        },
      }),
  };
  const factory = ({ authInfo }: { authInfo?: Parameters<typeof fromAuthInfo>[0] }) => {
    const rc = fromAuthInfo(authInfo);
    return createServer(rc.surface, rc, deps);
  };
  const onerror = (err: Error) => log.debug('mcp transport', { error: err.message });
  const modern = createMcpHandler(factory, { legacy: 'reject', maxRequestBodySize: config.maxBodyBytes, onerror });
  const legacy = legacyStatelessFallback(factory, onerror, { maxRequestBodySize: config.maxBodyBytes });

  return {
    config,
    log,
    routes,
    sessions: new SessionStore(tables.sessions, config.sessions, clock),
    confirmations,
    tables,
    verifier,
    modern,
    legacy,
    close: () => modern.close(),
  };
}

function buildRoute(agent: AgentConfig, compiled: readonly CompiledTool[], config: AppConfig): AgentRoute {
  const tools = toolsForAgent(agent, compiled);
  const surface: AgentSurface = {
    title: agent.title,
    instructions: agent.instructions,
    view: {
      id: agent.id,
      title: agent.title,
      readOnly: agent.readOnly,
      toolsets: agent.toolsets,
      tables: agent.tables ?? DEFAULT_TABLES,
      confirmAllWrites: agent.confirmWrites === 'all',
      research: agent.research ?? {},
      quoteCaseNotes: agent.quoteCaseNotes,
    },
    tools: new Map(tools.map((t) => [t.def.name, t])),
    listResult: { tools: tools.map((t) => t.descriptor) },
  };
  const audiences = agent.audiences ?? config.auth.audiences;
  const scopePrefix = audiences.find((a) => a.startsWith('api://')) ?? config.auth.appIdUri;
  const requiredScopes = (agent.requiredScopes ?? config.auth.requiredScopes).map((s) => fullScope(s, scopePrefix));
  const resourceUrl = new URL(`${config.publicBaseUrl}/mcp/${agent.id}`);
  const tenant = config.auth.tenants[0] ?? 'organizations';
  const issuer = `${config.auth.authority}/${tenant}/v2.0`;
  return {
    config: agent,
    surface,
    resourceUrl,
    auth: {
      audiences,
      requiredScopes,
      scopePrefix,
      resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(resourceUrl),
    },
    metadata: {
      resourceServerUrl: resourceUrl,
      resourceName: `Dynamics 365 & Dataverse MCP: ${agent.title}`,
      scopesSupported: requiredScopes,
      oauthMetadata: {
        issuer,
        authorization_endpoint: `${config.auth.authority}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${config.auth.authority}/${tenant}/oauth2/v2.0/token`,
        jwks_uri: `${config.auth.authority}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: requiredScopes,
      },
    },
  };
}
