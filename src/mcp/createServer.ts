import {
  type jsonSchemaValidator,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  Server,
  SUPPORTED_PROTOCOL_VERSIONS,
  type ServerCapabilities,
  type ServerContext,
  type ServerOptions,
  type Transport,
} from '@modelcontextprotocol/server';

import { type Principal, principalKey } from '../auth/principal.js';
import type { DataverseClient } from '../dataverse/client.js';
import { type CurrentUser, type MetadataCaches, OrgMetadata } from '../dataverse/metadata.js';
import { PrivilegeChecker, type PrivilegeCaches } from '../dataverse/privileges.js';
import type { LogLevel, SessionRecord } from '../sessions/sessionStore.js';
import type { Logger } from '../telemetry/log.js';
import { currentExchange } from '../telemetry/telemetry.js';
import type { AgentSettings, CallServices, CursorSealer, ToolContext, ToolServiceFactory } from '../tools/defineTool.js';
import type { SurfaceContext } from '../tools/surface.js';
import { dispatch, type DispatchDeps, errorResult } from './dispatch.js';
import { exchangeFor, withInput } from './exchange.js';
import { fromAuthInfo, type RequestContext } from './requestContext.js';
import { cursorSealer } from './secrets.js';
import type { ServerRequestRelay } from './serverRequests.js';
import { readThrough, registerSurface, type SurfaceDeps } from './surfaceHandlers.js';
import { type AgentTools, renameTools } from './toolInventory.js';

export const SERVER_NAME = 'dataverse-mcp';
export const SERVER_VERSION = '0.1.0';
const MODERN_VERSION = '2026-07-28';

export interface ServerDeps extends DispatchDeps, ToolServiceFactory {
  validator: jsonSchemaValidator;
  cursorKey: Buffer;
  /** A Dataverse client acting for this request's user. */
  dataverse(request: RequestContext, signal: AbortSignal): DataverseClient;
  privilegeCaches: PrivilegeCaches;
  /** Deadline of one tool call, far below the Functions front end's 230 s. */
  toolTimeoutMs: number;
  metadataCaches: MetadataCaches;
  now(): number;
  /** Stores a 2025-era session's `logging/setLevel`. */
  setLogLevel(session: SessionRecord, level: LogLevel): Promise<void>;
  /** Routes clients' answers to server→client requests back to the call that asked. */
  relay: ServerRequestRelay;
}

/** What lists and reads may be cached for (SEP-2549): the lists change with a deployment, resources with the data. */
const CACHE_HINTS = {
  'tools/list': { ttlMs: 300_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 300_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 300_000, cacheScope: 'private' },
  // Narrowed to what the user may read, which a role change alters.
  'resources/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
} as const;

/** What the agent serves decides the capabilities. */
function capabilitiesOf(agent: AgentTools, era: RequestContext['era']): ServerCapabilities {
  const completes = [...agent.prompts.values()].some((p) => p.arguments.some((a) => a.complete)) || [...agent.templates.values()].some((t) => t.complete);
  // resources/subscribe is a 2025-era method; only the conformance fixture accepts it.
  const subscribe = era === 'legacy' && agent.resources.some((r) => r.subscribable);
  return {
    tools: { listChanged: false },
    ...(agent.prompts.size > 0 && { prompts: { listChanged: false } }),
    ...(agent.resources.length > 0 && { resources: { listChanged: false, subscribe } }),
    ...(completes && { completions: {} }),
    // Log notifications: after logging/setLevel in the 2025 era, per request (`_meta` log level) in 2026-07-28.
    logging: {},
  };
}

/**
 * Builds the per-request server. We use the SDK's low-level `Server` (deprecated only as a hint
 * towards `McpServer`) because `McpServer.registerTool` would re-register and re-derive every tool's
 * schema on each request; here the tool list and schemas were computed once per agent, and the
 * per-request instance only gets two small handlers plus the shared JSON Schema validator.
 */
export function createServer(agent: AgentTools, request: RequestContext, deps: ServerDeps): Server {
  return buildServer(agent, request, () => request, deps);
}

/**
 * One long-lived 2026-07-28 server for an agent route (see ModernMultiplexer): each call's user,
 * request id and log come from the call's own `authInfo`, never from the instance. It lists the
 * modern revision so that connecting it to a per-request transport binds it to that era.
 */
export function createSharedModernServer(agent: AgentTools, deps: ServerDeps): Server {
  const versions = SUPPORTED_PROTOCOL_VERSIONS.includes(MODERN_VERSION) ? SUPPORTED_PROTOCOL_VERSIONS : [...SUPPORTED_PROTOCOL_VERSIONS, MODERN_VERSION];
  return buildServer(agent, { era: 'modern', session: undefined }, (serverContext) => fromAuthInfo(serverContext.http?.authInfo), deps, versions);
}

