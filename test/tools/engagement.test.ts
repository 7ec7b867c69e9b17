import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENGAGEMENT_IDS, LEAD_TO_OPPORTUNITY_PROCESS as PROCESS } from '../../src/emulator/seed/engagement.js';
import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';
import { create, dataverseAs, type WebApi } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

/** The Sales cx account, contact and catch-up tools (engagement tool set) on sales-cx, against the emulator. */
let server: TestServer;
let alice: TestClient;
let api: WebApi;
const ids: Record<string, string> = {};
const STAGE = ENGAGEMENT_IDS.stage;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  api = dataverseAs(server, 'alice');
  // A corporate family: Fabrikam Group > Fabrikam Europe > Fabrikam Nordics, and Fabrikam Americas.
  ids.group = await create(api, 'accounts', { name: 'Fabrikam Group', industrycode: 12, address1_city: 'Seattle', address1_country: 'USA', numberofemployees: 4200 });
  ids.europe = await create(api, 'accounts', { name: 'Fabrikam Europe', 'parentaccountid@odata.bind': `/accounts(${ids.group})`, address1_city: 'Dublin' });
  ids.americas = await create(api, 'accounts', { name: 'Fabrikam Americas', 'parentaccountid@odata.bind': `/accounts(${ids.group})` });
  ids.nordics = await create(api, 'accounts', { name: 'Fabrikam Nordics', 'parentaccountid@odata.bind': `/accounts(${ids.europe})` });
  ids.contact = await create(api, 'contacts', { firstname: 'Ines', lastname: 'Ortega', jobtitle: 'CIO', emailaddress1: 'ines@fabrikam.example', 'parentcustomerid_account@odata.bind': `/accounts(${ids.europe})` });
  await api(`accounts(${ids.europe})`, { method: 'PATCH', body: { 'primarycontactid@odata.bind': `/contacts(${ids.contact})` } });
  ids.deal = await create(api, 'opportunities', { name: 'Fabrikam Europe rollout', estimatedvalue: 250000, 'customerid_account@odata.bind': `/accounts(${ids.europe})` });
  ids.contactDeal = await create(api, 'opportunities', { name: 'Ines pilot', estimatedvalue: 12000, 'customerid_contact@odata.bind': `/contacts(${ids.contact})` });
  // Ten days pass; then a call and a note: the catch-ups over 7 days see only these.
  server.clock.advance(10 * 86_400_000);
  ids.call = await create(api, 'phonecalls', { subject: 'Budget call', 'regardingobjectid_account_phonecall@odata.bind': `/accounts(${ids.europe})` });
  await create(api, 'annotations', { subject: 'Procurement', notetext: 'Needs three quotes.', 'objectid_opportunity@odata.bind': `/opportunities(${ids.deal})` });
  // Connected after the clock moved: a token minted earlier would have expired.
  alice = await connect(server, 'alice', 'sales-cx');
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await server?.close();
});

