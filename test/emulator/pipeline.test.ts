import { describe, expect, it } from 'vitest';

import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

/** An open opportunity with a price list and no quotes, made fresh so tests do not share state. */
async function freshOpportunity(name: string): Promise<string> {
  const account = (await org.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $top: '1' })}`)).body.value[0]!;
  const r = await org.api('alice', 'opportunities', {
    method: 'POST',
    body: { name, 'customerid_account@odata.bind': `/accounts(${String(account.accountid)})`, 'pricelevelid@odata.bind': `/pricelevels(${PIPELINE_IDS.retail})`, isrevenuesystemcalculated: true },
  });
  expect(r.status, r.text).toBe(204);
  return /\(([0-9a-f-]{36})\)/.exec(r.headers.get('odata-entityid') ?? '')![1]!;
}

async function addLine(opportunityId: string, product = 'laptop', quantity = 10, extra: Rec = {}) {
  return org.api('alice', 'opportunityproducts', {
    method: 'POST',
    body: {
      'opportunityid@odata.bind': `/opportunities(${opportunityId})`,
      'productid@odata.bind': `/products(${PIPELINE_IDS.product(product)})`,
      'uomid@odata.bind': `/uoms(${PIPELINE_IDS.uom('each')})`,
      quantity,
      ...extra,
    },
  });
}

const opportunity = async (id: string) => (await org.api<Rec>('alice', `opportunities(${id})?$select=statecode,statuscode,totalamount,totallineitemamount,estimatedvalue,actualvalue,actualclosedate`)).body;
const quote = async (id: string) => (await org.api<Rec>('alice', `quotes(${id})?$select=statecode,statuscode,totalamount,revisionnumber,quotenumber,_opportunityid_value`)).body;
const post = <T = Rec>(action: string, body: unknown, alias: 'alice' | 'sam' | 'rita' | 'bob' = 'alice') => org.api<T>(alias, action, { method: 'POST', body });
const activate = (quoteId: string) => org.api('alice', `quotes(${quoteId})`, { method: 'PATCH', body: { statecode: 1, statuscode: 2 } });

describe('catalogue and pricing', () => {
  it('serves the seeded catalogue with its documented names and states', async () => {
    const lists = (await org.api<ODataList>('alice', `pricelevels?${q({ $select: 'name,statecode,statuscode', $orderby: 'name' })}`)).body.value;
    expect(lists.map((l) => [l.statecode, l.statuscode])).toEqual(expect.arrayContaining([[0, 100001], [1, 100002]]));
    const draft = (await org.api<Rec>('alice', `products(${PIPELINE_IDS.product('robot')})?$select=statecode,statuscode`)).body;
    expect(draft).toMatchObject({ statecode: 2, statuscode: 0 });
    const items = (await org.api<ODataList>('alice', `productpricelevels?${q({ $select: 'amount', $filter: `_productid_value eq ${PIPELINE_IDS.product('laptop')} and _pricelevelid_value eq ${PIPELINE_IDS.partner}` })}`)).body.value;
    expect(items[0]?.amount).toBe(1274.15);
    // Navigation properties keep their documented names (case-sensitive).
    const expanded = (await org.api<Rec>('alice', `opportunities(${await freshOpportunity('Nav check')})?$select=name&$expand=product_opportunities($select=quantity),opportunity_quotes($select=name),opportunitycompetitors_association($select=name)`)).body;
    expect(expanded).toHaveProperty('product_opportunities');
    expect(expanded).toHaveProperty('opportunity_quotes');
    expect(expanded).toHaveProperty('opportunitycompetitors_association');
  });

  it('prices a line from the price list, and CalculatePrice totals the opportunity', async () => {
    const id = await freshOpportunity('Pricing');
    const r = await addLine(id, 'laptop', 10, { manualdiscountamount: 490 });
    expect(r.status, r.text).toBe(204);
    const lines = (await org.api<ODataList>('alice', `opportunities(${id})/product_opportunities?$select=priceperunit,baseamount,extendedamount,pricingerrorcode`)).body.value;
    expect(lines[0]).toMatchObject({ priceperunit: 1499, baseamount: 14990, extendedamount: 14500, pricingerrorcode: 0 });
    expect((await opportunity(id)).totalamount ?? 0).toBe(0);
    const calc = await post('CalculatePrice', { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.opportunity', opportunityid: id } });
    expect(calc.status, calc.text).toBe(204);
    expect(await opportunity(id)).toMatchObject({ totallineitemamount: 14500, totalamount: 14500, estimatedvalue: 14500 });
  });

  const refusals: Array<[string, (id: string) => Promise<{ status: number; body: unknown }>, RegExp]> = [
    ['a draft product', (id) => addLine(id, 'robot'), /only add active products/],
    ['a line without a unit', (id) => org.api('alice', 'opportunityproducts', { method: 'POST', body: { 'opportunityid@odata.bind': `/opportunities(${id})`, 'productid@odata.bind': `/products(${PIPELINE_IDS.product('laptop')})`, quantity: 1 } }), /unit/],
    ['a write-in without a description', (id) => org.api('alice', 'opportunityproducts', { method: 'POST', body: { 'opportunityid@odata.bind': `/opportunities(${id})`, quantity: 1, priceperunit: 10 } }), /product description/],
  ];
  it.each(refusals)('refuses %s', async (_name, call, message) => {
    const id = await freshOpportunity('Refusals');
    const r = await call(id);
    expect(r.status).toBe(400);
    expect((r.body as ODataError).error.message).toMatch(message);
  });

  it('refuses products on an opportunity without a price list', async () => {
    const account = (await org.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $top: '1' })}`)).body.value[0]!;
    const r = await org.api('alice', 'opportunities', { method: 'POST', body: { name: 'No list', 'customerid_account@odata.bind': `/accounts(${String(account.accountid)})` } });
    const id = /\(([0-9a-f-]{36})\)/.exec(r.headers.get('odata-entityid') ?? '')![1]!;
    const line = await addLine(id);
    expect(line.status).toBe(400);
    expect((line.body as unknown as ODataError).error.message).toContain('You must select a price list');
  });
});

