import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';

/** A person the local issuer can sign in (the emulator's sample users satisfy this shape). */
export interface DirectoryUser {
  alias: string;
  objectId: string;
  fullName: string;
  email: string;
}

export interface SigningKeyPair {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Loads the issuer's RSA key from `file`, generating and storing it on first use. */
export async function loadOrCreateSigningKey(file: string): Promise<SigningKeyPair> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as SigningKeyPair;
    if (stored.kid && stored.privateJwk && stored.publicJwk) return stored;
  } catch {
    // Absent or unreadable: make a new one below.
  }
  const pair = await generateSigningKey();
  await writeSecretFile(file, JSON.stringify(pair));
  return pair;
}

/** A fresh RS256 key pair with its RFC 7638 thumbprint as `kid`. */
export async function generateSigningKey(): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' },
  };
}

/** Loads a random secret from `file`, creating it on first use. */
export async function loadOrCreateSecret(file: string, bytes = 32): Promise<string> {
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value.length >= 32) return value;
  } catch {
    // create below
  }
  const value = randomBytes(bytes).toString('base64url');
  await writeSecretFile(file, value);
  return value;
}

async function writeSecretFile(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, file);
}

export interface ConfidentialClient {
  clientId: string;
  /** Client secret credential. */
  clientSecret?: string;
  /** Certificate credential: the public key of the certificate, and its SHA-1 thumbprint (hex). */
  certificate?: { publicJwk: JWK; thumbprint: string };
  /** Federated credential: the subject of tokens from this issuer (e.g. a managed identity) the app trusts; `self` = this issuer. */
  federated?: { issuer: string | 'self'; subject: string };
  /** Audiences of tokens issued *to* this app (its app id URI and client id): OBO assertions must carry one. */
  audiences: readonly string[];
}

export interface LocalIdpOptions {
  host?: string;
  port?: number;
  tenantId: string;
  key: SigningKeyPair;
  users: readonly DirectoryUser[];
  clients: readonly ConfidentialClient[];
  /** Resources (e.g. the emulator's org URL) that OBO may issue tokens for. */
  resources: readonly string[];
  accessTokenLifetimeSeconds?: number;
  /** Time source for issued and verified tokens (ms since the epoch); default the wall clock. */
  now?: () => number;
}

export interface MintOptions {
  audience: string;
  /** Short scope names for `scp`; empty for an app-only token (then `roles` is set). */
  scopes: readonly string[];
  lifetimeSeconds?: number;
  /** Client application id placed in `azp`. */
  clientAppId?: string;
  /** Overrides for tests (e.g. an expired `exp`, another `tid`). */
  claims?: Record<string, unknown>;
  /** Issue time (ms since the epoch); default now. */
  issuedAt?: number;
}

/** Entra-shaped OBO failures the local issuer can be told to produce (for tests and demos). */
export type SimulatedOboFailure = 'consent_required' | 'interaction_required';

export interface LocalIdp {
  url: string;
  tenantId: string;
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  stats: { oboExchanges: number; jwksRequests: number };
  /** Make OBO fail for one user (by object id) until cleared with `undefined`. */
  simulateOboFailure(objectId: string, failure: SimulatedOboFailure | undefined): void;
  mintUserToken(user: DirectoryUser, options: MintOptions): Promise<string>;
  /** A token like the one a managed identity gets for `api://AzureADTokenExchange` (federated credentials). */
  mintManagedIdentityToken(subject: string): Promise<string>;
  verifyDownstreamToken(token: string, resource: string): Promise<{ objectId: string }>;
  close(): Promise<void>;
}