describe('account and contact tools', () => {
  const cases: Array<[string, string, () => Record<string, unknown>, (d: Record<string, unknown>, text: string) => void]> = [
    ['get_account_summary', 'a subsidiary with contacts, deals and a last activity', () => ({ accountId: ids.europe }), (d, text) => {
      expect(d['account']).toMatchObject({ name: 'Fabrikam Europe', primaryContact: 'Ines Ortega', parentAccount: 'Fabrikam Group' });
      expect(d['openOpportunities']).toEqual([expect.objectContaining({ opportunityId: ids.deal, estimatedRevenue: 250000 })]);
      expect(d['childAccounts']).toEqual([{ accountId: ids.nordics, name: 'Fabrikam Nordics' }]);
      expect(text).toContain('Last activity: phonecall "Budget call"');
      expect((d['sentences'] as Array<{ fields: string[] }>).every((s) => s.fields.length > 0)).toBe(true);
      // Cases are not on this agent's allowlist: said, not silently dropped.
      expect(d['notes']).toEqual(expect.arrayContaining([expect.stringMatching(/Cases are not included/)]));
    }],
    ['get_account_summary', 'industry, size and place', () => ({ accountId: ids.group, appId: '00000000-0000-4000-8000-000000000001' }), (_d, text) => expect(text).toMatch(/^Fabrikam Group is in Durable Manufacturing, based in Seattle, USA with 4200 employees\./)],
    ['get_contact_summary', 'role, company, deals as the customer', () => ({ contactId: ids.contact }), (d, text) => {
      expect(d['contact']).toMatchObject({ fullName: 'Ines Ortega', jobTitle: 'CIO', company: 'Fabrikam Europe', email: 'ines@fabrikam.example' });
      expect(d['openOpportunities']).toEqual([expect.objectContaining({ opportunityId: ids.contactDeal })]);
      expect(text).toContain('No activities recorded yet.');
    }],
    ['get_account_hierarchy', 'from a grandchild: the whole family', () => ({ accountId: ids.nordics }), (d, text) => {
      expect(d['top']).toBe(ids.group);
      const accounts = d['accounts'] as Array<{ name: string; level: number; parentAccountId?: string }>;
      expect(accounts.map((a) => [a.name, a.level])).toEqual([
        ['Fabrikam Group', 0],
        ['Fabrikam Americas', 1],
        ['Fabrikam Europe', 1],
        ['Fabrikam Nordics', 2],
      ]);
      expect(accounts.find((a) => a.name === 'Fabrikam Nordics')?.parentAccountId).toBe(ids.europe);
      expect(text).toContain('    Fabrikam Nordics ←');
    }],
    ['get_account_catchup', 'last 7 days: the call only', () => ({ accountId: ids.europe }), (d) => {
      expect((d['changes'] as Array<{ what: string; name: string }>).map((c) => [c.what, c.name])).toEqual([['phonecall logged', 'Budget call']]);
    }],
    ['get_account_catchup', 'last 30 days: the deal, the contact and the call too', () => ({ accountId: ids.europe, sinceDays: 30 }), (d) => {
      const whats = (d['changes'] as Array<{ what: string }>).map((c) => c.what);
      expect(whats).toEqual(expect.arrayContaining(['phonecall logged', 'opportunity created', 'contact created', 'account created']));
    }],
    ['get_opportunity_catchup', 'a note added this week', () => ({ opportunityId: ids.deal }), (d) => {
      expect(d).toMatchObject({ name: 'Fabrikam Europe rollout', state: 'Open' });
      expect(d['changes']).toEqual([expect.objectContaining({ table: 'annotation', what: 'note added', name: 'Procurement' })]);
    }],
  ];
  it.each(cases)('%s: %s', async (tool, _name, args, check) => {
    const r = await alice.call(tool, args());
    expect(r.isError, r.text).toBeFalsy();
    check(r.data, r.text);
  });

  const errors: Array<[string, Record<string, unknown>, RegExp]> = [
    ['get_account_summary', { accountId: '00000000-0000-4000-8000-000000000000' }, /^No account with id/],
    ['get_contact_summary', { contactId: 'Ines' }, /must be a GUID/],
    ['get_account_hierarchy', { accountId: '00000000-0000-4000-8000-000000000000' }, /^No account with id/],
    ['get_account_catchup', { accountId: '00000000-0000-4000-8000-000000000000', sinceDays: 91 }, /sinceDays/],
    ['get_opportunity_catchup', { opportunityId: '00000000-0000-4000-8000-000000000000' }, /^No opportunity with id/],
  ];
  it.each(errors)('%s refuses %j with a clear message', async (tool, args, message) => {
    const r = await alice.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/at .*\.ts:|127\.0\.0\.1|Bearer/);
  });
});

