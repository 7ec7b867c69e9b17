import { describe, expect, it } from 'vitest';
import { LOCAL_TEAMS } from '../../src/emulator/index.js';
import { expectEvery } from '../helpers/expectEvery.js';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg, user } from './helpers.js';

/**
 * The request/response examples of Microsoft's Web API pages, replayed against the emulator: status
 * codes, error codes, body shapes and headers. Values that belong to the sample org of the page
 * (ids, names, counts) are not compared; `[Organization URI]/api/data/v9.2/` is `org.base`.
 */
let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ETAG = /^W\/"\d+"$/;

describe('Count rows using OData — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows', () => {
  it('GET accounts?$select=accountid&$count=true → 200 with @odata.count and rows of @odata.etag and accountid', async () => {
    const r = await org.api<ODataList>('alice', 'accounts?$select=accountid&$count=true', { headers: { Accept: 'application/json' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('odata-version')).toBe('4.0');
    expect(Object.keys(r.body)).toEqual(['@odata.context', '@odata.count', 'value']);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#accounts(accountid)`);
    expect(r.body['@odata.count']).toBe(r.body.value.length);
    expectEvery(r.body.value, (a) => {
      expect(Object.keys(a)).toEqual(['@odata.etag', 'accountid']);
      expect(a['@odata.etag']).toMatch(ETAG);
      expect(a.accountid).toMatch(GUID);
    }, 'accounts');
  });

  it('"If there are fewer than 5000 records, the actual count is returned" in both annotations; without $count the total is -1', async () => {
    const headers = { Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"' };
    const r = await org.api<Rec>('alice', `accounts?${q({ $select: 'name', $filter: "contains(name,'Contoso')", $count: 'true' })}`, { headers: { ...headers, Prefer: `odata.maxpagesize=3,${headers.Prefer}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=3,odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"');
    expect(Object.keys(r.body)).toEqual(['@odata.context', '@odata.count', '@Microsoft.Dynamics.CRM.totalrecordcount', '@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded', 'value', '@odata.nextLink']);
    expect(r.body['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(r.body['@odata.count']);
    expect(r.body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(false);
    expect((r.body.value as Rec[]).length).toBe(3);
    const noCount = await org.api<Rec>('alice', 'accounts?$select=name', { headers });
    expect(noCount.body['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(-1);
  });

  it('more than 5,000 rows: "@odata.count": 5000, totalrecordcount 5000, totalrecordcountlimitexceeded true — and no annotation unless asked', async () => {
    // 2500 more activity parties (on top of the seeded ones) in one deep insert.
    const parties = Array.from({ length: 2500 }, (_, i) => ({ participationtypemask: 2, addressused: `bulk${i}@example.com` }));
    const created = await org.api('alice', 'emails', { method: 'POST', body: { subject: 'Many recipients', email_activity_parties: parties } });
    expect(created.status, created.text).toBe(204);
    const path = `activityparties?${q({ $select: 'activitypartyid', $count: 'true' })}`;
    const plain = await org.api<Rec>('dana', path, { headers: { Prefer: 'odata.maxpagesize=1' } });
    expect(plain.body['@odata.count']).toBe(5000);
    expect(Object.keys(plain.body).filter((k) => k.includes('totalrecordcount'))).toEqual([]);
    const asked = await org.api<Rec>('dana', path, { headers: { Prefer: 'odata.maxpagesize=1,odata.include-annotations="Microsoft.Dynamics.CRM.*"' } });
    expect(asked.body).toMatchObject({ '@odata.count': 5000, '@Microsoft.Dynamics.CRM.totalrecordcount': 5000, '@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded': true });
  });
});

describe('Page results using OData — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results', () => {
  it('GET contacts?$select=fullname with Prefer: odata.maxpagesize=2 → two rows and a nextLink with $skiptoken, followed verbatim', async () => {
    const r = await org.api<ODataList>('alice', 'contacts?$select=fullname', { headers: { Prefer: 'odata.maxpagesize=2' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    expect(Object.keys(r.body)).toEqual(['@odata.context', 'value', '@odata.nextLink']);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#contacts(fullname)`);
    expect(r.body.value).toHaveLength(2);
    expectEvery(r.body.value, (c) => expect(Object.keys(c)).toEqual(['@odata.etag', 'fullname', 'contactid']), 'contacts');
    const next = r.body['@odata.nextLink'] ?? '';
    expect(next).toMatch(new RegExp(`^${org.base.replace(/[.]/g, '\\.')}contacts\\?\\$select=fullname&\\$skiptoken=[^&]+$`));
    const second = await org.api<ODataList>('alice', next, { headers: { Prefer: 'odata.maxpagesize=2' } });
    expect(second.status).toBe(200);
    expect(second.headers.get('preference-applied')).toBe('odata.maxpagesize=2');
    expect(second.body.value).toHaveLength(2);
    expect(second.body.value.map((c) => c.contactid)).not.toEqual(expect.arrayContaining(r.body.value.map((c) => c.contactid)));
  });

  it('GET accounts?$select=name,revenue&$top=3 → the first three rows', async () => {
    const r = await org.api<ODataList>('alice', 'accounts?$select=name,revenue&$top=3');
    expect(r.body.value).toHaveLength(3);
    expect(r.body['@odata.nextLink']).toBeUndefined();
  });
});

describe('Join tables using OData — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables', () => {
  it('single $expand of Account_Tasks and contact_customer_accounts with Prefer: odata.maxpagesize=1', async () => {
    // An account with both tasks and contacts, like "Litware, Inc. (sample)" on the page.
    const withTasks = await org.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $filter: 'Account_Tasks/any() and contact_customer_accounts/any()', $top: '1' })}`);
    const id = String(withTasks.body.value[0]?.accountid);
    const r = await org.api<ODataList>('alice', `accounts?$select=name,accountid&$filter=accountid eq ${id}&$expand=Account_Tasks($select=subject),contact_customer_accounts($select=fullname)`, { headers: { Prefer: 'odata.maxpagesize=1' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=1');
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#accounts(name,accountid,Account_Tasks(subject),contact_customer_accounts(fullname))`);
    const [acct] = r.body.value;
    expect(Object.keys(acct ?? {})).toEqual(['@odata.etag', 'name', 'accountid', 'Account_Tasks', 'Account_Tasks@odata.nextLink', 'contact_customer_accounts', 'contact_customer_accounts@odata.nextLink']);
    expectEvery(acct?.Account_Tasks as Rec[], (t) => {
      expect(Object.keys(t)).toEqual(['@odata.etag', 'subject', '_regardingobjectid_value', 'activityid']);
      expect(t._regardingobjectid_value).toBe(id);
    }, 'tasks');
    expect(acct?.['Account_Tasks@odata.nextLink']).toBe(`${org.base}accounts(${id})/Account_Tasks?$select=subject`);
    expectEvery(acct?.contact_customer_accounts as Rec[], (c) => expect(Object.keys(c)).toEqual(['@odata.etag', 'fullname', '_parentcustomerid_value', 'contactid']), 'contacts');
    expect(acct?.['contact_customer_accounts@odata.nextLink']).toBe(`${org.base}accounts(${id})/contact_customer_accounts?$select=fullname`);
  });

  it('nested $expand with Prefer: odata.maxpagesize=1: one task per account, and every nextLink carries paging information', async () => {
    const withTasks = await org.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $filter: 'Account_Tasks/any() and contact_customer_accounts/any()', $top: '1' })}`);
    const id = String(withTasks.body.value[0]?.accountid);
    const r = await org.api<ODataList>('alice', `accounts?$select=name,accountid&$filter=accountid eq ${id}&$expand=Account_Tasks($select=subject),contact_customer_accounts($select=fullname;$expand=ownerid($select=fullname))`, { headers: { Prefer: 'odata.maxpagesize=1' } });
    expect(r.status).toBe(200);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#accounts(name,accountid,Account_Tasks(subject),contact_customer_accounts(fullname,ownerid(fullname)))`);
    const [acct] = r.body.value;
    expect(acct?.Account_Tasks as Rec[]).toHaveLength(1);
    expect(acct?.contact_customer_accounts as Rec[]).toHaveLength(1);
    expect(String(acct?.['Account_Tasks@odata.nextLink'])).toMatch(new RegExp(`^${org.base.replace(/[.]/g, '\\.')}accounts\\(${id}\\)/Account_Tasks\\?\\$select=subject&\\$skiptoken=`));
    expect(String(acct?.['contact_customer_accounts@odata.nextLink'])).toMatch(/\/contact_customer_accounts\?\$select=fullname&\$expand=ownerid\(\$select%3Dfullname\)&\$skiptoken=/);
  });

  it('nested $expand with $top → 400 0x80060888 "Only $select and $filter clause can be provided …"', async () => {
    const r = await org.api<ODataError>('alice', 'accounts?$select=name,accountid&$expand=Account_Tasks($select=subject;$top=1),contact_customer_accounts($select=fullname;$expand=owninguser($select=fullname))');
    // owninguser is not modelled by the emulator; ownerid stands in for the nested single-valued expansion.
    const s = await org.api<ODataError>('alice', 'accounts?$select=name,accountid&$expand=Account_Tasks($select=subject;$top=1),contact_customer_accounts($select=fullname;$expand=ownerid($select=fullname))');
    expect(r.status).toBe(400);
    expect(s.status).toBe(400);
    expect(s.body).toEqual({ error: { code: '0x80060888', message: 'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.' } });
  });

  it('nested expand of single-valued navigation properties: tasks → contact → account → createdby', async () => {
    const r = await org.api<ODataList>('alice', `tasks?$select=subject&$filter=_regardingobjectid_value ne null&$expand=regardingobjectid_contact_task($select=fullname;$expand=parentcustomerid_account($select=name;$expand=createdby($select=fullname)))`, { headers: { Prefer: 'odata.maxpagesize=2' } });
    expect(r.status).toBe(200);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#tasks(subject,regardingobjectid_contact_task(fullname,parentcustomerid_account(name,createdby(fullname))))`);
    expect(r.body.value).toHaveLength(2);
  });
});

