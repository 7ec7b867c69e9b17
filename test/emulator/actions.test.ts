import { describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { ANCHOR, q, useOrg, user } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

async function first(alias: 'alice' | 'bob' | 'dana' | 'sam', set: string, select: string, filter: string): Promise<Rec> {
  const r = await org.api<ODataList>(alias, `${set}?${q({ $select: select, $filter: filter, $top: '1' })}`);
  const row = r.body.value[0];
  if (!row) throw new Error(`no ${set} matching ${filter}`);
  return row;
}

describe('QualifyLead', () => {
  it('creates account, contact and opportunity and closes the lead', async () => {
    const lead = await first('alice', 'leads', 'leadid,subject,companyname,fullname,emailaddress1,estimatedvalue', "statecode eq 0 and companyname ne null and _parentaccountid_value eq null");
    const r = await org.api<{ '@odata.context': string; value: Rec[] }>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)`);
    expect(r.body.value.map((v) => v['@odata.type'])).toEqual(['#Microsoft.Dynamics.CRM.account', '#Microsoft.Dynamics.CRM.contact', '#Microsoft.Dynamics.CRM.opportunity']);
    const [a, c, o] = r.body.value;
    const account = (await org.api<Rec>('alice', `accounts(${String(a?.accountid)})?$select=name,_originatingleadid_value`)).body;
    expect(account).toMatchObject({ name: lead.companyname, _originatingleadid_value: lead.leadid });
    const contact = (await org.api<Rec>('alice', `contacts(${String(c?.contactid)})?$select=fullname,emailaddress1,_parentcustomerid_value,_originatingleadid_value`)).body;
    expect(contact).toMatchObject({ fullname: lead.fullname, emailaddress1: lead.emailaddress1, _parentcustomerid_value: a?.accountid, _originatingleadid_value: lead.leadid });
    const opp = (await org.api<Rec>('alice', `opportunities(${String(o?.opportunityid)})?$select=name,estimatedvalue,_customerid_value,_parentcontactid_value,_originatingleadid_value,statecode`)).body;
    expect(opp).toMatchObject({ name: lead.subject, estimatedvalue: lead.estimatedvalue, _customerid_value: a?.accountid, _parentcontactid_value: c?.contactid, _originatingleadid_value: lead.leadid, statecode: 0 });
    const closed = (await org.api<Rec>('alice', `leads(${String(lead.leadid)})?$select=statecode,statuscode,_qualifyingopportunityid_value`)).body;
    expect(closed).toMatchObject({ statecode: 1, statuscode: 3, _qualifyingopportunityid_value: o?.opportunityid });
    const again = await org.api<ODataError>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: false, CreateContact: false, CreateOpportunity: false, Status: 3 },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('already closed');
  });

  it('requires all four parameters and a Qualified status', async () => {
    const lead = await first('alice', 'leads', 'leadid', 'statecode eq 0');
    const missing = await org.api<ODataError>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, { method: 'POST', body: { CreateAccount: true, Status: 3 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('The missing parameters are: CreateContact, CreateOpportunity');
    const badStatus = await org.api<ODataError>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: false, CreateContact: false, CreateOpportunity: false, Status: 4 },
    });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error.message).toContain('not a valid status code');
    const unknown = await org.api<ODataError>('alice', `leads(00000000-0000-4000-8000-000000000000)/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: false, CreateContact: false, CreateOpportunity: false, Status: 3 },
    });
    expect(unknown.status).toBe(404);
  });

  it('links a lead that names an existing account instead of creating a duplicate', async () => {
    const lead = await first('alice', 'leads', 'leadid,_parentaccountid_value', 'statecode eq 0 and _parentaccountid_value ne null and _parentcontactid_value eq null');
    const r = await org.api<{ value: Rec[] }>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.value.map((v) => v['@odata.type'])).toEqual(['#Microsoft.Dynamics.CRM.contact', '#Microsoft.Dynamics.CRM.opportunity']);
    const opp = (await org.api<Rec>('alice', `opportunities(${String(r.body.value[1]?.opportunityid)})?$select=_customerid_value`)).body;
    expect(opp._customerid_value).toBe(lead._parentaccountid_value);
    const contact = (await org.api<Rec>('alice', `contacts(${String(r.body.value[0]?.contactid)})?$select=_parentcustomerid_value`)).body;
    expect(contact._parentcustomerid_value).toBe(lead._parentaccountid_value);
  });

  it('can qualify without creating records', async () => {
    const lead = await first('alice', 'leads', 'leadid', 'statecode eq 0');
    const r = await org.api<{ value: Rec[] }>('alice', `leads(${String(lead.leadid)})/Microsoft.Dynamics.CRM.QualifyLead`, {
      method: 'POST',
      body: { CreateAccount: false, CreateContact: false, CreateOpportunity: false, Status: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.body.value).toEqual([]);
  });
});

