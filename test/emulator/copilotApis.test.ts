import { beforeAll, describe, expect, it } from 'vitest';

import { type ODataError, type ODataList, q, type TestOrg, useOrg } from './helpers.js';

type Rec = Record<string, unknown>;
const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
const FORMATTED_PREFER = { Prefer: `odata.include-annotations="${FORMATTED}"` };

let org: TestOrg;
useOrg((o) => (org = o));

/** A lead with a budget, as dana (System Administrator, who reads every secured column) sees it. */
async function budgetedLead(): Promise<Rec> {
  const r = await org.api<ODataList>('dana', `leads?${q({ $select: 'leadid,fullname,budgetamount,statecode', $filter: 'budgetamount ne null and statecode eq 0', $top: '1' })}`, { headers: FORMATTED_PREFER });
  expect(r.status).toBe(200);
  return r.body.value[0]!;
}

describe('Copilot custom APIs (custom-api-tables; "MCP tools for Copilot in Dynamics 365 Sales")', () => {
  it('are rows of customapi with their request parameters and response properties', async () => {
    const filter = `Microsoft.Dynamics.CRM.In(PropertyName='uniquename',PropertyValues=["msdyn_SalesRecordSummary"])`;
    const expand = 'CustomAPIRequestParameters($select=uniquename,type),CustomAPIResponseProperties($select=uniquename,type)';
    const r = await org.api<ODataList>('sam', `customapis?${q({ $select: 'uniquename,isfunction,bindingtype', $filter: filter, $expand: expand })}`);
    expect(r.status).toBe(200);
    expect(r.body.value).toEqual([
      expect.objectContaining({
        uniquename: 'msdyn_SalesRecordSummary',
        isfunction: false,
        bindingtype: 0,
        CustomAPIRequestParameters: [expect.objectContaining({ uniquename: 'RecordId', type: 10 })],
        CustomAPIResponseProperties: [expect.objectContaining({ uniquename: 'Summary', type: 10 })],
      }),
    ]);
  });

  it('msdyn_SalesRecordSummary summarises a lead as the caller; wrong method, parameters and records are refused as Dataverse does', async () => {
    const lead = await budgetedLead();
    const ok = await org.api<Rec>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: lead['leadid'] } });
    expect(ok.status).toBe(200);
    expect(ok.body['Summary']).toEqual(expect.stringContaining(String(lead['fullname'])));
    expect(ok.body['@odata.context']).toMatch(/#Microsoft\.Dynamics\.CRM\.msdyn_SalesRecordSummaryResponse$/);

    const get = await org.api<ODataError>('sam', 'msdyn_SalesRecordSummary');
    expect(get.status).toBe(404);
    expect(get.body.error.message).toMatch(/No HTTP resource was found/);
    const missing = await org.api<ODataError>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/missing parameters are: RecordId/);
    const extra = await org.api<ODataError>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: lead['leadid'], Foo: 1 } });
    expect(extra.status).toBe(400);
    // Accounts and opportunities: the configured fields, as the caller reads them; other tables are not sales records.
    const account = (await org.api<ODataList>('sam', `accounts?${q({ $select: 'accountid,name', $orderby: 'createdon', $top: '1' })}`)).body.value[0]!;
    const accountSummary = await org.api<Rec>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: account['accountid'] } });
    expect(accountSummary.status).toBe(200);
    expect(accountSummary.body['Summary']).toEqual(expect.stringContaining(`Account Name: ${String(account['name'])}.`));
    const contact = (await org.api<ODataList>('sam', `contacts?${q({ $select: 'contactid', $orderby: 'createdon', $top: '1' })}`)).body.value[0]!;
    const notSales = await org.api<ODataError>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: contact['contactid'] } });
    expect(notSales.status).toBe(400);
    expect(notSales.body.error.message).toMatch(/summarises sales records/);
    const unknown = await org.api<ODataError>('sam', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
    // Bob's role cannot read leads: the summary is refused, not written from data he may not see.
    const bob = await org.api<ODataError>('bob', 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: lead['leadid'] } });
    expect(bob.status).toBe(403);
    expect(bob.body.error.message).toMatch(/prvReadLead/);
  });
});

