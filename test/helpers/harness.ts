import { randomBytes } from 'node:crypto';

import { inject } from 'vitest';

import type { MintOptions } from '../../src/auth/localIdp.js';
import type { Env } from '../../src/config/config.js';
import { type Embedded, type EmbeddedOptions, LOCAL_APP_ID_URI, startEmbedded } from '../../src/dev/embedded.js';
import { findLocalUser, LOCAL_USERS } from '../../src/emulator/users.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { TestClock } from './clock.js';

export interface TestServer extends Embedded {
  /** The pinned clock every part of this server runs on. */
  clock: TestClock;
  url: string;
  mcpUrl(agentId: string): string;
  /** A delegated token for a seeded user, as `npm run token` would mint it. */
  token(alias?: string, overrides?: Partial<MintOptions>): Promise<string>;
}

export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Delivery queues are polled quickly in tests: a hop between two instances costs milliseconds, not half a second. */
export const TEST_QUEUE_POLL = { minDelayMs: 5, maxDelayMs: 20 };

export async function startTestServer(
  options: {
    env?: Env;
    emulator?: boolean;
    appCredentials?: EmbeddedOptions['appCredentials'];
    clock?: TestClock;
    emulatorProfile?: EmbeddedOptions['emulatorProfile'];
    /** Legacy SSE keep-alive and maximum-duration timers, driven by the test (see ManualTimers). */
    streamTimers?: EmbeddedOptions['streamTimers'];
    queues?: EmbeddedOptions['queues'];
    /** Where the server logs (default: nowhere). */
    log?: EmbeddedOptions['log'];
  } = {},
): Promise<TestServer> {
  const clock = options.clock ?? new TestClock();
  const embedded = await startEmbedded({
    clock: clock.now,
    ...(options.emulatorProfile && { emulatorProfile: options.emulatorProfile }),
    // Without the emulator there is no Dataverse to read privileges from: every tool is listed.
    env: { TABLES_PREFIX: uniquePrefix(), AGENTS_FILE: 'agents.json', ...(!options.emulator && { TOOL_DISCOVERY: 'all' }), ...options.env },
    tablesConnectionString: inject('tablesConnectionString'),
    emulator: options.emulator ?? false,
    ...(options.appCredentials && { appCredentials: options.appCredentials }),
    ...(options.streamTimers && { streamTimers: options.streamTimers }),
    queues: { poll: TEST_QUEUE_POLL, ...options.queues },
    log: options.log ?? silentLogger,
  });
  const url = embedded.host.url;
  return {
    ...embedded,
    clock,
    url,
    mcpUrl: (agentId) => `${url}/mcp/${agentId}`,
    async token(alias = 'alice', overrides = {}) {
      const user = findLocalUser(alias) ?? LOCAL_USERS[0]!;
      if (!embedded.idp) throw new Error('no local identity provider');
      return embedded.idp.mintUserToken(user, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'], ...overrides });
    },
  };
}

/** Headers every raw MCP POST needs. */
export function mcpHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...extra,
  };
}

export const MODERN = '2026-07-28';

/** A 2026-07-28 request body with the per-request `_meta` envelope. */
export function modernRequest(method: string, params: Record<string, unknown> = {}, id: number | string = 1): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN,
        'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
}

/** The standard headers of a 2026-07-28 POST (SEP-2243), plus any `Mcp-Param-*` headers the tool declares. */
export function modernHeaders(token: string, method: string, name?: string, params: Record<string, string> = {}): Record<string, string> {
  const mirrored = Object.fromEntries(Object.entries(params).map(([k, v]) => [`mcp-param-${k.toLowerCase()}`, v]));
  return mcpHeaders(token, { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name && { 'mcp-name': name }), ...mirrored });
}

/** Reads a JSON or single-event SSE response body into the JSON-RPC message it carries. */
export async function readJsonRpc(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const data = text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean);
    return JSON.parse(data[data.length - 1] ?? '{}') as Record<string, unknown>;
  }
  return JSON.parse(text) as Record<string, unknown>;
}