describe('Select columns: formatted values and lookup data — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns', () => {
  it('FormattedValue annotations sit before each value; Preference-Applied echoes the preference', async () => {
    const r = await org.api<ODataList>('alice', 'accounts?$select=name,revenue,_primarycontactid_value,customertypecode,modifiedon&$filter=_primarycontactid_value ne null&$top=1', {
      headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' },
    });
    expect(r.headers.get('preference-applied')).toBe('odata.include-annotations="OData.Community.Display.V1.FormattedValue"');
    const a = r.body.value[0] ?? {};
    const keys = Object.keys(a);
    expect(keys.indexOf('revenue@OData.Community.Display.V1.FormattedValue')).toBe(keys.indexOf('revenue') - 1);
    expect(a['revenue@OData.Community.Display.V1.FormattedValue']).toMatch(/^\$[\d,]+\.\d{2}$/);
    expect(a['_primarycontactid_value@OData.Community.Display.V1.FormattedValue']).toEqual(expect.any(String));
    expect(a['customertypecode@OData.Community.Display.V1.FormattedValue']).toEqual(expect.any(String));
    expect(a['modifiedon@OData.Community.Display.V1.FormattedValue']).toMatch(/^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2} (AM|PM)$/);
    expect(a).not.toHaveProperty('name@OData.Community.Display.V1.FormattedValue');
    expect(a).not.toHaveProperty('accountid@OData.Community.Display.V1.FormattedValue');
  });

  it('_ownerid_value with associatednavigationproperty and lookuplogicalname: "team" owns the first, "systemuser" the second', async () => {
    const [first, second] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$orderby=name&$top=2')).body.value;
    const team = LOCAL_TEAMS[0]?.teamId;
    expect((await org.api('dana', `accounts(${String(first?.accountid)})`, { method: 'PATCH', body: { 'ownerid@odata.bind': `/teams(${team})` }, headers: { 'If-Match': '*' } })).status).toBe(204);
    const r = await org.api<ODataList>('alice', 'accounts?$select=name,_ownerid_value&$orderby=name&$top=2', {
      headers: { Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.associatednavigationproperty,Microsoft.Dynamics.CRM.lookuplogicalname"' },
    });
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#accounts(name,_ownerid_value)`);
    expect(r.body.value.map((a) => [a.accountid, a['_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty'], a['_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']])).toEqual([
      [first?.accountid, 'ownerid', 'team'],
      [second?.accountid, 'ownerid', 'systemuser'],
    ]);
    expect(Object.keys(r.body.value[0] ?? {})).toEqual([
      '@odata.etag',
      'name',
      '_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty',
      '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname',
      '_ownerid_value',
      'accountid',
    ]);
  });
});

