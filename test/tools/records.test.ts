import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findLocalUser } from '../../src/emulator/users.js';
import { create, dataverseAs, type WebApi } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

/** The generic record tools (records tool set) on sales-cx, against the emulator. One server for the file. */
let server: TestServer;
let alice: TestClient;
let sam: TestClient;
let modern: TestClient;
let api: WebApi;
let accountId: string;
let contactId: string;
/** An account with a known timeline: 3 tasks and 2 notes created at the same (pinned) instant, 1 later. */
let timelineAccount: string;
let samUserId: string;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  [alice, sam, modern] = await Promise.all([connect(server, 'alice', 'sales-cx'), connect(server, 'sam', 'sales-cx'), connect(server, 'alice', 'sales-cx', 'modern')]);
  api = dataverseAs(server, 'alice');
  accountId = await create(api, 'accounts', { name: 'Records Fixture Ltd', telephone1: '+1 555 0100', industrycode: 7, revenue: 125000 });
  contactId = await create(api, 'contacts', { firstname: 'Rhea', lastname: 'Records', emailaddress1: 'rhea@records.example', 'parentcustomerid_account@odata.bind': `/accounts(${accountId})` });
  timelineAccount = await create(api, 'accounts', { name: 'Timeline Holdings' });
  for (const n of [1, 2, 3]) await create(api, 'tasks', { subject: `Timeline task ${n}`, 'regardingobjectid_account_task@odata.bind': `/accounts(${timelineAccount})`, scheduledend: '2020-01-01T00:00:00Z' });
  for (const n of [1, 2]) await create(api, 'annotations', { subject: `Timeline note ${n}`, notetext: `Observation ${n}`, 'objectid_account@odata.bind': `/accounts(${timelineAccount})` });
  server.clock.advance(60_000);
  await create(api, 'phonecalls', { subject: 'Timeline call', 'regardingobjectid_account_phonecall@odata.bind': `/accounts(${timelineAccount})` });
  samUserId = (await api<{ value: Array<{ systemuserid: string }> }>(`systemusers?$select=systemuserid&$filter=azureactivedirectoryobjectid eq ${findLocalUser('sam')!.objectId}`)).body.value[0]!.systemuserid;
}, 60_000);
afterAll(async () => {
  for (const c of [alice, sam, modern]) await c?.close();
  await server?.close();
});

const ask = (r: { data: Record<string, unknown>; text: string; isError?: boolean }) => {
  expect(r.isError, r.text).toBeFalsy();
  expect(r.data['status']).toBe('confirmation_required');
  expect(r.text).toContain('Nothing has been changed yet');
};

