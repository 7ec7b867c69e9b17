import type { AuthMetadataOptions, LegacyHttpHandler, McpHttpHandler } from '@modelcontextprotocol/server';

import type { RouteAuthPolicy } from '../auth/authenticate.js';
import type { TokenVerifier } from '../auth/tokenVerifier.js';
import type { AgentConfig } from '../config/agents.js';
import type { AppConfig } from '../config/config.js';
import type { ServerRequestRelay } from '../mcp/serverRequests.js';
import type { SharedLegacyServers, SharedModernServers } from '../mcp/sharedServers.js';
import type { AgentTools } from '../mcp/toolInventory.js';
import type { Principal } from '../auth/principal.js';
import type { ChatHistoryStore } from '../sessions/chatHistory.js';
import type { ConfirmationStore } from '../sessions/confirmationStore.js';
import type { SessionStore } from '../sessions/sessionStore.js';
import type { TableClients } from '../sessions/tableStorage.js';
import type { Logger } from '../telemetry/log.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { LegacyStreams } from './sseStreams.js';

/** Everything one agent route needs, built once at start-up. */
export interface AgentRoute {
  config: AgentConfig;
  /** What the route serves: its tools and how they see the agent. */
  agent: AgentTools;
  auth: RouteAuthPolicy;
  resourceUrl: URL;
  metadata: AuthMetadataOptions;
}

/** A document behind a signed download link, or why it cannot be served. */
export type FileOutcome =
  | { ok: true; fileName: string; mimeType: string; body: Uint8Array }
  | { ok: false; status: 400 | 403 | 404 | 429 | 500 | 502 | 503; code: string; message: string; retryAfter?: number };

/** Serves the download links get_reference hands out (the route checks the agent and the bearer token first). */
export interface FileService {
  read(input: { token: string; agentId: string; principal: Principal; assertion: string; requestId: string; log: Logger; signal: AbortSignal }): Promise<FileOutcome>;
}

/** The composed application as the HTTP layer uses it (src/app/buildApp.ts builds it). */
export interface McpApp {
  config: AppConfig;
  log: Logger;
  /** Request, dependency, event and metric records (src/telemetry); a no-op when nothing listens. */
  telemetry: Telemetry;
  routes: ReadonlyMap<string, AgentRoute>;
  sessions: SessionStore;
  /** Knowledge chats (expired ones are swept on a timer). */
  chats: ChatHistoryStore;
  /** Documents behind get_reference's download links. */
  files: FileService;
  confirmations: ConfirmationStore;
  tables: TableClients;
  verifier: TokenVerifier;
  modern: McpHttpHandler;
  /** Long-lived 2026-07-28 servers, one per agent route (off when MCP_SHARED_SERVERS=false). */
  shared: SharedModernServers | undefined;
  /** Long-lived 2025-era servers, one per agent route, for single requests (same switch). */
  sharedLegacy: SharedLegacyServers | undefined;
  legacy: LegacyHttpHandler;
  /** Where clients' answers to server→client requests go (2025-era sessions). */
  relay: ServerRequestRelay;
  /** Legacy HTTP+SSE streams (2024-11-05) on this instance, and delivery to streams on any instance. */
  streams: LegacyStreams;
  /** Deletes the delivery queues of instances that died without deleting theirs (stale heartbeat); how many. */
  sweepOrphanQueues(): Promise<number>;
  /** Ends this instance's streams (their sessions too), stops its queue and flushes telemetry. */
  close(): Promise<void>;
}
