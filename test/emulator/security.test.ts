import { describe, expect, it } from 'vitest';
import type { Alias, ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg, user } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

async function denied(alias: Alias, path: string, privilege: string, init: Parameters<TestOrg['api']>[2] = {}): Promise<void> {
  const r = await org.api<ODataError>(alias, path, init);
  expect(r.status, `${alias} ${init.method ?? 'GET'} ${path}: ${r.text}`).toBe(403);
  expect(r.body.error.code).toBe('0x80040220');
  expect(r.body.error.message).toContain(`is missing ${privilege} privilege`);
  expect(r.body.error.message).toContain(`Principal user (Id=${user(alias).systemUserId}, type=8`);
}

async function anyId(set: string, key: string): Promise<string> {
  const r = await org.api<ODataList>('dana', `${set}?${q({ $select: key, $top: '1' })}`);
  return String(r.body.value[0]?.[key]);
}

describe('privileges per seeded user', () => {
  it('alice (Sales Manager) cannot read cases, directly, through $expand, $filter paths or SQL', async () => {
    await denied('alice', 'incidents?$select=title', 'prvReadIncident');
    await denied('alice', `accounts?${q({ $select: 'name', $expand: 'incident_customer_accounts($select=title)' })}`, 'prvReadIncident');
    await denied('alice', `contacts?${q({ $select: 'fullname', $filter: "contact_as_primary_contact/any(i: i/title eq 'x')" })}`, 'prvReadIncident');
    await denied('alice', `accounts?sql=${encodeURIComponent('SELECT a.name, i.title FROM account a INNER JOIN incident i ON i.customerid = a.accountid')}`, 'prvReadIncident');
    const message = (await org.api<ODataError>('alice', 'incidents?$select=title')).body.error.message;
    expect(message).toContain("on OTC=112 for entity 'incident'");
    const ok = await org.api('alice', 'leads?$select=subject&$top=1');
    expect(ok.status).toBe(200);
  });

  it('bob (Customer Service Representative) cannot read leads or opportunities, nor delete cases', async () => {
    await denied('bob', 'leads?$select=subject', 'prvReadLead');
    await denied('bob', 'opportunities?$select=name', 'prvReadOpportunity');
    await denied('bob', 'msdyn_predictivescores?$select=msdyn_score', 'prvReadmsdyn_predictivescore');
    expect((await org.api('bob', 'incidents?$select=title&$top=1')).status).toBe(200);
    expect((await org.api('bob', 'knowledgearticles?$select=title&$top=1')).status).toBe(200);
    await denied('bob', `incidents(${await anyId('incidents', 'incidentid')})`, 'prvDeleteIncident', { method: 'DELETE' });
    await denied('bob', `leads(${await anyId('leads', 'leadid')})/Microsoft.Dynamics.CRM.QualifyLead`, 'prvReadLead', {
      method: 'POST',
      body: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
    });
    await denied('bob', 'knowledgearticles', 'prvCreateKnowledgeArticle', { method: 'POST', body: { title: 'x' } });
  });

  it('bob cannot attach a note to a lead (AppendTo)', async () => {
    await denied('bob', 'annotations', 'prvAppendToLead', { method: 'POST', body: { subject: 'x', 'objectid_lead@odata.bind': `/leads(${await anyId('leads', 'leadid')})` } });
  });

  it('rita (Read Only) reads every table and writes nothing', async () => {
    for (const set of ['leads', 'incidents', 'accounts', 'opportunities', 'emails', 'knowledgearticles', 'msdyn_predictivescores', 'systemusers']) {
      expect((await org.api('rita', `${set}?$top=1`)).status, set).toBe(200);
    }
    const leadId = await anyId('leads', 'leadid');
    await denied('rita', 'accounts', 'prvCreateAccount', { method: 'POST', body: { name: 'x' } });
    await denied('rita', `leads(${leadId})`, 'prvWriteLead', { method: 'PATCH', body: { subject: 'x' } });
    await denied('rita', `leads(${leadId})`, 'prvDeleteLead', { method: 'DELETE' });
    await denied('rita', 'annotations', 'prvCreateNote', { method: 'POST', body: { subject: 'x' } });
    await denied('rita', `leads(${leadId})/Microsoft.Dynamics.CRM.QualifyLead`, 'prvWriteLead', {
      method: 'POST',
      body: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
    });
    await denied('rita', 'EntityDefinitions', 'prvCreateEntity', {
      method: 'POST',
      body: { SchemaName: 'new_Nope', DisplayName: { LocalizedLabels: [{ Label: 'Nope', LanguageCode: 1033 }] } },
    });
    expect((await org.api('rita', "EntityDefinitions(LogicalName='lead')?$select=LogicalName")).status).toBe(200);
  });

  it('sam (Salesperson) creates but cannot delete; alice (Sales Manager) can delete', async () => {
    const r = await org.api('sam', 'leads', { method: 'POST', body: { subject: 'Sam lead', lastname: 'Prospect' } });
    expect(r.status).toBe(204);
    const id = /\(([^)]+)\)$/.exec(r.headers.get('odata-entityid') ?? '')?.[1];
    await denied('sam', `leads(${id})`, 'prvDeleteLead', { method: 'DELETE' });
    expect((await org.api('alice', `leads(${id})`, { method: 'DELETE' })).status).toBe(204);
  });

  it('only administrators change metadata', async () => {
    await denied('alice', 'EntityDefinitions', 'prvCreateEntity', { method: 'POST', body: { SchemaName: 'new_Thing' } });
    await denied('alice', "EntityDefinitions(LogicalName='account')/Attributes", 'prvCreateAttribute', { method: 'POST', body: {} });
    const created = await org.api('dana', 'EntityDefinitions', {
      method: 'POST',
      body: {
        '@odata.type': 'Microsoft.Dynamics.CRM.EntityMetadata',
        SchemaName: 'new_Widget',
        DisplayName: { LocalizedLabels: [{ Label: 'Widget', LanguageCode: 1033 }] },
        DisplayCollectionName: { LocalizedLabels: [{ Label: 'Widgets', LanguageCode: 1033 }] },
        OwnershipType: 'UserOwned',
        Attributes: [{ '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Name', IsPrimaryName: true, MaxLength: 100, DisplayName: { LocalizedLabels: [{ Label: 'Name', LanguageCode: 1033 }] } }],
      },
    });
    expect(created.status).toBe(204);
    await denied('alice', 'new_widgets?$select=new_name', 'prvReadnew_Widget');
    expect((await org.api('rita', 'new_widgets?$select=new_name')).status).toBe(200);
    await denied('alice', "EntityDefinitions(LogicalName='new_widget')", 'prvDeleteEntity', { method: 'DELETE' });
  });

  it('sending email needs prvWriteActivity (there is no send privilege of its own), which rita lacks', async () => {
    const id = await anyId('emails', 'activityid');
    await denied('rita', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, 'prvWriteActivity', { method: 'POST', body: { IssueSend: true } });
  });

  it('RetrieveUserPrivileges lists what the roles grant, in the documented RolePrivilege shape', async () => {
    const path = (alias: 'alice' | 'rita' | 'bob') => `systemusers(${user(alias).systemUserId})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`;
    const names = async (alias: 'alice' | 'rita' | 'bob') => {
      const r = await org.api<{ RolePrivileges: Rec[] }>('alice', path(alias));
      expect(r.status, r.text).toBe(200);
      return r.body.RolePrivileges;
    };
    const alice = await names('alice');
    expect(Object.keys(alice[0] ?? {}).sort()).toEqual(['BusinessUnitId', 'Depth', 'PrivilegeId', 'PrivilegeName']);
    const aliceNames = alice.map((p) => p.PrivilegeName);
    expect(aliceNames).toEqual(expect.arrayContaining(['prvCreateLead', 'prvWriteLead', 'prvCreateActivity', 'prvReadUser']));
    expect(aliceNames).not.toContain('prvReadIncident');
    expect(aliceNames).not.toContain('prvSendEmail');
    const rita = (await names('rita')).map((p) => p.PrivilegeName);
    expect(rita).toContain('prvReadIncident');
    expect(rita.filter((n) => !String(n).startsWith('prvRead'))).toEqual([]);
    expect((await names('bob')).map((p) => p.PrivilegeName)).toEqual(expect.arrayContaining(['prvCreateIncident', 'prvAppendToIncident']));
    expect((await org.api('alice', `systemusers(00000000-0000-4000-8000-00000000abcd)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`)).status).toBe(404);
    expect((await org.api('alice', `leads(${await anyId('leads', 'leadid')})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`)).status).toBe(404);
  });

  it('WhoAmI works for every seeded user', async () => {
    for (const alias of ['alice', 'bob', 'rita', 'dana', 'sam'] as const) {
      const r = await org.api<Rec>(alias, 'WhoAmI');
      expect(r.body.UserId).toBe(user(alias).systemUserId);
    }
  });
});