/**
 * One long-lived 2025-era server for an agent route (see LegacyMultiplexer): as the shared modern
 * one, each call's session, user, request id and log come from its own `authInfo`. Server→client
 * requests get their relay ids from the multiplexer, not from a wrapped transport.
 */
export function createSharedLegacyServer(agent: AgentTools, deps: ServerDeps): Server {
  return buildServer(agent, { era: 'legacy', session: undefined }, (serverContext) => fromAuthInfo(serverContext.http?.authInfo), deps);
}

function buildServer(
  agent: AgentTools,
  scope: Pick<RequestContext, 'era' | 'session'> & Partial<RequestContext>,
  requestOf: (serverContext: ServerContext) => RequestContext,
  deps: ServerDeps,
  supportedProtocolVersions?: string[],
): Server {
  const info = { name: SERVER_NAME, version: SERVER_VERSION, title: `Dynamics 365 & Dataverse: ${agent.title}` };
  const options: ServerOptions = {
    capabilities: capabilitiesOf(agent, scope.era),
    cacheHints: CACHE_HINTS,
    ...(agent.instructions !== undefined && { instructions: agent.instructions }),
    jsonSchemaValidator: deps.validator,
    // MRTR request state is HMAC-signed and bound to the user; tampered or foreign state never reaches a tool.
    requestState: { verify: deps.stateCodec.verify },
    // The SDK's shim needs the client's capabilities in the instance (per-request instances never
    // see initialize); withInput asks 2025-era clients itself, with the capabilities stored at initialize.
    inputRequired: { legacyShim: false },
    ...(supportedProtocolVersions && { supportedProtocolVersions }),
  };
  const session = scope.session;
  const principal = scope.principal;
  const server =
    session && principal
      ? new SessionServer(info, options, (transport) => deps.relay.wrap(transport, session.id, principalKey(principal)))
      : new Server(info, options);

  const now = () => new Date(deps.now());
  const contextFor = (label: string, serverContext: ServerContext, timeoutMs = deps.toolTimeoutMs): SurfaceContext => {
    const request = requestOf(serverContext);
    const protocolVersion =
      request.era === 'legacy'
        ? (request.session?.protocolVersion ?? '2025-03-26')
        : (envelopeString(serverContext.mcpReq.envelope, PROTOCOL_VERSION_META_KEY) ?? MODERN_VERSION);
    return new CallContext({ label, serverContext, request, agent, deps, timeoutMs, now }, protocolVersion);
  };

  server.setRequestHandler('tools/list', async (message, serverContext) => {
    if (message.params?.cursor !== undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: the tool list has a single page.');
    }
    if (!agent.discovery) return agent.listResult;
    // Only the tools the user's security roles let them run; without their privileges, no list (fails closed).
    const ctx = contextFor('tools/list', serverContext);
    try {
      return (await agent.discovery.listFor(principalKey(ctx.principal), ctx.privileges, ctx.metadata)).list;
    } catch (err) {
      ctx.log.warn('tools/list could not read the privileges', { error: err instanceof Error ? err.name : 'unknown' });
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'The tools you may use could not be determined: your Dataverse privileges could not be read. Try again shortly.');
    }
  });

  server.setRequestHandler('tools/call', async (message, serverContext) => {
    const { name, arguments: rawArgs } = message.params;
    const tool = agent.tools.get(name);
    if (tool) {
      const ctx: ToolContext = contextFor(name, serverContext);
      const result = namedText(await dispatch(tool, rawArgs ?? {}, ctx, serverContext, deps), agent.servedNames);
      currentExchange()?.toolResult(result);
      return result;
    }
    const raw = agent.raw.get(name);
    if (raw) {
      const ctx = contextFor(name, serverContext);
      const args = rawArgs ?? {};
      const result = await interact(name, message.params._meta, serverContext, (exchange) => raw.call(args, ctx, exchange), errorResult);
      currentExchange()?.toolResult(result);
      return result;
    }
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name.slice(0, 128)}. Call tools/list to see the tools this agent offers.`);
  });

  /** A call that may need the client's input: returned as input_required, or asked on the stream (2025 era). */
  const interact: SurfaceDeps['interact'] = (call, meta, serverContext, run, refuse) => {
    const request = requestOf(serverContext);
    return withInput(run, exchangeFor(call, meta, serverContext, request, deps.stateCodec), serverContext, request, deps.stateCodec, call, refuse);
  };

  registerSurface(server, agent, scope, { contextFor, setLogLevel: deps.setLogLevel, sessionOf: (serverContext) => requestOf(serverContext).session, interact });

  return server;
}

interface CallScope {
  label: string;
  serverContext: ServerContext;
  request: RequestContext;
  agent: AgentTools;
  deps: ServerDeps;
  timeoutMs: number;
  now(): Date;
}

/** What a call builds on first use, shared by every view of the call's context (see refine in dispatch.ts). */
interface CallParts {
  signal?: AbortSignal;
  dataverse?: DataverseClient;
  metadata?: OrgMetadata;
  privileges?: PrivilegeChecker;
  services?: CallServices;
  cursors?: CursorSealer;
}

/**
 * The context of one call: Dataverse as the user, cut off by the client's cancel or the deadline.
 * Its parts are built on first use, so a call that never reaches Dataverse (or the deadline) pays
 * for none of them; the deadline still counts from the call's start. A class rather than an object
 * of closures: one allocation per call instead of a closure per member. The parts live in their
 * own object so that a view made with Object.create (dispatch's refine) builds them once for all.
 */
class CallContext implements SurfaceContext {
  readonly principal: Principal;
  readonly agent: AgentSettings;
  readonly era: RequestContext['era'];
  readonly requestId: string;
  readonly log: Logger;
  readonly now: () => Date;
  private readonly started = performance.now();
  private readonly parts: CallParts = {};

  constructor(
    private readonly scope: CallScope,
    readonly protocolVersion: string,
  ) {
    const { request } = scope;
    this.principal = request.principal;
    this.agent = scope.agent.settings;
    this.era = request.era;
    this.requestId = request.requestId;
    this.log = request.log.child({ call: scope.label });
    this.now = scope.now;
  }

  /** The client's cancellation, or the deadline: whichever comes first stops every Dataverse call and wait. */
  get signal(): AbortSignal {
    if (this.parts.signal) return this.parts.signal;
    const left = Math.max(0, Math.ceil(this.scope.timeoutMs - (performance.now() - this.started)));
    return (this.parts.signal = AbortSignal.any([this.scope.serverContext.mcpReq.signal, AbortSignal.timeout(left)]));
  }

  get dataverse(): DataverseClient {
    return (this.parts.dataverse ??= this.scope.deps.dataverse(this.scope.request, this.signal));
  }

  get metadata(): OrgMetadata {
    return (this.parts.metadata ??= new OrgMetadata(this.dataverse, this.scope.deps.metadataCaches));
  }

  get privileges(): PrivilegeChecker {
    return (this.parts.privileges ??= new PrivilegeChecker(this.dataverse, this.metadata, this.scope.deps.privilegeCaches, principalKey(this.principal)));
  }

  get cursors(): CursorSealer {
    const { deps, label } = this.scope;
    return (this.parts.cursors ??= cursorSealer(deps.cursorKey, this.principal, this.agent.id, label, deps.now));
  }

  get copilot(): CallServices['copilot'] {
    return this.services().copilot;
  }

  get decisions(): CallServices['decisions'] {
    return this.services().decisions;
  }

  get references(): CallServices['references'] {
    return this.services().references;
  }

  get chats(): CallServices['chats'] {
    return this.services().chats;
  }

  user(): Promise<CurrentUser> {
    return this.metadata.currentUser(principalKey(this.principal));
  }

  /** Set by dispatch for the confirmed round of a write. */
  confirmedId(_purpose: string): string | undefined {
    return undefined;
  }

  serves(tool: string): boolean {
    return this.scope.agent.tools.has(tool) || this.scope.agent.servedNames.has(tool);
  }

  servedName(tool: string): string | undefined {
    return this.scope.agent.servedNames.get(tool);
  }

  readResource(uri: string): Promise<ReadResourceResult | undefined> {
    return readThrough(this.scope.agent, uri, this);
  }

  private services(): CallServices {
    return (this.parts.services ??= this.scope.deps.callServices({ principal: this.principal, agent: this.agent, dataverse: this.dataverse, signal: this.signal, now: this.now, log: this.scope.request.log }));
  }
}

function envelopeString(envelope: object | undefined, key: string): string | undefined {
  const value = (envelope as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** A 2025-era session's server: its transport relays the answers to server→client requests. */
class SessionServer extends Server {
  constructor(
    info: ConstructorParameters<typeof Server>[0],
    options: ServerOptions,
    private readonly relayed: (transport: Transport) => Transport,
  ) {
    super(info, options);
  }

  override connect(transport: Transport): Promise<void> {
    return super.connect(this.relayed(transport));
  }
}

/**
 * A result's text names other tools as declared ("set a primary contact with
 * D365_CustomerService_UpdateCase"); the model is told the names this agent serves. Only the
 * human-readable text: structuredContent and its JSON copy stay the tool's data.
 */
function namedText<R extends object>(result: R, servedNames: ReadonlyMap<string, string>): R {
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return result;
  const first = content[0] as { type?: unknown; text?: unknown } | undefined;
  if (first?.type !== 'text' || typeof first.text !== 'string') return result;
  const text = renameTools(first.text, servedNames);
  return text === first.text ? result : { ...result, content: [{ ...first, text }, ...content.slice(1)] };
}