/** Token issued by the local issuer for a user; used by `npm run token` without a running server. */
export async function mintToken(
  key: SigningKeyPair,
  issuer: string,
  tenantId: string,
  user: DirectoryUser,
  options: MintOptions,
): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'RS256');
  const now = Math.floor((options.issuedAt ?? Date.now()) / 1000);
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: options.audience,
    iat: now,
    nbf: now,
    exp: now + (options.lifetimeSeconds ?? 3600),
    jti: randomUUID(),
    ver: '2.0',
    tid: tenantId,
    oid: user.objectId,
    sub: user.objectId,
    name: user.fullName,
    preferred_username: user.email,
    azp: options.clientAppId ?? 'local-mcp-client',
    ...(options.scopes.length > 0 ? { scp: options.scopes.join(' ') } : { roles: ['Mcp.Access'] }),
    // Overrides last, so tests can forge any standard claim too.
    ...options.claims,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(privateKey);
}

export function localIssuer(baseUrl: string, tenantId: string): string {
  return `${baseUrl}/${tenantId}/v2.0`;
}

/**
 * A loopback identity provider shaped like Entra ID: per-tenant OIDC discovery, JWKS and a token
 * endpoint that performs the on-behalf-of exchange. The server trusts it exactly as it trusts Entra
 * (same verifier, same OBO client); only the authority URL differs.
 */
