import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg, user } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

async function create(set: string, body: Rec, alias: 'alice' | 'bob' | 'dana' = 'alice'): Promise<string> {
  const r = await org.api(alias, set, { method: 'POST', body });
  if (r.status !== 204) throw new Error(`${set}: ${r.status} ${r.text}`);
  return /\(([^)]+)\)$/.exec(r.headers.get('odata-entityid') ?? '')?.[1] ?? '';
}

async function firstId(set: string, filter: string, key: string, alias: 'alice' | 'dana' = 'alice'): Promise<string> {
  const r = await org.api<ODataList>(alias, `${set}?${q({ $select: key, $filter: filter, $top: '1' })}`);
  return String(r.body.value[0]?.[key]);
}

describe('ETags and concurrency', () => {
  it('the version grows on each update and a stale If-Match answers 412', async () => {
    const id = await create('accounts', { name: 'Etag Works' });
    const v1 = (await org.api<Rec>('alice', `accounts(${id})?$select=name`)).body['@odata.etag'] as string;
    const ok = await org.api('alice', `accounts(${id})`, { method: 'PATCH', body: { name: 'Etag Works 2' }, headers: { 'If-Match': v1 } });
    expect(ok.status).toBe(204);
    const v2 = (await org.api<Rec>('alice', `accounts(${id})?$select=name,modifiedon`)).body['@odata.etag'] as string;
    expect(Number(/\d+/.exec(v2)?.[0])).toBeGreaterThan(Number(/\d+/.exec(v1)?.[0]));
    const stale = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'PATCH', body: { name: 'Lost update' }, headers: { 'If-Match': v1 } });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toEqual({ code: '0x80060882', message: "The version of the existing record doesn't match the RowVersion property provided." });
    const staleDelete = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'DELETE', headers: { 'If-Match': v1 } });
    expect(staleDelete.status).toBe(412);
    const notModified = await org.api('alice', `accounts(${id})?$select=name`, { headers: { 'If-None-Match': v2 } });
    expect(notModified.status).toBe(304);
  });

  it('PATCH with return=representation answers 200 with the row', async () => {
    const id = await create('accounts', { name: 'Representation Co' });
    const r = await org.api<Rec>('alice', `accounts(${id})?$select=name,numberofemployees`, { method: 'PATCH', body: { numberofemployees: 42 }, headers: { Prefer: 'return=representation' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Representation Co', numberofemployees: 42, accountid: id });
  });
});

describe('upsert', () => {
  it('PATCH without If-Match creates a missing row with the given key', async () => {
    const id = randomUUID();
    const r = await org.api('alice', `contacts(${id})`, { method: 'PATCH', body: { firstname: 'Upsert', lastname: 'Created' } });
    expect(r.status).toBe(204);
    const got = await org.api<Rec>('alice', `contacts(${id})?$select=fullname,_ownerid_value`);
    expect(got.body).toMatchObject({ fullname: 'Upsert Created', contactid: id, _ownerid_value: user('alice').systemUserId });
  });

  it('If-Match: * refuses to create a missing row (404); If-None-Match: * refuses to update (412)', async () => {
    const id = randomUUID();
    const r = await org.api<ODataError>('alice', `contacts(${id})`, { method: 'PATCH', body: { lastname: 'Nope' }, headers: { 'If-Match': '*' } });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('0x80040217');
    const existing = await create('contacts', { lastname: 'Existing' });
    const updated = await org.api('alice', `contacts(${existing})`, { method: 'PATCH', body: { firstname: 'Now' }, headers: { 'If-Match': '*' } });
    expect(updated.status).toBe(204);
    const refused = await org.api<ODataError>('alice', `contacts(${existing})`, { method: 'PATCH', body: { firstname: 'Again' }, headers: { 'If-None-Match': '*' } });
    expect(refused.status).toBe(412);
    expect(refused.body.error.code).toBe('0x80040237');
  });

  it('creating a record whose key already exists answers 412', async () => {
    const id = await create('accounts', { name: 'Duplicate Key' });
    const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body: { accountid: id, name: 'Duplicate Key 2' } });
    expect(r.status).toBe(412);
    expect(r.body.error.code).toBe('0x80040237');
  });
});

