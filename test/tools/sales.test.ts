import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { utcDayStart } from '../helpers/clock.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
let alice: TestClient;
let bob: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  alice = await connect(server, 'alice', 'sales');
  bob = await connect(server, 'bob', 'sales', 'modern');
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await server?.close();
});

interface Lead {
  leadId: string;
  fullName: string;
  company: string;
  state: string;
  rating: string;
  source: string;
  score?: number;
  createdOn: string;
  lastActivityOn?: string;
  interactionCount?: number;
}
const leadsOf = (r: { data: Record<string, unknown> }) => (r.data['leads'] ?? []) as Lead[];

describe('D365_Sales_ListLeads', () => {
  // Calendar windows open at midnight (UTC on the emulator) N days before the pinned clock's day, as
  // Dataverse's LastXDays does; hour windows are rolling, as LastXHours is.
  const since = (iso: string | undefined, start: number) => iso !== undefined && Date.parse(iso) >= start && Date.parse(iso) <= server.clock.now();
  const cases: Array<[string, Record<string, unknown>, (l: Lead) => boolean]> = [
    ['open by default', {}, (l) => l.state === 'Open'],
    ['qualified', { status: 'qualified' }, (l) => l.state === 'Qualified'],
    ['hot rating', { rating: 'hot' }, (l) => l.rating === 'Hot'],
    ['trade show source', { source: 'trade_show', status: 'all' }, (l) => l.source === 'Trade Show'],
    ['score threshold', { minScore: 70 }, (l) => (l.score ?? 0) >= 70],
    ['created in the last 7 days', { createdWithinDays: 7 }, (l) => since(l.createdOn, utcDayStart(server.clock.date(), 7))],
    ['activity in the last 3 days', { activityWithinDays: 3 }, (l) => since(l.lastActivityOn, utcDayStart(server.clock.date(), 3))],
    ['activity in the last 48 hours', { activityWithinHours: 48 }, (l) => since(l.lastActivityOn, server.clock.now() - 48 * 3_600_000)],
  ];
  it.each(cases)('%s', async (_name, args, check) => {
    const r = await alice.call('D365_Sales_ListLeads', { top: 50, ...args });
    expect(r.isError, r.text).toBeFalsy();
    const leads = leadsOf(r);
    expect(leads.length).toBeGreaterThan(0);
    for (const l of leads) expect(check(l), JSON.stringify(l)).toBe(true);
    expect(r.data['engagementAvailable']).toBe(true);
  });

  it('ranks by score (hot-lead flow: last 7 days, score ≥ 70, best first)', async () => {
    const r = await alice.call('D365_Sales_ListLeads', { createdWithinDays: 7, minScore: 70, orderBy: 'score', top: 20 });
    const scores = leadsOf(r).map((l) => l.score ?? -1);
    expect(scores.length).toBeGreaterThan(3);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s >= 70)).toBe(true);
    expect(leadsOf(r).every((l) => typeof l.interactionCount === 'number')).toBe(true);
  });

  it('pages with a cursor: no duplicates, same filters, ends', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await alice.call('D365_Sales_ListLeads', { rating: 'hot', top: 10, ...(cursor && { cursor }) });
      for (const l of leadsOf(r)) {
        expect(seen.has(l.leadId)).toBe(false);
        expect(l.rating).toBe('Hot');
        seen.add(l.leadId);
      }
      cursor = r.data['nextCursor'] as string | undefined;
      pages++;
    } while (cursor && pages < 50);
    expect(pages).toBeGreaterThan(1);
    expect(cursor).toBeUndefined();
    const total = await alice.call('D365_Sales_ListLeads', { rating: 'hot', top: 1 });
    expect(seen.size).toBe(total.data['totalCount']);
  });

  it('refuses tampered cursors and cursors of another user', async () => {
    const r = await alice.call('D365_Sales_ListLeads', { top: 2 });
    const cursor = r.data['nextCursor'] as string;
    const tampered = await alice.call('D365_Sales_ListLeads', { top: 2, cursor: `${cursor.slice(0, -3)}AAA` });
    expect(tampered.isError).toBe(true);
    expect(tampered.text).toMatch(/cursor is not valid/);
    const rita = await connect(server, 'rita', 'sales');
    const foreign = await rita.call('D365_Sales_ListLeads', { top: 2, cursor });
    expect(foreign.isError).toBe(true);
    await rita.close();
  });

  it('finds by text, including hostile input that must stay a literal', async () => {
    const first = leadsOf(await alice.call('D365_Sales_ListLeads', { top: 1 }))[0]!;
    const found = leadsOf(await alice.call('D365_Sales_ListLeads', { search: first.company, status: 'all' }));
    expect(found.some((l) => l.leadId === first.leadId)).toBe(true);
    for (const hostile of ["' or 1 eq 1 or name eq '", "O'Brien", "x') or (1 eq 1", 'a%27%20or%201%20eq%201', "'; DROP TABLE lead; --"]) {
      const r = await alice.call('D365_Sales_ListLeads', { search: hostile, status: 'all', top: 100 });
      expect(r.isError, r.text).toBeFalsy();
      // Treated as a literal: anything found really contains the text.
      for (const l of leadsOf(r) as Array<Lead & { email: string; topic: string }>) {
        expect([l.fullName, l.company, l.email, l.topic].join('|').toLowerCase()).toContain(hostile.toLowerCase());
      }
      expect(leadsOf(r).length).toBeLessThan(500);
    }
  });

  it('gets one lead by id; unknown id and malformed id are clear errors', async () => {
    const first = leadsOf(await alice.call('D365_Sales_ListLeads', { top: 1 }))[0]!;
    const one = await alice.call('D365_Sales_ListLeads', { leadId: first.leadId });
    expect(leadsOf(one)[0]!.leadId).toBe(first.leadId);
    const missing = await alice.call('D365_Sales_ListLeads', { leadId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toBe('No lead with id 00000000-0000-4000-8000-000000000000.');
    const bad = await alice.call('D365_Sales_ListLeads', { leadId: 'not-a-guid' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/leadId: must be a GUID/);
  });

  it("says which privilege is missing (Bob's role cannot read leads)", async () => {
    const r = await bob.call('D365_Sales_ListLeads', {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvReadLead/);
  });
});

describe('summary and outreach', () => {
  let lead: Lead;
  beforeAll(async () => {
    lead = leadsOf(await alice.call('D365_Sales_ListLeads', { orderBy: 'score', createdWithinDays: 14, top: 1 }))[0]!;
  });

  it('summarises a lead from its own fields; every sentence is grounded', async () => {
    const r = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: lead.leadId });
    const data = r.data as { summary: string; grounding: Array<{ text: string; fields: string[] }>; nextStep: string };
    expect(data.summary).toContain(lead.fullName);
    expect(data.summary).toContain(lead.company);
    expect(lead.score, 'the top-ranked lead has a score').toBeTypeOf('number');
    expect(data.summary).toContain(`${lead.score}/100`);
    for (const s of data.grounding) expect(s.fields.length, s.text).toBeGreaterThan(0);
    expect(data.grounding.map((g) => g.text).join(' ')).toBe(data.summary);
    expect(data.nextStep.length).toBeGreaterThan(10);
  });

  it('drafts without writing, then sends only after confirmation', async () => {
    const before = server.emulator!.outbox.length;
    const draft = await alice.call('D365_Sales_DraftOutreachEmail', { leadId: lead.leadId });
    const d = draft.data as { subject: string; body: string; to: string };
    expect(d.to).toContain('@');
    expect(d.body).toContain('Alice Anders');

    const first = await alice.call('D365_Sales_SendOutreachEmail', { leadId: lead.leadId, subject: d.subject, body: d.body });
    expect(first.data['status']).toBe('confirmation_required');
    expect(first.text).toMatch(/Nothing has been changed yet/);
    expect(server.emulator!.outbox.length).toBe(before);

    const handle = (first.data['confirmation'] as { handle: string }).handle;
    const sent = await alice.call('D365_Sales_SendOutreachEmail', { leadId: lead.leadId, subject: d.subject, body: d.body, confirmationHandle: handle });
    expect(resultOf<{ status: string }>(sent).status).toMatch(/Sent|Pending/);
    expect(server.emulator!.outbox.length).toBe(before + 1);
    const again = await alice.call('D365_Sales_SendOutreachEmail', { leadId: lead.leadId, subject: d.subject, body: d.body, confirmationHandle: handle });
    expect(again.isError).toBe(true);
    expect(server.emulator!.outbox.length).toBe(before + 1);
  });
});

