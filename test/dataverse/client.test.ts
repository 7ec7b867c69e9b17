import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { LOCAL_APP_ID_URI } from '../../src/dev/embedded.js';
import { DataverseClient } from '../../src/dataverse/client.js';
import { DataverseError } from '../../src/dataverse/errors.js';
import { and, contains, eq } from '../../src/dataverse/odata.js';
import { findLocalUser } from '../../src/emulator/users.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
const sleeps: number[] = [];
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  server.emulator!.faults.clear();
  sleeps.length = 0;
});

/** A client acting as a seeded user, with a downstream token from the local issuer's OBO endpoint. */
async function clientFor(alias: string, options: Partial<ConstructorParameters<typeof DataverseClient>[0]> = {}): Promise<DataverseClient> {
  const user = findLocalUser(alias)!;
  const assertion = await server.idp!.mintUserToken(user, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
  const res = await fetch(server.idp!.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: server.config.auth.clientId,
      client_secret: (server.config.auth.obo as { clientSecret: string }).clientSecret,
      assertion,
      scope: `${server.emulator!.url}/.default`,
    }),
  });
  const token = ((await res.json()) as { access_token: string }).access_token;
  return new DataverseClient({
    url: server.emulator!.url,
    tokens: { getToken: async () => token },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}

describe('DataverseClient against the emulator over HTTP', () => {
  it('lists with $select/$filter/$orderby and annotations', async () => {
    const dv = await clientFor('alice');
    const page = await dv.list('leads', { select: ['fullname', 'leadqualitycode'], filter: and(eq('statecode', 0), eq('leadqualitycode', 1)), orderby: [{ property: 'fullname' }], top: 5 });
    expect(page.rows).toHaveLength(5);
    for (const r of page.rows) expect(r['leadqualitycode@OData.Community.Display.V1.FormattedValue']).toBe('Hot');
    const names = page.rows.map((r) => String(r['fullname']));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('hostile literals stay literals', async () => {
    const dv = await clientFor('alice');
    for (const text of ["' or 1 eq 1 or fullname eq '", "') or true or contains(fullname,'", '%27']) {
      const page = await dv.list('leads', { select: ['fullname'], filter: contains('fullname', text) });
      expect(page.rows).toEqual([]);
    }
  });

  it('pages through nextLink within the row budget and continues from `next`', async () => {
    const dv = await clientFor('alice');
    const first = await dv.list('contacts', { select: ['contactid'], orderby: [{ property: 'contactid' }] }, { pageSize: 40, maxRows: 40 });
    expect(first.rows).toHaveLength(40);
    expect(first.next).toBeTruthy();
    expect(first.next).not.toContain('http');
    const rest = await dv.continue(first.next!, { pageSize: 40, maxRows: 10_000 });
    const ids = new Set([...first.rows, ...rest.rows].map((r) => String(r['contactid'])));
    expect(ids.size).toBe(first.rows.length + rest.rows.length);
    expect(rest.next).toBeUndefined();
    await expect(dv.continue('https://evil.example/steal?x=1')).rejects.toBeInstanceOf(DataverseError);
    await expect(dv.continue('../../other?x')).rejects.toBeInstanceOf(DataverseError);
  });

  it('follows paging links of its org however the org URL is spelt, compared as parsed URLs', async () => {
    // The configured URL differs from the links Dataverse writes only in spelling: scheme case, a trailing slash.
    const spelt = server.emulator!.url.replace('http://', 'HTTP://') + '/';
    const dv = await clientFor('alice', { url: spelt });
    const page = await dv.list('contacts', { select: ['contactid'], orderby: [{ property: 'contactid' }] }, { pageSize: 30, maxRows: 60 });
    expect(page.rows).toHaveLength(60);
    // A link to another port of the same host is another service, not this org.
    const elsewhere = await clientFor('alice', {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        const body = (await res.json()) as Record<string, unknown>;
        const link = body['@odata.nextLink'];
        if (typeof link === 'string') body['@odata.nextLink'] = link.replace(/:(\d+)\//, (_m, p: string) => `:${Number(p) + 1}/`);
        return Response.json(body, { status: res.status, headers: res.headers });
      },
    });
    await expect(elsewhere.list('contacts', { select: ['contactid'] }, { pageSize: 30, maxRows: 60 })).rejects.toThrow(/paging link outside this organisation/);
  });

  it('reads metadata with Consistency: Strong when asked (right after a schema change)', async () => {
    const sent: Array<string | null> = [];
    const dv = await clientFor('dana', {
      fetch: async (input, init) => {
        sent.push(new Headers(init?.headers).get('consistency'));
        return fetch(input, init);
      },
    });
    await dv.entityDefinition('account', ['LogicalName']);
    await dv.entityDefinition('account', ['LogicalName'], ['LogicalName'], { strong: true });
    await dv.attributes('account', ['LogicalName'], 'StringAttributeMetadata', undefined, { strong: true });
    expect(sent).toEqual([null, 'Strong', 'Strong']);
  });

  it('a byte budget stops paging and hands back a continuation instead of truncating silently', async () => {
    const dv = await clientFor('alice');
    const page = await dv.list('leads', { select: ['leadid', 'description'] }, { pageSize: 50, maxBytes: 1 });
    expect(page.rows).toHaveLength(50);
    expect(page.next).toBeTruthy();
  });

  it('retries 429 honouring Retry-After, then succeeds', async () => {
    const dv = await clientFor('alice');
    server.emulator!.faults.add({ kind: 'throttle', count: 2, retryAfterSeconds: 3 });
    const me = await dv.whoAmI();
    expect(me.UserId).toBe(findLocalUser('alice')!.systemUserId);
    expect(sleeps).toHaveLength(2);
    for (const s of sleeps) expect(s).toBeGreaterThanOrEqual(3000);
  });

  it('gives up with "retry after N s" when throttling outlasts the budget', async () => {
    const dv = await clientFor('alice', { retry: { maxTotalWaitMs: 5000 } });
    server.emulator!.faults.add({ kind: 'throttle', count: 5, retryAfterSeconds: 30 });
    const err = await dv.whoAmI().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataverseError);
    expect(err).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 30 });
  });

  it('retries 503 and dropped connections for reads', async () => {
    const dv = await clientFor('alice');
    server.emulator!.faults.add({ kind: 'unavailable', count: 1 });
    expect((await dv.whoAmI()).UserId).toBeTruthy();
    expect(sleeps.length).toBe(1);
    server.emulator!.faults.add({ kind: 'drop', count: 1 });
    expect((await dv.whoAmI()).UserId).toBeTruthy();
    expect(sleeps.length).toBe(2);
  });

  it('times out a slow read, retries it, and succeeds', async () => {
    const dv = await clientFor('alice', { timeoutMs: 300 });
    server.emulator!.faults.add({ kind: 'latency', latencyMs: 1500, count: 1 });
    expect((await dv.whoAmI()).UserId).toBeTruthy();
    expect(sleeps).toHaveLength(1);
  });

  it('a slow write times out as an unknown outcome, without a retry', async () => {
    const dv = await clientFor('alice', { timeoutMs: 300 });
    server.emulator!.faults.add({ kind: 'latency', latencyMs: 1500, count: 1, match: { method: 'POST' } });
    const err = await dv.create('contacts', { lastname: 'Slow' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unknown_outcome' });
    expect((err as Error).message).toMatch(/unknown whether the change was applied/);
    expect(sleeps).toEqual([]);
  });

  it('a gateway error on a write is an unknown outcome too; on a read it is retried', async () => {
    const dv = await clientFor('alice');
    server.emulator!.faults.add({ kind: 'unavailable', count: 1, match: { method: 'POST' } });
    const err = await dv.create('contacts', { lastname: 'Gateway' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unknown_outcome', status: 503 });
    expect(sleeps).toEqual([]);
  });

  it('never replays a write after an ambiguous failure: a dropped create is reported, not retried', async () => {
    const dv = await clientFor('alice');
    const before = (await dv.list('contacts', { select: ['contactid'], filter: eq('lastname', 'Dropped') })).rows.length;
    server.emulator!.faults.add({ kind: 'drop', count: 1, match: { method: 'POST' } });
    const err = await dv.create('contacts', { lastname: 'Dropped' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unknown_outcome' });
    expect((err as Error).message).toMatch(/unknown whether the change was applied/);
    const after = (await dv.list('contacts', { select: ['contactid'], filter: eq('lastname', 'Dropped') })).rows.length;
    expect(after - before).toBeLessThanOrEqual(1);
    expect(sleeps).toEqual([]);
  });

  it('maps errors: not found, privilege (with its name), concurrency (ETag), validation', async () => {
    const alice = await clientFor('alice');
    const bob = await clientFor('bob');
    await expect(alice.get('accounts', '00000000-0000-4000-8000-000000000000', { select: ['name'] })).rejects.toMatchObject({ kind: 'not_found', code: '0x80040217', status: 404 });
    const denied = (await bob.list('leads', { select: ['fullname'], top: 1 }).catch((e: unknown) => e)) as DataverseError;
    expect(denied).toMatchObject({ kind: 'forbidden', status: 403, code: '0x80040220' });
    expect(denied.privileges).toEqual(['prvReadLead']);
    expect(denied.requestId).toBeTruthy();

    const { id } = await alice.create('accounts', { name: 'ETag Test' });
    const row = await alice.get('accounts', id, { select: ['name'] });
    const etag = String(row['@odata.etag']);
    await alice.update('accounts', id, { name: 'ETag Test 2' }, { ifMatch: etag });
    await expect(alice.update('accounts', id, { name: 'stale' }, { ifMatch: etag })).rejects.toMatchObject({ kind: 'conflict', status: 412 });
    await expect(alice.update('accounts', '00000000-0000-4000-8000-000000000000', { name: 'x' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(alice.create('accounts', { name: 'x', bogus: 1 })).rejects.toMatchObject({ kind: 'validation', status: 400 });
  });

  it('creates with return=representation and runs actions', async () => {
    const dv = await clientFor('bob');
    const { id, row } = await dv.create('accounts', { name: 'Representation Inc' }, { select: ['accountid', 'name'], primaryId: 'accountid' });
    expect(row?.['name']).toBe('Representation Inc');
    expect(row?.['accountid']).toBe(id);
    const who = await dv.whoAmI();
    expect(who).toMatchObject({ UserId: findLocalUser('bob')!.systemUserId });
  });

  it('a refused token (401) is refreshed once and the call retried', async () => {
    const good = await clientFor('alice');
    const token = await (good as unknown as { options: { tokens: { getToken(): Promise<string> } } }).options.tokens.getToken();
    const asked: Array<boolean | undefined> = [];
    const dv = new DataverseClient({
      url: server.emulator!.url,
      tokens: {
        getToken: async (_signal, options) => {
          asked.push(options?.forceRefresh);
          return options?.forceRefresh ? token : 'revoked.token.value';
        },
      },
    });
    expect((await dv.whoAmI()).UserId).toBe(findLocalUser('alice')!.systemUserId);
    expect(asked).toEqual([undefined, true]);
    const never = new DataverseClient({ url: server.emulator!.url, tokens: { getToken: async () => 'revoked.token.value' } });
    await expect(never.whoAmI()).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
  });

  it('sends x-ms-client-request-id and keeps the service request id', async () => {
    const dv = await clientFor('alice');
    server.emulator!.clearRequests();
    await dv.whoAmI();
    expect(server.emulator!.requests.length).toBe(1);
  });
});