describe('validation names the field', () => {
  const cases: Array<[string, Rec, number, string, string]> = [
    ['unknown attribute', { name: 'x', colour: 'red' }, 400, '0x80048d19', "'colour'"],
    ['wrong type', { name: 'x', numberofemployees: 'many' }, 400, '0x80048d19', "'numberofemployees'"],
    ['fractional integer', { name: 'x', numberofemployees: 1.5 }, 400, '0x80048d19', "'numberofemployees'"],
    ['over max length', { name: 'x'.repeat(161) }, 400, '0x80044331', "'name'"],
    ['invalid option', { name: 'x', industrycode: 999 }, 400, '0x8004431a', "'industrycode'"],
    ['out of range', { name: 'x', numberofemployees: -5 }, 400, '0x8004432f', "'numberofemployees'"],
    ['number for a text column', { name: 'x', address1_city: 5 }, 400, '0x80048d19', "'address1_city'"],
    ['boolean for a choice', { name: 'x', industrycode: true }, 400, '0x80048d19', "'industrycode'"],
    ['lookup set directly', { name: 'x', primarycontactid: randomUUID() }, 400, '0x80048d19', "'primarycontactid'"],
    ['bad GUID in bind', { name: 'x', 'primarycontactid@odata.bind': '/contacts(not-a-guid)' }, 400, '0x80048d19', 'Guid should contain 32 digits'],
    ['bind to the wrong entity set', { name: 'x', 'primarycontactid@odata.bind': `/accounts(${randomUUID()})` }, 400, '0x80048d19', "'primarycontactid'"],
    ['bind to an unknown navigation property', { name: 'x', 'nosuchnav@odata.bind': `/contacts(${randomUUID()})` }, 400, '0x80048d19', "'nosuchnav'"],
  ];
  for (const [label, body, status, code, fragment] of cases) {
    it(label, async () => {
      const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body });
      expect(r.status, r.text).toBe(status);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toContain(fragment);
    });
  }

  it('a bind to a record that does not exist answers 404', async () => {
    const missing = randomUUID();
    const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body: { name: 'x', 'primarycontactid@odata.bind': `/contacts(${missing})` } });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe(`contact With Id = ${missing} Does Not Exist`);
  });

  it('a missing required attribute on create is refused, naming it', async () => {
    const r = await org.api<ODataError>('bob', 'incidents', { method: 'POST', body: { title: 'No customer' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("'customerid'");
    const noTitle = await org.api<ODataError>('bob', 'incidents', { method: 'POST', body: { 'customerid_account@odata.bind': `/accounts(${await firstId('accounts', "name eq 'Contoso Ltd.'", 'accountid')})` } });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.error.message).toContain("'title'");
  });

  it('a malformed date is refused, naming the column', async () => {
    const r = await org.api<ODataError>('alice', 'leads', { method: 'POST', body: { subject: 'x', lastname: 'y', estimatedclosedate: 'next tuesday' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("'estimatedclosedate'");
  });

  it('state/status pairs must match', async () => {
    const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body: { name: 'x', statecode: 0, statuscode: 2 } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('0x80040203');
  });
});

describe('business rules and writes', () => {
  it('refuses resolving a case through PATCH (CloseIncident is required)', async () => {
    const id = await firstId('incidents', 'statecode eq 0', 'incidentid', 'dana');
    const r = await org.api<ODataError>('bob', `incidents(${id})`, { method: 'PATCH', body: { statecode: 1, statuscode: 5 } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('use the CloseIncidentRequest message instead');
    const viaStatus = await org.api<ODataError>('bob', `incidents(${id})`, { method: 'PATCH', body: { statuscode: 5 } });
    expect(viaStatus.status).toBe(400);
    const cancel = await org.api('bob', `incidents(${id})`, { method: 'PATCH', body: { statecode: 2, statuscode: 6 } });
    expect(cancel.status).toBe(204);
  });

  it('creates a case with a polymorphic customer and gets a ticket number', async () => {
    const contactId = await firstId('contacts', "lastname eq 'O''Brien'", 'contactid');
    const id = await create('incidents', { title: 'Printer offline', 'customerid_contact@odata.bind': `/contacts(${contactId})`, prioritycode: 1 }, 'bob');
    const r = await org.api<Rec>('bob', `incidents(${id})?$select=ticketnumber,_customerid_value,statuscode`, { headers: { Prefer: 'odata.include-annotations="*"' } });
    expect(r.body.ticketnumber).toMatch(/^CAS-\d{5}-[A-Z0-9]{6}$/);
    expect(r.body._customerid_value).toBe(contactId);
    expect(r.body['_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('contact');
    expect(r.body['_customerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty']).toBe('customerid_contact');
    expect(r.body['statuscode@OData.Community.Display.V1.FormattedValue']).toBe('In Progress');
  });

  it('adds a note to a case through objectid_incident', async () => {
    const caseId = await firstId('incidents', 'statecode eq 0', 'incidentid', 'dana');
    const id = await create('annotations', { subject: 'Called customer', notetext: 'Customer confirmed the fix.', 'objectid_incident@odata.bind': `/incidents(${caseId})` }, 'bob');
    const r = await org.api<Rec>('bob', `annotations(${id})?$select=subject,_objectid_value,objecttypecode`);
    expect(r.body).toMatchObject({ _objectid_value: caseId, objecttypecode: 'incident' });
  });

  it('deep-inserts email activity parties and completes the sender', async () => {
    const leadId = await firstId('leads', 'statecode eq 0', 'leadid');
    const contactId = await firstId('contacts', 'emailaddress1 ne null', 'contactid');
    const r = await org.api<Rec>('alice', 'emails?$select=subject,statuscode,torecipients&$expand=email_activity_parties($select=participationtypemask,_partyid_value,addressused)', {
      method: 'POST',
      headers: { Prefer: 'return=representation' },
      body: {
        subject: 'Your quote',
        description: '<p>Hello</p>',
        'regardingobjectid_lead_email@odata.bind': `/leads(${leadId})`,
        email_activity_parties: [
          { 'partyid_lead@odata.bind': `/leads(${leadId})`, participationtypemask: 2 },
          { 'partyid_contact@odata.bind': `/contacts(${contactId})`, participationtypemask: 3 },
        ],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.statuscode).toBe(1);
    const parties = r.body.email_activity_parties as Rec[];
    expect(parties.map((p) => p.participationtypemask).sort()).toEqual([1, 2, 3]);
    expect(parties.find((p) => p.participationtypemask === 1)?._partyid_value).toBe(user('alice').systemUserId);
    expect(String(r.body.torecipients)).toContain('@');
  });

  it('the email regarding property carries the activity suffix, as in Dataverse', async () => {
    const leadId = await firstId('leads', 'statecode eq 0', 'leadid');
    const r = await org.api<ODataError>('alice', 'emails', { method: 'POST', body: { subject: 'x', 'regardingobjectid_lead@odata.bind': `/leads(${leadId})` } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("undeclared property 'regardingobjectid_lead'");
  });

  it('deletes records and cascades to parental children', async () => {
    const acct = await create('accounts', { name: 'Short Lived' });
    const contact = await create('contacts', { lastname: 'Child', 'parentcustomerid_account@odata.bind': `/accounts(${acct})` });
    const note = await create('annotations', { subject: 'n', 'objectid_account@odata.bind': `/accounts(${acct})` });
    const del = await org.api('alice', `accounts(${acct})`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await org.api('alice', `accounts(${acct})`)).status).toBe(404);
    expect((await org.api('alice', `contacts(${contact})`)).status).toBe(404);
    expect((await org.api('alice', `annotations(${note})`)).status).toBe(404);
    expect((await org.api('alice', `accounts(${acct})`, { method: 'DELETE' })).status).toBe(404);
  });

  it('read-only columns are ignored and system columns maintained', async () => {
    const id = await create('contacts', { firstname: 'Read', lastname: 'Only', fullname: 'Ignored Name', createdon: '2001-01-01T00:00:00Z' });
    const r = await org.api<Rec>('alice', `contacts(${id})?$select=fullname,createdon,_createdby_value,_modifiedby_value`);
    expect(r.body.fullname).toBe('Read Only');
    expect(String(r.body.createdon) > '2026-01-01').toBe(true);
    expect(r.body._createdby_value).toBe(user('alice').systemUserId);
  });
});
