import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

import { principalKey, type Principal } from '../auth/principal.js';
import { type CursorSealer, type CursorState, ToolError } from '../tools/defineTool.js';

/** Derives independent keys for each use of the shared state secret. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'dataverse-mcp', purpose, 32));
}

/** Short keys keep cursors short (they travel in every paging call): principal, agent, tool, filters, expiry, state. */
interface SealedCursor {
  p: string;
  a: string;
  t: string;
  f: string;
  e: number;
  s: CursorState;
}

/**
 * Listing cursors are encrypted (AES-256-GCM), not just signed: they carry Dataverse continuation
 * paths, which must not leak to clients. They are bound to the user, agent and tool and expire.
 */
export function cursorSealer(key: Buffer, principal: Principal, agentId: string, tool: string, now: () => number, ttlSeconds = 3600, filters = ''): CursorSealer {
  const owner = principalKey(principal);
  return {
    scoped: (f) => cursorSealer(key, principal, agentId, tool, now, ttlSeconds, f),
    seal(state) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = Buffer.from(JSON.stringify({ p: owner, a: agentId, t: tool, f: filters, e: Math.floor(now() / 1000) + ttlSeconds, s: state } satisfies SealedCursor));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return `c1.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    open(cursor) {
      const invalid = new ToolError('The cursor is not valid here: it is malformed, expired, or was issued to another user or tool. Repeat the listing without a cursor.', 'invalid_argument');
      if (!cursor.startsWith('c1.') || cursor.length > 8192) throw invalid;
      let sealed: SealedCursor;
      try {
        const raw = Buffer.from(cursor.slice(3), 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        sealed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')) as SealedCursor;
      } catch {
        throw invalid;
      }
      if (sealed.p !== owner || sealed.a !== agentId || sealed.t !== tool || sealed.e * 1000 < now()) throw invalid;
      if (sealed.f !== filters) {
        throw new ToolError('This cursor belongs to a listing with other filters. Repeat the call with the filters that produced it, or start again without a cursor.', 'invalid_argument');
      }
      return sealed.s;
    },
  };
}

/** Canonical JSON (sorted keys) hashed: what a confirmation was given for. */
export function argsHash(tool: string, args: unknown): string {
  return createHash('sha256').update(tool).update('\0').update(canonical(args)).digest('base64url');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
