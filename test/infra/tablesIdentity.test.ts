import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/config/agents.js';
import { loadConfig } from '../../src/config/config.js';
import { openTables, openTablesClients, TABLE_NAMES, tablesLocation } from '../../src/sessions/tableStorage.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * In Azure the storage account has shared keys off: Table Storage is reached with the managed
 * identity, switched on by one setting (TABLES_ACCOUNT_URL). A Table endpoint on 127.0.0.1 (HTTPS:
 * the SDK sends bearer tokens over nothing else) records what the clients send.
 */
let endpoint: Server;
let url: string;
const seen: Array<{ method: string; path: string; authorization: string | undefined }> = [];
const previousTls = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tables-'));
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1']);
  const tls = { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
  await rm(dir, { recursive: true, force: true });
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  endpoint = createServer(tls, (req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
      if (req.method === 'POST' && req.url?.startsWith('/Tables')) return void res.writeHead(204).end();
      res.writeHead(404, { 'content-type': 'application/json;odata=minimalmetadata' }).end(JSON.stringify({ 'odata.error': { code: 'ResourceNotFound', message: { lang: 'en-US', value: 'The specified resource does not exist.' } } }));
    });
  });
  endpoint.listen(0, '127.0.0.1');
  await once(endpoint, 'listening');
  url = `https://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (previousTls === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previousTls;
  endpoint?.closeAllConnections();
  await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
});

describe('Table Storage with a managed identity', () => {
  it('TABLES_ACCOUNT_URL switches from the connection string to the identity; setting both is an error', () => {
    const base = { AGENTS_FILE: join(ROOT, 'agents.json') };
    const azure = loadConfig({ ...base, TABLES_ACCOUNT_URL: 'https://stmcp.table.core.windows.net/', TABLES_MANAGED_IDENTITY_CLIENT_ID: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f' });
    expect(tablesLocation(azure.tables)).toEqual({ kind: 'identity', accountUrl: 'https://stmcp.table.core.windows.net', managedIdentityClientId: '6f1c2e3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f' });
    const local = loadConfig({ ...base, TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', TABLES_ACCOUNT_URL: '' });
    expect(tablesLocation(local.tables)).toEqual({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' });
    expect(() => loadConfig({ ...base, TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', TABLES_ACCOUNT_URL: 'https://stmcp.table.core.windows.net' })).toThrow(ConfigError);
    expect(tablesLocation(loadConfig(base).tables)).toBeUndefined();
  });

  it('sends the identity token (storage scope) on every call, never a shared key', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return { token: 'managed-identity-token', expiresOnTimestamp: Date.UTC(2100, 0, 1) };
      },
    };
    const tables = await openTables({ kind: 'identity', accountUrl: url }, 'mcp', { credential });
    await expect(tables.sessions.getEntity('p', 'r')).rejects.toMatchObject({ statusCode: 404 });
    expect(seen.filter((s) => s.method === 'POST').map((s) => s.path).length).toBe(TABLE_NAMES.length);
    expect(seen.some((s) => s.path.startsWith('/mcpsessions(') && s.method === 'GET')).toBe(true);
    for (const s of seen) expect(s.authorization, `${s.method} ${s.path}`).toBe('Bearer managed-identity-token');
    expect(new Set(scopes)).toEqual(new Set(['https://storage.azure.com/.default']));
  });

  it('clients for an account URL need a credential (openTables makes one)', () => {
    expect(() => openTablesClients({ kind: 'identity', accountUrl: url }, 'mcp')).toThrow(/needs a credential/);
  });
});
