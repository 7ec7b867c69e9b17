import { describe, expect, it } from 'vitest';

import { SERVICE_DESK_DAYS, SERVICE_DESK_IDS } from '../../src/emulator/seed/serviceDesk.js';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { ANCHOR, q, user, useOrg } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

const tier1 = SERVICE_DESK_IDS.queue('tier1');
const waitingItems = async (queueId = tier1) =>
  (await org.api<ODataList>('bob', `queueitems?${q({ $select: 'queueitemid,title,_objectid_value,_workerid_value', $filter: `_queueid_value eq ${queueId} and statecode eq 0 and _workerid_value eq null`, $orderby: 'enteredon asc' })}`)).body.value;

describe('queues and queue items', () => {
  it('seeds public queues whose items point at active cases through the polymorphic objectid', async () => {
    const queues = (await org.api<ODataList>('bob', `queues?${q({ $select: 'name,queueviewtype', $orderby: 'name' })}`)).body.value;
    expect(queues.map((x) => x.name)).toEqual(['Billing', 'Escalations', 'Tier 1 Support']);
    const items = await waitingItems();
    expect(items.length).toBeGreaterThan(3);
    const r = await org.api<Rec>('bob', `queueitems(${String(items[0]!.queueitemid)})?${q({ $select: 'title,_objectid_value', $expand: 'objectid_incident($select=incidentid,title,statecode)' })}`, {
      headers: { Prefer: 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"' },
    });
    expect(r.status, r.text).toBe(200);
    const c = r.body.objectid_incident as Rec;
    expect(c.statecode).toBe(0);
    expect(c.title).toBe(r.body.title);
    expect(c.incidentid).toBe(r.body._objectid_value);
    expect(r.body['_objectid_value@Microsoft.Dynamics.CRM.lookuplogicalname']).toBe('incident');
  });

  it('PickFromQueue sets the worker and stamps when; RemoveQueueItem deactivates; ReleaseToQueue clears the worker', async () => {
    const [a, b] = await waitingItems();
    const bob = user('bob').systemUserId;
    const pick = (id: string, remove: boolean) =>
      org.api('bob', `queueitems(${id})/Microsoft.Dynamics.CRM.PickFromQueue`, { method: 'POST', body: { SystemUser: { '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: bob }, RemoveQueueItem: remove } });
    const picked = await pick(String(a!.queueitemid), false);
    expect(picked.status, picked.text).toBe(204);
    const after = (await org.api<Rec>('bob', `queueitems(${String(a!.queueitemid)})?$select=_workerid_value,workeridmodifiedon,statecode`)).body;
    expect(after._workerid_value).toBe(bob);
    expect(after.workeridmodifiedon).toBeTruthy();
    expect(after.statecode).toBe(0);
    const released = await org.api('bob', `queueitems(${String(a!.queueitemid)})/Microsoft.Dynamics.CRM.ReleaseToQueue`, { method: 'POST', body: {} });
    expect(released.status, released.text).toBe(204);
    expect((await org.api<Rec>('bob', `queueitems(${String(a!.queueitemid)})?$select=_workerid_value`)).body._workerid_value).toBeNull();

    expect((await pick(String(b!.queueitemid), true)).status).toBe(204);
    expect((await org.api<Rec>('bob', `queueitems(${String(b!.queueitemid)})?$select=statecode,statuscode`)).body).toMatchObject({ statecode: 1, statuscode: 2 });
    // An inactive item cannot be picked again.
    const again = await pick(String(b!.queueitemid), false);
    expect(again.status).toBe(400);
    expect((again.body as unknown as ODataError).error.message).toMatch(/inactive/);
  });

  it('PickFromQueue refuses missing parameters, a wrong entity type, GET, and users without queue item privileges', async () => {
    const [a] = await waitingItems();
    const path = `queueitems(${String(a!.queueitemid)})/Microsoft.Dynamics.CRM.PickFromQueue`;
    const missing = await org.api('bob', path, { method: 'POST', body: { RemoveQueueItem: false } });
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/SystemUser/);
    const team = await org.api('bob', path, { method: 'POST', body: { SystemUser: { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: user('bob').systemUserId }, RemoveQueueItem: false } });
    expect(team.status).toBe(400);
    expect((await org.api('bob', path)).status).toBe(404);
    const sam = await org.api('sam', path, { method: 'POST', body: { SystemUser: { '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: user('sam').systemUserId }, RemoveQueueItem: false } });
    expect(sam.status).toBe(403);
    expect(sam.text).toMatch(/prvReadQueueItem/);
  });

  it('AddToQueue moves a case to another queue (one active item per record) and returns its QueueItemId', async () => {
    const [a] = await waitingItems();
    const caseId = String(a!.objectid ?? a!._objectid_value);
    const billing = SERVICE_DESK_IDS.queue('billing');
    const r = await org.api<Rec>('bob', `queues(${billing})/Microsoft.Dynamics.CRM.AddToQueue`, { method: 'POST', body: { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.incident', incidentid: caseId } } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.QueueItemId).toBe(a!.queueitemid);
    const active = (await org.api<ODataList>('bob', `queueitems?${q({ $select: '_queueid_value', $filter: `_objectid_value eq ${caseId} and statecode eq 0` })}`)).body.value;
    expect(active).toEqual([expect.objectContaining({ _queueid_value: billing })]);
    const bad = await org.api('bob', `queues(${billing})/Microsoft.Dynamics.CRM.AddToQueue`, { method: 'POST', body: { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: caseId } } });
    expect(bad.status).toBe(400);
  });
});

describe('SLA KPI instances', () => {
  it('the active cases of the first month of the desk have a first-response and a resolve-by KPI whose statuses follow their times; older ones none', async () => {
    const since = new Date(ANCHOR.getTime() - SERVICE_DESK_DAYS * 86_400_000).toISOString();
    const rows = (
      await org.api<ODataList>('bob', `incidents?${q({ $select: 'title,createdon', $filter: 'statecode eq 0', $expand: 'resolvebykpiid($select=status,failuretime,warningtime),firstresponsebykpiid($select=status,succeededon)', $top: '300' })}`)
    ).body.value;
    const recent = rows.filter((r) => String(r.createdon) >= since);
    expect(recent.length).toBeGreaterThan(10);
    const statuses = new Set<number>();
    for (const r of rows) {
      const k = r.resolvebykpiid as Rec | null;
      if (String(r.createdon) < since) {
        expect(k, String(r.title)).toBeNull();
        continue;
      }
      expect(k, String(r.title)).toBeTruthy();
      statuses.add(Number(k!.status));
      const failure = new Date(String(k!.failuretime));
      const warning = new Date(String(k!.warningtime));
      expect(Number(k!.status)).toBe(ANCHOR >= failure ? 1 : ANCHOR >= warning ? 2 : 0);
      expect(r.firstresponsebykpiid).toBeTruthy();
    }
    // The sample has cases on both sides of their SLA.
    expect(statuses.has(1)).toBe(true);
    expect(statuses.has(0) || statuses.has(2)).toBe(true);
  });

  it('a filter on the resolve-by KPI finds exactly the noncompliant cases; sellers cannot read KPIs', async () => {
    const r = await org.api<ODataList>('bob', `incidents?${q({ $select: 'title', $filter: 'statecode eq 0 and resolvebykpiid/status eq 1', $expand: 'resolvebykpiid($select=status)' })}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.value.length).toBeGreaterThan(0);
    expect(r.body.value.every((x) => (x.resolvebykpiid as Rec).status === 1)).toBe(true);
    const sam = await org.api('sam', `slakpiinstances?$select=name&$top=1`);
    expect(sam.status).toBe(403);
  });
});

describe('InstantiateTemplate', () => {
  it('fills data fields from the case, the contact it looks up and the calling user, and saves nothing', async () => {
    const c = (await org.api<ODataList>('bob', `incidents?${q({ $select: 'incidentid,ticketnumber,title,_primarycontactid_value', $filter: 'statecode eq 0 and _primarycontactid_value ne null', $top: '1' })}`)).body.value[0]!;
    const contact = (await org.api<Rec>('bob', `contacts(${String(c._primarycontactid_value)})?$select=firstname`)).body;
    const before = (await org.api<ODataList>('bob', `emails?$select=activityid&$count=true&$top=1`)).body['@odata.count'];
    expect(typeof before).toBe('number');
    const r = await org.api<ODataList>('bob', 'InstantiateTemplate', { method: 'POST', body: { TemplateId: SERVICE_DESK_IDS.template('acknowledge'), ObjectType: 'incident', ObjectId: String(c.incidentid) } });
    expect(r.status, r.text).toBe(200);
    const email = r.body.value[0]!;
    expect(email.subject).toBe(`We received your request: ${String(c.ticketnumber)}`);
    expect(String(email.description)).toContain(`Hello ${String(contact.firstname)},`);
    expect(String(email.description)).toContain(String(c.title));
    expect(String(email.description)).toContain(user('bob').fullName);
    expect((await org.api<ODataList>('bob', `emails?$select=activityid&$count=true&$top=1`)).body['@odata.count']).toBe(before);
  });

  it('refuses a template of another table, an unknown template and a malformed id', async () => {
    const c = (await org.api<ODataList>('bob', `incidents?$select=incidentid&$top=1`)).body.value[0]!;
    const post = (body: Rec) => org.api('bob', 'InstantiateTemplate', { method: 'POST', body });
    const lead = await post({ TemplateId: SERVICE_DESK_IDS.template('lead-intro'), ObjectType: 'incident', ObjectId: String(c.incidentid) });
    expect(lead.status).toBe(400);
    expect(lead.text).toMatch(/for lead records/);
    expect((await post({ TemplateId: '00000000-0000-0000-0000-000000000001', ObjectType: 'incident', ObjectId: String(c.incidentid) })).status).toBe(404);
    expect((await post({ TemplateId: 'nope', ObjectType: 'incident', ObjectId: String(c.incidentid) })).status).toBe(400);
  });
});