describe('Use Web API functions — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions', () => {
  it('GET systemusers(<id>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges → RetrieveUserPrivilegesResponse with RolePrivileges', async () => {
    const id = user('alice').systemUserId;
    const r = await org.api<{ '@odata.context': string; RolePrivileges: Rec[] }>('alice', `systemusers(${id})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['@odata.context', 'RolePrivileges']);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse`);
    expectEvery(r.body.RolePrivileges, (p) => {
      expect(Object.keys(p)).toEqual(['Depth', 'PrivilegeId', 'BusinessUnitId', 'PrivilegeName']);
      expect(p.Depth).toBe('Global');
      expect(p.PrivilegeId).toMatch(GUID);
      expect(p.BusinessUnitId).toMatch(GUID);
      expect(p.PrivilegeName).toMatch(/^prv[A-Z]/);
    }, 'role privileges');
  });

  it('GET WhoAmI() → WhoAmIResponse with BusinessUnitId, UserId, OrganizationId', async () => {
    const r = await org.api<Rec>('alice', 'WhoAmI()');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['@odata.context', 'BusinessUnitId', 'UserId', 'OrganizationId']);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
  });

  it('not with a query function fails: "Not operator along with the Custom Named Condition operators is not allowed"', async () => {
    const r = await org.api<ODataError>('alice', `systemusers?$select=fullname,systemuserid&$filter=not Microsoft.Dynamics.CRM.EqualUserId(PropertyName=@p1)&@p1='systemuserid'`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('Not operator along with the Custom Named Condition operators is not allowed');
    const negated = await org.api<ODataList>('alice', `systemusers?$select=fullname,systemuserid&$filter=Microsoft.Dynamics.CRM.NotEqualUserId(PropertyName=@p1)&@p1='systemuserid'`);
    expect(negated.status).toBe(200);
    expect(negated.body.value.map((u) => u.systemuserid)).not.toContain(user('alice').systemUserId);
  });
});

