import {
  CLIENT_CAPABILITIES_META_KEY,
  type InputRequiredResult,
  isInputRequiredResult,
  LOG_LEVEL_META_KEY,
  type LoggingLevel,
  type RequestOptions,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';

import { LOG_LEVELS } from '../sessions/sessionStore.js';
import type { Exchange } from '../tools/surface.js';
import type { ConfirmState } from './dispatch.js';
import type { RequestContext } from './requestContext.js';

/** Round state of a raw tool or prompt, sealed by the same codec as confirmations and bound to its call. */
export interface ExchangeState {
  call: string;
  exchange: Record<string, unknown>;
}

/** Everything the request-state codec signs. */
export type SignedState = ConfirmState | ExchangeState;

/** Rounds of server→client requests one 2025-era call may take (the SDK's shim uses the same bound). */
const MAX_ROUNDS = 8;
/** A person answers an elicitation; give them time, within the call's own deadline. */
const ROUND_TIMEOUT_MS = 10 * 60_000;

const severity = (level: string) => (LOG_LEVELS as readonly string[]).indexOf(level);

/**
 * The protocol side of one call. Logs go out only when the client asked for them: the session's
 * `logging/setLevel` in the 2025 era, the request's `_meta` log level in 2026-07-28.
 */
export function exchangeFor(
  call: string,
  meta: Record<string, unknown> | undefined,
  serverContext: ServerContext,
  request: RequestContext,
  codec: RequestStateCodec<SignedState>,
): Exchange {
  const envelope = serverContext.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = request.era === 'legacy' ? request.session?.clientCapabilities : envelope?.[CLIENT_CAPABILITIES_META_KEY];
  const threshold = request.era === 'legacy' ? request.session?.logLevel : envelope?.[LOG_LEVEL_META_KEY];
  const token = meta?.['progressToken'];
  const state = serverContext.mcpReq.requestState<SignedState>();
  return {
    clientCapabilities: declared && typeof declared === 'object' ? (declared as Record<string, unknown>) : {},
    inputResponses: serverContext.mcpReq.inputResponses,
    state: ownState(state, call),
    seal: (value) => codec.mint({ call, exchange: value }, serverContext),
    async progress(progress, total, message) {
      if (typeof token !== 'string' && typeof token !== 'number') return;
      await serverContext.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } });
    },
    async log(level: LoggingLevel, data: unknown) {
      if (typeof threshold !== 'string' || severity(threshold) < 0 || severity(level) < severity(threshold)) return;
      await serverContext.mcpReq.notify({ method: 'notifications/message', params: { level, data, logger: call } });
    },
  };
}

function ownState(state: unknown, call: string): Record<string, unknown> | undefined {
  if (!state || typeof state !== 'object' || !('exchange' in state)) return undefined;
  const s = state as ExchangeState;
  return s.call === call ? s.exchange : undefined;
}

const CAPABILITY: Record<string, 'elicitation' | 'sampling' | 'roots'> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/**
 * Runs a call that may need input. In 2026-07-28 an `input_required` result goes back to the
 * client, which retries. A 2025-era client has no such vocabulary: the input requests are sent to
 * it on the call's own stream (sampling, elicitation, roots), and the call runs again with the
 * answers, for up to MAX_ROUNDS rounds. The answers come back through the ServerRequestRelay.
 */
export async function withInput<R>(
  run: (exchange: Exchange) => Promise<R | InputRequiredResult>,
  exchange: Exchange,
  serverContext: ServerContext,
  request: RequestContext,
  codec: RequestStateCodec<SignedState>,
  call: string,
  refuse: (message: string) => R,
): Promise<R | InputRequiredResult> {
  let current = exchange;
  for (let round = 1; ; round++) {
    const result = await run(current);
    if (request.era === 'modern' || !isInputRequiredResult(result)) return result;
    if (round > MAX_ROUNDS) return refuse(`${call} asked for input more than ${MAX_ROUNDS} times; it was stopped.`);
    if (!request.session) {
      return refuse(`${call} needs to ask you something, and this request has no session to ask on: initialize an MCP session first (or use protocol revision 2026-07-28).`);
    }
    const entries = Object.entries(result.inputRequests ?? {});
    const missing = entries.map(([, r]) => CAPABILITY[r.method]).find((cap) => !cap || !(cap in current.clientCapabilities));
    if (missing || entries.some(([, r]) => !CAPABILITY[r.method])) {
      return refuse(`${call} needs the client to support ${missing ?? 'an input request'}, which this client did not declare when it initialized.`);
    }
    const answers = await Promise.all(
      entries.map(async ([key, r]) => {
        const params = 'params' in r ? (r.params as Record<string, unknown> | undefined) : undefined;
        // One of the three methods checked above; each result is validated by the SDK against its schema.
        const send = serverContext.mcpReq.send as (message: { method: string; params?: Record<string, unknown> }, options: RequestOptions) => Promise<unknown>;
        const answer = await send({ method: r.method, ...(params && { params }) }, { timeout: ROUND_TIMEOUT_MS, signal: serverContext.mcpReq.signal });
        return [key, answer] as const;
      }),
    );
    const sealed = typeof result.requestState === 'string' ? await codec.verify(result.requestState, serverContext) : undefined;
    current = { ...current, inputResponses: Object.fromEntries(answers), state: ownState(sealed, call) };
  }
}