describe('WinOpportunity and LoseOpportunity', () => {
  it('wins an open opportunity with an opportunity close, then refuses to win it again or change it', async () => {
    const id = await freshOpportunity('Win me');
    const win = { OpportunityClose: { '@odata.type': 'Microsoft.Dynamics.CRM.opportunityclose', subject: 'Won', actualrevenue: 12000, actualend: '2026-11-20', 'opportunityid@odata.bind': `/opportunities(${id})` }, Status: 3 };
    const r = await post('WinOpportunity', win);
    expect(r.status, r.text).toBe(204);
    expect(await opportunity(id)).toMatchObject({ statecode: 1, statuscode: 3, actualvalue: 12000, actualclosedate: '2026-11-20' });
    const closes = (await org.api<ODataList>('alice', `opportunitycloses?${q({ $select: 'actualrevenue,opportunitystatuscode', $filter: `_opportunityid_value eq ${id}` })}`)).body.value;
    expect(closes).toEqual([expect.objectContaining({ actualrevenue: 12000, opportunitystatuscode: 3 })]);
    const again = await post<ODataError>('WinOpportunity', win);
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('already closed');
    const edit = await org.api<ODataError>('alice', `opportunities(${id})`, { method: 'PATCH', body: { name: 'Renamed' } });
    expect(edit.status).toBe(400);
    expect((await addLine(id)).status).toBe(400);
    // Reopening is a plain state change (SetState), and the opportunity is editable again.
    const reopen = await org.api('alice', `opportunities(${id})`, { method: 'PATCH', body: { statecode: 0, statuscode: 2 } });
    expect(reopen.status, reopen.text).toBe(204);
    expect(await opportunity(id)).toMatchObject({ statecode: 0, statuscode: 2 });
  });

  const statuses: Array<[string, string, number]> = [
    ['Win with a Lost status', 'WinOpportunity', 4],
    ['Lose with a Won status', 'LoseOpportunity', 3],
  ];
  it.each(statuses)('refuses to %s', async (_n, action, status) => {
    const id = await freshOpportunity('Status');
    const r = await post<ODataError>(action, { OpportunityClose: { 'opportunityid@odata.bind': `/opportunities(${id})` }, Status: status });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('is not a valid status code');
  });

  it('loses an opportunity to a competitor; refuses while a draft or active quote is open', async () => {
    const id = await freshOpportunity('Lose me');
    expect((await addLine(id)).status).toBe(204);
    const generated = await post<Rec>('GenerateQuoteFromOpportunity', { OpportunityId: id, ColumnSet: { AllColumns: true } });
    expect(generated.status, generated.text).toBe(200);
    const lose = { OpportunityClose: { 'opportunityid@odata.bind': `/opportunities(${id})`, 'competitorid@odata.bind': `/competitors(${PIPELINE_IDS.competitor('fabrikam')})` }, Status: 5 };
    const blocked = await post<ODataError>('LoseOpportunity', lose);
    expect(blocked.status).toBe(400);
    expect(blocked.body.error.message).toContain("can't be closed");
    expect((await activate(String(generated.body.quoteid))).status).toBe(204);
    expect((await post<ODataError>('LoseOpportunity', lose)).status).toBe(400);
    expect((await post('CloseQuote', { QuoteClose: { 'quoteid@odata.bind': `/quotes(${String(generated.body.quoteid)})` }, Status: 5 })).status).toBe(204);
    const r = await post('LoseOpportunity', lose);
    expect(r.status, r.text).toBe(204);
    expect(await opportunity(id)).toMatchObject({ statecode: 2, statuscode: 5 });
  });

  it('needs the privileges: a read-only user cannot win', async () => {
    const id = await freshOpportunity('Privileges');
    const r = await post<ODataError>('WinOpportunity', { OpportunityClose: { 'opportunityid@odata.bind': `/opportunities(${id})` }, Status: 3 }, 'rita');
    expect(r.status).toBe(403);
  });
});

