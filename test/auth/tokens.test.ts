import { randomUUID } from 'node:crypto';

import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TokenVerifier } from '../../src/auth/tokenVerifier.js';
import { type Env, loadConfig } from '../../src/config/config.js';
import { LOCAL_APP_ID_URI } from '../../src/dev/embedded.js';
import { LOCAL_TENANT_ID, LOCAL_USERS } from '../../src/emulator/users.js';
import { mcpHeaders, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function call(authorization: string | undefined, url = server.mcpUrl('sales')): Promise<{ status: number; text: string; challenge: string | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (authorization !== undefined) headers['authorization'] = authorization;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(initialize) });
  return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate') };
}

function nowSeconds(): number {
  return Math.floor(server.clock.now() / 1000);
}

function b64(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

function assertNoLeak(text: string, token?: string) {
  // Any part of the token (its signature or payload) must not come back.
  for (const part of (token ?? '').split('.').filter((p) => p.length > 8)) expect(text).not.toContain(part);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toContain('127.0.0.1:');
}

/** The least environment loadConfig accepts, plus overrides. */
function configEnv(extra: Env = {}): Env {
  return { AGENTS_FILE: 'agents.json', ...extra };
}

describe('incoming tokens', () => {
  it('accepts a valid delegated token (v2 issuer) and the v1 issuer form', async () => {
    expect((await call(`Bearer ${await server.token('alice')}`)).status).toBe(200);
    const v1 = await server.token('alice', { claims: { iss: `${server.idp!.url}/sts/${LOCAL_TENANT_ID}/` } });
    expect((await call(`Bearer ${v1}`)).status).toBe(200);
  });

  it('missing token: 401 with resource_metadata and scope, and no error code (RFC 6750 §3.1)', async () => {
    const r = await call(undefined);
    expect(r.status).toBe(401);
    expect(r.challenge).toMatch(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp\/sales"/);
    expect(r.challenge).toContain(`scope="${LOCAL_APP_ID_URI}/access_as_user"`);
    expect(r.challenge).not.toContain('error=');
  });

  it('publishes RFC 9728 protected-resource metadata per agent route', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp/service`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc['resource']).toBe(server.mcpUrl('service'));
    expect(doc['authorization_servers']).toEqual([server.idp!.issuer]);
    expect(doc['scopes_supported']).toEqual([`${LOCAL_APP_ID_URI}/access_as_user`]);
    expect((await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp/nope`)).status).toBe(404);
  });

  const bad: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'tampered signature',
      async () => {
        const t = await server.token('alice');
        const [h, p, s] = t.split('.');
        return `${h}.${p}.${(s ?? '').slice(0, -4)}${(s ?? '').endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      },
      /signature/,
    ],
    [
      'payload swapped to another user (signature no longer matches)',
      async () => {
        const t = await server.token('rita');
        const [h, , s] = t.split('.');
        const forged = { ...JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()), oid: LOCAL_USERS[3]!.objectId };
        return `${h}.${b64(forged)}.${s}`;
      },
      /signature/,
    ],
    [
      'unknown kid (signed by an attacker key)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ tid: LOCAL_TENANT_ID, oid: LOCAL_USERS[0]!.objectId, scp: 'access_as_user' })
          .setProtectedHeader({ alg: 'RS256', kid: 'attacker-key' })
          .setIssuer(server.idp!.issuer)
          .setAudience(LOCAL_APP_ID_URI)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey);
      },
      /unknown key/,
    ],
    [
      'alg none',
      async () => {
        const t = await server.token('alice');
        return `${b64({ alg: 'none', typ: 'JWT' })}.${t.split('.')[1]}.`;
      },
      /algorithm none/,
    ],
    [
      'HS256 signed with the public key (algorithm confusion)',
      async () => {
        const jwks = (await (await fetch(server.idp!.jwksUri)).json()) as { keys: Array<Record<string, string>> };
        const pub = jwks.keys[0]!;
        const secret = new TextEncoder().encode(JSON.stringify(pub));
        return new SignJWT({ tid: LOCAL_TENANT_ID, oid: LOCAL_USERS[0]!.objectId, scp: 'access_as_user' })
          .setProtectedHeader({ alg: 'HS256', kid: pub['kid']! })
          .setIssuer(server.idp!.issuer)
          .setAudience(LOCAL_APP_ID_URI)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(secret);
      },
      /algorithm HS256/,
    ],
    ['expired', () => server.token('alice', { claims: { exp: Math.floor(server.clock.now() / 1000) - 600 } }), /expired/],
    ['not yet valid (nbf beyond the skew)', () => server.token('alice', { claims: { nbf: Math.floor(server.clock.now() / 1000) + 900 } }), /not valid yet/],
    ['wrong audience', () => server.token('alice', { audience: 'api://someone-else' }), /audience/],
    ['wrong issuer', () => server.token('alice', { claims: { iss: `https://login.microsoftonline.com/${LOCAL_TENANT_ID}/v2.0` } }), /issuer/],
    [
      'tenant not allowed',
      () => {
        const tid = randomUUID();
        return server.token('alice', { claims: { tid, iss: `${server.idp!.url}/${tid}/v2.0` } });
      },
      /tenant/,
    ],
    ['app-only token (roles, no scp)', () => server.token('alice', { scopes: [] }), /App-only/],
    ['app-only token that also carries scp (idtyp "app")', () => server.token('alice', { claims: { idtyp: 'app' } }), /App-only/],
    ['issued in the future (iat beyond the skew)', () => server.token('alice', { claims: { iat: nowSeconds() + 900 } }), /issued in the future/],
    ['lifetime over 24 h (exp - iat)', () => server.token('alice', { lifetimeSeconds: 25 * 3600 }), /lives longer than the 24 h/],
    [
      'lifetime over 24 h counted from its iat, though it expires within 24 h from now',
      () => server.token('alice', { claims: { iat: nowSeconds() - 20 * 3600, nbf: nowSeconds() - 20 * 3600, exp: nowSeconds() + 5 * 3600 } }),
      /lives longer than the 24 h/,
    ],
    ['lifetime over 24 h from now, without iat (exp - now)', () => server.token('alice', { claims: { iat: undefined, exp: nowSeconds() + 25 * 3600 } }), /lives longer than the 24 h/],
    ['oversized token', async () => `${await server.token('alice')}${'A'.repeat(13_000)}`, /too large/],
  ];

  for (const [name, make, message] of bad) {
    it(`401 invalid_token: ${name}`, async () => {
      const token = await make();
      const r = await call(`Bearer ${token}`);
      expect(r.status).toBe(401);
      expect(r.challenge).toContain('error="invalid_token"');
      expect(r.challenge).toContain('resource_metadata=');
      expect(JSON.parse(r.text)['error_description']).toMatch(message);
      assertNoLeak(r.text, token);
      expect(r.challenge).not.toContain(token.split('.')[2] || token);
    });
  }

  it('a header beyond the host limit is refused by the HTTP layer itself (431)', async () => {
    const r = await call(`Bearer ${'A'.repeat(40_000)}`);
    expect(r.status).toBe(431);
  });

  it('a token within the clock skew (nbf 2 minutes ahead) is accepted', async () => {
    const t = await server.token('alice', { claims: { nbf: Math.floor(server.clock.now() / 1000) + 120 } });
    expect((await call(`Bearer ${t}`)).status).toBe(200);
  });

  it('iat within the clock skew, and a lifetime of exactly 24 h, are accepted', async () => {
    const early = await server.token('alice', { claims: { iat: nowSeconds() + 120 } });
    expect((await call(`Bearer ${early}`)).status).toBe(200);
    const day = await server.token('alice', { lifetimeSeconds: 24 * 3600 });
    expect((await call(`Bearer ${day}`)).status).toBe(200);
  });

  it('AUTH_MAX_TOKEN_LIFETIME_SECONDS sets the cap a TokenVerifier enforces', async () => {
    expect(loadConfig(configEnv()).auth.maxTokenLifetimeSeconds).toBe(24 * 3600);
    const config = loadConfig(configEnv({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '7200' }));
    expect(config.auth.maxTokenLifetimeSeconds).toBe(7200);
    for (const bad of ['0', '-1', 'day', '1.5', String(8 * 86400)]) {
      expect(() => loadConfig(configEnv({ AUTH_MAX_TOKEN_LIFETIME_SECONDS: bad })), bad).toThrow(/AUTH_MAX_TOKEN_LIFETIME_SECONDS/);
    }
    // The verifier fetches the local issuer's keys over HTTP, as the server's own does.
    const verifier = new TokenVerifier({
      authority: server.config.auth.authority,
      v1IssuerBase: server.config.auth.v1IssuerBase,
      tenants: server.config.auth.tenants,
      now: server.clock.now,
      maxTokenLifetimeSeconds: config.auth.maxTokenLifetimeSeconds,
    });
    const twoHours = await server.token('alice', { lifetimeSeconds: 7200 });
    expect((await verifier.verify(twoHours, [LOCAL_APP_ID_URI])).principal.objectId).toBe(LOCAL_USERS[0]!.objectId);
    const threeHours = await server.token('alice', { lifetimeSeconds: 3 * 3600 });
    await expect(verifier.verify(threeHours, [LOCAL_APP_ID_URI])).rejects.toThrow(/lives longer than the 2 h/);
  });

  it('403 insufficient_scope when the required scope is missing', async () => {
    const t = await server.token('alice', { scopes: ['Files.Read'] });
    const r = await call(`Bearer ${t}`);
    expect(r.status).toBe(403);
    expect(r.challenge).toContain('error="insufficient_scope"');
    expect(r.challenge).toContain(`scope="${LOCAL_APP_ID_URI}/access_as_user"`);
    assertNoLeak(r.text, t);
  });

  it('malformed Authorization headers are 401', async () => {
    for (const header of ['Bearer', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', 'bearer a.b.c', `Token ${await server.token('alice')}`]) {
      const r = await call(header);
      expect(r.status, header.slice(0, 12)).toBe(401);
      assertNoLeak(r.text);
    }
  });

  describe('the Authorization header has exactly the RFC 6750 shape', () => {
    const malformed: Array<[string, (t: string) => string]> = [
      ['junk after the token', (t) => `Bearer ${t} junk`],
      ['a second token', (t) => `Bearer ${t} ${t}`],
      ['a second credential after a comma', (t) => `Bearer ${t}, Basic dXNlcjpwYXNz`],
      ['a tab instead of a space', (t) => `Bearer\t${t}`],
      ['characters outside b64token', (t) => `Bearer ${t}"`],
      ['no token at all', () => 'Bearer'],
    ];
    for (const [name, header] of malformed) {
      it(`401 invalid_request: ${name}`, async () => {
        const t = await server.token('alice');
        const r = await call(header(t));
        expect(r.status).toBe(401);
        expect(r.challenge).toMatch(/^Bearer error="invalid_request", error_description="[^"]+", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp\/sales"/);
        expect(r.challenge).toContain(`scope="${LOCAL_APP_ID_URI}/access_as_user"`);
        expect(JSON.parse(r.text)).toMatchObject({ error: 'invalid_request' });
        assertNoLeak(r.text, t);
        for (const part of t.split('.')) expect(r.challenge).not.toContain(part);
      });
    }

    it('another scheme is "no bearer credentials": 401 without an error code (RFC 6750 §3.1)', async () => {
      for (const header of ['Basic dXNlcjpwYXNz', `Token ${await server.token('alice')}`]) {
        const r = await call(header);
        expect(r.status, header.slice(0, 6)).toBe(401);
        expect(r.challenge).toMatch(/^Bearer resource_metadata="/);
        expect(r.challenge).not.toContain('error=');
      }
    });

    it('the scheme is case-insensitive and one or more spaces may follow it (RFC 6750 §2.1: 1*SP)', async () => {
      const t = await server.token('alice');
      for (const header of [`bearer ${t}`, `BEARER ${t}`, `Bearer  ${t}`]) {
        expect((await call(header)).status, header.slice(0, 8)).toBe(200);
      }
    });
  });

  it('a token in the query string is refused even when the header is valid', async () => {
    const t = await server.token('alice');
    const r = await call(`Bearer ${t}`, `${server.mcpUrl('sales')}?access_token=${t}`);
    expect(r.status).toBe(400);
    expect(r.text).toContain('invalid_request');
    assertNoLeak(r.text, t);
  });

  it('a flood of unknown kids refetches the key set at most once per cooldown', async () => {
    const before = server.idp!.stats.jwksRequests;
    const { privateKey } = await generateKeyPair('RS256');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new SignJWT({ tid: LOCAL_TENANT_ID, oid: LOCAL_USERS[0]!.objectId, scp: 'access_as_user' })
          .setProtectedHeader({ alg: 'RS256', kid: `bogus-${i}` })
          .setIssuer(server.idp!.issuer)
          .setAudience(LOCAL_APP_ID_URI)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey)
          .then((t) => call(`Bearer ${t}`))
          .then((r) => expect(r.status).toBe(401)),
      ),
    );
    expect(server.idp!.stats.jwksRequests - before).toBeLessThanOrEqual(1);
  });
});