describe('column-level security (https://learn.microsoft.com/power-apps/developer/data-platform/column-level-security)', () => {
  it('a secured column reads as empty for a user outside its field security profile, everywhere it can be read', async () => {
    const lead = await budgetedLead();
    const id = String(lead['leadid']);
    const budget = Number(lead['budgetamount']);
    expect(budget).toBeGreaterThan(0);
    const get = async (who: 'sam' | 'rita') => (await org.api<Rec>(who, `leads(${id})?$select=budgetamount,estimatedvalue`, { headers: FORMATTED_PREFER })).body;
    expect((await get('sam'))['budgetamount']).toBe(budget);
    const rita = await get('rita');
    expect(rita['budgetamount']).toBeNull();
    expect(rita).not.toHaveProperty(`budgetamount@${FORMATTED}`);
    expect(rita['estimatedvalue']).toEqual(expect.any(Number));

    // Filters, aggregates, SQL and the single-property read see it as empty too: nothing leaks by inference.
    const withBudget = async (who: 'sam' | 'rita') => (await org.api<ODataList>(who, `leads?${q({ $select: 'leadid', $filter: 'budgetamount gt 0' })}`)).body.value.length;
    expect(await withBudget('sam')).toBeGreaterThan(0);
    expect(await withBudget('rita')).toBe(0);
    const sum = async (who: 'sam' | 'rita') => (await org.api<ODataList>(who, `leads?${q({ $apply: 'aggregate(budgetamount with sum as total)' })}`)).body.value[0]?.['total'];
    expect(await sum('sam')).toEqual(expect.any(Number));
    expect(await sum('rita')).toBeNull();
    const sql = async (who: 'sam' | 'rita') => (await org.api<ODataList>(who, `leads?sql=${encodeURIComponent('SELECT SUM(budgetamount) AS total FROM lead')}`)).body.value[0]?.['total'];
    expect(await sql('sam')).toEqual(expect.any(Number));
    expect(await sql('rita')).toBeNull();
    expect((await org.api('rita', `leads(${id})/budgetamount`)).status).toBe(204);
    expect((await org.api('sam', `leads(${id})/budgetamount`)).status).toBe(200);
  });

  it('the metadata says which columns are secured', async () => {
    const r = await org.api<ODataList>('rita', `EntityDefinitions(LogicalName='lead')/Attributes?${q({ $select: 'LogicalName,IsSecured' })}`);
    const secured = r.body.value.filter((a) => a['IsSecured'] === true).map((a) => a['LogicalName']);
    expect(secured).toEqual(['budgetamount']);
  });

  it("the Copilot summary is written from what the caller may read: sam's names the budget, rita's does not", async () => {
    const lead = await budgetedLead();
    const formatted = String(lead[`budgetamount@${FORMATTED}`]);
    const summary = async (who: 'sam' | 'rita') => String((await org.api<Rec>(who, 'msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: lead['leadid'] } })).body['Summary']);
    expect(await summary('sam')).toContain(`stated budget ${formatted}`);
    const rita = await summary('rita');
    expect(rita).not.toContain(formatted);
    // The score's own reasons may mention a budget; the amount and the "stated budget" claim may not appear.
    expect(rita).not.toMatch(/stated budget/i);
  });
});

describe('$apply as Dataverse supports it (aggregate-data)', () => {
  it('max of a date, counts, and formatted values for aggregates', async () => {
    const r = await org.api<ODataList>('alice', `activitypointers?${q({ $apply: 'groupby((activitytypecode),aggregate($count as n,createdon with max as last))' })}`, { headers: FORMATTED_PREFER });
    expect(r.status).toBe(200);
    expect(r.body.value.length).toBeGreaterThan(1);
    for (const g of r.body.value) {
      expect(g['last']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(g[`last@${FORMATTED}`]).toMatch(/^\d+\/\d+\/\d{4} /);
      expect(g[`n@${FORMATTED}`]).toBe(Number(g['n']).toLocaleString('en-US'));
    }
  });

  it('refuses grouping by a date and ordering by an aggregate, orders by a group', async () => {
    const byDate = await org.api<ODataError>('alice', `leads?${q({ $apply: 'groupby((createdon),aggregate($count as n))' })}`);
    expect(byDate.status).toBe(400);
    expect(byDate.body.error.message).toMatch(/groupby with datetime values is not supported/);
    const byAggregate = await org.api<ODataError>('alice', `leads?${q({ $apply: 'groupby((leadqualitycode),aggregate($count as n))', $orderby: 'n desc' })}`);
    expect(byAggregate.status).toBe(400);
    expect(byAggregate.body.error.message).toBe('The query node SingleValueOpenPropertyAccess is not supported.');
    const byGroup = await org.api<ODataList>('alice', `leads?${q({ $apply: 'groupby((leadqualitycode),aggregate($count as n))', $orderby: 'leadqualitycode desc' })}`);
    expect(byGroup.body.value.map((g) => g['leadqualitycode'])).toEqual([3, 2, 1]);
  });
});

describe('limits and control endpoints', () => {
  it('accepts URLs up to 32,768 characters and refuses longer ones (414)', async () => {
    const filler = (n: number) => `contains(fullname,'${'x'.repeat(n)}')`;
    const ok = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $filter: filler(25_000) })}`);
    expect(ok.status).toBe(200);
    const long = await org.api<ODataError>('alice', `leads?${q({ $select: 'leadid', $filter: filler(33_000) })}`);
    expect(long.status).toBe(414);
  });

  describe('seeding leads on demand', () => {
    let before: number;
    beforeAll(async () => {
      before = (await org.api<ODataList>('alice', `leads?${q({ $apply: 'filter(statecode eq 0)/aggregate($count as n)' })}`)).body.value[0]!['n'] as number;
    });

    it('POST /_emulator/seed/leads adds open leads with interactions and scores; nonsense is refused', async () => {
      const res = await fetch(`${org.emu.url}/_emulator/seed/leads`, { method: 'POST', body: JSON.stringify({ count: 40, seed: 7 }) });
      expect(res.status).toBe(201);
      const out = (await res.json()) as { leads: number; activities: number; scores: number };
      expect(out.leads).toBe(40);
      expect(out.activities).toBeGreaterThan(40);
      expect(out.scores).toBeGreaterThan(20);
      const after = (await org.api<ODataList>('alice', `leads?${q({ $apply: 'filter(statecode eq 0)/aggregate($count as n)' })}`)).body.value[0]!['n'];
      expect(after).toBe(before + 40);
      for (const bad of [{ count: 0 }, { count: 60_000 }, { count: 'many' }, { count: 5, seed: 1.5 }]) {
        expect((await fetch(`${org.emu.url}/_emulator/seed/leads`, { method: 'POST', body: JSON.stringify(bad) })).status, JSON.stringify(bad)).toBe(400);
      }
    });
  });
});
