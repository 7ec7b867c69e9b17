import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { utcDayStart } from '../helpers/clock.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
let bob: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  bob = await connect(server, 'bob', 'service');
}, 60_000);
afterAll(async () => {
  await bob?.close();
  await server?.close();
});

interface Case {
  caseId: string;
  ticketNumber: string;
  title: string;
  state: string;
  statusReason: string;
  priority: string;
  customer?: { id: string; name: string; table: string };
  createdOn: string;
}
const casesOf = (r: { data: Record<string, unknown> }) => (r.data['cases'] ?? []) as Case[];

describe('D365_CustomerService_ListCases', () => {
  const cases: Array<[string, Record<string, unknown>, (c: Case) => boolean]> = [
    ['active by default', {}, (c) => c.state === 'Active'],
    ['resolved', { state: 'resolved' }, (c) => c.state === 'Resolved'],
    ['cancelled', { state: 'cancelled' }, (c) => c.state === 'Cancelled'],
    ['high priority', { priority: 'high' }, (c) => c.priority === 'High'],
    ['last 30 days', { createdWithinDays: 30, state: 'all' }, (c) => Date.parse(c.createdOn) >= utcDayStart(server.clock.date(), 30) && Date.parse(c.createdOn) <= server.clock.now()],
  ];
  it.each(cases)('%s', async (_n, args, check) => {
    const r = await bob.call('D365_CustomerService_ListCases', { top: 40, ...args });
    expect(r.isError, r.text).toBeFalsy();
    expect(casesOf(r).length).toBeGreaterThan(0);
    for (const c of casesOf(r)) expect(check(c), JSON.stringify(c)).toBe(true);
  });

  it('finds by ticket number and by customer', async () => {
    const c = casesOf(await bob.call('D365_CustomerService_ListCases', { top: 1 }))[0]!;
    expect(casesOf(await bob.call('D365_CustomerService_ListCases', { search: c.ticketNumber, state: 'all' })).map((x) => x.caseId)).toEqual([c.caseId]);
    const byCustomer = casesOf(await bob.call('D365_CustomerService_ListCases', { customerId: c.customer!.id, state: 'all', top: 100 }));
    expect(byCustomer.every((x) => x.customer?.id === c.customer!.id)).toBe(true);
  });

  it("alice's role has no access to cases: the error names the privilege", async () => {
    const alice = await connect(server, 'alice', 'service');
    const r = await alice.call('D365_CustomerService_ListCases', {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvReadIncident/);
    await alice.close();
  });
});

describe('a case from opening to closing (each write confirmed first)', () => {
  it('opens, notes, updates, emails the customer and closes a case', async () => {
    const accounts = (await bob.call('D365_CustomerService_ListAccounts', { search: 'Contoso', top: 1 })).data['accounts'] as Array<{ accountId: string; name: string; primaryContact?: { contactId: string } }>;
    const account = accounts[0]!;

    const add = { title: 'Printer offline after firmware update', description: 'All printers on floor 3 went offline.', customerId: account.accountId, priority: 'normal', origin: 'phone', ...(account.primaryContact && { primaryContactId: account.primaryContact.contactId }) };
    const preview = await bob.call('D365_CustomerService_AddCase', add);
    expect(preview.data['status']).toBe('confirmation_required');
    expect(String((preview.data['confirmation'] as { summary: string }).summary)).toContain(account.name);
    const created = resultOf<{ case: Case }>(await bob.callConfirmed('D365_CustomerService_AddCase', add)).case;
    expect(created.ticketNumber).toMatch(/^CAS-/);
    expect(created.customer?.id).toBe(account.accountId);

    const note = resultOf<{ noteId: string }>(await bob.callConfirmed('D365_CustomerService_AddCaseNote', { caseId: created.caseId, text: 'Rolled back firmware on one printer as a test.' }));
    expect(note.noteId).toMatch(/^[0-9a-f-]{36}$/);

    const updated = resultOf<{ case: Case }>(await bob.callConfirmed('D365_CustomerService_UpdateCase', { caseId: created.caseId, priority: 'high', statusReason: 'researching' })).case;
    expect(updated.priority).toBe('High');
    expect(updated.statusReason).toBe('Researching');

    const draft = await bob.call('D365_CustomerService_DraftEmailResponse', { caseId: created.caseId, instructions: 'We will call you tomorrow morning.' });
    expect(draft.isError, draft.text).toBeFalsy();
    const d = draft.data as { subject: string; body: string; to: string; factsUsed: string[]; withheld: string[] };
    expect(d.subject).toContain(created.ticketNumber);
    // The note is internal: a customer-facing draft does not quote it unless the agent allows it.
    expect(d.body).not.toContain('Rolled back firmware');
    expect(d.withheld.join(' ')).toMatch(/internal notes/);
    expect(d.factsUsed).toEqual(expect.arrayContaining(['incident.title', 'incident.ticketnumber', 'instructions']));
    expect(d.body).toContain('We will call you tomorrow morning.');
    const before = server.emulator!.outbox.length;
    const sent = resultOf<{ to: string; emailId: string }>(await bob.callConfirmed('D365_CustomerService_SendEmailResponse', { caseId: created.caseId, subject: d.subject, body: d.body }));
    expect(sent.to).toBe(d.to);
    expect(server.emulator!.outbox.length).toBe(before + 1);

    const closePreview = await bob.call('D365_CustomerService_CloseCase', { caseId: created.caseId, resolution: 'Firmware rolled back on all printers' });
    expect(closePreview.data['status']).toBe('confirmation_required');
    expect(casesOf(await bob.call('D365_CustomerService_ListCases', { caseId: created.caseId }))[0]!.state).toBe('Active');
    const closed = resultOf<{ case: Case }>(await bob.callConfirmed('D365_CustomerService_CloseCase', { caseId: created.caseId, resolution: 'Firmware rolled back on all printers' })).case;
    expect(closed.state).toBe('Resolved');
    expect(closed.statusReason).toBe('Problem Solved');

    const reupdate = await bob.callConfirmed('D365_CustomerService_UpdateCase', { caseId: created.caseId, priority: 'low' });
    expect(reupdate.isError).toBe(true);
    expect(reupdate.text).toMatch(/only active cases/);
  });

  it('validation errors name the field', async () => {
    const r = await bob.call('D365_CustomerService_AddCase', { title: '', customerId: 'x' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/title/);
    expect(r.text).toMatch(/customerId/);
    const unknown = await bob.callConfirmed('D365_CustomerService_AddCase', { title: 'x', customerId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/No account or contact with id/);
    const nothing = await bob.call('D365_CustomerService_UpdateCase', { caseId: '00000000-0000-4000-8000-000000000000' });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toMatch(/Nothing to change/);
  });
});

describe('accounts', () => {
  it('lists accounts with primary contact and, on request, their contacts', async () => {
    const r = await bob.call('D365_CustomerService_ListAccounts', { top: 5, includeContacts: true });
    const accounts = r.data['accounts'] as Array<{ name: string; primaryContact?: { fullName: string }; contacts?: unknown[] }>;
    expect(accounts.length).toBe(5);
    expect(accounts.some((a) => a.primaryContact?.fullName)).toBe(true);
    expect(accounts.some((a) => (a.contacts?.length ?? 0) > 0)).toBe(true);
    expect(r.data['nextCursor']).toBeTruthy();
  });

  it('adds and updates an account (industry by label)', async () => {
    const created = resultOf<{ account: { accountId: string; industry: string; city: string } }>(
      await bob.callConfirmed('D365_CustomerService_AddAccount', { name: 'Tailwind Traders Oslo', city: 'Oslo', country: 'Norway', industry: 'Consulting', employees: 40 }),
    ).account;
    expect(created.industry).toBe('Consulting');
    const updated = resultOf<{ account: { city: string; phone: string } }>(
      await bob.callConfirmed('D365_CustomerService_UpdateAccount', { accountId: created.accountId, city: 'Bergen', phone: '+47 5555 0000' }),
    ).account;
    expect(updated.city).toBe('Bergen');
    expect(updated.phone).toBe('+47 5555 0000');
    const badIndustry = await bob.callConfirmed('D365_CustomerService_UpdateAccount', { accountId: created.accountId, industry: 'Space Piracy' });
    expect(badIndustry.isError).toBe(true);
    expect(badIndustry.text).toMatch(/Valid values: .*Consulting/);
  });
});
