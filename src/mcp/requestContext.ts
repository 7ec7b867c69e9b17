import type { AuthInfo } from '@modelcontextprotocol/server';

import type { Principal } from '../auth/principal.js';
import type { SessionRecord } from '../sessions/sessionStore.js';
import type { Logger } from '../telemetry/log.js';
import type { AgentTools } from './toolInventory.js';

/** Per-request facts the HTTP layer established (identity, era, session) for the MCP layer. */
export interface RequestContext {
  requestId: string;
  /** What the agent route serves. */
  agent: AgentTools;
  principal: Principal;
  /** The caller's bearer token: only ever sent to the token endpoint for on-behalf-of, never downstream. */
  assertion: string;
  era: 'modern' | 'legacy';
  /** Set for 2025-era requests that belong to a stored session. */
  session: SessionRecord | undefined;
  log: Logger;
}

const KEY = 'dataverseMcp.requestContext';

/**
 * The SDK passes `authInfo` through to the server factory untouched; it is the one channel from
 * `handler.fetch` to the per-request server. The raw bearer token is deliberately not put in it.
 */
export function toAuthInfo(ctx: RequestContext): AuthInfo {
  return {
    token: '',
    clientId: ctx.principal.clientAppId ?? '',
    scopes: ctx.principal.scopes,
    expiresAt: ctx.principal.expiresAt,
    extra: { [KEY]: ctx },
  };
}

export function fromAuthInfo(authInfo: AuthInfo | undefined): RequestContext {
  const ctx = authInfo?.extra?.[KEY];
  if (!ctx) throw new Error('request context missing: the HTTP layer must authenticate before dispatch');
  return ctx as RequestContext;
}