describe('reads', () => {
  const cases: Array<[string, string, () => Record<string, unknown>, (d: Record<string, unknown>, text: string) => void]> = [
    ['get_entity_record', 'every readable column, labels beside values', () => ({ entityLogicalName: 'account', recordId: accountId }), (d) => {
      const r = d['record'] as { name: string; fields: Record<string, unknown>; labels: Record<string, string> };
      expect(r.name).toBe('Records Fixture Ltd');
      expect(r.fields).toMatchObject({ telephone1: '+1 555 0100', industrycode: 7, revenue: 125000 });
      expect(r.labels['industrycode']).toBe('Consulting');
      expect(r.fields['ownerid']).toMatchObject({ table: 'systemuser' });
    }],
    ['get_entity_record', 'named columns, Dataverse MCP aliases', () => ({ table_name: 'contact', record_id: contactId, columns: ['fullname', '_parentcustomerid_value'] }), (d) => {
      const r = d['record'] as { fields: Record<string, unknown> };
      expect(Object.keys(r.fields).sort()).toEqual(['contactid', 'fullname', 'parentcustomerid']);
      expect(r.fields['parentcustomerid']).toMatchObject({ id: accountId, name: 'Records Fixture Ltd', table: 'account' });
    }],
    ['list_entity_records', 'typed conditions', () => ({ entityLogicalName: 'contact', filters: [{ column: 'parentcustomerid', value: accountId }, { column: 'emailaddress1', operator: 'contains', value: "records.example' or 1 eq 1" }], columns: ['fullname'] }), (d) => {
      expect(d['records']).toEqual([]);
    }],
    ['list_entity_records', 'choice by label, ordered by name', () => ({ entityLogicalName: 'account', filters: [{ column: 'industrycode', value: 'consulting' }], orderBy: 'name', top: 5 }), (d) => {
      const names = (d['records'] as Array<{ name: string }>).map((r) => r.name);
      expect(names).toContain('Records Fixture Ltd');
      expect([...names].sort((a, b) => a.localeCompare(b))).toEqual(names);
    }],
    ['search_entities', 'by e-mail across the default tables', () => ({ searchTerm: 'rhea@records' }), (d) => {
      expect(d['results']).toEqual([expect.objectContaining({ table: 'contact', id: contactId, name: 'Rhea Records', matched: 'emailaddress1' })]);
      expect(d['searched']).toEqual(['account', 'contact', 'lead', 'opportunity']);
    }],
    ['search_entities', 'one table', () => ({ searchTerm: 'Records Fixture', entityLogicalNames: ['account'] }), (d) => expect(d['results']).toEqual([expect.objectContaining({ id: accountId })])],
    ['search_lookup_records', 'a customer lookup: account and contact targets', () => ({ entityLogicalName: 'opportunity', columnName: 'customerid', searchTerm: 'Records' }), (d) => {
      const values = (d['candidates'] as Array<{ value: string }>).map((c) => c.value);
      expect(values).toEqual(expect.arrayContaining([`account:${accountId}`, `contact:${contactId}`]));
    }],
    ['search_lookup_records', 'an owner lookup finds users', () => ({ entityLogicalName: 'lead', columnName: 'ownerid', searchTerm: 'Sam' }), (d) => expect((d['candidates'] as Array<{ table: string }>).every((c) => c.table === 'systemuser')).toBe(true)],
    ['get_activity_timeline', 'activities and notes, newest first', () => ({ entityLogicalName: 'account', recordId: timelineAccount, top: 10 }), (d) => {
      const items = d['items'] as Array<{ kind: string; subject: string; open?: boolean }>;
      expect(items).toHaveLength(6);
      expect(items[0]).toMatchObject({ kind: 'activity', subject: 'Timeline call', open: true });
      expect(items.filter((i) => i.kind === 'note')).toHaveLength(2);
      expect(d['nextCursor']).toBeUndefined();
    }],
    ['get_activity_timeline', 'notes only', () => ({ entityLogicalName: 'account', recordId: timelineAccount, include: 'notes' }), (d) => expect((d['items'] as Array<{ kind: string }>).map((i) => i.kind)).toEqual(['note', 'note'])],
    ['summarize_entity_timeline', 'grounded brief', () => ({ entityLogicalName: 'account', recordId: timelineAccount }), (d) => {
      expect(d['summary']).toContain('4 activities (3 task, 1 phonecall) and 2 note(s)');
      expect(d['summary']).toMatch(/4 open activities, 3 overdue/);
      expect((d['sentences'] as Array<{ fields: string[] }>).every((s) => s.fields.length > 0)).toBe(true);
      expect(d['source']).toBe('embedded-grounded-generator');
    }],
  ];
  it.each(cases)('%s: %s', async (tool, _name, args, check) => {
    const r = await alice.call(tool, args());
    expect(r.isError, r.text).toBeFalsy();
    check(r.data, r.text);
  });

  it('pages a timeline whose entries share a timestamp without losing or repeating one', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await modern.call('get_activity_timeline', { entityLogicalName: 'account', recordId: timelineAccount, top: 2, ...(cursor && { cursor }) });
      expect(r.isError, r.text).toBeFalsy();
      seen.push(...(r.data['items'] as Array<{ id: string }>).map((i) => i.id));
      cursor = r.data['nextCursor'] as string | undefined;
    } while (cursor && ++pages < 10);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });

  it('pages a list with a cursor bound to its filters', async () => {
    const first = await alice.call('list_entity_records', { entityLogicalName: 'account', top: 3, columns: ['name'] });
    expect(first.isError, first.text).toBeFalsy();
    const cursor = first.data['nextCursor'] as string;
    expect(cursor).toBeTruthy();
    const second = await alice.call('list_entity_records', { entityLogicalName: 'account', top: 3, columns: ['name'], cursor });
    const ids = (r: typeof first) => (r.data['records'] as Array<{ id: string }>).map((x) => x.id);
    expect(ids(second).some((id) => ids(first).includes(id))).toBe(false);
    const other = await alice.call('list_entity_records', { entityLogicalName: 'contact', top: 3, cursor });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/other filters/);
  });

  const errors: Array<[string, Record<string, unknown>, RegExp]> = [
    ['get_entity_record', { entityLogicalName: 'incident', recordId: '00000000-0000-4000-8000-000000000000' }, /not available on this agent/],
    ['get_entity_record', { entityLogicalName: 'account', recordId: '00000000-0000-4000-8000-000000000000' }, /^No Account with id/],
    ['get_entity_record', { entityLogicalName: 'account', recordId: 'nope' }, /must be a GUID/],
    ['get_entity_record', { entityLogicalName: 'account', recordId: '00000000-0000-4000-8000-000000000000', columns: ['name', 'nosuch'] }, /No such readable column on account: nosuch/],
    ['list_entity_records', { entityLogicalName: 'account', filters: [{ column: 'revenue', value: 'lots' }] }, /revenue: "lots" is not a number/],
    ['list_entity_records', { entityLogicalName: 'account', filters: [{ column: 'industrycode', value: 'Rocketry' }] }, /industrycode: must be one of 1 \(Accounting\)/],
    ['list_entity_records', { entityLogicalName: 'account', filters: [{ column: 'name);drop', value: 'x' }] }, /No such column to filter on account/],
    ['list_entity_records', { entityLogicalName: 'account', orderBy: 'nosuch' }, /Cannot sort account by nosuch/],
    ['search_lookup_records', { entityLogicalName: 'account', columnName: 'name', searchTerm: 'x' }, /is not a lookup column/],
    ['search_entities', { searchTerm: 'x' }, /searchTerm/],
  ];
  it.each(errors)('%s refuses %j with a clear message', async (tool, args, message) => {
    const r = await alice.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/at .*\.ts:|127\.0\.0\.1|Bearer/);
  });
});

