import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';

import { TestClock } from '../helpers/clock.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect } from '../helpers/mcpClient.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function whoamiWorks(server: TestServer): Promise<{ ok: boolean; text: string }> {
  const c = await connect(server, 'alice', 'sales');
  const r = await c.call('whoami');
  await c.close();
  const dv = r.data['dataverse'] as { userId?: string; error?: string };
  return { ok: Boolean(dv.userId), text: dv.error ?? '' };
}

describe('on-behalf-of credentials other than a secret', () => {
  it('certificate: a client assertion signed with the private key, named by thumbprint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const dir = await mkdtemp(join(tmpdir(), 'obo-cert-'));
    dirs.push(dir);
    const pem = join(dir, 'cert.pem');
    await writeFile(pem, await exportPKCS8(privateKey), { mode: 0o600 });
    const thumbprint = randomBytes(20).toString('hex');
    const server = await startTestServer({
      emulator: true,
      env: { AUTH_OBO_MODE: 'certificate', AUTH_CLIENT_CERTIFICATE_PATH: pem, AUTH_CLIENT_CERTIFICATE_THUMBPRINT: thumbprint },
      appCredentials: { certificate: { publicJwk: await exportJWK(publicKey), thumbprint } },
    });
    try {
      expect(await whoamiWorks(server)).toMatchObject({ ok: true });
    } finally {
      await server.close();
    }

    const wrong = await startTestServer({
      emulator: true,
      env: { AUTH_OBO_MODE: 'certificate', AUTH_CLIENT_CERTIFICATE_PATH: pem, AUTH_CLIENT_CERTIFICATE_THUMBPRINT: randomBytes(20).toString('hex') },
      appCredentials: { certificate: { publicJwk: await exportJWK(publicKey), thumbprint } },
    });
    try {
      const r = await whoamiWorks(wrong);
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/AADSTS700027/);
      expect(r.text).toMatch(/administrator/);
    } finally {
      await wrong.close();
    }
  });

  it('managed identity: a federated credential from the identity endpoint', async () => {
    const subject = 'f0000000-0000-4000-8000-00000000f00d';
    const clock = new TestClock();
    let mint: ((sub: string) => Promise<string>) | undefined;
    const header = randomBytes(8).toString('hex');
    const identityEndpoint: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers['x-identity-header'] !== header || url.searchParams.get('resource') !== 'api://AzureADTokenExchange' || !mint) {
        res.writeHead(400).end();
        return;
      }
      void mint(subject).then((token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_on: String(Math.floor(clock.now() / 1000) + 3600) })));
    });
    identityEndpoint.listen(0, '127.0.0.1');
    await once(identityEndpoint, 'listening');
    const server = await startTestServer({
      emulator: true,
      clock,
      env: {
        AUTH_OBO_MODE: 'managed-identity',
        IDENTITY_ENDPOINT: `http://127.0.0.1:${(identityEndpoint.address() as AddressInfo).port}/msi/token`,
        IDENTITY_HEADER: header,
      },
      appCredentials: { federated: { issuer: 'self', subject } },
    });
    try {
      const idp = server.idp!;
      mint = (sub) => idp.mintManagedIdentityToken(sub);
      expect(await whoamiWorks(server)).toMatchObject({ ok: true });
    } finally {
      await server.close();
    }
    // An app that trusts another identity refuses this one.
    const other = await startTestServer({
      emulator: true,
      env: { AUTH_OBO_MODE: 'managed-identity', IDENTITY_ENDPOINT: `http://127.0.0.1:${(identityEndpoint.address() as AddressInfo).port}/msi/token`, IDENTITY_HEADER: header },
      appCredentials: { federated: { issuer: 'self', subject: 'f0000000-0000-4000-8000-00000000beef' } },
    });
    try {
      const idp = other.idp!;
      mint = (sub) => idp.mintManagedIdentityToken(sub);
      const r = await whoamiWorks(other);
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(/credentials were rejected|AADSTS70021/);
    } finally {
      await other.close();
      identityEndpoint.close();
    }
  });
});
