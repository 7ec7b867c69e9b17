import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LOCAL_TEAMS } from '../../src/emulator/index.js';
import { expectEvery } from '../helpers/expectEvery.js';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg, user } from './helpers.js';

/**
 * Behaviours where the emulator used to be more lenient than Dataverse, each with the page that
 * documents the rule.
 */
let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
const prefer = (annotations: string) => ({ Prefer: `odata.include-annotations="${annotations}"` });
const EXPAND_ERROR = 'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.';

async function list(alias: 'alice' | 'bob' | 'dana' | 'greta', path: string, headers: Record<string, string> = {}): Promise<ODataList> {
  const r = await org.api<ODataList>(alias, path, { headers });
  if (r.status !== 200) throw new Error(`${path} → ${r.status} ${r.text}`);
  return r.body;
}

async function created(r: { status: number; text: string; headers: Headers }): Promise<string> {
  expect(r.status, r.text).toBe(204);
  return /\(([^)]+)\)$/.exec(r.headers.get('odata-entityid') ?? '')?.[1] ?? '';
}

describe('total record count annotations (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows)', () => {
  const path = `accounts?${q({ $select: 'accountid', $count: 'true', $top: '1' })}`;

  it('$count=true alone gives @odata.count and no total-record-count annotations', async () => {
    const r = await list('alice', path);
    expect(r['@odata.count']).toEqual(expect.any(Number));
    expect(Object.keys(r).filter((k) => k.includes('totalrecordcount'))).toEqual([]);
  });

  it('asked for by name, by "*" or by "Microsoft.Dynamics.CRM.*": the count and false below 5000', async () => {
    for (const annotations of ['Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded', '*', 'Microsoft.Dynamics.CRM.*']) {
      const r = (await org.api<Rec>('alice', path, { headers: prefer(annotations) })).body;
      expect(r['@Microsoft.Dynamics.CRM.totalrecordcount'], annotations).toBe(r['@odata.count']);
      expect(r['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'], annotations).toBe(false);
    }
    const one = (await org.api<Rec>('alice', path, { headers: prefer('Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded') })).body;
    expect(one).not.toHaveProperty('@Microsoft.Dynamics.CRM.totalrecordcount');
    expect(one['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(false);
  });

  it('without $count=true the total record count is -1', async () => {
    const r = (await org.api<Rec>('alice', `accounts?${q({ $select: 'accountid', $top: '1' })}`, { headers: prefer('*') })).body;
    expect(r).not.toHaveProperty('@odata.count');
    expect(r['@Microsoft.Dynamics.CRM.totalrecordcount']).toBe(-1);
    expect(r['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded']).toBe(false);
  });
});

describe('formatted values only when asked (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns#formatted-values)', () => {
  it('a single property and $apply carry no FormattedValue when only lookup annotations are requested', async () => {
    const [contoso] = (await list('alice', `accounts?${q({ $select: 'accountid', $filter: "name eq 'Contoso Ltd.'" })}`)).value;
    const id = String(contoso?.accountid);
    const lookupsOnly = prefer('Microsoft.Dynamics.CRM.lookuplogicalname');
    const property = await org.api<Rec>('alice', `accounts(${id})/industrycode`, { headers: lookupsOnly });
    expect(property.body).not.toHaveProperty(`value@${FORMATTED}`);
    const formatted = await org.api<Rec>('alice', `accounts(${id})/industrycode`, { headers: prefer(FORMATTED) });
    expect(formatted.body[`value@${FORMATTED}`]).toEqual(expect.any(String));
    const apply = await list('alice', `leads?${q({ $apply: 'groupby((leadqualitycode),aggregate($count as n))' })}`, lookupsOnly);
    expectEvery(apply.value, (g) => expect(g).not.toHaveProperty(`leadqualitycode@${FORMATTED}`), 'groups');
  });

  it('a trailing * is a wildcard, with or without the dot ("Microsoft.PowerApps.CDS.ErrorDetails*")', async () => {
    const r = await list('alice', `accounts?${q({ $select: 'industrycode', $filter: 'industrycode ne null', $top: '1' })}`, prefer('OData.Community*'));
    expect(r.value[0]?.[`industrycode@${FORMATTED}`]).toEqual(expect.any(String));
  });
});

describe('expanded collections (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables)', () => {
  async function contosoId(): Promise<string> {
    return String((await list('alice', `accounts?${q({ $select: 'accountid', $filter: "name eq 'Contoso Ltd.'" })}`)).value[0]?.accountid);
  }

  it('single-level: no paging of expanded rows, and <nav>@odata.nextLink without paging information', async () => {
    const id = await contosoId();
    const all = await list('alice', `accounts(${id})/contact_customer_accounts?${q({ $select: 'fullname' })}`);
    expect(all.value.length).toBeGreaterThan(1);
    const r = await list('alice', `accounts?${q({ $select: 'name', $filter: `accountid eq ${id}`, $expand: 'contact_customer_accounts($select=fullname)' })}`, { Prefer: 'odata.maxpagesize=1' });
    const [acct] = r.value;
    expect((acct?.contact_customer_accounts as Rec[]).length).toBe(all.value.length);
    const link = acct?.['contact_customer_accounts@odata.nextLink'];
    expect(link).toBe(`${org.base}accounts(${id})/contact_customer_accounts?$select=fullname`);
    const followed = await list('alice', String(link));
    expect(followed.value.map((c) => c.contactid).sort()).toEqual((acct?.contact_customer_accounts as Rec[]).map((c) => c.contactid).sort());
  });

  it('single-level: the nextLink carries the expansion\'s $filter, $orderby and $top', async () => {
    const id = await contosoId();
    const r = await list('alice', `accounts?${q({ $select: 'name', $filter: `accountid eq ${id}`, $expand: "contact_customer_accounts($select=fullname;$filter=statecode eq 0;$orderby=fullname desc;$top=1)" })}`);
    const link = String(r.value[0]?.['contact_customer_accounts@odata.nextLink']);
    expect(link).toBe(`${org.base}accounts(${id})/contact_customer_accounts?$select=fullname&$filter=statecode%20eq%200&$orderby=fullname%20desc&$top=1`);
    expect((await list('alice', link)).value.map((c) => c.contactid)).toEqual((r.value[0]?.contact_customer_accounts as Rec[]).map((c) => c.contactid));
  });

  it('retrieving one record expands without a nextLink', async () => {
    const id = await contosoId();
    const r = await org.api<Rec>('alice', `accounts(${id})?${q({ $select: 'name', $expand: 'contact_customer_accounts($select=fullname)' })}`);
    expect((r.body.contact_customer_accounts as Rec[]).length).toBeGreaterThan(1);
    expect(r.body).not.toHaveProperty('contact_customer_accounts@odata.nextLink');
  });

  it('nested $expand: each expanded collection is paged at odata.maxpagesize and its nextLink pages on', async () => {
    const id = await contosoId();
    const expected = (await list('alice', `accounts(${id})/contact_customer_accounts?${q({ $select: 'fullname' })}`)).value.map((c) => String(c.contactid)).sort();
    const r = await list('alice', `accounts?${q({ $select: 'name', $filter: `accountid eq ${id}`, $expand: 'contact_customer_accounts($select=fullname;$expand=createdby($select=fullname))' })}`, { Prefer: 'odata.maxpagesize=1' });
    const first = r.value[0] as Rec;
    const contacts = first.contact_customer_accounts as Rec[];
    expect(contacts).toHaveLength(1);
    expect((contacts[0]?.createdby as Rec).fullname).toEqual(expect.any(String));
    let link = first['contact_customer_accounts@odata.nextLink'] as string | undefined;
    expect(link).toMatch(new RegExp(`^${org.base.replace(/[.]/g, '\\.')}accounts\\(${id}\\)/contact_customer_accounts\\?\\$select=fullname&\\$expand=createdby\\(\\$select%3Dfullname\\)&\\$skiptoken=`));
    const seen = contacts.map((c) => String(c.contactid));
    while (link) {
      const page: ODataList = await list('alice', link, { Prefer: 'odata.maxpagesize=1' });
      seen.push(...page.value.map((c) => String(c.contactid)));
      link = page['@odata.nextLink'];
    }
    expect(seen.sort()).toEqual(expected);
  });

  it('nested $expand: $top and $orderby inside an expansion are refused with 0x80060888', async () => {
    for (const option of ['$top=2', '$orderby=fullname']) {
      const r = await org.api<ODataError>('alice', `accounts?${q({ $select: 'name', $expand: `contact_customer_accounts($select=fullname;${option};$expand=createdby($select=fullname))` })}`);
      expect(r.status).toBe(400);
      expect(r.body.error).toEqual({ code: '0x80060888', message: EXPAND_ERROR });
      // Anywhere in the query: a nested $expand elsewhere makes a sibling collection's $top invalid too.
      const sibling = await org.api<ODataError>('alice', `accounts?${q({ $select: 'name', $expand: `contact_customer_accounts($select=fullname;${option}),primarycontactid($select=fullname;$expand=createdby($select=fullname))` })}`);
      expect(sibling.status).toBe(400);
      expect(sibling.body.error.message).toBe(EXPAND_ERROR);
    }
  });

  it('$filter inside the $expand of a single-valued navigation property is accepted: non-matching targets come back null', async () => {
    const rows = (await list('bob', `incidents?${q({ $select: 'title,_customerid_value', $expand: "customerid_account($select=name;$filter=name eq 'Contoso Ltd.')" })}`)).value;
    const matched = rows.filter((r) => r.customerid_account !== null);
    expectEvery(matched, (r) => expect((r.customerid_account as Rec).name).toBe('Contoso Ltd.'), 'cases of Contoso Ltd.');
    expect(rows.length).toBeGreaterThan(matched.length);
  });
});

describe('email: Pending Send until the mailbox takes it (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/email)', () => {
  async function draftTo(alias: 'alice' | 'bob'): Promise<string> {
    const [lead] = (await list('alice', `leads?${q({ $select: 'leadid', $filter: 'statecode eq 0 and emailaddress1 ne null', $top: '1' })}`)).value;
    return created(
      await org.api(alias, 'emails', {
        method: 'POST',
        body: { subject: `Draft ${randomUUID()}`, email_activity_parties: [{ 'partyid_lead@odata.bind': `/leads(${String(lead?.leadid)})`, participationtypemask: 2 }] },
      }),
    );
  }

  it('IssueSend=false just records it as sent: 3 Sent at once, nothing in the outbox', async () => {
    const id = await draftTo('alice');
    const before = org.emu.outbox.length;
    const r = await org.api('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: false } });
    expect(r.status, r.text).toBe(200);
    expect(org.emu.outbox).toHaveLength(before);
    const row = (await org.api<Rec>('alice', `emails(${id})?$select=statecode,statuscode,senton`)).body;
    expect(row).toMatchObject({ statecode: 1, statuscode: 3, senton: expect.any(String) });
  });

  it('IssueSend=true: 6 Pending Send in the outbox; deliverMail() makes it 3 Sent', async () => {
    const id = await draftTo('alice');
    await org.api('alice', `emails(${id})/Microsoft.Dynamics.CRM.SendEmail`, { method: 'POST', body: { IssueSend: true } });
    expect((await org.api<Rec>('alice', `emails(${id})?$select=statecode,statuscode`)).body).toMatchObject({ statecode: 1, statuscode: 6 });
    expect(org.emu.deliverMail().map((m) => m.activityId)).toContain(id);
    expect((await org.api<Rec>('alice', `emails(${id})?$select=statecode,statuscode,senton`)).body).toMatchObject({ statecode: 1, statuscode: 3, senton: expect.any(String) });
  });

  it('the option sets match the reference: Completed defaults to 2, and 1–8 carry their labels', async () => {
    const state = await org.api<Rec>('dana', "EntityDefinitions(LogicalName='email')/Attributes(LogicalName='statecode')/Microsoft.Dynamics.CRM.StateAttributeMetadata?$select=LogicalName&$expand=OptionSet");
    const states = ((state.body.OptionSet as Rec).Options as Rec[]).map((o) => [o.Value, o.DefaultStatus]);
    expect(states).toEqual([
      [0, 1],
      [1, 2],
      [2, 5],
    ]);
    const status = await org.api<Rec>('dana', "EntityDefinitions(LogicalName='email')/Attributes(LogicalName='statuscode')/Microsoft.Dynamics.CRM.StatusAttributeMetadata?$select=LogicalName&$expand=OptionSet");
    const labels = ((status.body.OptionSet as Rec).Options as Rec[]).map((o) => [o.Value, ((o.Label as Rec).UserLocalizedLabel as Rec).Label, o.State]);
    expect(labels).toEqual([
      [1, 'Draft', 0],
      [2, 'Completed', 1],
      [3, 'Sent', 1],
      [4, 'Received', 1],
      [5, 'Canceled', 2],
      [6, 'Pending Send', 1],
      [7, 'Sending', 1],
      [8, 'Failed', 0],
    ]);
  });
});

describe('owners: a user or a team under ownerid (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/principal)', () => {
  const team = LOCAL_TEAMS[0];
  const annotations = prefer('*');

  it('the seeded teams are readable through teams', async () => {
    const r = await list('alice', `teams?${q({ $select: 'name,_businessunitid_value', $orderby: 'name' })}`);
    expect(r.value.map((t) => [t.teamid, t.name])).toEqual(LOCAL_TEAMS.map((t) => [t.teamId, t.name]));
  });

  it('ownerid@odata.bind to /teams(<id>) makes a team the owner', async () => {
    const id = await created(await org.api('alice', 'leads', { method: 'POST', body: { subject: 'Team lead', lastname: 'Teamowned', 'ownerid@odata.bind': `/teams(${team?.teamId})` } }));
    const r = await org.api<Rec>('alice', `leads(${id})?$select=_ownerid_value`, { headers: annotations });
    expect(r.body).toMatchObject({
      _ownerid_value: team?.teamId,
      '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'team',
      '_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty': 'ownerid',
      [`_ownerid_value@${FORMATTED}`]: team?.name,
    });
    const expanded = await org.api<Rec>('alice', `leads(${id})?${q({ $select: 'subject', $expand: 'ownerid($select=fullname)' })}`);
    expect(expanded.body.ownerid).toMatchObject({ teamid: team?.teamId });
    const related = await org.api<Rec>('alice', `leads(${id})/ownerid?$select=name`);
    expect(related.status).toBe(200);
    expect(related.body).toMatchObject({ '@odata.context': `${org.base}$metadata#teams(name)/$entity`, teamid: team?.teamId, name: team?.name });
  });

  it('ownerid@odata.bind to /systemusers(<id>) makes a user the owner', async () => {
    const bob = user('bob').systemUserId;
    const id = await created(await org.api('dana', 'incidents', { method: 'POST', body: { title: 'Owned by Bob', 'customerid_account@odata.bind': `/accounts(${String((await list('dana', 'accounts?$select=accountid&$top=1')).value[0]?.accountid)})`, 'ownerid@odata.bind': `/systemusers(${bob})` } }));
    const r = await org.api<Rec>('dana', `incidents(${id})?$select=_ownerid_value`, { headers: annotations });
    expect(r.body).toMatchObject({ _ownerid_value: bob, '_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname': 'systemuser', '_ownerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty': 'ownerid' });
  });

  const undeclared = (nav: string) => `An undeclared property '${nav}' which only has property annotations in the payload but no property value was found in the payload.`;

  it('a wrong-case navigation name is undeclared (names are case-sensitive)', async () => {
    const r = await org.api<ODataError>('alice', 'leads', { method: 'POST', body: { subject: 'x', lastname: 'y', 'OwnerId@odata.bind': `/teams(${team?.teamId})` } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('0x80048d19');
    expect(r.body.error.message).toContain(undeclared('OwnerId'));
  });

  it("another table's navigation name is undeclared: parentcustomerid_account on a lead", async () => {
    const [acct] = (await list('alice', 'accounts?$select=accountid&$top=1')).value;
    const r = await org.api<ODataError>('alice', 'leads', { method: 'POST', body: { subject: 'x', lastname: 'y', 'parentcustomerid_account@odata.bind': `/accounts(${String(acct?.accountid)})` } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('0x80048d19');
    expect(r.body.error.message).toContain(undeclared('parentcustomerid_account'));
  });

  it('ownerid bound to something that is neither a user nor a team is refused', async () => {
    const [acct] = (await list('alice', 'accounts?$select=accountid&$top=1')).value;
    const r = await org.api<ODataError>('alice', 'leads', { method: 'POST', body: { subject: 'x', lastname: 'y', 'ownerid@odata.bind': `/accounts(${String(acct?.accountid)})` } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('0x80048d19');
  });

  it('ManyToOneRelationships: one owner_<set> relationship to owner for ownerid; Targets list systemuser and team', async () => {
    for (const [table, schema] of [
      ['lead', 'owner_leads'],
      ['incident', 'owner_incidents'],
      ['account', 'owner_accounts'],
    ] as const) {
      const rels = await list('dana', `EntityDefinitions(LogicalName='${table}')/ManyToOneRelationships`);
      const owner = rels.value.filter((r) => r.ReferencingAttribute === 'ownerid');
      expect(owner.map((r) => [r.SchemaName, r.ReferencedEntity, r.ReferencedAttribute, r.ReferencingEntityNavigationPropertyName])).toEqual([[schema, 'owner', 'ownerid', 'ownerid']]);
    }
    const attr = await org.api<Rec>('dana', "EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='ownerid')");
    expect(attr.body).toMatchObject({ AttributeType: 'Owner', Targets: ['systemuser', 'team'] });
  });
});

describe("formatted values in the caller's language (usersettings.uilanguageid)", () => {
  it('greta is a member of the organisation with German as her UI language', async () => {
    const greta = user('greta');
    const who = await org.api<Rec>('greta', 'WhoAmI');
    expect(who.body.UserId).toBe(greta.systemUserId);
    const settings = await org.api<Rec>('greta', `usersettingscollection(${greta.systemUserId})?$select=uilanguageid,localeid`);
    expect(settings.body).toMatchObject({ systemuserid: greta.systemUserId, uilanguageid: 1031, localeid: 1033 });
  });

  it('case state, status and priority come in German for greta and in English for bob; the numbers are the same', async () => {
    const path = `incidents?${q({ $select: 'statecode,statuscode,prioritycode,isescalated', $filter: 'statecode eq 1 or (statecode eq 0 and prioritycode eq 1)', $orderby: 'incidentid' })}`;
    const de = (await list('greta', path, prefer(FORMATTED))).value;
    const en = (await list('bob', path, prefer(FORMATTED))).value;
    expect(de.map((r) => [r.statecode, r.statuscode, r.prioritycode])).toEqual(en.map((r) => [r.statecode, r.statuscode, r.prioritycode]));
    const german: Record<number, string> = { 0: 'Aktiv', 1: 'Gelöst' };
    const english: Record<number, string> = { 0: 'Active', 1: 'Resolved' };
    expectEvery(de, (r) => expect(r[`statecode@${FORMATTED}`]).toBe(german[Number(r.statecode)]), 'cases for greta');
    expectEvery(en, (r) => expect(r[`statecode@${FORMATTED}`]).toBe(english[Number(r.statecode)]), 'cases for bob');
    expect(de.map((r) => r[`statuscode@${FORMATTED}`])).toEqual(expect.arrayContaining(['Problem gelöst']));
    expect(de.filter((r) => r.prioritycode === 1).map((r) => r[`prioritycode@${FORMATTED}`])).toEqual(expect.arrayContaining(['Hoch']));
    expect(de.map((r) => r[`isescalated@${FORMATTED}`])).toEqual(expect.arrayContaining(['Ja', 'Nein']));
  });

  it('lead and email states and statuses come in German', async () => {
    const leads = (await list('greta', `leads?${q({ $select: 'statecode,statuscode', $filter: 'statecode eq 0 and statuscode eq 1', $top: '1' })}`, prefer(FORMATTED))).value;
    expect(leads[0]).toMatchObject({ [`statecode@${FORMATTED}`]: 'Offen', [`statuscode@${FORMATTED}`]: 'Neu' });
    const emails = (await list('greta', `emails?${q({ $select: 'statecode,statuscode,directioncode', $filter: 'statuscode eq 3', $top: '1' })}`, prefer(FORMATTED))).value;
    expect(emails[0]).toMatchObject({ [`statecode@${FORMATTED}`]: 'Abgeschlossen', [`statuscode@${FORMATTED}`]: 'Gesendet', [`directioncode@${FORMATTED}`]: 'Ausgehend' });
  });

  it('SQL label columns are localized too', async () => {
    const r = await list('greta', `incidents?sql=${encodeURIComponent('SELECT i.title, i.statecodename FROM incident AS i WHERE i.statecode = 1')}`, { Prefer: 'odata.maxpagesize=1' });
    expect(r.value[0]?.statecodename).toBe('Gelöst');
  });

  it('option set metadata: LocalizedLabels hold 1033 and 1031; UserLocalizedLabel is the caller\'s language', async () => {
    const path = "EntityDefinitions(LogicalName='incident')/Attributes(LogicalName='statecode')/Microsoft.Dynamics.CRM.StateAttributeMetadata?$select=LogicalName&$expand=OptionSet";
    const resolved = (body: Rec) => ((body.OptionSet as Rec).Options as Rec[]).find((o) => o.Value === 1)?.Label as Rec;
    const de = resolved((await org.api<Rec>('greta', path)).body);
    expect((de.LocalizedLabels as Rec[]).map((l) => [l.LanguageCode, l.Label])).toEqual([
      [1033, 'Resolved'],
      [1031, 'Gelöst'],
    ]);
    expect(de.UserLocalizedLabel).toMatchObject({ LanguageCode: 1031, Label: 'Gelöst' });
    expect(resolved((await org.api<Rec>('bob', path)).body).UserLocalizedLabel).toMatchObject({ LanguageCode: 1033, Label: 'Resolved' });
  });
});

describe('conditional retrieval (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api)', () => {
  it('If-None-Match never answers 304 when the query has $expand or annotations are requested', async () => {
    const [acct] = (await list('alice', 'accounts?$select=accountid&$top=1')).value;
    const id = String(acct?.accountid);
    const tag = (await org.api<Rec>('alice', `accounts(${id})?$select=name`)).body['@odata.etag'] as string;
    expect((await org.api('alice', `accounts(${id})?$select=name`, { headers: { 'If-None-Match': tag } })).status).toBe(304);
    expect((await org.api('alice', `accounts(${id})?$select=name&$expand=primarycontactid($select=fullname)`, { headers: { 'If-None-Match': tag } })).status).toBe(200);
    expect((await org.api('alice', `accounts(${id})?$select=name`, { headers: { 'If-None-Match': tag, ...prefer(FORMATTED) } })).status).toBe(200);
  });
});

describe('query functions (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions)', () => {
  it('refuses not around a query function', async () => {
    const r = await org.api<ODataError>('alice', `accounts?${q({ $select: 'name', $filter: "not Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)" })}`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('Not operator along with the Custom Named Condition operators is not allowed');
    const ok = await org.api('alice', `accounts?${q({ $select: 'name', $filter: "Microsoft.Dynamics.CRM.OlderThanXDays(PropertyName='createdon',PropertyValue=7)" })}`);
    expect(ok.status).toBe(200);
  });
});
