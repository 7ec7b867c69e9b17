import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { importPKCS8, SignJWT } from 'jose';

import type { OboCredential } from '../config/config.js';
import { OboError } from './oboError.js';
import type { Principal } from './principal.js';

export interface OboOptions {
  /** e.g. https://login.microsoftonline.com */
  authority: string;
  clientId: string;
  credential: OboCredential;
  /** App Service / Functions managed identity endpoint, for the federated credential. */
  managedIdentity?: { endpoint: string; header: string };
  fetch?: typeof fetch;
  now?: () => number;
  /** Refresh this long before expiry. */
  refreshMarginSeconds?: number;
  /** Told whether each token request was served from the cache (telemetry). */
  onCacheLookup?: (hit: boolean) => void;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const CACHE_LIMIT = 5000;
type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

/**
 * Exchanges a user's incoming token for a downstream token (OAuth 2.0 on-behalf-of). The incoming
 * token is only ever sent to the token endpoint, never to a resource. Tokens are cached per
 * user+scope until shortly before expiry, and concurrent callers for the same key share one exchange.
 */
export class OboClient {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private miToken: CachedToken | undefined;
  private certKey: Promise<{ key: SigningKey; x5t: string }> | undefined;

  constructor(private readonly options: OboOptions) {
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async getToken(assertion: string, principal: Principal, scope: string, options: { forceRefresh?: boolean } = {}): Promise<string> {
    const key = `${principal.tenantId}|${principal.objectId}|${scope}`;
    if (options.forceRefresh) this.cache.delete(key);
    const cached = this.cache.get(key);
    const hit = cached !== undefined && cached.expiresAt > this.now();
    this.options.onCacheLookup?.(hit);
    if (hit) return cached.token;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const exchange = this.exchange(assertion, principal.tenantId, scope)
      .then((t) => {
        if (this.cache.size >= CACHE_LIMIT) {
          const oldest = this.cache.keys().next().value;
          if (oldest !== undefined) this.cache.delete(oldest);
        }
        this.cache.set(key, t);
        return t.token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, exchange);
    return exchange;
  }

  private async exchange(assertion: string, tenantId: string, scope: string): Promise<CachedToken> {
    const tokenEndpoint = `${this.options.authority}/${tenantId}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: this.options.clientId,
      assertion,
      scope,
    });
    await this.addClientCredential(form, tokenEndpoint);

    let response: Response;
    try {
      response = await this.fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(15_000),
      });
    } catch {
      throw new OboError('The identity provider could not be reached to obtain a Dataverse token; try again shortly.', 'unavailable');
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body['access_token'] !== 'string') throw describeOboFailure(response.status, body);
    const lifetime = Number(body['expires_in'] ?? 3600);
    const margin = Math.min(this.options.refreshMarginSeconds ?? 300, lifetime / 2);
    return { token: body['access_token'], expiresAt: this.now() + (lifetime - margin) * 1000 };
  }

  private async addClientCredential(form: URLSearchParams, tokenEndpoint: string): Promise<void> {
    const credential = this.options.credential;
    switch (credential.kind) {
      case 'secret':
        form.set('client_secret', credential.clientSecret);
        return;
      case 'certificate': {
        this.certKey ??= loadCertificate(credential.certificatePath, credential.thumbprint).catch((err: unknown) => {
          // A certificate not mounted yet must not break every later exchange.
          this.certKey = undefined;
          throw err instanceof OboError ? err : new OboError('The client certificate for the on-behalf-of exchange could not be read.', 'misconfigured');
        });
        const { key, x5t } = await this.certKey;
        const nowSec = Math.floor(this.now() / 1000);
        const jwt = await new SignJWT({})
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5t })
          .setIssuer(this.options.clientId)
          .setSubject(this.options.clientId)
          .setAudience(tokenEndpoint)
          .setJti(randomUUID())
          .setNotBefore(nowSec)
          .setExpirationTime(nowSec + 600)
          .sign(key);
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', jwt);
        return;
      }
      case 'managed-identity': {
        form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        form.set('client_assertion', await this.managedIdentityAssertion(credential.managedIdentityClientId));
        return;
      }
    }
  }

  /** A managed-identity token for api://AzureADTokenExchange, used as a federated client assertion. */
  private async managedIdentityAssertion(clientId: string | undefined): Promise<string> {
    if (this.miToken && this.miToken.expiresAt > this.now()) return this.miToken.token;
    const mi = this.options.managedIdentity;
    if (!mi) throw new OboError('Managed identity is not available on this host (IDENTITY_ENDPOINT is not set).', 'misconfigured');
    const url = new URL(mi.endpoint);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('resource', 'api://AzureADTokenExchange');
    if (clientId) url.searchParams.set('client_id', clientId);
    const response = await this.fetch(url, { headers: { 'X-IDENTITY-HEADER': mi.header }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    const body = (await response?.json().catch(() => ({}))) as Record<string, unknown> | undefined;
    if (!response?.ok || typeof body?.['access_token'] !== 'string') {
      throw new OboError('The managed identity token for the federated credential could not be obtained.', 'misconfigured');
    }
    const expiresOn = Number(body['expires_on']) * 1000;
    this.miToken = { token: body['access_token'], expiresAt: (Number.isFinite(expiresOn) ? expiresOn : this.now() + 3600_000) - 300_000 };
    return this.miToken.token;
  }
}

async function loadCertificate(path: string, thumbprintHex: string): Promise<{ key: SigningKey; x5t: string }> {
  const pem = await readFile(path, 'utf8');
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0];
  if (!keyPem) throw new OboError('The client certificate file has no PKCS#8 private key.', 'misconfigured');
  const key = await importPKCS8(keyPem, 'RS256');
  const x5t = Buffer.from(thumbprintHex.replace(/[^0-9a-f]/gi, ''), 'hex').toString('base64url');
  return { key, x5t };
}

/** Maps Entra's token-endpoint errors (AADSTS codes) to something a user or admin can act on. */
export function describeOboFailure(status: number, body: Record<string, unknown>): OboError {
  const codes = Array.isArray(body['error_codes']) ? (body['error_codes'] as unknown[]).map(Number) : [];
  const description = typeof body['error_description'] === 'string' ? body['error_description'] : '';
  const fromText = /AADSTS(\d+)/.exec(description)?.[1];
  const code = codes[0] ?? (fromText ? Number(fromText) : undefined);
  switch (code) {
    case 65001:
    case 65004:
      return new OboError(
        'This server has not been granted consent to access Dataverse on your behalf (AADSTS' +
          code +
          '). Ask an administrator to grant admin consent for the app registration\'s Dynamics CRM user_impersonation permission.',
        'consent_required',
        code,
      );
    case 50076:
    case 50079:
    case 50158:
    case 53003:
      return new OboError(
        `Your organisation requires additional sign-in steps (multi-factor or conditional access, AADSTS${code}). Sign in again in your MCP client and retry.`,
        'reauthenticate',
        code,
      );
    case 50013:
    case 500133:
    case 700024:
      return new OboError(`Your sign-in could not be used to reach Dataverse (AADSTS${code}). Sign in again in your MCP client and retry.`, 'reauthenticate', code);
    case 50020:
    case 50034:
    case 50177:
      return new OboError(`Your account is not a member of the tenant that hosts Dataverse (AADSTS${code}). Ask an administrator to add you.`, 'user_not_found', code);
    case 500011:
      return new OboError('Dataverse is not available in this tenant (AADSTS500011): check the DATAVERSE_URL setting.', 'misconfigured', code);
    case 7000215:
    case 7000222:
    case 700016:
    case 700027:
    case 70021:
    case 700211:
    case 700212:
    case 700213:
      return new OboError(`The server's own credentials were rejected by Entra ID (AADSTS${code}). An administrator must fix the app registration credential.`, 'misconfigured', code);
    default:
      if (status >= 500 || status === 429) {
        return new OboError('The identity provider is temporarily unavailable; try again shortly.', 'unavailable', code);
      }
      return new OboError(
        `A Dataverse token could not be obtained on your behalf${code ? ` (AADSTS${code})` : ''}. Sign in again; if it keeps failing, ask an administrator to check the app registration.`,
        'reauthenticate',
        code,
      );
  }
}
