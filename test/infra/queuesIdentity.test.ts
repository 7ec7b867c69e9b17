import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InstanceMailbox, openQueueService } from '../../src/sessions/instanceMailbox.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { type HttpsRecorder, startHttpsRecorder } from '../helpers/https.js';

/**
 * In Azure the storage account has shared keys off: the delivery queues are reached with the managed
 * identity, switched on by QUEUES_ACCOUNT_URL, as the tables are by TABLES_ACCOUNT_URL.
 */
let endpoint: HttpsRecorder;
const previousTls = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];

beforeAll(async () => {
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  endpoint = await startHttpsRecorder((req, res) => {
    const xml = { 'content-type': 'application/xml' };
    if (req.method === 'PUT') return void res.writeHead(201).end();
    if (req.method === 'DELETE') return void res.writeHead(204).end();
    if (req.method === 'GET') return void res.writeHead(200, xml).end('<?xml version="1.0" encoding="utf-8"?><QueueMessagesList></QueueMessagesList>');
    res.writeHead(404, { ...xml, 'x-ms-error-code': 'QueueNotFound' }).end('<?xml version="1.0" encoding="utf-8"?><Error><Code>QueueNotFound</Code><Message>The specified queue does not exist.</Message></Error>');
  });
});

afterAll(async () => {
  if (previousTls === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previousTls;
  await endpoint?.close();
});

describe('Storage Queues with a managed identity', () => {
  it('send the identity token (storage scope) on every call, never a shared key', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return { token: 'managed-identity-token', expiresOnTimestamp: Date.UTC(2100, 0, 1) };
      },
    };
    // An IP host means path-style addressing: the account is the first path segment.
    const service = await openQueueService({ kind: 'identity', accountUrl: `${endpoint.url}/stmcp` }, { credential });
    const box = new InstanceMailbox({ service, prefix: 'mcp', instance: '0123456789abcdef', log: silentLogger, key: Buffer.alloc(32, 7) });
    const release = await box.hold();
    expect(await box.send('fedcba9876543210', 'answer', { x: 1 })).toBe(false);
    release();
    await box.close();
    const calls = endpoint.seen.map((s) => `${s.method} ${s.path.split('?')[0]}`);
    expect(calls).toEqual(expect.arrayContaining(['PUT /stmcp/mcp-0123456789abcdef', 'POST /stmcp/mcp-fedcba9876543210/messages', 'DELETE /stmcp/mcp-0123456789abcdef']));
    for (const s of endpoint.seen) expect(s.authorization, `${s.method} ${s.path}`).toBe('Bearer managed-identity-token');
    expect(new Set(scopes)).toEqual(new Set(['https://storage.azure.com/.default']));
  });
});
