import {
  type AuthInfo,
  bearerAuthChallengeResponse,
  OAuthError,
  OAuthErrorCode,
  verifyBearerToken,
} from '@modelcontextprotocol/server';

import type { Principal } from './principal.js';
import { KeysUnavailableError, TokenRejectedError, type TokenVerifier } from './tokenVerifier.js';

/** The header reads a request's checks make. Web `Headers` satisfy it, and so does a view of node:http's own headers. */
export interface HeaderReader {
  /** The value of a header (names are case-insensitive), or null when it is absent. */
  get(name: string): string | null;
}

/** What one agent route demands of a token. */
export interface RouteAuthPolicy {
  audiences: readonly string[];
  /** Full scope names (`api://app/access_as_user`), as clients must request them. */
  requiredScopes: readonly string[];
  /** Prefix that turns a token's short `scp` values into full scope names. */
  scopePrefix: string;
  /** RFC 9728 metadata URL advertised in challenges. */
  resourceMetadataUrl: string;
}

export type AuthOutcome = { ok: true; principal: Principal; token: string } | { ok: false; response: Response };

/** Expands short scope names (`access_as_user`) to full ones (`api://app/access_as_user`). */
export function fullScope(scope: string, prefix: string): string {
  return scope.includes('://') || !prefix ? scope : `${prefix}/${scope}`;
}

/**
 * Bearer authentication for one request. Scope enforcement and most challenge responses are the
 * SDK's (`verifyBearerToken`, `bearerAuthChallengeResponse`); the header's shape (the SDK's parser
 * is too lenient) and token validation (`TokenVerifier`) are ours.
 */
export async function authenticate(request: { readonly url: string; readonly headers: HeaderReader }, verifier: TokenVerifier, policy: RouteAuthPolicy): Promise<AuthOutcome> {
  const requiredScopes = [...policy.requiredScopes];
  const challengeOptions = { requiredScopes, resourceMetadataUrl: policy.resourceMetadataUrl };

  // Tokens in URLs leak into logs and history; the MCP authorization spec forbids them.
  // Parsed only when there is a query at all: most MCP requests carry none.
  const params = request.url.includes('?') ? new URL(request.url).searchParams : undefined;
  if (params && (params.has('access_token') || params.has('token'))) {
    return {
      ok: false,
      response: bearerAuthChallengeResponse(
        new OAuthError(OAuthErrorCode.InvalidRequest, "Send the access token in the Authorization header ('Authorization: Bearer <token>'), never in the URL."),
        challengeOptions,
      ),
    };
  }

  const header = request.headers.get('authorization');
  if (!header) return { ok: false, response: plainChallenge(policy, MISSING_TOKEN) };
  const credentials = bearerCredentials(header);
  // RFC 6750 §3.1: another scheme means no bearer credentials were sent, so no error code either.
  if (credentials === 'other-scheme') return { ok: false, response: plainChallenge(policy, OTHER_SCHEME) };
  if (credentials === 'malformed') {
    return {
      ok: false,
      response: invalidRequestChallenge(policy, "Malformed Authorization header: expected 'Bearer <token>', a space and one token with nothing after it."),
    };
  }

  let principal: Principal | undefined;
  let token = '';
  try {
    // Re-assembled from the checked parts: the SDK splits on single spaces and would ignore trailing junk.
    await verifyBearerToken(`Bearer ${credentials.token}`, {
      verifier: {
        async verifyAccessToken(t: string): Promise<AuthInfo> {
          try {
            const verified = await verifier.verify(t, policy.audiences);
            principal = verified.principal;
            token = t;
            return {
              token: '',
              clientId: verified.principal.clientAppId ?? '',
              scopes: verified.principal.scopes.map((s) => fullScope(s, policy.scopePrefix)),
              // The SDK re-checks expiry against the wall clock; the verifier already checked it on
              // the server's clock, so the SDK gets the remaining lifetime on the wall clock's scale.
              expiresAt: Date.now() / 1000 + verifier.secondsLeft(verified.principal),
            };
          } catch (err) {
            if (err instanceof TokenRejectedError) throw new OAuthError(OAuthErrorCode.InvalidToken, err.message);
            throw err;
          }
        },
      },
      requiredScopes,
      resourceMetadataUrl: policy.resourceMetadataUrl,
    });
  } catch (err) {
    if (err instanceof KeysUnavailableError) {
      return {
        ok: false,
        response: Response.json(
          { error: 'temporarily_unavailable', error_description: 'The identity provider could not be reached to verify the token; try again shortly.' },
          { status: 503, headers: { 'Retry-After': '5' } },
        ),
      };
    }
    return { ok: false, response: bearerAuthChallengeResponse(err, challengeOptions) };
  }
  if (!principal) throw new Error('verifier did not run');
  return { ok: true, principal, token };
}

const MISSING_TOKEN = "Authentication required: send an Entra ID access token as 'Authorization: Bearer <token>'.";
const OTHER_SCHEME = "Only bearer tokens are accepted: send an Entra ID access token as 'Authorization: Bearer <token>'.";

/** RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`; the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER_CREDENTIALS = /^ +([A-Za-z0-9\-._~+/]+=*)$/;

function bearerCredentials(header: string): { token: string } | 'other-scheme' | 'malformed' {
  const scheme = /^\S*/.exec(header)?.[0] ?? '';
  if (scheme.toLowerCase() !== 'bearer') return 'other-scheme';
  const token = BEARER_CREDENTIALS.exec(header.slice(scheme.length))?.[1];
  return token ? { token } : 'malformed';
}

/**
 * RFC 6750 §3.1: a request that carried no bearer credentials gets a challenge without an error
 * code. The SDK's challenge helper always adds one, so this case is built here.
 */
function plainChallenge(policy: RouteAuthPolicy, description: string): Response {
  return Response.json({ error: 'unauthorized', error_description: description }, { status: 401, headers: { 'WWW-Authenticate': challengeHeader(policy) } });
}

/**
 * A malformed Authorization header. The SDK's helper answers `invalid_request` with a bare 400; MCP
 * clients start (re-)authorization only from a 401 with `resource_metadata`, so the challenge is kept.
 */
function invalidRequestChallenge(policy: RouteAuthPolicy, description: string): Response {
  const error = new OAuthError(OAuthErrorCode.InvalidRequest, description);
  return Response.json(error.toResponseObject(), { status: 401, headers: { 'WWW-Authenticate': challengeHeader(policy, error) } });
}

function challengeHeader(policy: RouteAuthPolicy, error?: OAuthError): string {
  const q = (v: string) => v.replace(/[\\"]/g, '\\$&');
  const parts = error ? [`error="${q(error.code)}"`, `error_description="${q(error.message)}"`] : [];
  parts.push(`resource_metadata="${q(policy.resourceMetadataUrl)}"`);
  if (policy.requiredScopes.length) parts.push(`scope="${q(policy.requiredScopes.join(' '))}"`);
  return `Bearer ${parts.join(', ')}`;
}
