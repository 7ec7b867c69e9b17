import { randomBytes } from 'node:crypto';

import type { TokenCredential } from '@azure/identity';
import type { QueueServiceClient } from '@azure/storage-queue';
import { createMcpHandler, createRequestStateCodec, getOAuthProtectedResourceMetadataUrl, legacyStatelessFallback } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';

import { fullScope } from '../auth/authenticate.js';
import { OboClient } from '../auth/obo.js';
import { OboError } from '../auth/oboError.js';
import { principalKey } from '../auth/principal.js';
import { TokenVerifier } from '../auth/tokenVerifier.js';
import { type AgentConfig, ConfigError } from '../config/agents.js';
import { type Clock, systemClock } from '../config/clock.js';
import type { AppConfig } from '../config/config.js';
import { CopilotServices } from '../copilot/copilotServices.js';
import { DataverseClient } from '../dataverse/client.js';
import { MetadataCaches } from '../dataverse/metadata.js';
import { PrivilegeCaches } from '../dataverse/privileges.js';
import type { AgentRoute, FileOutcome, McpApp } from '../http/mcpApp.js';
import { QueueHop, receiveFromPeers } from '../http/queueHop.js';
import { LegacyStreams, type StreamTimers } from '../http/sseStreams.js';
import { createServer, createSharedLegacyServer, createSharedModernServer, type ServerDeps } from '../mcp/createServer.js';
import type { SignedState } from '../mcp/exchange.js';
import { fromAuthInfo } from '../mcp/requestContext.js';
import { quickenSdkGuards } from '../mcp/sdkGuards.js';
import { SharedLegacyServers, SharedModernServers } from '../mcp/sharedServers.js';
import { deriveKey, openDownloadLink, referenceService } from '../mcp/secrets.js';
import { ServerRequestRelay } from '../mcp/serverRequests.js';
import { DiscoveryFilter } from '../mcp/discovery.js';
import { type AgentTools, canonicalName, checkToolCount, type CompiledTool, compileTool, listedDescriptors, servedNamesOf, surfaceForAgent, toolsForAgent } from '../mcp/toolInventory.js';
import { AuditLog } from '../sessions/auditLog.js';
import { ChatHistoryStore, ChatNotFoundError } from '../sessions/chatHistory.js';
import { ConfirmationStore } from '../sessions/confirmationStore.js';
import { DecisionStore } from '../sessions/decisionLog.js';
import { InstanceMailbox, type MailboxOptions, type MailboxTimers, openQueueService, queuesLocation } from '../sessions/instanceMailbox.js';
import { SessionStore } from '../sessions/sessionStore.js';
import { openTables, type TableClients, tablesLocation } from '../sessions/tableStorage.js';
import { telemetryFromConfig } from '../telemetry/fromConfig.js';
import type { Logger } from '../telemetry/log.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { type ChatHistory, ToolError } from '../tools/defineTool.js';
import { readDocumentFile } from '../tools/knowledge/sources.js';
import type { RequestContext } from '../mcp/requestContext.js';
import type { Principal } from '../auth/principal.js';
import { DataverseError } from '../dataverse/errors.js';
import { DISCOVERY_NEEDS } from '../tools/discovery.js';
import { ALL_PROMPTS, ALL_RESOURCES, ALL_TOOLS, RAW_TOOLS } from '../tools/index.js';
import { NAME_MAP } from '../tools/names.js';
import { viewFor } from '../tools/views/catalog.js';

/** Tables the Dataverse tools may use when an agent does not list its own. */
export const DEFAULT_TABLES = ['account', 'contact', 'lead', 'opportunity', 'incident', 'annotation', 'email', 'task', 'phonecall', 'knowledgearticle', 'systemuser'];

export interface BuildOptions {
  config: AppConfig;
  log: Logger;
  /** Time source for every expiry, cursor, audit row and token check; default the wall clock. */
  clock?: Clock;
  /** Already-open Table Storage clients (tests share one Azurite); default: opened from the config. */
  tables?: TableClients;
  /** For tests that observe outbound calls (OBO, Dataverse). */
  fetch?: typeof fetch;
  /** Default: what the configuration asks for (Application Insights, LOG_FORMAT=json, or off). */
  telemetry?: Telemetry;
  /** Keep-alive and maximum-duration timers of legacy SSE streams; tests drive them by hand. */
  streamTimers?: StreamTimers;
  /** Delivery queues: polling pace; an already-open queue service (tests that disturb the wire), or the credential for QUEUES_ACCOUNT_URL. */
  queues?: { poll?: MailboxOptions['poll']; service?: QueueServiceClient; credential?: TokenCredential; timers?: MailboxTimers };
}