describe('quotes and orders', () => {
  it('generates, activates, revises and converts a quote; each message refuses the states the service refuses', async () => {
    const id = await freshOpportunity('Quote flow');
    expect((await addLine(id, 'wifi', 4)).status).toBe(204);
    const generated = await post<Rec>('GenerateQuoteFromOpportunity', { OpportunityId: id, ColumnSet: { AllColumns: true } });
    const q1 = String(generated.body.quoteid);
    expect(generated.body).toMatchObject({ statecode: 0, statuscode: 1, totalamount: 2596, revisionnumber: 0, _opportunityid_value: id });

    // A draft is neither revised, closed nor converted.
    expect((await post<ODataError>('ReviseQuote', { QuoteId: q1 })).body.error.message).toContain('is a draft');
    expect((await post<ODataError>('CloseQuote', { QuoteClose: { 'quoteid@odata.bind': `/quotes(${q1})` }, Status: 7 })).status).toBe(400);
    expect((await post<ODataError>('ConvertQuoteToSalesOrder', { QuoteId: q1, QuoteCloseDate: '2026-11-20' })).body.error.message).toContain('is a draft');
    // Winning or closing through PATCH is refused: those are messages.
    expect((await org.api<ODataError>('alice', `quotes(${q1})`, { method: 'PATCH', body: { statecode: 2, statuscode: 4 } })).status).toBe(400);

    expect((await activate(q1)).status).toBe(204);
    expect(await quote(q1)).toMatchObject({ statecode: 1, statuscode: 2 });
    // An active quote is locked and is not revised until it is closed as Revised.
    expect((await org.api('alice', `quotes(${q1})`, { method: 'PATCH', body: { name: 'Edited' } })).status).toBe(400);
    expect((await post<ODataError>('ReviseQuote', { QuoteId: q1 })).body.error.message).toContain('is active');
    expect((await post('CloseQuote', { QuoteClose: { 'quoteid@odata.bind': `/quotes(${q1})`, subject: 'Revised' }, Status: 7 })).status).toBe(204);
    const revised = await post<Rec>('ReviseQuote', { QuoteId: q1, ColumnSet: { AllColumns: true } });
    expect(revised.status, revised.text).toBe(200);
    const q2 = String(revised.body.quoteid);
    expect(revised.body).toMatchObject({ statecode: 0, revisionnumber: 1, totalamount: 2596 });
    expect((await quote(q2)).quotenumber).toBe((await quote(q1)).quotenumber);

    // An active quote converts only with close metadata; the quote is won and the order carries its lines.
    expect((await activate(q2)).status).toBe(204);
    const noDate = await post<ODataError>('ConvertQuoteToSalesOrder', { QuoteId: q2 });
    expect(noDate.body.error.message).toContain('QuoteCloseDate is required');
    const order = await post<Rec>('ConvertQuoteToSalesOrder', { QuoteId: q2, ColumnSet: { AllColumns: true }, QuoteCloseDate: '2026-11-20', QuoteCloseStatus: 4, QuoteCloseSubject: 'Accepted' });
    expect(order.status, order.text).toBe(200);
    expect(order.body).toMatchObject({ statecode: 0, statuscode: 1, totalamount: 2596, _quoteid_value: q2, _opportunityid_value: id });
    expect(await quote(q2)).toMatchObject({ statecode: 2, statuscode: 4 });
    const lines = (await org.api<ODataList>('alice', `salesorders(${String(order.body.salesorderid)})/order_details?$select=quantity,priceperunit`)).body.value;
    expect(lines).toEqual([expect.objectContaining({ quantity: 4, priceperunit: 649 })]);
    // A closed (revised) quote is not converted.
    expect((await post<ODataError>('ConvertQuoteToSalesOrder', { QuoteId: q1, QuoteCloseDate: '2026-11-20' })).body.error.message).toContain('is closed');

    // With no open quote left, the opportunity is won.
    const win = await post('WinOpportunity', { OpportunityClose: { 'opportunityid@odata.bind': `/opportunities(${id})` }, Status: 3 });
    expect(win.status, win.text).toBe(204);
  });

  it('validates parameters as the Web API does', async () => {
    const r = await post<ODataError>('ReviseQuote', { QuoteId: 'nope' });
    expect(r.status).toBe(400);
    const unknown = await post<ODataError>('CloseQuote', { QuoteClose: {}, Status: 5, Extra: 1 });
    expect(unknown.body.error.message).toContain("'Extra'");
    const missing = await post<ODataError>('ReviseQuote', { QuoteId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    const get = await org.api('alice', 'WinOpportunity');
    expect(get.status).toBe(404);
  });
});

describe('opportunity competitors', () => {
  it('associates and disassociates through $ref, idempotently', async () => {
    const id = await freshOpportunity('Competitors');
    const ref = { '@odata.id': `${org.base}competitors(${PIPELINE_IDS.competitor('litware')})` };
    expect((await org.api('alice', `opportunities(${id})/opportunitycompetitors_association/$ref`, { method: 'POST', body: ref })).status).toBe(204);
    expect((await org.api('alice', `opportunities(${id})/opportunitycompetitors_association/$ref`, { method: 'POST', body: ref })).status).toBe(204);
    const linked = (await org.api<ODataList>('alice', `opportunities(${id})/opportunitycompetitors_association?$select=name`)).body.value;
    expect(linked.map((c) => c.name)).toEqual(['Litware Solutions']);
    expect((await org.api('alice', `opportunities(${id})/opportunitycompetitors_association(${PIPELINE_IDS.competitor('litware')})/$ref`, { method: 'DELETE' })).status).toBe(204);
    expect((await org.api<ODataList>('alice', `opportunities(${id})/opportunitycompetitors_association?$select=name`)).body.value).toEqual([]);
    const rita = await org.api('rita', `opportunities(${id})/opportunitycompetitors_association/$ref`, { method: 'POST', body: ref });
    expect(rita.status).toBe(403);
  });
});