describe('CloseIncident', () => {
  it('creates the resolution and resolves the case; refuses a closed case and wrong statuses', async () => {
    const c = await first('bob', 'incidents', 'incidentid,title', 'statecode eq 0');
    const id = String(c.incidentid);
    const badStatus = await org.api<ODataError>('bob', 'CloseIncident', {
      method: 'POST',
      body: { IncidentResolution: { '@odata.type': 'Microsoft.Dynamics.CRM.incidentresolution', subject: 'x', 'incidentid@odata.bind': `/incidents(${id})` }, Status: 6 },
    });
    expect(badStatus.status).toBe(400);
    const r = await org.api('bob', 'CloseIncident', {
      method: 'POST',
      body: {
        IncidentResolution: { '@odata.type': 'Microsoft.Dynamics.CRM.incidentresolution', subject: 'Replaced the power injector', description: 'Cameras recording again.', 'incidentid@odata.bind': `/incidents(${id})` },
        Status: 5,
      },
    });
    expect(r.status, r.text).toBe(204);
    const resolved = (await org.api<Rec>('bob', `incidents(${id})?$select=statecode,statuscode`)).body;
    expect(resolved).toMatchObject({ statecode: 1, statuscode: 5 });
    const resolutions = await org.api<ODataList>('bob', `incidentresolutions?${q({ $select: 'subject,statecode,statuscode,actualend', $filter: `_incidentid_value eq ${id}` })}`);
    expect(resolutions.body.value).toHaveLength(1);
    expect(resolutions.body.value[0]).toMatchObject({ subject: 'Replaced the power injector', statecode: 1, statuscode: 2 });
    const again = await org.api<ODataError>('bob', 'CloseIncident', {
      method: 'POST',
      body: { IncidentResolution: { subject: 'again', 'incidentid@odata.bind': `/incidents(${id})` }, Status: 5 },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('already resolved');
    const missing = await org.api<ODataError>('bob', 'CloseIncident', { method: 'POST', body: { Status: 5 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('IncidentResolution');
  });
});

describe('SendEmail', () => {
  it('sends a draft once: Pending Send in the outbox until delivery, then Sent', async () => {
    const lead = await first('alice', 'leads', 'leadid,emailaddress1', 'statecode eq 0 and emailaddress1 ne null');
    const created = await org.api('alice', 'emails', {
      method: 'POST',
      body: {
        subject: 'Proposal for your team',
        description: '<p>Hi, here is the proposal.</p>',
        'regardingobjectid_lead_email@odata.bind': `/leads(${String(lead.leadid)})`,
        email_activity_parties: [{ 'partyid_lead@odata.bind': `/leads(${String(lead.leadid)})`, participationtypemask: 2 }],
      },
    });
    expect(created.status).toBe(204);
    const id = /\(([^)]+)\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1] ?? '';
    const before = org.emu.outbox.length;
    const r = await org.api<Rec>('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: true } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.Subject).toBe('Proposal for your team');
    expect(org.emu.outbox).toHaveLength(before + 1);
    const sent = org.emu.outbox[org.emu.outbox.length - 1];
    expect(sent).toMatchObject({ activityId: id, subject: 'Proposal for your team', to: [lead.emailaddress1], from: user('alice').email, regarding: { id: lead.leadid, logicalName: 'lead' }, status: 'pending' });
    // 6 Pending Send (state 1 Completed) until server-side sync hands it over.
    const pending = (await org.api<Rec>('alice', `emails(${id})?$select=statecode,statuscode,senton`, { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' } })).body;
    expect(pending).toMatchObject({ statecode: 1, statuscode: 6, 'statuscode@OData.Community.Display.V1.FormattedValue': 'Pending Send', senton: null });
    const delivered = await fetch(`${org.emu.url}/_emulator/outbox/deliver`, { method: 'POST' });
    expect(delivered.status).toBe(200);
    expect(((await delivered.json()) as { value: Rec[] }).value.map((m) => m.activityId)).toContain(id);
    expect(sent).toMatchObject({ status: 'delivered', deliveredOn: expect.any(String) });
    const row = (await org.api<Rec>('alice', `emails(${id})?$select=statecode,statuscode,senton`)).body;
    expect(row).toMatchObject({ statecode: 1, statuscode: 3 });
    expect(row.senton).toEqual(expect.any(String));
    expect(org.emu.deliverMail()).toEqual([]);
    const twice = await org.api<ODataError>('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: true } });
    expect(twice.status).toBe(400);
    expect(org.emu.outbox).toHaveLength(before + 1);
    const outbox = (await (await fetch(`${org.emu.url}/_emulator/outbox`)).json()) as { value: Rec[] };
    expect(outbox.value.some((m) => m.activityId === id)).toBe(true);
  });

  it('refuses a draft without a To recipient', async () => {
    const created = await org.api('alice', 'emails', { method: 'POST', body: { subject: 'Nobody to send to' } });
    const id = /\(([^)]+)\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1] ?? '';
    const r = await org.api<ODataError>('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: true } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('at least one recipient');
    const noParam = await org.api<ODataError>('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: {} });
    expect(noParam.status).toBe(400);
    expect(noParam.body.error.message).toContain('IssueSend');
  });

  it('seeded drafts can be sent by their owner', async () => {
    // A seeded draft (created before the anchor), not one an earlier test made without recipients: ids are random, so `$top=1` alone may pick either.
    const draft = await first('alice', 'emails', 'activityid,subject', `statuscode eq 1 and _ownerid_value eq ${user('alice').systemUserId} and createdon lt ${ANCHOR.toISOString()}`);
    const r = await org.api<Rec>('alice', `emails(${String(draft.activityid)})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: true } });
    expect(r.status, r.text).toBe(200);
  });
});
