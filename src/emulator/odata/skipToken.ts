import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { queryError } from '../dataverseError.js';

/**
 * Opaque, tamper-evident paging tokens: the next offset, bound to the query it belongs to. "You
 * shouldn't modify the encoded information … Use the URL value provided" (page-results,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results).
 * The key lives in memory, so tokens do not survive a restart (nor do Dataverse's paging cookies).
 */
export class SkipTokens {
  private readonly key = randomBytes(32);

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url').slice(0, 22);
  }

  private static scope(scopeKey: string): string {
    return createHash('sha256').update(scopeKey).digest('base64url').slice(0, 16);
  }

  issue(offset: number, scopeKey: string): string {
    const payload = Buffer.from(JSON.stringify({ o: offset, q: SkipTokens.scope(scopeKey) })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  read(token: string, scopeKey: string): number {
    const invalid = () => queryError(`The $skiptoken value '${token.slice(0, 80)}' is not valid for this query.`);
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) throw invalid();
    const expected = Buffer.from(this.sign(payload));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw invalid();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalid();
    }
    if (typeof parsed !== 'object' || parsed === null) throw invalid();
    const { o, q } = parsed as { o?: unknown; q?: unknown };
    if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || q !== SkipTokens.scope(scopeKey)) throw invalid();
    return o;
  }
}

/** Percent-encodes a query component the way Dataverse's links look (keeps `$ , ' ( ) / : @` readable). */
export function encodeQueryComponent(s: string): string {
  return encodeURIComponent(s).replace(/%(24|2C|27|28|29|2F|3A|40)/g, (m) => decodeURIComponent(m));
}

export function buildQueryString(entries: ReadonlyArray<readonly [string, string]>): string {
  return entries.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');
}