/**
 * The one composition of the product: configuration, token verification, on-behalf-of, the
 * Dataverse client per request, sessions, confirmations, audit and every agent's tool inventory.
 * The Functions entry and the dev host both call it; src/http only adapts HTTP to what it builds.
 */
export async function buildApp({
  config,
  log,
  clock = systemClock,
  tables: given,
  fetch: fetchImpl,
  telemetry: givenTelemetry,
  streamTimers,
  queues = {},
}: BuildOptions): Promise<McpApp> {
  if (!config.stateSecret) {
    throw new ConfigError('MCP_STATE_SECRET is required (32+ characters, the same on every instance): it protects confirmations and cursors.');
  }
  // The SDK's message guards reject what cannot pass before parsing it (same answers; see sdkGuards.ts).
  quickenSdkGuards();
  const telemetry = givenTelemetry ?? telemetryFromConfig(config, log, { tools: [...ALL_TOOLS.map((t) => t.name), ...NAME_MAP.map((m) => m.cx), ...RAW_TOOLS.map((t) => t.descriptor.name)] });
  const location = tablesLocation(config.tables);
  if (!given && !location) throw new ConfigError('TABLES_CONNECTION_STRING (Azurite, account keys) or TABLES_ACCOUNT_URL (managed identity) is required.');
  const queuesAt = queuesLocation(config.queues);
  if (!queuesAt) {
    throw new ConfigError('QUEUES_CONNECTION_STRING (Azurite, account keys) or QUEUES_ACCOUNT_URL (managed identity) is required: instances hand each other legacy SSE messages and answers to server→client requests through Storage Queues.');
  }
  const tables = given ?? (await openTables(location!, config.tables.prefix, { observe: (call) => telemetry.storage(call) }));
  const verifier = new TokenVerifier({
    authority: config.auth.authority,
    v1IssuerBase: config.auth.v1IssuerBase,
    tenants: config.auth.tenants,
    maxTokenLifetimeSeconds: config.auth.maxTokenLifetimeSeconds,
    now: clock,
  });
  const compiled = ALL_TOOLS.map(compileTool);
  const sessions = new SessionStore(tables.sessions, config.sessions, clock);
  // One id per instance: it names this instance's queue, its stream rows and its relay ids.
  const instance = randomBytes(8).toString('hex');
  const mailbox = new InstanceMailbox({
    service: queues.service ?? (await openQueueService(queuesAt, queues.credential && { credential: queues.credential })),
    prefix: config.tables.prefix,
    instance,
    log,
    // Messages between instances are signed with a key only instances hold.
    key: deriveKey(config.stateSecret, 'queue'),
    now: clock,
    observe: (facts) => telemetry.relay(facts),
    ...(queues.poll && { poll: queues.poll }),
    ...(queues.timers && { timers: queues.timers }),
  });
  // Queues of instances that died unannounced are removed now and then (by whichever instance looks first).
  mailbox.startHousekeeping();
  const relay = new ServerRequestRelay(new QueueHop(mailbox), instance);
  const streams = new LegacyStreams({
    mailbox,
    sessions,
    keepAliveMs: config.legacySse.keepAliveMs,
    maxStreamMs: config.legacySse.maxStreamMs,
    ...(streamTimers && { timers: streamTimers }),
    relay,
    log,
  });
  receiveFromPeers(mailbox, relay, streams);
  const routes = new Map<string, AgentRoute>();
  for (const agent of config.agents) {
    if (agent.testOnly && !config.enableTestAgents) continue;
    const route = buildRoute(agent, compiled, config, clock);
    // More than 128 tools is refused here; more than 40 is allowed with a warning (Copilot Studio's limit and advice).
    const tooMany = checkToolCount(agent.id, route.agent.listResult.tools.length);
    if (tooMany) log.warn(tooMany, { agent: agent.id });
    routes.set(agent.id, route);
  }

  const confirmations = new ConfirmationStore(tables.handles, 600, clock);
  const stateCodec = createRequestStateCodec<SignedState>({
    key: deriveKey(config.stateSecret, 'request-state'),
    ttlSeconds: 600,
    // Request state minted for one user and agent is refused for any other.
    bind: (serverContext) => {
      const request = fromAuthInfo(serverContext.http?.authInfo);
      return `${principalKey(request.principal)}|${request.agent.settings.id}`;
    },
  });
  const copilot = new CopilotServices({ config: config.copilot, clock, cacheMs: config.metadataCacheMs, ...(fetchImpl && { fetch: fetchImpl }) });
  const decisions = new DecisionStore(tables.decisions, clock);
  const chats = new ChatHistoryStore(tables.chats, config.chatHistoryTtlSeconds, clock);
  const referenceKey = deriveKey(config.stateSecret, 'reference');
  const linkKey = deriveKey(config.stateSecret, 'download');
  const obo = config.auth.obo
    ? new OboClient({
        authority: config.auth.authority,
        clientId: config.auth.clientId,
        credential: config.auth.obo,
        ...(config.auth.managedIdentity && { managedIdentity: config.auth.managedIdentity }),
        ...(fetchImpl && { fetch: fetchImpl }),
        now: clock,
        onCacheLookup: (hit) => telemetry.cacheLookup('obo', hit),
      })
    : undefined;
  const dataverseUrl = config.dataverse.url;
  const scope = dataverseUrl ? `${dataverseUrl}/.default` : '';
  /** Dataverse on behalf of the request's user (their token exchanged with on-behalf-of; never forwarded). */
  const dataverseFor = (request: Pick<RequestContext, 'principal' | 'assertion' | 'requestId' | 'log'>, signal: AbortSignal) =>
    new DataverseClient({
      url: dataverseUrl ?? 'https://dataverse.invalid',
      timeoutMs: config.dataverse.timeoutMs,
      signal,
      log: request.log,
      observe: telemetry.dataverse(request.requestId),
      ...(fetchImpl && { fetch: fetchImpl }),
      tokens: {
        getToken: async (_signal, options) => {
          if (!dataverseUrl) throw new ToolError('Dataverse is not configured on this server (DATAVERSE_URL is not set).', 'unavailable');
          if (!obo) throw new OboError('This server has no credential for the on-behalf-of exchange (set AUTH_CLIENT_SECRET, a certificate or managed identity).', 'misconfigured');
          return obo.getToken(request.assertion, request.principal, scope, options);
        },
      },
    });
  const deps: ServerDeps = {
    // One validator for every per-request server: building Ajv per instance costs ~200 µs.
    validator: new AjvJsonSchemaValidator(),
    confirmations,
    audit: new AuditLog(tables.audit, log, clock),
    stateCodec,
    cursorKey: deriveKey(config.stateSecret, 'cursor'),
    privilegeCaches: new PrivilegeCaches(clock),
    metadataCaches: new MetadataCaches(clock, config.metadataCacheMs, (hit) => telemetry.cacheLookup('metadata', hit)),
    toolTimeoutMs: config.toolTimeoutMs,
    now: clock,
    telemetry,
    setLogLevel: (session, level) => sessions.setLogLevel(session, level),
    relay,
    // Each tool call gets the agent's Copilot provider and the user's decision log.
    callServices: ({ principal, agent, dataverse, signal, now, log: callLog }) => ({
      copilot: copilot.forCall({ kind: agent.copilot, dataverse, signal, now, log: callLog }),
      decisions: decisions.forUser(principal, agent.id),
      references: referenceService({ referenceKey, linkKey, principal, agentId: agent.id, publicBaseUrl: config.publicBaseUrl, now: clock }),
      chats: chatsOf(chats, principal, agent.id),
    }),
    dataverse: dataverseFor,
  };
  /** `GET /mcp/{agentId}/files/{token}`: a signed download link opened by the user it was issued to, the file read as them. */
  const files: McpApp['files'] = {
    async read({ token, agentId, principal, assertion, requestId, log: fileLog, signal }): Promise<FileOutcome> {
      const link = openDownloadLink(linkKey, token, principal, agentId, clock);
      if (!link.ok) {
        if (link.reason === 'malformed') return { ok: false, status: 400, code: 'bad_link', message: 'This is not a download link of this server.' };
        if (link.reason === 'foreign') return { ok: false, status: 403, code: 'not_your_link', message: 'This download link was issued to another user or for another agent.' };
        return { ok: false, status: 404, code: 'link_expired', message: 'This download link expired or is unknown: call get_reference again for a fresh one.' };
      }
      try {
        const file = await readDocumentFile(dataverseFor({ principal, assertion, requestId, log: fileLog }, signal), link.table, link.id, link.column);
        return { ok: true, ...file };
      } catch (err) {
        return fileFailure(err, fileLog);
      }
    },
  };
  const factory = ({ authInfo }: { authInfo?: Parameters<typeof fromAuthInfo>[0] }) => {
    const request = fromAuthInfo(authInfo);
    return createServer(request.agent, request, deps);
  };
  const onerror = (err: Error) => log.debug('mcp transport', { error: err.message });
  const modern = createMcpHandler(factory, { legacy: 'reject', maxRequestBodySize: config.maxBodyBytes, onerror });
  const legacy = legacyStatelessFallback(factory, onerror, { maxRequestBodySize: config.maxBodyBytes });
  const shared = config.sharedServers ? new SharedModernServers((agent) => createSharedModernServer(agent, deps), onerror) : undefined;
  const sharedLegacy = config.sharedServers ? new SharedLegacyServers((agent) => createSharedLegacyServer(agent, deps), onerror, config.maxBodyBytes) : undefined;

  return {
    config,
    log,
    telemetry,
    routes,
    sessions,
    chats,
    files,
    confirmations,
    tables,
    verifier,
    modern,
    shared,
    sharedLegacy,
    legacy,
    relay,
    streams,
    sweepOrphanQueues: () => mailbox.sweepOrphans(),
    close: async () => {
      await streams.close();
      await modern.close();
      await shared?.close();
      await sharedLegacy?.close();
      await mailbox.close();
      await telemetry.flush();
    },
  };
}

