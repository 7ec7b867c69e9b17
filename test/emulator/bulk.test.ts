import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg } from './helpers.js';

let org: TestOrg;
useOrg((o) => (org = o));

const LEAD = 'Microsoft.Dynamics.CRM.lead';
const lead = (n: string, extra: Record<string, unknown> = {}) => ({ '@odata.type': LEAD, firstname: 'Bulk', lastname: n, subject: `Bulk ${n}`, ...extra });
const countOf = async (filter: string) => (await org.api<ODataList>('dana', `leads?${q({ $select: 'leadid', $filter: filter })}`)).body.value.length;

/** CreateMultiple / UpdateMultiple (webapi/reference/createmultiple, updatemultiple; bulk-operations). */
describe('CreateMultiple', () => {
  it('creates every target in one request and answers 200 with their Ids in order', async () => {
    const r = await org.api<{ '@odata.context': string; Ids: string[] }>('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', {
      method: 'POST',
      body: { Targets: [lead('Ada'), lead('Grace'), lead('Edsger')] },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body['@odata.context']).toMatch(/\$metadata#Microsoft\.Dynamics\.CRM\.CreateMultipleResponse$/);
    expect(r.body.Ids).toHaveLength(3);
    const first = await org.api<Record<string, unknown>>('alice', `leads(${r.body.Ids[0]})?$select=lastname`);
    expect(first.body['lastname']).toBe('Ada');
  });

  const refused: Array<[string, unknown, number, RegExp]> = [
    ['without Targets', {}, 400, /missing parameters are: Targets/],
    ['an unknown parameter', { Targets: [lead('X')], Extra: 1 }, 400, /'Extra' .* not a valid parameter/],
    ['Targets that is not a collection', { Targets: lead('X') }, 400, /must be a collection/],
    ['an empty Targets', { Targets: [] }, 400, /contains no records/],
    ['an item without @odata.type', { Targets: [{ lastname: 'NoType' }] }, 400, /no '@odata.type'/],
    ['an item of another table', { Targets: [lead('Ok'), { '@odata.type': 'Microsoft.Dynamics.CRM.contact', lastname: 'Other' }] }, 400, /not assignable to the expected type 'Microsoft\.Dynamics\.CRM\.lead'/],
  ];
  it.each(refused)('refuses %s', async (_name, body, status, message) => {
    const r = await org.api<ODataError>('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', { method: 'POST', body });
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
  });

  it('is all or nothing: one bad record rolls the others back', async () => {
    const tag = randomUUID().slice(0, 8);
    const r = await org.api<ODataError>('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', {
      method: 'POST',
      body: { Targets: [lead(`${tag}-1`), lead(`${tag}-2`, { leadsourcecode: 999 }), lead(`${tag}-3`)] },
    });
    expect(r.status).toBe(400);
    expect(await countOf(`startswith(lastname,'${tag}')`)).toBe(0);
    const dup = randomUUID();
    const twice = await org.api<ODataError>('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', { method: 'POST', body: { Targets: [lead(`${tag}-a`, { leadid: dup }), lead(`${tag}-b`, { leadid: dup })] } });
    expect(twice.status).toBe(412);
    expect(await countOf(`startswith(lastname,'${tag}')`)).toBe(0);
  });

  it('checks the privileges of a single Create, and is a POST only', async () => {
    const r = await org.api<ODataError>('rita', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', { method: 'POST', body: { Targets: [lead('Rita')] } });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/prvCreateLead/);
    expect((await org.api('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple')).status).toBe(404);
    expect((await org.api('alice', 'leads/Microsoft.Dynamics.CRM.DeleteEverything', { method: 'POST', body: {} })).status).toBe(404);
  });
});

describe('UpdateMultiple', () => {
  async function leads(n: number, tag: string): Promise<string[]> {
    const r = await org.api<{ Ids: string[] }>('alice', 'leads/Microsoft.Dynamics.CRM.CreateMultiple', { method: 'POST', body: { Targets: Array.from({ length: n }, (_, i) => lead(`${tag}-${i}`)) } });
    return r.body.Ids;
  }

  it('updates every target and answers 204', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids = await leads(2, tag);
    const r = await org.api('alice', 'leads/Microsoft.Dynamics.CRM.UpdateMultiple', { method: 'POST', body: { Targets: ids.map((leadid) => ({ '@odata.type': LEAD, leadid, jobtitle: 'Speaker' })) } });
    expect(r.status, r.text).toBe(204);
    expect(await countOf(`startswith(lastname,'${tag}') and jobtitle eq 'Speaker'`)).toBe(2);
  });

  it('needs each key, never creates, refuses a record twice, and rolls back on any error', async () => {
    const tag = randomUUID().slice(0, 8);
    const [a, b] = (await leads(2, tag)) as [string, string];
    const call = (targets: unknown[]) => org.api<ODataError>('alice', 'leads/Microsoft.Dynamics.CRM.UpdateMultiple', { method: 'POST', body: { Targets: targets } });
    const noKey = await call([{ '@odata.type': LEAD, jobtitle: 'X' }]);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.message).toMatch(/needs the key/);
    const twice = await call([{ '@odata.type': LEAD, leadid: a, jobtitle: 'X' }, { '@odata.type': LEAD, leadid: a.toUpperCase(), jobtitle: 'Y' }]);
    expect(twice.body.error.message).toMatch(/more than once/);
    const missing = await call([{ '@odata.type': LEAD, leadid: a, jobtitle: 'Rolled back' }, { '@odata.type': LEAD, leadid: randomUUID(), jobtitle: 'X' }]);
    expect(missing.status).toBe(404);
    const bad = await call([{ '@odata.type': LEAD, leadid: b, jobtitle: 'Rolled back' }, { '@odata.type': LEAD, leadid: a, leadsourcecode: 999 }]);
    expect(bad.status).toBe(400);
    expect(await countOf(`startswith(lastname,'${tag}') and jobtitle eq 'Rolled back'`)).toBe(0);
  });
});