describe('Perform conditional operations — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api', () => {
  const body = { name: 'Updated Sample Account ', description: 'This is the updated description of the sample account', revenue: 6000000, accountcategorycode: 2 };

  it('prevent create in upsert: PATCH with If-Match: * on a missing account → 404 "account With Id = … Does Not Exist"', async () => {
    const id = '00000000-0000-0000-0000-000000000001';
    const r = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'PATCH', body, headers: { 'If-Match': '*' } });
    expect(r.status).toBe(404);
    expect(Object.keys(r.body.error)).toEqual(['code', 'message']);
    expect(r.body.error.message).toBe(`account With Id = ${id} Does Not Exist`);
    // The page shows an empty code; the service's ObjectDoesNotExist code is 0x80040217.
    expect(r.body.error.code).toBe('0x80040217');
    expect((await org.api<ODataError>('alice', `accounts(${id})`)).body).toEqual(r.body);
  });

  it('prevent update in upsert: PATCH with If-None-Match: * on an existing account → 412 "A record with matching key values already exists."', async () => {
    const [acct] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$top=1')).body.value;
    const r = await org.api<ODataError>('alice', `accounts(${String(acct?.accountid)})`, { method: 'PATCH', body, headers: { 'If-None-Match': '*' } });
    expect(r.status).toBe(412);
    expect(r.body.error).toEqual({ code: '0x80040237', message: 'A record with matching key values already exists.' });
  });

  it('optimistic concurrency: a stale If-Match on PATCH and DELETE → 412 "The version of the existing record doesn\'t match the RowVersion property provided."', async () => {
    const [acct] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$top=1')).body.value;
    const id = String(acct?.accountid);
    const update = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'PATCH', body: { name: 'Updated Account Name' }, headers: { 'If-Match': 'W/"470867"' } });
    const del = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'DELETE', headers: { 'If-Match': 'W/"470867"' } });
    for (const r of [update, del]) {
      expect(r.status).toBe(412);
      expect(r.body.error.message).toBe("The version of the existing record doesn't match the RowVersion property provided.");
    }
  });

  it('conditional retrieval: If-None-Match with the current ETag → 304 Not Modified', async () => {
    const [acct] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$top=1')).body.value;
    const path = `accounts(${String(acct?.accountid)})?$select=accountcategorycode,accountnumber,createdon,numberofemployees,name,revenue`;
    const tag = (await org.api<Rec>('alice', path)).body['@odata.etag'] as string;
    const r = await org.api('alice', path, { headers: { 'If-None-Match': tag } });
    expect(r.status).toBe(304);
    expect(r.text).toBe('');
  });
});