function buildRoute(agent: AgentConfig, compiled: readonly CompiledTool[], config: AppConfig, clock: Clock): AgentRoute {
  const tools = toolsForAgent(agent, compiled);
  const raw = RAW_TOOLS.filter((t) => agent.toolsets.includes(t.toolset));
  const settings: AgentTools['settings'] = {
    id: agent.id,
    title: agent.title,
    readOnly: agent.readOnly,
    toolsets: agent.toolsets,
    tables: agent.tables ?? DEFAULT_TABLES,
    confirmAllWrites: agent.confirmWrites === 'all',
    research: agent.research ?? {},
    quoteCaseNotes: agent.quoteCaseNotes,
    recordDeletes: agent.recordDeletes,
    copilot: agent.copilot ?? config.copilot.provider,
    prioritization: agent.prioritization ?? {},
  };
  const servedNames = servedNamesOf(tools);
  const listed = listedDescriptors(tools, servedNames, (declared) => viewFor(declared)?.uri);
  const served: AgentTools = {
    title: agent.title,
    instructions: agent.instructions,
    settings,
    tools: new Map(tools.map((t) => [t.def.name, t])),
    servedNames,
    raw: new Map(raw.map((t) => [t.descriptor.name, t])),
    listResult: { tools: [...listed, ...raw.map((t) => t.descriptor)] },
    ...(agent.discovery === 'privileges' && config.toolDiscovery === 'privileges' && {
      discovery: new DiscoveryFilter(
        tools.map((t, i) => ({ descriptor: listed[i]!, needs: DISCOVERY_NEEDS[canonicalName(t)] ?? [] })),
        raw.map((t) => t.descriptor),
        clock,
      ),
    }),
    ...surfaceForAgent(settings, new Set(tools.map(canonicalName)), ALL_PROMPTS, ALL_RESOURCES),
  };
  const audiences = agent.audiences ?? config.auth.audiences;
  const scopePrefix = audiences.find((a) => a.startsWith('api://')) ?? config.auth.appIdUri;
  const requiredScopes = (agent.requiredScopes ?? config.auth.requiredScopes).map((s) => fullScope(s, scopePrefix));
  const resourceUrl = new URL(`${config.publicBaseUrl}/mcp/${agent.id}`);
  const tenant = config.auth.tenants[0] ?? 'organizations';
  const issuer = `${config.auth.authority}/${tenant}/v2.0`;
  return {
    config: agent,
    agent: served,
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

/** The chat history a tool sees: the user's chats on the agent; a chat gone between reading and writing is "not found". */
function chatsOf(store: ChatHistoryStore, principal: Principal, agentId: string): ChatHistory {
  const mine = store.forUser(principal, agentId);
  return {
    get: (chatId) => mine.get(chatId),
    append: async (chatId, turn) => {
      try {
        return await mine.append(chatId, turn);
      } catch (err) {
        if (err instanceof ChatNotFoundError) throw new ToolError('This chat expired while it was answered; send the message without chatId to start a new chat.', 'not_found');
        throw err;
      }
    },
  };
}

/** What the download route answers when the file cannot be read: Dataverse's verdict, never its URL or a stack. */
function fileFailure(err: unknown, log: Logger): FileOutcome {
  if (err instanceof ToolError) return { ok: false, status: err.code === 'not_found' ? 404 : err.code === 'unavailable' ? 503 : 400, code: err.code, message: err.message };
  if (err instanceof OboError) return { ok: false, status: 403, code: 'sign_in', message: err.message };
  if (err instanceof DataverseError) {
    log.info('download refused by dataverse', { kind: err.kind, status: err.status, dataverseRequestId: err.requestId });
    if (err.kind === 'not_found') return { ok: false, status: 404, code: 'not_found', message: 'The document no longer exists.' };
    if (err.kind === 'forbidden') return { ok: false, status: 403, code: 'forbidden', message: 'You no longer have access to this document in Dataverse.' };
    if (err.kind === 'throttled') return { ok: false, status: 429, code: 'throttled', message: 'Dataverse is throttling requests; retry shortly.', retryAfter: err.retryAfterSeconds ?? 30 };
    return { ok: false, status: 502, code: 'dataverse', message: 'Dataverse could not return the document; retry shortly.' };
  }
  log.error('download failed', { error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  return { ok: false, status: 500, code: 'internal_error', message: 'The document could not be served.' };
}