describe('every records write asks first and changes nothing until confirmed', () => {
  const noteCount = async (id: string) => (await api<{ value: unknown[] }>(`annotations?$select=annotationid&$filter=_objectid_value eq ${id}`)).body.value.length;
  const writes: Array<[string, () => Promise<Record<string, unknown>>, (a: Record<string, unknown>) => Promise<void>]> = [
    ['update_entity_record', async () => ({ entityLogicalName: 'account', recordId: accountId, fields: { telephone1: '+1 555 0199' } }), async () => expect((await api<{ telephone1: string }>(`accounts(${accountId})?$select=telephone1`)).body.telephone1).toBe('+1 555 0100')],
    ['create_note', async () => ({ entityLogicalName: 'contact', recordId: contactId, title: 'Asked', text: 'Not yet.' }), async () => expect(await noteCount(contactId)).toBe(0)],
    ['update_note', async () => ({ noteId: await create(api, 'annotations', { subject: 'Keep', notetext: 'Original', 'objectid_account@odata.bind': `/accounts(${accountId})` }), text: 'Changed' }), async (a) => expect((await api<{ notetext: string }>(`annotations(${String(a['noteId'])})?$select=notetext`)).body.notetext).toBe('Original')],
    ['delete_entity_record', async () => ({ entityLogicalName: 'annotation', recordId: await create(api, 'annotations', { subject: 'Stay', 'objectid_account@odata.bind': `/accounts(${accountId})` }) }), async (a) => expect((await api(`annotations(${String(a['recordId'])})?$select=subject`)).status).toBe(200)],
    ['create_activity', async () => ({ activityType: 'task', subject: 'Asked task', regardingEntityLogicalName: 'contact', regardingRecordId: contactId }), async () => expect((await api<{ value: unknown[] }>(`tasks?$select=subject&$filter=subject eq 'Asked task'`)).body.value).toEqual([])],
    ['assign_entity', async () => ({ entityLogicalName: 'contact', recordId: contactId, ownerId: samUserId }), async () => expect((await api<{ _ownerid_value: string }>(`contacts(${contactId})?$select=_ownerid_value`)).body._ownerid_value).not.toBe(samUserId)],
  ];
  it.each(writes)('%s', async (tool, args, unchanged) => {
    const a = await args();
    ask(await alice.call(tool, a));
    ask(await modern.call(tool, a));
    await unchanged(a);
  });
});