describe('Duplicate key on create — https://learn.microsoft.com/troubleshoot/power-platform/dataverse/user-permissions/client-errors', () => {
  it('POST with a primary key already in use → 412 DuplicateRecord 0x80040237 "Cannot insert duplicate key."', async () => {
    // "Cannot insert duplicate key", error code -2147220937 (0x80040237); DuplicateRecord is a 412
    // (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#identify-status-codes).
    const [acct] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$top=1')).body.value;
    const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body: { accountid: acct?.accountid, name: 'Sample Account' } });
    expect(r.status).toBe(412);
    expect(r.body).toEqual({ error: { code: '0x80040237', message: 'Cannot insert duplicate key.' } });
    expect((-2147220937 >>> 0).toString(16)).toBe('80040237');
  });
});

describe('Troubleshoot Web API client errors — https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-and-sdk/web-api-client-errors', () => {
  it('GET Account → 404 0x8006088a "Resource not found for the segment \'Account\'."', async () => {
    const r = await org.api<ODataError>('alice', 'Account');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: '0x8006088a', message: "Resource not found for the segment 'Account'." } });
  });

  it('GET accounts?$select=Name → 400 "Could not find a property named \'Name\' on type \'Microsoft.Dynamics.CRM.account\'."', async () => {
    const r = await org.api<ODataError>('alice', 'accounts?$select=Name');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe("Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'.");
  });

  it('POST WhoAmI → 404 "No HTTP resource was found that matches the request URI …"', async () => {
    const r = await org.api<ODataError>('alice', 'WhoAmI', { method: 'POST', body: {} });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: '', message: `No HTTP resource was found that matches the request URI '${org.base}WhoAmI'.` } });
  });

  it('POST accounts with "Name" → 400 "Invalid property \'Name\' was found in entity \'Microsoft.Dynamics.CRM.account\'"', async () => {
    const r = await org.api<ODataError>('alice', 'accounts', { method: 'POST', body: { Name: 'Account name' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(
      "An error occurred while validating input parameters: Microsoft.Crm.CrmException: Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'. ---> Microsoft.OData.ODataException: Does not support untyped value in non-open type.",
    );
  });

  it('POST contacts with parentcustomerid@odata.bind → 400 0x80048d19, the undeclared-property payload error', async () => {
    const [acct] = (await org.api<ODataList>('alice', 'accounts?$select=accountid&$top=1')).body.value;
    const r = await org.api<ODataError>('alice', 'contacts', { method: 'POST', body: { firstname: 'test', lastname: 'contact', 'parentcustomerid@odata.bind': `accounts(${String(acct?.accountid)})` } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('0x80048d19');
    expect(r.body.error.message).toMatch(/^Error identified in Payload provided by the user for Entity :'contacts'.*---->\s+InnerException : Microsoft\.OData\.ODataException: An undeclared property 'parentcustomerid' which only has property annotations in the payload but no property value was found in the payload\. In OData, only declared navigation properties and declared named streams can be represented as properties without values/s);
    const right = await org.api('alice', 'contacts', { method: 'POST', body: { firstname: 'test', lastname: 'contact', 'parentcustomerid_account@odata.bind': `accounts(${String(acct?.accountid)})` } });
    expect(right.status).toBe(204);
  });
});

describe('Create a table row — https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api', () => {
  it('basic create → 204 with OData-EntityId; with return=representation → 201, Preference-Applied and no OData-EntityId', async () => {
    const body = { name: 'Sample Account', description: 'This is the description of the sample account', revenue: 5000000, accountcategorycode: 1 };
    const basic = await org.api('alice', 'accounts', { method: 'POST', body });
    expect(basic.status).toBe(204);
    expect(basic.headers.get('odata-entityid')).toMatch(new RegExp(`^${org.base.replace(/[.]/g, '\\.')}accounts\\([0-9a-f-]{36}\\)$`));
    const rep = await org.api<Rec>('alice', 'accounts?$select=name,description,revenue,accountcategorycode,createdon', { method: 'POST', body, headers: { Prefer: 'return=representation' } });
    expect(rep.status).toBe(201);
    expect(rep.headers.get('preference-applied')).toBe('return=representation');
    expect(rep.headers.get('odata-entityid')).toBeNull();
    expect(rep.body).toMatchObject({ name: 'Sample Account', accountcategorycode: 1, revenue: 5000000, accountid: expect.stringMatching(GUID) });
  });
});
