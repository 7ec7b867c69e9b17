import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LOCAL_APP_ID_URI } from '../../src/dev/embedded.js';
import { findLocalUser } from '../../src/emulator/users.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect } from '../helpers/mcpClient.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterEach(async () => {
  await server?.close();
});

describe('on-behalf-of', () => {
  it('concurrent calls of one user share one exchange; another user gets their own', async () => {
    const alice = await connect(server, 'alice', 'sales', 'modern');
    const before = server.idp!.stats.oboExchanges;
    const results = await Promise.all(Array.from({ length: 8 }, () => alice.call('D365_Sales_ListLeads', { top: 1 })));
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(server.idp!.stats.oboExchanges - before).toBe(1);
    await alice.call('D365_Sales_ListLeads', { top: 1 });
    expect(server.idp!.stats.oboExchanges - before).toBe(1);
    const sam = await connect(server, 'sam', 'sales', 'modern');
    await sam.call('D365_Sales_ListLeads', { top: 1 });
    expect(server.idp!.stats.oboExchanges - before).toBe(2);
    await alice.close();
    await sam.close();
  });

  it('a consent failure becomes a tool error that says what to do, with no token in it', async () => {
    server.idp!.simulateOboFailure(findLocalUser('alice')!.objectId, 'consent_required');
    const alice = await connect(server, 'alice', 'sales');
    const r = await alice.call('D365_Sales_ListLeads', {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/consent/i);
    expect(r.text).toMatch(/AADSTS65001/);
    expect(r.text).not.toMatch(/eyJ/);
    server.idp!.simulateOboFailure(findLocalUser('alice')!.objectId, 'interaction_required');
    const mfa = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: '00000000-0000-4000-8000-000000000000' });
    expect(mfa.text).toMatch(/multi-factor|Sign in again/);
    await alice.close();
  });

  it('the incoming token is never usable downstream (no passthrough)', async () => {
    const incoming = await server.idp!.mintUserToken(findLocalUser('alice')!, { audience: LOCAL_APP_ID_URI, scopes: ['access_as_user'] });
    const direct = await fetch(`${server.emulator!.url}/api/data/v9.2/WhoAmI`, { headers: { authorization: `Bearer ${incoming}`, accept: 'application/json' } });
    expect(direct.status).toBe(401);
    const alice = await connect(server, 'alice', 'sales');
    const r = await alice.call('whoami');
    expect(r.data['dataverse']).toMatchObject({ userId: findLocalUser('alice')!.systemUserId });
    await alice.close();
  });
});
