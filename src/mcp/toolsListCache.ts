import type { InboundClassificationOutcome } from '@modelcontextprotocol/server';

import type { HeaderReader } from '../auth/authenticate.js';
import { type Answer, PreparedAnswer } from './answer.js';
import { carriesStandardHeaders } from './sharedServers.js';

/**
 * What a tools/list answer depends on. Today the list is a function of the agent route and the
 * protocol revision; once discovery is filtered by the caller's privileges, a digest of the
 * privilege set joins the key (users with the same roles share one answer).
 */
export interface ToolsListKey {
  agentId: string;
  revision: string;
  /** A digest of the caller's privilege set, once tools/list is privilege-filtered; absent until then. */
  privileges?: string;
}

export function toolsListKey(key: ToolsListKey): string {
  return `${key.agentId}\u0000${key.revision}\u0000${key.privileges ?? '*'}`;
}

/**
 * The SDK's answer to one key, serialised and UTF-8 encoded once: the bytes before and after the
 * JSON-RPC id, and the response headers. (A 90 KB list as a string cost a USV scan, an encode into
 * the Response and a decode out of it per call.)
 */
interface Remembered {
  head: Buffer;
  headers: ReadonlyArray<readonly [string, string]>;
}

/** What follows the id in every answer. */
const TAIL = Buffer.from('}');

/** A request the cache may answer: which revision it names, and its JSON-RPC id. */
export interface ListRequest {
  revision: string;
  id: string | number;
}

/**
 * Modern `tools/list` answers, produced by the SDK on the first request per key and then served
 * pre-serialised (a 20+ KB list is otherwise re-validated and re-serialised on every call). Only a
 * request the SDK itself classifies as a well-formed modern `tools/list` (envelope, header/body
 * cross-checks), carrying the standard headers the SDK requires and no other params than the
 * envelope, is answered from here; everything else, including the first request, goes to the SDK.
 * Authentication, Origin/Host and media-type checks run before this is consulted.
 */
export class ToolsListCache {
  private readonly answers = new Map<string, Remembered>();
  hits = 0;

  /**
   * The request as the cache sees it, when it is one the cache may answer (else the SDK answers).
   * `outcome` is the SDK's classification of this body with its headers (classifyPost).
   */
  static candidate(outcome: InboundClassificationOutcome, headers: HeaderReader): ListRequest | undefined {
    if (outcome.kind !== 'modern' || outcome.messageKind !== 'request' || outcome.message.method !== 'tools/list') return undefined;
    const params = outcome.message.params;
    if (!isRecord(params)) return undefined;
    // A cursor (refused by the handler) or anything else in params: the SDK decides.
    for (const k of Object.keys(params)) if (k !== '_meta') return undefined;
    if (!carriesStandardHeaders(headers)) return undefined;
    const revision = outcome.classification.revision;
    return revision === undefined ? undefined : { revision, id: outcome.message.id };
  }

  /** The remembered answer for `key`, addressed to this request's id, or undefined. */
  answer(key: string, id: string | number): PreparedAnswer | undefined {
    const answer = this.answers.get(key);
    if (!answer) return undefined;
    this.hits++;
    // The member order the SDK writes, so a cached answer is byte-for-byte the SDK's.
    const body = Buffer.concat([answer.head, Buffer.from(JSON.stringify(id)), TAIL]);
    return new PreparedAnswer(200, Object.fromEntries(answer.headers), body);
  }

  /** Remembers the SDK's answer for `key` if it is a successful JSON result; returns an equivalent response. */
  async remember(key: string, response: Answer): Promise<Answer> {
    const prepared = response instanceof PreparedAnswer;
    const headers = (prepared ? Object.entries(response.headers) : [...response.headers]).filter(([k]) => k !== 'content-length');
    const json = (headers.find(([k]) => k === 'content-type')?.[1] ?? '').startsWith('application/json');
    if (response.status !== 200 || !json) return response;
    const text = prepared ? (typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8')) : await response.text();
    const message = JSON.parse(text) as { result?: unknown; error?: unknown };
    if (message.result !== undefined && message.error === undefined) {
      this.answers.set(key, { head: Buffer.from(`{"result":${JSON.stringify(message.result)},"jsonrpc":"2.0","id":`), headers });
    }
    return prepared ? response : new Response(text, { status: response.status, headers });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