export async function startLocalIdp(options: LocalIdpOptions): Promise<LocalIdp> {
  const host = options.host ?? '127.0.0.1';
  const jwks = { keys: [options.key.publicJwk] };
  const keySet = createLocalJWKSet(jwks);
  const lifetime = options.accessTokenLifetimeSeconds ?? 3600;
  const failures = new Map<string, SimulatedOboFailure>();
  const stats = { oboExchanges: 0, jwksRequests: 0 };
  const t = options.tenantId;
  const clock = options.now ?? Date.now;
  const currentDate = () => new Date(clock());

  const server: Server = createServer((req, res) => {
    void serve(req).then(
      ({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      },
      () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}'),
    );
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  const issuer = localIssuer(url, t);

  async function serve(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === `/${t}/discovery/v2.0/keys`) {
      stats.jwksRequests++;
      return { status: 200, body: jwks };
    }
    if (req.method === 'GET' && path === `/${t}/v2.0/.well-known/openid-configuration`) {
      return {
        status: 200,
        body: {
          issuer,
          authorization_endpoint: `${url}/${t}/oauth2/v2.0/authorize`,
          token_endpoint: `${url}/${t}/oauth2/v2.0/token`,
          jwks_uri: `${url}/${t}/discovery/v2.0/keys`,
          response_types_supported: ['code'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        },
      };
    }
    if (req.method === 'POST' && path === `/${t}/oauth2/v2.0/token`) return tokenEndpoint(await readForm(req));
    return { status: 404, body: { error: 'not_found' } };
  }

  async function tokenEndpoint(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || form.get('requested_token_use') !== 'on_behalf_of') {
      return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type; only on-behalf-of is available locally.');
    }
    const client = options.clients.find((c) => c.clientId === form.get('client_id'));
    if (!client) return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    const credentialError = await checkClientCredential(form, client, `${url}/${t}/oauth2/v2.0/token`, { keys: keySet, issuer, currentDate: currentDate() });
    if (credentialError) return credentialError;
    const scope = form.get('scope') ?? '';
    const resource = scope.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : '';
    if (!options.resources.includes(resource)) {
      return aadError(400, 'invalid_resource', 500011, `The resource principal named ${resource || scope} was not found in the tenant.`);
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(form.get('assertion') ?? '', keySet, { issuer, audience: [...client.audiences], algorithms: ['RS256'], currentDate: currentDate() }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return aadError(400, 'invalid_grant', 500133, 'Assertion is not within its valid time range.');
      return aadError(400, 'invalid_grant', 50013, 'Assertion failed signature validation or is not intended for this application.');
    }
    if (typeof payload['scp'] !== 'string') {
      return aadError(400, 'invalid_grant', 50013, 'The assertion is an app-only token; on-behalf-of needs a user token.');
    }
    const user = options.users.find((u) => u.objectId === payload['oid']);
    if (!user) return aadError(400, 'invalid_grant', 50034, 'The user account does not exist in this directory.');
    const failure = failures.get(user.objectId);
    if (failure === 'consent_required') {
      return aadError(400, 'invalid_grant', 65001, "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.");
    }
    if (failure === 'interaction_required') {
      return aadError(400, 'interaction_required', 50076, 'Due to a configuration change made by your administrator, you must use multi-factor authentication.');
    }
    stats.oboExchanges++;
    const accessToken = await mintToken(options.key, issuer, t, user, {
      audience: resource,
      scopes: ['user_impersonation'],
      lifetimeSeconds: lifetime,
      clientAppId: client.clientId,
      issuedAt: clock(),
    });
    return {
      status: 200,
      body: { token_type: 'Bearer', scope: `${resource}/user_impersonation`, expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
    };
  }

  return {
    url,
    tenantId: t,
    issuer,
    jwksUri: `${url}/${t}/discovery/v2.0/keys`,
    tokenEndpoint: `${url}/${t}/oauth2/v2.0/token`,
    stats,
    simulateOboFailure(objectId, failure) {
      if (failure) failures.set(objectId, failure);
      else failures.delete(objectId);
    },
    mintUserToken: (user, mint) => mintToken(options.key, issuer, t, user, { issuedAt: clock(), ...mint }),
    async mintManagedIdentityToken(subject) {
      const now = Math.floor(clock() / 1000);
      return new SignJWT({ sub: subject, oid: subject, tid: t })
        .setProtectedHeader({ alg: 'RS256', kid: options.key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience('api://AzureADTokenExchange')
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(await importJWK(options.key.privateJwk, 'RS256'));
    },
    async verifyDownstreamToken(token, resource) {
      const { payload } = await jwtVerify(token, keySet, { issuer, audience: resource, algorithms: ['RS256'], currentDate: currentDate() });
      if (typeof payload['oid'] !== 'string') throw new Error('token has no oid');
      return { objectId: payload['oid'] };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Secret, certificate (signed client assertion) or federated credential, as Entra accepts them. */
async function checkClientCredential(
  form: URLSearchParams,
  client: ConfidentialClient,
  tokenEndpoint: string,
  self: { keys: ReturnType<typeof createLocalJWKSet>; issuer: string; currentDate: Date },
): Promise<{ status: number; body: unknown } | undefined> {
  const assertion = form.get('client_assertion');
  if (assertion) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return aadError(400, 'invalid_request', 50027, 'Unsupported client assertion type.');
    }
    try {
      const header = decodeProtectedHeader(assertion);
      if (client.certificate && header.x5t) {
        if (header.x5t !== Buffer.from(client.certificate.thumbprint, 'hex').toString('base64url')) {
          return aadError(401, 'invalid_client', 700027, 'Client assertion contains an invalid signature: the certificate thumbprint is not registered.');
        }
        await jwtVerify(assertion, await importJWK(client.certificate.publicJwk, 'RS256'), { audience: tokenEndpoint, issuer: client.clientId, subject: client.clientId, currentDate: self.currentDate });
        return undefined;
      }
      if (client.federated) {
        // Only the local issuer's own keys are known here, so only `self` federation can verify.
        const issuer = client.federated.issuer === 'self' ? self.issuer : client.federated.issuer;
        const { payload } = await jwtVerify(assertion, self.keys, { audience: 'api://AzureADTokenExchange', issuer, currentDate: self.currentDate });
        if (payload.sub !== client.federated.subject) return aadError(401, 'invalid_client', 70021, 'No matching federated identity record found for the presented assertion.');
        return undefined;
      }
    } catch {
      return aadError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
    }
    return aadError(401, 'invalid_client', 700027, 'The application has no certificate or federated credential for this assertion.');
  }
  if (!client.clientSecret || !secretMatches(form.get('client_secret') ?? '', client.clientSecret)) {
    return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
  }
  return undefined;
}

function secretMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function aadError(status: number, error: string, code: number, text: string): { status: number; body: unknown } {
  const traceId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
    },
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) break;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
