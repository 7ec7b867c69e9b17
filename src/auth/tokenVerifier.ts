import { createHash } from 'node:crypto';

import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '../config/config.js';
import type { Principal } from './principal.js';

/** Why a token was refused. Messages are safe to return to the caller: they never echo the token. */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
}

/** The signing keys could not be fetched: not the caller's fault, so it must not look like a bad token. */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError';
}

export interface TokenVerifierOptions {
  /** e.g. https://login.microsoftonline.com, or the local issuer's base URL. */
  authority: string;
  /** e.g. https://sts.windows.net (Entra v1 issuer base). */
  v1IssuerBase: string;
  /** Tenants whose tokens are accepted; a token from any other tenant is refused before any key fetch. */
  tenants: readonly string[];
  /** Allowed clock skew; the issue caps it at five minutes. */
  clockToleranceSeconds?: number;
  /**
   * Longest token lifetime accepted, as `exp - iat` and as `exp - now`: a stolen long-lived token
   * stays usable for its whole lifetime. Default {@link DEFAULT_MAX_TOKEN_LIFETIME_SECONDS}.
   */
  maxTokenLifetimeSeconds?: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid` (jose's cooldown). */
  jwksCooldownMs?: number;
  /** Supplies the key set for a tenant; defaults to the remote JWKS at the authority. */
  keySetFor?: (tenantId: string) => JWTVerifyGetKey;
  now?: () => number;
}

export interface VerifiedToken {
  principal: Principal;
  /** Audiences the token was issued for. */
  audiences: string[];
}

/** Tokens larger than this are refused unread (Entra tokens are a few KB). */
export const MAX_TOKEN_BYTES = 12 * 1024;
const CACHE_LIMIT = 10_000;
const APP_ONLY =
  'App-only tokens are not accepted: this server acts on behalf of a signed-in user, so it needs a delegated token with scopes (scp).';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies Entra ID access tokens (v1 and v2 issuers) for delegated users. Signature checks cost
 * ~90 µs, so a verified token is remembered by its SHA-256 until it expires; the audience is
 * re-checked per route on every call.
 */
export class TokenVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  private readonly cache = new Map<string, VerifiedToken>();
  private readonly tolerance: number;
  private readonly maxLifetime: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenVerifierOptions) {
    this.tolerance = Math.min(options.clockToleranceSeconds ?? 300, 300);
    this.maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until the token expires, on this verifier's clock. */
  secondsLeft(principal: Principal): number {
    return principal.expiresAt - this.now() / 1000;
  }

  async verify(token: string, acceptedAudiences: readonly string[]): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_BYTES) throw new TokenRejectedError('The access token is too large.');
    const key = createHash('sha256').update(token).digest('base64url');
    let verified = this.cache.get(key);
    if (verified && verified.principal.expiresAt + this.tolerance <= this.now() / 1000) {
      this.cache.delete(key);
      verified = undefined;
    }
    verified ??= await this.verifyUncached(token, key);
    if (!verified.audiences.some((a) => acceptedAudiences.includes(a))) {
      throw new TokenRejectedError('The access token was not issued for this agent (audience mismatch).');
    }
    return verified;
  }

  private async verifyUncached(token: string, cacheKey: string): Promise<VerifiedToken> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new TokenRejectedError('The access token is not a well-formed JWT.');
    }
    // Only RS256: refuses `none` and HS256-with-the-public-key (algorithm confusion) before any key use.
    if (header.alg !== 'RS256') throw new TokenRejectedError(`Token signing algorithm ${String(header.alg)} is not accepted.`);
    if (typeof header.kid !== 'string' || header.kid.length === 0) throw new TokenRejectedError('The access token has no key id.');
    const tenantId = unverified['tid'];
    if (typeof tenantId !== 'string' || !GUID.test(tenantId)) throw new TokenRejectedError('The access token has no tenant id.');
    if (!this.options.tenants.includes(tenantId)) throw new TokenRejectedError('Tokens from this tenant are not accepted.');
    const issuers = [`${this.options.authority}/${tenantId}/v2.0`, `${this.options.v1IssuerBase}/${tenantId}/`];

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(tenantId), {
        algorithms: ['RS256'],
        issuer: issuers,
        clockTolerance: this.tolerance,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'aud', 'iss'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError)) {
        throw new KeysUnavailableError('The token signing keys could not be fetched.', { cause: err });
      }
      throw new TokenRejectedError(describeJoseFailure(err));
    }

    // jose checks iat only together with maxTokenAge (which would also make iat mandatory).
    const nowSeconds = this.now() / 1000;
    const { iat, exp = 0 } = payload;
    if (iat !== undefined && iat > nowSeconds + this.tolerance) {
      throw new TokenRejectedError("The access token was issued in the future (iat); the issuer's clock and this server's disagree.");
    }
    if (exp - nowSeconds > this.maxLifetime + this.tolerance || (iat !== undefined && exp - iat > this.maxLifetime)) {
      throw new TokenRejectedError(`The access token lives longer than the ${describeSeconds(this.maxLifetime)} this server accepts.`);
    }

    // Entra marks app-only tokens with idtyp "app"; such a token may still carry scp, so scp alone does not prove a user.
    if (payload['idtyp'] === 'app') throw new TokenRejectedError(APP_ONLY);
    const scp = payload['scp'];
    if (typeof scp !== 'string' || scp.trim() === '') {
      throw new TokenRejectedError(
        Array.isArray(payload['roles']) ? APP_ONLY : 'The access token carries no delegated scopes (scp).',
      );
    }
    const oid = payload['oid'];
    if (typeof oid !== 'string' || !GUID.test(oid)) throw new TokenRejectedError('The access token has no user object id (oid).');
    const aud = payload.aud;
    const audiences = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : [];
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
    const verified: VerifiedToken = {
      audiences,
      principal: {
        tenantId,
        objectId: oid,
        name: str(payload['name']),
        username: str(payload['preferred_username']) ?? str(payload['upn']) ?? str(payload['unique_name']),
        scopes: scp.split(' ').filter(Boolean),
        clientAppId: str(payload['azp']) ?? str(payload['appid']),
        expiresAt: payload.exp ?? 0,
      },
    };
    if (this.cache.size >= CACHE_LIMIT) {
      // Drop the oldest entry (Map keeps insertion order): bounded memory under token floods.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, verified);
    return verified;
  }

  private keySet(tenantId: string): JWTVerifyGetKey {
    let set = this.keySets.get(tenantId);
    if (!set) {
      set =
        this.options.keySetFor?.(tenantId) ??
        createRemoteJWKSet(new URL(`${this.options.authority}/${tenantId}/discovery/v2.0/keys`), {
          // jose refetches on an unknown kid at most once per cooldown, so bogus kids cannot hammer the endpoint.
          cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: 24 * 3600_000,
          timeoutDuration: 5_000,
        });
      this.keySets.set(tenantId, set);
    }
    return set;
  }
}

function describeSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function describeJoseFailure(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The access token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The access token is not valid yet.';
    if (err.claim === 'iss') return 'The access token was issued by an issuer this server does not trust.';
    return `The access token's ${err.claim} claim is not acceptable.`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'The access token was signed with an unknown key.';
  return 'The access token is invalid.';
}
