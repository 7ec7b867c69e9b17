import { describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { ANNOTATIONS, mint, q, useOrg, user } from './helpers.js';

let org: TestOrg;

useOrg((o) => (org = o));

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('response shapes', () => {
  it('WhoAmI returns the caller, business unit and organisation', async () => {
    const r = await org.api<{ UserId: string; BusinessUnitId: string; OrganizationId: string; '@odata.context': string }>('alice', 'WhoAmI');
    expect(r.status).toBe(200);
    expect(r.body.UserId).toBe(user('alice').systemUserId);
    expect(r.body.BusinessUnitId).toMatch(GUID);
    expect(r.body.OrganizationId).toMatch(GUID);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
    expect(r.headers.get('odata-version')).toBe('4.0');
  });

  it('every response carries OData-Version, REQ_ID and echoes x-ms-client-request-id', async () => {
    const id = '6f1c8a55-0f51-4a5e-9d0c-1c2b3a4d5e6f';
    const r = await org.api('alice', 'accounts?$select=name&$top=1', { headers: { 'x-ms-client-request-id': id } });
    expect(r.headers.get('odata-version')).toBe('4.0');
    expect(r.headers.get('req_id')).toMatch(GUID);
    expect(r.headers.get('x-ms-service-request-id')).toBe(r.headers.get('req_id'));
    expect(r.headers.get('x-ms-client-request-id')).toBe(id);
    const err = await org.api('alice', 'nosuchset');
    expect(err.headers.get('odata-version')).toBe('4.0');
    expect(err.headers.get('req_id')).toMatch(GUID);
  });

  it('create answers 204 with OData-EntityId and no body', async () => {
    const r = await org.api('alice', 'accounts', { method: 'POST', body: { name: 'Shape Test Ltd', telephone1: '+1 425-555-0199' } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const entityId = r.headers.get('odata-entityid') ?? '';
    expect(entityId).toMatch(new RegExp(`^${org.base.replace(/[.]/g, '\\.')}accounts\\([0-9a-f-]{36}\\)$`));
    const id = /\(([^)]+)\)/.exec(entityId)?.[1];
    const got = await org.api<Record<string, unknown>>('alice', `accounts(${id})?$select=name,telephone1,statecode`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ name: 'Shape Test Ltd', telephone1: '+1 425-555-0199', statecode: 0, accountid: id });
    expect(got.body['@odata.etag']).toMatch(/^W\/"\d+"$/);
    // The selected properties, without the key (retrieve-entity-using-web-api: "$metadata#accounts(name,revenue)/$entity").
    expect(got.body['@odata.context']).toBe(`${org.base}$metadata#accounts(name,telephone1,statecode)/$entity`);
    expect(got.headers.get('etag')).toBe(got.body['@odata.etag']);
  });

  it('create with return=representation answers 201 with the row, honouring $select', async () => {
    const r = await org.api<Record<string, unknown>>('alice', 'contacts?$select=fullname,firstname,lastname', {
      method: 'POST',
      body: { firstname: 'Niamh', lastname: "O'Brien", emailaddress1: 'niamh@example.com' },
      headers: { Prefer: 'return=representation' },
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('odata-entityid')).toBeNull();
    expect(r.headers.get('preference-applied')).toContain('return=representation');
    expect(r.body).toMatchObject({ fullname: "Niamh O'Brien", firstname: 'Niamh', lastname: "O'Brien" });
    expect(r.body.contactid).toMatch(GUID);
    expect(r.body).not.toHaveProperty('emailaddress1');
    expect(r.body['@odata.etag']).toMatch(/^W\/"\d+"$/);
  });

  it('errors use the Dataverse shape: 404 for a missing record', async () => {
    const id = '00000000-0000-4000-8000-00000000abcd';
    const r = await org.api<ODataError>('alice', `accounts(${id})`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: '0x80040217', message: `account With Id = ${id} Does Not Exist` } });
  });

  it('unknown entity sets and routes answer 404 Dataverse-style', async () => {
    const r = await org.api<ODataError>('alice', 'widgets');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('0x8006088a');
    expect(r.body.error.message).toContain("'widgets'");
    const outside = await fetch(`${org.emu.url}/nothing/here`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as ODataError).error.code).toBe('0x8006088a');
  });

  it('no token or a bad token answers 401; a token for a stranger answers 403 not-a-member', async () => {
    const none = await org.api<ODataError>(null, 'accounts?$select=name');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const bad = await org.api<ODataError>(null, 'accounts?$select=name', { headers: { Authorization: 'Bearer not.a.jwt' } });
    expect(bad.status).toBe(401);
    const stranger = await mint(org.keys, '99999999-0000-4000-8000-000000000999');
    const r = await org.api<ODataError>(null, 'WhoAmI', { headers: { Authorization: `Bearer ${stranger}` } });
    expect(r.status).toBe(403);
    expect(r.body.error).toEqual({ code: '0x80072560', message: 'The user is not a member of the organization.' });
  });

  it('an expired token is refused with 401', async () => {
    const expired = await mint(org.keys, user('alice').objectId, '-1m');
    const r = await org.api(null, 'WhoAmI', { headers: { Authorization: `Bearer ${expired}` } });
    expect(r.status).toBe(401);
  });

  it('lookups come back as _x_value with formatted value, logical name and navigation property annotations', async () => {
    const r = await org.api<ODataList>('alice', `contacts?${q({ $select: 'fullname,_parentcustomerid_value,preferredcontactmethodcode,createdon', $filter: '_parentcustomerid_value ne null', $top: '1' })}`, { headers: ANNOTATIONS });
    const c = r.body.value[0] ?? {};
    expect(c._parentcustomerid_value).toMatch(GUID);
    expect(c['_parentcustomerid_value@OData.Community.Display.V1.FormattedValue']).toEqual(expect.any(String));
    expect(c['_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('account');
    expect(c['_parentcustomerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty']).toBe('parentcustomerid_account');
    expect(c['preferredcontactmethodcode@OData.Community.Display.V1.FormattedValue']).toMatch(/^(Any|Email|Phone)$/);
    expect(c['createdon@OData.Community.Display.V1.FormattedValue']).toMatch(/^\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2} (AM|PM)$/);
    expect(r.headers.get('preference-applied')).toBe('odata.include-annotations="*"');
  });

  it('only the requested annotations are included', async () => {
    const path = `accounts?${q({ $select: 'name,revenue,_primarycontactid_value,industrycode', $filter: "name eq 'Contoso Ltd.'" })}`;
    const plain = await org.api<ODataList>('alice', path);
    expect(Object.keys(plain.body.value[0] ?? {}).some((k) => k.includes('@OData'))).toBe(false);
    const formatted = await org.api<ODataList>('alice', path, { headers: { Prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' } });
    const a = formatted.body.value[0] ?? {};
    expect(a['revenue@OData.Community.Display.V1.FormattedValue']).toMatch(/^\$[\d,]+\.\d{2}$/);
    expect(a['industrycode@OData.Community.Display.V1.FormattedValue']).toBe('Business Services');
    expect(a['_primarycontactid_value@OData.Community.Display.V1.FormattedValue']).toEqual(expect.any(String));
    expect(a).not.toHaveProperty('_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname');
  });

  it('retrieves a single property', async () => {
    const list = await org.api<ODataList>('alice', `accounts?${q({ $select: 'name', $filter: "name eq 'Fourth Coffee'" })}`);
    const id = String(list.body.value[0]?.accountid);
    const r = await org.api<{ value: unknown }>('alice', `accounts(${id})/name`);
    expect(r.status).toBe(200);
    expect(r.body.value).toBe('Fourth Coffee');
  });

  it('refuses bodies that are not JSON, malformed JSON and oversized bodies', async () => {
    const malformed = await org.api<ODataError>('alice', 'accounts', { method: 'POST', rawBody: '{"name": ', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('0x80048d19');
    const xml = await org.api('alice', 'accounts', { method: 'POST', rawBody: '<account/>', headers: { 'Content-Type': 'application/xml' } });
    expect(xml.status).toBe(415);
    const huge = await org.api<ODataError>('alice', 'accounts', { method: 'POST', rawBody: JSON.stringify({ name: 'x'.repeat(5 * 1024 * 1024) }), headers: { 'Content-Type': 'application/json' } });
    expect(huge.status).toBe(413);
  });

  it('keys must be GUIDs', async () => {
    const r = await org.api<ODataError>('alice', 'accounts(not-a-guid)');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('Guid should contain 32 digits');
  });

  it('logs requests in a ring buffer with the caller', async () => {
    org.emu.clearRequests();
    await org.api('alice', 'WhoAmI');
    const last = org.emu.requests[org.emu.requests.length - 1];
    expect(last).toMatchObject({ method: 'GET', path: '/api/data/v9.2/WhoAmI', status: 200, objectId: user('alice').objectId });
    expect(last?.ms).toBeGreaterThanOrEqual(0);
  });

  it('serves the service document', async () => {
    const r = await org.api<ODataList<{ name: string; kind: string }>>('rita', '');
    expect(r.status).toBe(200);
    expect(r.body.value.map((v) => v.name)).toEqual(expect.arrayContaining(['accounts', 'leads', 'incidents', 'msdyn_predictivescores', 'activityparties']));
  });
});