describe('meetings, the sales process flow, stakeholders and cloning', () => {
  const ask = (r: { data: Record<string, unknown>; text: string; isError?: boolean }) => {
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['status']).toBe('confirmation_required');
    expect(r.text).toContain('Nothing has been changed yet');
  };
  const openLead = async () => create(api, 'leads', { lastname: `Flow ${Math.random().toString(36).slice(2, 8)}`, companyname: 'Flow Co' });
  const stagesOf = async (leadId: string) => {
    const r = await alice.call('get_lead_bpf', { leadId });
    expect(r.isError, r.text).toBeFalsy();
    return r.data;
  };

  it('every write asks first and changes nothing until confirmed', async () => {
    const before = (await api<{ value: unknown[] }>(`appointments?$select=subject&$filter=subject eq 'Asked meeting'`)).body.value.length;
    ask(await alice.call('schedule_meeting', { subject: 'Asked meeting', startTime: '2026-12-08T15:00:00Z', contactIds: [ids.contact] }));
    expect((await api<{ value: unknown[] }>(`appointments?$select=subject&$filter=subject eq 'Asked meeting'`)).body.value.length).toBe(before);
    ask(await alice.call('update_stakeholder', { recordId: ids.deal, contactId: ids.contact, role: 'Champion' }));
    expect((await api<{ value: unknown[] }>(`connections?$select=connectionid&$filter=_record1id_value eq ${ids.deal}`)).body.value).toEqual([]);
    ask(await alice.call('clone_opportunity', { opportunityId: ids.deal }));
    expect((await api<{ value: unknown[] }>(`opportunities?$select=name&$filter=name eq 'Copy of Fabrikam Europe rollout'`)).body.value).toEqual([]);
  });

  it('schedules a meeting with a contact and a colleague, regarding a deal', async () => {
    const users = (await api<{ value: Array<{ systemuserid: string; fullname: string }> }>(`systemusers?$select=systemuserid,fullname&$filter=startswith(fullname,'Sam')`)).body.value;
    const r = await alice.callConfirmed('schedule_meeting', { subject: 'Rollout workshop', startTime: '2026-12-09T09:00:00Z', durationMinutes: 90, location: 'Dublin office', contactIds: [ids.contact], userIds: [users[0]!.systemuserid], regardingEntityLogicalName: 'opportunity', regardingRecordId: ids.deal });
    expect(r.isError, r.text).toBeFalsy();
    const done = r.data['result'] as { appointmentId: string; end: string; attendees: Array<{ name: string }> };
    expect(done.end).toBe('2026-12-09T10:30:00.000Z');
    expect(done.attendees.map((a) => a.name)).toEqual(['Ines Ortega', users[0]!.fullname]);
    const row = (await api<Record<string, unknown>>(`appointments(${done.appointmentId})?$select=statecode,statuscode,location,_regardingobjectid_value&$expand=appointment_activity_parties($select=participationtypemask,_partyid_value)`)).body;
    expect(row).toMatchObject({ statecode: 3, statuscode: 5, location: 'Dublin office', _regardingobjectid_value: ids.deal });
    expect((row['appointment_activity_parties'] as Array<{ participationtypemask: number }>).map((p) => p.participationtypemask).sort()).toEqual([5, 5, 7]);
    // It is an activity: the deal's timeline shows it.
    const timeline = await alice.call('get_activity_timeline', { entityLogicalName: 'opportunity', recordId: ids.deal });
    expect((timeline.data['items'] as Array<{ id: string; table: string }>).find((i) => i.id === done.appointmentId)?.table).toBe('appointment');
  });

  const meetingErrors: Array<[Record<string, unknown>, RegExp]> = [
    [{ subject: 'x', startTime: '2026-12-09T09:00:00Z', endTime: '2026-12-09T08:00:00Z' }, /must end after it starts/],
    [{ subject: 'x', startTime: '2026-12-09' }, /needs a time of day/],
    [{ subject: 'x', startTime: '2026-12-09T09:00:00Z', contactIds: ['00000000-0000-4000-8000-000000000000'] }, /attendees were not found/],
    [{ subject: 'x', startTime: '2026-12-09T09:00:00Z', endTime: '2026-12-09T10:00:00Z', durationMinutes: 30 }, /endTime or durationMinutes, not both/],
  ];
  it.each(meetingErrors)('schedule_meeting refuses %j', async (args, message) => {
    const r = await alice.call('schedule_meeting', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('reads a lead\'s flow, refuses an opportunity stage before qualification, and moves through stages after', async () => {
    const leadId = await openLead();
    // A new lead has no flow until one is started; start one as the app would.
    await create(api, 'leadtoopportunitysalesprocesses', { name: 'Lead to Opportunity Sales Process', 'bpf_leadid@odata.bind': `/leads(${leadId})`, 'processid@odata.bind': `/workflows(${PROCESS})`, 'activestageid@odata.bind': `/processstages(${STAGE('qualify')})` });
    const flow = (await stagesOf(leadId))['instance'] as { bpfInstanceId: string; activeStage: { name: string }; stages: Array<{ stageId: string; name: string; entityLogicalName: string }> };
    expect(flow.activeStage.name).toBe('Qualify');
    expect(flow.stages.map((s) => [s.name, s.entityLogicalName])).toEqual([['Qualify', 'lead'], ['Develop', 'opportunity'], ['Propose', 'opportunity'], ['Close', 'opportunity']]);
    const develop = flow.stages.find((s) => s.name === 'Develop')!.stageId;
    const refused = await alice.call('update_bpf_stage', { bpfInstanceId: flow.bpfInstanceId, stageId: develop });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/qualify it first/);
    // The emulator refuses the same move through the Web API (the rule is the service's, not only the tool's).
    const direct = await api(`leadtoopportunitysalesprocesses(${flow.bpfInstanceId})`, { method: 'PATCH', body: { 'activestageid@odata.bind': `/processstages(${develop})` } });
    expect(direct.status).toBe(400);
    // Qualified into an opportunity, the flow can move on; the opportunity's flow is the same instance.
    const opportunityId = await create(api, 'opportunities', { name: 'Flow deal', 'originatingleadid@odata.bind': `/leads(${leadId})` });
    await api(`leadtoopportunitysalesprocesses(${flow.bpfInstanceId})`, { method: 'PATCH', body: { 'bpf_opportunityid@odata.bind': `/opportunities(${opportunityId})` } });
    ask(await alice.call('update_bpf_stage', { bpfInstanceId: flow.bpfInstanceId, stageId: develop }));
    const moved = await alice.callConfirmed('update_bpf_stage', { bpfInstanceId: flow.bpfInstanceId, stageId: develop });
    expect(moved.isError, moved.text).toBeFalsy();
    const viaOpportunity = await alice.call('get_opportunity_bpf', { opportunityId });
    const instance = viaOpportunity.data['instance'] as { bpfInstanceId: string; activeStage: { name: string }; stages: Array<{ name: string; traversed: boolean }> };
    expect(instance.bpfInstanceId).toBe(flow.bpfInstanceId);
    expect(instance.activeStage.name).toBe('Develop');
    expect(instance.stages.filter((s) => s.traversed).map((s) => s.name)).toEqual(['Qualify', 'Develop']);
    const again = await alice.call('update_bpf_stage', { bpfInstanceId: flow.bpfInstanceId, stageId: develop });
    expect(again.text).toMatch(/already in stage Develop/);
  });

  it('a seeded open lead has a flow in Qualify; an opportunity without a lead says it has none', async () => {
    const seeded = (await api<{ value: Array<{ _bpf_leadid_value: string }> }>(`leadtoopportunitysalesprocesses?$select=_bpf_leadid_value&$filter=_bpf_opportunityid_value eq null&$top=1`)).body.value[0]!;
    expect(((await stagesOf(seeded._bpf_leadid_value))['instance'] as { activeStage: { name: string } }).activeStage.name).toBe('Qualify');
    const none = await alice.call('get_opportunity_bpf', { opportunityId: ids.deal });
    expect(none.isError, none.text).toBeFalsy();
    expect(none.data['note']).toMatch(/neither the Lead to Opportunity nor the Opportunity Sales Process/);
  });

  it('an opportunity created without a lead walks the Opportunity Sales Process, whose stages all belong to it', async () => {
    const seeded = (await api<{ value: Array<{ _bpf_opportunityid_value: string; businessprocessflowinstanceid: string }> }>(`opportunitysalesprocesses?$select=_bpf_opportunityid_value,businessprocessflowinstanceid&$filter=statecode eq 0&$orderby=createdon,businessprocessflowinstanceid&$top=1`)).body.value[0]!;
    const r = await alice.call('get_opportunity_bpf', { opportunityId: seeded._bpf_opportunityid_value });
    expect(r.isError, r.text).toBeFalsy();
    const instance = r.data['instance'] as { bpfInstanceId: string; processName: string; processTable: string; stages: Array<{ stageId: string; name: string; entityLogicalName: string }> };
    expect(instance).toMatchObject({ bpfInstanceId: seeded.businessprocessflowinstanceid, processName: 'Opportunity Sales Process', processTable: 'opportunitysalesprocess' });
    expect(instance.stages.map((s) => `${s.name}:${s.entityLogicalName}`)).toEqual(['Qualify:opportunity', 'Develop:opportunity', 'Propose:opportunity', 'Close:opportunity']);
    // A stage of the other process is refused before anyone is asked.
    const foreign = await alice.call('update_bpf_stage', { bpfInstanceId: instance.bpfInstanceId, stageId: STAGE('close') });
    expect(foreign.isError).toBe(true);
    expect(foreign.text).toMatch(/is not a stage of Opportunity Sales Process/);
    const close = instance.stages.find((s) => s.name === 'Close')!;
    ask(await alice.call('update_bpf_stage', { bpfInstanceId: instance.bpfInstanceId, stageId: close.stageId }));
    const moved = await alice.callConfirmed('update_bpf_stage', { bpfInstanceId: instance.bpfInstanceId, stageId: close.stageId });
    expect(moved.isError, moved.text).toBeFalsy();
    expect(resultOf<{ instance: unknown }>(moved).instance).toMatchObject({ processTable: 'opportunitysalesprocess', activeStage: { name: 'Close' } });
    const stored = (await api<{ _activestageid_value: string }>(`opportunitysalesprocesses(${instance.bpfInstanceId})?$select=_activestageid_value`)).body;
    expect(stored._activestageid_value).toBe(close.stageId);
  });

  it('adds a stakeholder with a role, changes the role, and lists them', async () => {
    const added = await alice.callConfirmed('update_stakeholder', { recordId: ids.deal, contactId: ids.contact, role: 'Decision Maker' });
    expect(added.isError, added.text).toBeFalsy();
    expect(added.data['result']).toMatchObject({ created: true, role: 'Decision Maker' });
    const changed = await alice.callConfirmed('update_stakeholder', { recordId: ids.deal, contactId: ids.contact, role: 'Champion' });
    expect(changed.data['result']).toMatchObject({ created: false, role: 'Champion' });
    // Dataverse keeps the connection as a pair, target to source as well; the role follows (Connection entities).
    const pair = (await api<{ value: Array<{ ismaster: boolean; _record1id_value: string; _record1roleid_value: string | null; _record2roleid_value: string | null }> }>(`connections?$select=ismaster,_record1id_value,_record1roleid_value,_record2roleid_value&$filter=_record1id_value eq ${ids.deal} or _record2id_value eq ${ids.deal}`)).body.value;
    expect(pair).toHaveLength(2);
    const reciprocal = pair.find((c) => !c.ismaster)!;
    expect(reciprocal._record1id_value).toBe(ids.contact);
    expect(reciprocal._record1roleid_value).toBe(ENGAGEMENT_IDS.role('champion'));
    const list = await alice.call('get_stakeholder', { recordId: ids.deal });
    expect(list.data['stakeholders']).toEqual([expect.objectContaining({ contactId: ids.contact, name: 'Ines Ortega', role: 'Champion', jobTitle: 'CIO' })]);
    const unknownRole = await alice.call('update_stakeholder', { recordId: ids.deal, contactId: ids.contact, role: 'Chief Cheerleader' });
    expect(unknownRole.isError).toBe(true);
    expect(unknownRole.text).toMatch(/No active connection role is named "Chief Cheerleader"/);
    const onAccount = await alice.callConfirmed('update_stakeholder', { recordId: ids.europe, entityLogicalName: 'account', contactId: ids.contact, role: 'Not A Role' });
    expect(onAccount.data['result']).toMatchObject({ created: true, notes: [expect.stringMatching(/kept without a role/)] });
  });

  it('lists seeded stakeholders of a seeded deal', async () => {
    // A seeded connection (older than this test's clock), not one an earlier test made: ids are random, so `$top=1` alone may pick either.
    const before = new Date(server.clock.now() - 86_400_000).toISOString();
    const seeded = (await api<{ value: Array<{ _record1id_value: string }> }>(`connections?$select=_record1id_value&$filter=_record2roleid_value ne null and createdon lt ${before}&$top=1`)).body.value[0]!;
    const r = await alice.call('get_stakeholder', { recordId: seeded._record1id_value });
    expect((r.data['stakeholders'] as Array<{ role?: string }>).some((s) => ['Decision Maker', 'Influencer', 'Technical Buyer'].includes(s.role ?? ''))).toBe(true);
    // The seeded pair goes together: deleting the master deletes its reciprocal.
    const master = (await api<{ value: Array<{ connectionid: string; _relatedconnectionid_value: string }> }>(`connections?$select=connectionid,_relatedconnectionid_value&$filter=_record1id_value eq ${seeded._record1id_value} and ismaster eq true&$top=1`)).body.value[0]!;
    expect((await api(`connections(${master.connectionid})`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`connections(${master._relatedconnectionid_value})?$select=name`)).status).toBe(404);
  });

  it('clones an opportunity with its product lines', async () => {
    const source = await create(api, 'opportunities', { name: 'Cloneable', estimatedvalue: 5000, 'customerid_account@odata.bind': `/accounts(${ids.europe})`, 'pricelevelid@odata.bind': `/pricelevels(${PIPELINE_IDS.retail})` });
    for (const q of [2, 3]) await create(api, 'opportunityproducts', { 'opportunityid@odata.bind': `/opportunities(${source})`, 'productid@odata.bind': `/products(${PIPELINE_IDS.product('laptop')})`, 'uomid@odata.bind': `/uoms(${PIPELINE_IDS.uom('each')})`, quantity: q });
    const r = await alice.callConfirmed('clone_opportunity', { opportunityId: source, name: 'Cloneable, phase 2' });
    expect(r.isError, r.text).toBeFalsy();
    const copy = (r.data['result'] as { opportunityId: string; lines: number });
    expect(copy.lines).toBe(2);
    const row = (await api<Record<string, unknown>>(`opportunities(${copy.opportunityId})?$select=name,estimatedvalue,_customerid_value,_pricelevelid_value,statecode&$expand=product_opportunities($select=quantity)`)).body;
    expect(row).toMatchObject({ name: 'Cloneable, phase 2', estimatedvalue: 5000, _customerid_value: ids.europe, _pricelevelid_value: PIPELINE_IDS.retail, statecode: 0 });
    expect((row['product_opportunities'] as Array<{ quantity: number }>).map((l) => l.quantity).sort()).toEqual([2, 3]);
  });
});
