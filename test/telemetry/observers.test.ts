import { describe, expect, inject, it } from 'vitest';

import { type DataverseCall, DataverseClient } from '../../src/dataverse/client.js';
import { contains } from '../../src/dataverse/odata.js';
import { openTables, TABLE_NAMES } from '../../src/sessions/tableStorage.js';
import type { StorageCallFacts } from '../../src/telemetry/telemetry.js';
import { uniquePrefix } from '../helpers/harness.js';

describe('dependency observers', () => {
  it('DataverseClient reports each HTTP attempt: method, entity set, status, throttling, attempt, Dataverse request id; no URL or token', async () => {
    const answers = [
      new Response('{"error":{"code":"0x80072322","message":"Number of requests exceeded the limit"}}', { status: 429, headers: { 'retry-after': '1', 'x-ms-service-request-id': 'aaaa1111-0000-4000-8000-000000000001' } }),
      new Response('{"value":[]}', { status: 200, headers: { 'x-ms-service-request-id': 'aaaa1111-0000-4000-8000-000000000002' } }),
    ];
    const calls: DataverseCall[] = [];
    const client = new DataverseClient({
      url: 'https://contoso.crm.dynamics.com',
      tokens: { getToken: async () => 'secret-token' },
      fetch: async () => answers.shift()!,
      // No real waiting: the retry's Retry-After is honoured by an instant sleep.
      sleep: async () => undefined,
      observe: (call) => calls.push(call),
    });
    await client.list('leads', { select: ['fullname'], filter: contains('fullname', 'Private Name') });
    expect(calls).toEqual([
      { method: 'GET', entity: 'leads', status: 429, throttled: true, attempt: 1, ms: expect.any(Number), requestId: 'aaaa1111-0000-4000-8000-000000000001' },
      { method: 'GET', entity: 'leads', status: 200, throttled: false, attempt: 2, ms: expect.any(Number), requestId: 'aaaa1111-0000-4000-8000-000000000002' },
    ]);
    expect(JSON.stringify(calls)).not.toMatch(/Private Name|secret-token|\$filter|https:/);
  });

  it('DataverseClient reports a network failure once per attempt, and a throwing observer never breaks the call', async () => {
    const calls: DataverseCall[] = [];
    const client = new DataverseClient({
      url: 'https://contoso.crm.dynamics.com',
      tokens: { getToken: async () => 't' },
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
      retry: { maxAttempts: 2 },
      sleep: async () => undefined,
      observe: (call) => {
        calls.push(call);
        throw new Error('observer bug');
      },
    });
    await expect(client.whoAmI()).rejects.toMatchObject({ kind: 'unavailable' });
    expect(calls.map((c) => [c.entity, c.status, c.failure, c.attempt])).toEqual([
      ['WhoAmI', undefined, 'network', 1],
      ['WhoAmI', undefined, 'network', 2],
    ]);
  });

  it('Table Storage clients report each call: method, table, status, storage request id', async () => {
    const calls: StorageCallFacts[] = [];
    const prefix = uniquePrefix();
    const tables = await openTables(inject('tablesConnectionString'), prefix, { observe: (call) => calls.push(call) });
    await tables.sessions.getEntity('p', 'r').catch(() => undefined);
    await tables.handles.createEntity({ partitionKey: 'p', rowKey: 'r', value: 'not recorded' });
    const created = calls.filter((c) => c.table === 'Tables');
    expect(created.map((c) => c.method)).toEqual(TABLE_NAMES.map(() => 'POST'));
    expect(calls).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'GET', table: `${prefix}sessions`, status: 404 }),
        expect.objectContaining({ method: 'POST', table: `${prefix}handles`, status: 204 }),
      ]),
    );
    for (const c of calls.filter((x) => x.table !== 'Tables')) expect(c.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(calls)).not.toContain('not recorded');
  });
});