describe('confirmed writes', () => {
  it('updates a record, with choices by label, and reads it back', async () => {
    const done = resultOf<{ record: Record<string, unknown> }>(await alice.callConfirmed('update_entity_record', { entityLogicalName: 'account', recordId: accountId, fields: { telephone1: '+1 555 0142', industrycode: 'Legal Services' } }));
    expect(done.record).toMatchObject({ telephone1: '+1 555 0142', industrycode: 21 });
  });

  it('adds a note to a record, edits it, and deletes it (a note may be deleted on this agent)', async () => {
    const created = resultOf<{ noteId: string }>(await alice.callConfirmed('create_note', { entityLogicalName: 'contact', recordId: contactId, title: 'Call back', text: 'Wants a demo on Friday.' }));
    const note = (await api<{ subject: string; _objectid_value: string }>(`annotations(${created.noteId})?$select=subject,_objectid_value`)).body;
    expect(note).toMatchObject({ subject: 'Call back', _objectid_value: contactId });
    const preview = await alice.call('update_note', { noteId: created.noteId, text: 'Demo moved to Monday.' });
    expect(JSON.stringify(preview.data)).toContain('Wants a demo on Friday.');
    resultOf(await alice.callConfirmed('update_note', { noteId: created.noteId, text: 'Demo moved to Monday.' }));
    expect((await api<{ notetext: string }>(`annotations(${created.noteId})?$select=notetext`)).body.notetext).toBe('Demo moved to Monday.');
    resultOf(await alice.callConfirmed('delete_entity_record', { entityLogicalName: 'annotation', recordId: created.noteId }));
    expect((await api(`annotations(${created.noteId})?$select=subject`)).status).toBe(404);
  });

  it('logs a phone call regarding a contact; it shows on the contact\'s timeline', async () => {
    const done = resultOf<{ activityId: string }>(await alice.callConfirmed('create_activity', { activityType: 'phonecall', subject: 'Intro call', regardingEntityLogicalName: 'contact', regardingRecordId: contactId, phoneNumber: '+1 555 0177', priority: 'high' }));
    const call = (await api<{ prioritycode: number; phonenumber: string; directioncode: boolean }>(`phonecalls(${done.activityId})?$select=prioritycode,phonenumber,directioncode`)).body;
    expect(call).toMatchObject({ prioritycode: 2, phonenumber: '+1 555 0177', directioncode: true });
    const timeline = await alice.call('get_activity_timeline', { entityLogicalName: 'contact', recordId: contactId });
    expect((timeline.data['items'] as Array<{ id: string }>).map((i) => i.id)).toContain(done.activityId);
  });

  it('assigns a record to another user', async () => {
    const lead = await create(api, 'leads', { lastname: 'Assignable', companyname: 'Assign Co' });
    const done = resultOf<{ owner: { name: string } }>(await alice.callConfirmed('assign_entity', { entityLogicalName: 'lead', recordId: lead, ownerId: samUserId }));
    expect(done.owner.name).toMatch(/Sam/);
    expect((await api<{ _ownerid_value: string }>(`leads(${lead})?$select=_ownerid_value`)).body._ownerid_value).toBe(samUserId);
    const again = await alice.call('assign_entity', { entityLogicalName: 'lead', recordId: lead, ownerId: samUserId });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already owned by/);
  });

  const refusals: Array<[string, () => TestClient, () => Record<string, unknown> | Promise<Record<string, unknown>>, RegExp]> = [
    ['delete_entity_record of an account (notes and activities only)', () => alice, () => ({ entityLogicalName: 'account', recordId: accountId }), /deletes only notes \(annotation\) and activities/],
    ['delete_entity_record without the Delete privilege', () => sam, async () => ({ entityLogicalName: 'task', recordId: (await api<{ value: Array<{ activityid: string }> }>(`tasks?$select=activityid&$top=1`)).body.value[0]!.activityid }), /lacks the prvDeleteActivity privilege/],
    ['create_activity half a regarding', () => alice, () => ({ activityType: 'task', subject: 'x', regardingRecordId: contactId }), /Give both regardingEntityLogicalName and regardingRecordId/],
    ['create_note on a table the agent does not allow', () => alice, () => ({ entityLogicalName: 'incident', recordId: accountId, title: 'x', text: 'y' }), /not available on this agent/],
    ['update_entity_record with a read-only column', () => alice, () => ({ entityLogicalName: 'account', recordId: accountId, fields: { createdon: '2020-01-01' } }), /createdon: cannot be set on update/],
    ['update_note with nothing to change', () => alice, () => ({ noteId: accountId }), /Nothing to change/],
  ];
  it.each(refusals)('refuses %s before asking', async (_name, who, args, message) => {
    const r = await who().call(_name.split(' ')[0]!, await args());
    expect(r.isError, r.text).toBe(true);
    expect(r.text).toMatch(message);
  });
});
