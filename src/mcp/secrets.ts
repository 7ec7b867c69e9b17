import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

import { principalKey, type Principal } from '../auth/principal.js';
import { type CursorSealer, type CursorState, type OpenedReference, type ReferenceService, type ReferenceTarget, ToolError } from '../tools/defineTool.js';

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
 * An opaque token for `payload`: AES-256-GCM (encrypted and authenticated), `<prefix>.<base64url of
 * iv, ciphertext and tag>`. Cursors, knowledge references and download links are all made here.
 */
export function sealToken(key: Buffer, prefix: string, payload: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(payload))), cipher.final()]);
  return `${prefix}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/**
 * Opens a token `sealToken` made with the same key and prefix: `malformed` when it does not even
 * have the shape of one, `unknown` when it is not authentic (forged, altered, or sealed with another key).
 */
export function openToken<T>(key: Buffer, prefix: string, token: string, maxLength = 8192): { ok: true; value: T } | { ok: false; reason: 'malformed' | 'unknown' } {
  // iv (12) + at least one byte + tag (16), in base64url.
  if (token.length > maxLength || !token.startsWith(`${prefix}.`) || !/^[A-Za-z0-9_-]{39,}$/.test(token.slice(prefix.length + 1))) return { ok: false, reason: 'malformed' };
  try {
    const raw = Buffer.from(token.slice(prefix.length + 1), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return { ok: true, value: JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')) as T };
  } catch {
    return { ok: false, reason: 'unknown' };
  }
}

/**
 * Listing cursors are encrypted (AES-256-GCM), not just signed: they carry Dataverse continuation
 * paths, which must not leak to clients. They are bound to the user, agent and tool and expire.
 */
export function cursorSealer(key: Buffer, principal: Principal, agentId: string, tool: string, now: () => number, ttlSeconds = 3600, filters = ''): CursorSealer {
  const owner = principalKey(principal);
  return {
    scoped: (f) => cursorSealer(key, principal, agentId, tool, now, ttlSeconds, f),
    across: (purpose, ttl) => cursorSealer(key, principal, agentId, `~${purpose}`, now, ttl ?? ttlSeconds),
    seal(state) {
      return sealToken(key, 'c1', { p: owner, a: agentId, t: tool, f: filters, e: Math.floor(now() / 1000) + ttlSeconds, s: state } satisfies SealedCursor);
    },
    open(cursor) {
      const invalid = new ToolError('The cursor is not valid here: it is malformed, expired, or was issued to another user or tool. Repeat the listing without a cursor.', 'invalid_argument');
      const opened = openToken<SealedCursor>(key, 'c1', cursor);
      if (!opened.ok) throw invalid;
      const sealed = opened.value;
      if (sealed.p !== owner || sealed.a !== agentId || sealed.t !== tool || sealed.e * 1000 < now()) throw invalid;
      if (sealed.f !== filters) {
        throw new ToolError('This cursor belongs to a listing with other filters. Repeat the call with the filters that produced it, or start again without a cursor.', 'invalid_argument');
      }
      return sealed.s;
    },
  };
}

/** A knowledge citation's record, sealed: owner, agent, table, id, coarse source type, expiry. */
interface SealedReference {
  p: string;
  a: string;
  t: string;
  i: string;
  k: ReferenceTarget['sourceType'];
  e: number;
}

/** A download link's record: owner, agent, table, id, expiry. */
export interface SealedLink {
  p: string;
  a: string;
  t: string;
  i: string;
  e: number;
  /** A file or image column of the row (file_download); absent for knowledge documents. */
  c?: string;
}

export interface ReferenceOptions {
  /** Key of reference ids (deriveKey(secret, 'reference')). */
  referenceKey: Buffer;
  /** Key of download links (deriveKey(secret, 'download')). */
  linkKey: Buffer;
  principal: Principal;
  agentId: string;
  /** The server's public base URL: download links point at this server, never at Dataverse. */
  publicBaseUrl: string;
  now: () => number;
  /** How long a reference id can be resolved. */
  referenceTtlSeconds?: number;
  /** How long a download link works ("short-lived"). */
  linkTtlSeconds?: number;
}

export const REFERENCE_TTL_SECONDS = 7 * 86400;
export const LINK_TTL_SECONDS = 15 * 60;

/**
 * Knowledge references: opaque, encrypted ids bound to the user and the agent that cited them, and
 * short-lived download links on this server bound the same way. Opening tells apart what the
 * caller can act on: not a reference at all (malformed), not one of ours or expired (unknown), and
 * someone else's (foreign).
 */
export function referenceService(o: ReferenceOptions): ReferenceService {
  const owner = principalKey(o.principal);
  const refTtl = o.referenceTtlSeconds ?? REFERENCE_TTL_SECONDS;
  const linkTtl = o.linkTtlSeconds ?? LINK_TTL_SECONDS;
  return {
    seal(target) {
      return sealToken(o.referenceKey, 'r1', { p: owner, a: o.agentId, t: target.table, i: target.id, k: target.sourceType, e: Math.floor(o.now() / 1000) + refTtl } satisfies SealedReference);
    },
    open(referenceId): OpenedReference {
      const opened = openToken<SealedReference>(o.referenceKey, 'r1', referenceId, 4096);
      if (!opened.ok) return { ok: false, reason: opened.reason };
      const r = opened.value;
      if (typeof r.t !== 'string' || typeof r.i !== 'string' || (r.k !== 'Document' && r.k !== 'Qna')) return { ok: false, reason: 'unknown' };
      if (r.p !== owner || r.a !== o.agentId) return { ok: false, reason: 'foreign' };
      if (r.e * 1000 < o.now()) return { ok: false, reason: 'expired' };
      return { ok: true, target: { table: r.t, id: r.i, sourceType: r.k } };
    },
    downloadLink(target) {
      const expires = Math.floor(o.now() / 1000) + linkTtl;
      const token = sealToken(o.linkKey, 'f1', { p: owner, a: o.agentId, t: target.table, i: target.id, e: expires, ...(target.column && { c: target.column }) } satisfies SealedLink);
      return { url: `${o.publicBaseUrl.replace(/\/+$/, '')}/mcp/${encodeURIComponent(o.agentId)}/files/${token}`, expiresAt: new Date(expires * 1000).toISOString() };
    },
  };
}

/** Opens a download link's token for the signed-in user on the agent route it arrived on. */
export function openDownloadLink(
  linkKey: Buffer,
  token: string,
  principal: Principal,
  agentId: string,
  now: () => number,
): { ok: true; table: string; id: string; column?: string } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'foreign' } {
  const opened = openToken<SealedLink>(linkKey, 'f1', token, 4096);
  if (!opened.ok) return opened;
  const l = opened.value;
  if (typeof l.t !== 'string' || typeof l.i !== 'string' || typeof l.e !== 'number') return { ok: false, reason: 'unknown' };
  if (l.p !== principalKey(principal) || l.a !== agentId) return { ok: false, reason: 'foreign' };
  if (l.e * 1000 < now()) return { ok: false, reason: 'expired' };
  return { ok: true, table: l.t, id: l.i, ...(typeof l.c === 'string' && { column: l.c }) };
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