describe('D365_Sales_QualifyLeadToOpportunity', () => {
  it('qualifies with account, contact and opportunity, returning their ids, only after confirmation', async () => {
    const lead = leadsOf(await alice.call('D365_Sales_ListLeads', { rating: 'warm', top: 1 }))[0]!;
    const preview = await alice.call('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId, createAccount: true, createContact: true, createOpportunity: true });
    expect(preview.data['status']).toBe('confirmation_required');
    expect(leadsOf(await alice.call('D365_Sales_ListLeads', { leadId: lead.leadId }))[0]!.state).toBe('Open');

    const done = await alice.callConfirmed('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId, createAccount: true, createContact: true, createOpportunity: true });
    const out = resultOf<{ accountId: string; contactId: string; opportunityId: string }>(done);
    expect(out.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.contactId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.opportunityId).toMatch(/^[0-9a-f-]{36}$/);
    expect(leadsOf(await alice.call('D365_Sales_ListLeads', { leadId: lead.leadId }))[0]!.state).toBe('Qualified');

    const twice = await alice.call('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId });
    expect(twice.isError).toBe(true);
    expect(twice.text).toMatch(/already qualified/);
  });

  it('rita (read-only role) is told which privilege she lacks, and nothing changes', async () => {
    const rita = await connect(server, 'rita', 'sales');
    const lead = leadsOf(await rita.call('D365_Sales_ListLeads', { top: 1 }))[0]!;
    const r = await rita.callConfirmed('D365_Sales_QualifyLeadToOpportunity', { leadId: lead.leadId });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prv(Write|Create)/);
    expect(leadsOf(await rita.call('D365_Sales_ListLeads', { leadId: lead.leadId }))[0]!.state).toBe('Open');
    await rita.close();
  });
});
