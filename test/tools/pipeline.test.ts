import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';
import { create, dataverseAs, type WebApi } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
let alice: TestClient;
let cx: TestClient;
let sam: TestClient;
let api: WebApi;
let accountId: string;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  alice = await connect(server, 'alice', 'sales');
  cx = await connect(server, 'alice', 'sales-cx', 'modern');
  sam = await connect(server, 'sam', 'sales');
  api = dataverseAs(server, 'alice');
  const accounts = await api<{ value: Array<{ accountid: string }> }>('accounts?$select=accountid&$top=1');
  accountId = accounts.body.value[0]!.accountid;
}, 60_000);
afterAll(async () => {
  for (const c of [alice, cx, sam]) await c?.close();
  await server?.close();
});

/** A fresh open opportunity on the retail price list, so tests do not share state. */
async function opportunity(name: string, lines: Array<[string, number]> = []): Promise<string> {
  const id = await create(api, 'opportunities', {
    name,
    'customerid_account@odata.bind': `/accounts(${accountId})`,
    'pricelevelid@odata.bind': `/pricelevels(${PIPELINE_IDS.retail})`,
    isrevenuesystemcalculated: true,
  });
  for (const [product, quantity] of lines) {
    await create(api, 'opportunityproducts', {
      'opportunityid@odata.bind': `/opportunities(${id})`,
      'productid@odata.bind': `/products(${PIPELINE_IDS.product(product)})`,
      'uomid@odata.bind': `/uoms(${PIPELINE_IDS.uom(product === 'backup' || product === 'training' ? 'seat' : 'each')})`,
      quantity,
    });
  }
  return id;
}

const linesOf = async (id: string) => (await api<{ value: unknown[] }>(`opportunities(${id})/product_opportunities?$select=quantity`)).body.value.length;
const stateOf = async (set: string, id: string) => (await api<{ statecode: number; statuscode: number }>(`${set}(${id})?$select=statecode,statuscode`)).body;

describe('catalogue reads', () => {
  const cases: Array<[string, string, () => Record<string, unknown>, (data: Record<string, unknown>, text: string) => void]> = [
    ['get_product', 'by id', () => ({ productId: PIPELINE_IDS.product('laptop') }), (d) => expect(d['product']).toMatchObject({ name: 'Surface Laptop 7', productNumber: 'SL7-15', state: 'Active', listPrice: 1499, defaultUnit: { name: 'Primary Unit' } })],
    ['get_product', 'a draft product', () => ({ productId: PIPELINE_IDS.product('robot') }), (d) => expect(d['product']).toMatchObject({ state: 'Draft' })],
    ['get_price_list', 'by id with products', () => ({ priceListId: PIPELINE_IDS.partner, top: 3 }), (d) => {
      expect(d['priceList']).toMatchObject({ name: 'Partner 2026', state: 'Active' });
      expect((d['products'] as unknown[]).length).toBe(3);
    }],
    ['get_price_list', 'by exact name among similar ones', () => ({ priceListName: 'Retail 2026', includeProducts: false }), (d) => {
      expect(d['priceList']).toMatchObject({ priceListId: PIPELINE_IDS.retail });
      expect(d['products']).toEqual([]);
    }],
    ['get_product_pricing', 'on every list', () => ({ productId: PIPELINE_IDS.product('laptop') }), (d) => expect((d['prices'] as Array<{ amount: number }>).map((p) => p.amount).sort()).toEqual([1274.15, 1424.05, 1499])],
    ['get_product_pricing', 'on one list', () => ({ productId: PIPELINE_IDS.product('laptop'), priceListId: PIPELINE_IDS.partner }), (d) => expect(d['prices']).toEqual([expect.objectContaining({ amount: 1274.15, unit: expect.objectContaining({ name: 'Primary Unit' }) })])],
  ];
  it.each(cases)('%s %s', async (tool, _name, args, check) => {
    const r = await alice.call(tool, args());
    expect(r.isError, r.text).toBeFalsy();
    check(r.data, r.text);
  });

  const errors: Array<[string, Record<string, unknown>, RegExp]> = [
    ['get_product', { productId: '00000000-0000-4000-8000-000000000000' }, /^No product with id/],
    ['get_product', { productId: 'laptop' }, /must be a GUID/],
    ['get_price_list', {}, /Give priceListId or priceListName/],
    ['get_price_list', { priceListName: '2026' }, /Several active price lists match "2026": Partner 2026, Retail 2026|Several active price lists match "2026": Retail 2026, Partner 2026/],
    ['get_price_list', { priceListName: "x' or 1 eq 1 or name eq '" }, /No active price list matches/],
    ['get_opportunity_summary', { opportunityId: '00000000-0000-4000-8000-000000000000' }, /^No opportunity with id/],
    ['get_product_pricing', { productId: PIPELINE_IDS.product('laptop'), top: 51 }, /top/],
  ];
  it.each(errors)('%s refuses %j with a clear message', async (tool, args, message) => {
    const r = await alice.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
    expect(r.text).not.toMatch(/at .*\.ts:|127\.0\.0\.1|Bearer/);
  });

  it('summarises an opportunity with its lines, quotes and competitors, each sentence grounded', async () => {
    const id = await opportunity('Summary deal', [['laptop', 3], ['backup', 20]]);
    const r = await alice.call('get_opportunity_summary', { opportunityId: id });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['lines']).toHaveLength(2);
    expect(r.data['opportunity']).toMatchObject({ name: 'Summary deal', state: 'Open', priceList: { name: 'Retail 2026' } });
    const sentences = r.data['sentences'] as Array<{ text: string; fields: string[] }>;
    expect(sentences.every((s) => s.fields.length > 0)).toBe(true);
    expect(r.text).toContain('3 × Surface Laptop 7');
  });
});

describe('every pipeline write asks first and changes nothing until confirmed', () => {
  const writes: Array<[string, () => Promise<Record<string, unknown>>, (args: Record<string, unknown>) => Promise<void>]> = [
    ['add_opportunity_product', async () => ({ opportunityId: await opportunity('Ask add'), productId: PIPELINE_IDS.product('wifi'), quantity: 2 }), async (a) => expect(await linesOf(String(a['opportunityId']))).toBe(0)],
    ['close_opportunity', async () => ({ opportunityId: await opportunity('Ask close'), status: 'won' }), async (a) => expect((await stateOf('opportunities', String(a['opportunityId']))).statecode).toBe(0)],
    ['recalculate_opportunity_price', async () => ({ opportunityId: await opportunity('Ask recalc', [['wifi', 1]]) }), async (a) => expect((await api<{ totalamount: number | null }>(`opportunities(${String(a['opportunityId'])})?$select=totalamount`)).body.totalamount ?? 0).toBe(0)],
    ['create_quote_from_opportunity', async () => ({ opportunityId: await opportunity('Ask quote', [['wifi', 1]]) }), async (a) => expect((await api<{ value: unknown[] }>(`opportunities(${String(a['opportunityId'])})/opportunity_quotes?$select=quoteid`)).body.value).toEqual([])],
    ['create_competitor', async () => ({ name: 'Contoso Rival Ltd' }), async () => expect((await api<{ value: unknown[] }>("competitors?$select=name&$filter=name eq 'Contoso Rival Ltd'")).body.value).toEqual([])],
    ['link_competitor_to_opportunity', async () => ({ opportunityId: await opportunity('Ask link'), competitorId: PIPELINE_IDS.competitor('tailspin') }), async (a) => expect((await api<{ value: unknown[] }>(`opportunities(${String(a['opportunityId'])})/opportunitycompetitors_association?$select=name`)).body.value).toEqual([])],
  ];
  it.each(writes)('%s', async (tool, args, unchanged) => {
    const a = await args();
    for (const client of [alice, cx]) {
      const first = await client.call(tool, a);
      expect(first.isError, first.text).toBeFalsy();
      expect(first.data['status']).toBe('confirmation_required');
      expect(first.text).toContain('Nothing has been changed yet');
    }
    await unchanged(a);
  });
});

describe('refused before anyone is asked', () => {
  it.each([
    ['a draft product', async () => ({ opportunityId: await opportunity('Draft product'), productId: PIPELINE_IDS.product('robot') }), 'add_opportunity_product', /not active/],
    ['a product outside the price list unit', async () => ({ opportunityId: await opportunity('Wrong unit'), productId: PIPELINE_IDS.product('laptop'), unitId: PIPELINE_IDS.uom('seat') }), 'add_opportunity_product', /not on price list Retail 2026/],
    ['reopening an open opportunity', async () => ({ opportunityId: await opportunity('Open already') }), 'reopen_opportunity', /already open/],
    ['a won status code for a lost outcome', async () => ({ opportunityId: await opportunity('Bad status'), status: 'lost', statusCode: 3 }), 'close_opportunity', /not a lost status reason/],
  ] as const)('%s', async (_name, args, tool, message) => {
    const r = await alice.call(tool, await args());
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('closing an opportunity with an open quote, and quote state rules', async () => {
    const id = await opportunity('Quote rules', [['camera', 2]]);
    const quote = resultOf<{ quote: { quoteId: string } }>(await alice.callConfirmed('create_quote_from_opportunity', { opportunityId: id })).quote.quoteId;
    const blocked = await alice.call('close_opportunity', { opportunityId: id, status: 'won' });
    expect(blocked.text).toMatch(/has draft or active quotes/);
    for (const [tool, message] of [['revise_quote', /still a draft/], ['convert_quote_to_order', /activate it with set_quote_active/], ['close_quote', /only an active quote is closed/]] as const) {
      const r = await alice.call(tool, { quoteId: quote, ...(tool === 'close_quote' && { status: 'lost' }) });
      expect(r.isError, tool).toBe(true);
      expect(r.text).toMatch(message);
    }
    resultOf(await alice.callConfirmed('set_quote_active', { quoteId: quote }));
    expect((await alice.call('set_quote_active', { quoteId: quote })).text).toMatch(/not a draft/);
    const closed = resultOf<{ quote: { status: string } }>(await alice.callConfirmed('close_quote', { quoteId: quote, status: 'lost', description: 'Budget cut' }));
    expect(closed.quote.status).toBe('Lost');
    const lost = resultOf<{ opportunity: { state: string; status: string } }>(await alice.callConfirmed('close_opportunity', { opportunityId: id, status: 'lost', competitorId: PIPELINE_IDS.competitor('northwind') }));
    expect(lost.opportunity).toMatchObject({ state: 'Lost', status: 'Out-Sold' });
    const reopened = resultOf<{ opportunity: { state: string; status: string } }>(await alice.callConfirmed('reopen_opportunity', { opportunityId: id, statusCode: 2 }));
    expect(reopened.opportunity).toMatchObject({ state: 'Open', status: 'On Hold' });
  });

  it('a salesperson cannot delete lines (no delete privilege on opportunities): refused before the preview', async () => {
    const id = await opportunity('Sam deletes', [['scanner', 1]]);
    const line = (await api<{ value: Array<{ opportunityproductid: string }> }>(`opportunities(${id})/product_opportunities?$select=opportunityproductid`)).body.value[0]!.opportunityproductid;
    const r = await sam.call('delete_opportunity_product', { opportunityProductId: line });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvDeleteOpportunity/);
    expect(await linesOf(id)).toBe(1);
  });
});

describe('line and competitor writes', () => {
  it('adds, updates and deletes lines; totals follow', async () => {
    const id = await opportunity('Lines');
    const added = resultOf<{ line: { opportunityProductId: string; extendedAmount: number } }>(await alice.callConfirmed('add_opportunity_product', { opportunityId: id, productId: PIPELINE_IDS.product('tablet'), quantity: 5, manualDiscountAmount: 95 }));
    expect(added.line.extendedAmount).toBe(4400);
    const override = resultOf<{ line: { opportunityProductId: string; priceOverridden: boolean; extendedAmount: number } }>(await alice.callConfirmed('add_opportunity_product', { opportunityId: id, productId: PIPELINE_IDS.product('crm'), unitId: PIPELINE_IDS.uom('day'), quantity: 2, pricePerUnit: 1000 }));
    expect(override.line).toMatchObject({ priceOverridden: true, extendedAmount: 2000 });
    const totals = resultOf<{ totals: { totalAmount: number; estimatedRevenue: number } }>(await alice.callConfirmed('recalculate_opportunity_price', { opportunityId: id }));
    expect(totals.totals).toMatchObject({ totalAmount: 6400, estimatedRevenue: 6400 });
    const updated = resultOf<{ lines: Array<{ quantity: number }>; totals: { totalAmount: number } }>(
      await alice.callConfirmed('update_opportunity_products', { opportunityId: id, updates: [{ opportunityProductId: added.line.opportunityProductId, quantity: 10, manualDiscountAmount: 0 }] }),
    );
    expect(updated.lines[0]!.quantity).toBe(10);
    expect(updated.totals.totalAmount).toBe(10990);
    const deleted = resultOf<{ totals: { totalAmount: number } }>(await alice.callConfirmed('delete_opportunity_product', { opportunityProductId: override.line.opportunityProductId }));
    expect(deleted.totals.totalAmount).toBe(8990);
    const foreign = await alice.call('update_opportunity_products', { opportunityId: await opportunity('Other'), updates: [{ opportunityProductId: added.line.opportunityProductId, quantity: 1 }] });
    expect(foreign.text).toMatch(/do not belong to opportunity/);
    const nothing = await alice.call('update_opportunity_products', { updates: [{ opportunityProductId: added.line.opportunityProductId }] });
    expect(nothing.text).toMatch(/Nothing to change/);
  });

  it('creates a competitor and links and unlinks it', async () => {
    const id = await opportunity('Competition');
    const created = resultOf<{ competitorId: string }>(await alice.callConfirmed('create_competitor', { name: 'Proseware Inc.', strengths: 'Price', websiteUrl: 'https://proseware.example' }));
    const linked = resultOf<{ linked: boolean }>(await alice.callConfirmed('link_competitor_to_opportunity', { opportunityId: id, competitorId: created.competitorId }));
    expect(linked.linked).toBe(true);
    const summary = await alice.call('get_opportunity_summary', { opportunityId: id });
    expect(summary.data['competitors']).toEqual([{ competitorId: created.competitorId, name: 'Proseware Inc.' }]);
    resultOf(await alice.callConfirmed('link_competitor_to_opportunity', { opportunityId: id, competitorId: created.competitorId, unlink: true }));
    expect((await alice.call('get_opportunity_summary', { opportunityId: id })).data['competitors']).toEqual([]);
    const bad = await alice.call('create_competitor', { name: 'X', websiteUrl: 'javascript:alert(1)' });
    expect(bad.isError).toBe(true);
  });
});

describe('scenario on the cx agent: find an opportunity, add a product, quote, revise, order, win', () => {
  it('runs end to end, each write after confirming', async () => {
    // Find: an open seeded opportunity on the retail price list without quotes.
    const found = await api<{ value: Array<{ opportunityid: string; opportunity_quotes: unknown[] }> }>(
      `opportunities?$select=opportunityid&$filter=statecode eq 0 and _pricelevelid_value eq ${PIPELINE_IDS.retail}&$expand=opportunity_quotes($select=quoteid)&$orderby=name desc&$top=20`,
    );
    const opportunityId = found.body.value.find((o) => o.opportunity_quotes.length === 0)!.opportunityid;
    const before = await cx.call('get_opportunity_summary', { opportunityId });
    expect(before.isError, before.text).toBeFalsy();

    const add = await cx.callConfirmed('add_opportunity_product', { opportunityId, productId: PIPELINE_IDS.product('room'), quantity: 2 });
    expect(add.data['status'], add.text).toBe('completed');
    resultOf(await cx.callConfirmed('recalculate_opportunity_price', { opportunityId }));
    const quote = resultOf<{ quote: { quoteId: string; state: string; quoteNumber: string } }>(await cx.callConfirmed('create_quote_from_opportunity', { opportunityId })).quote;
    expect(quote.state).toBe('Draft');
    resultOf(await cx.callConfirmed('set_quote_active', { quoteId: quote.quoteId }));
    const revised = resultOf<{ revised: { quoteId: string; revision: number; quoteNumber: string; state: string }; previous: { status: string } }>(await cx.callConfirmed('revise_quote', { quoteId: quote.quoteId }));
    expect(revised.revised).toMatchObject({ revision: 1, quoteNumber: quote.quoteNumber, state: 'Draft' });
    expect(revised.previous.status).toBe('Revised');
    resultOf(await cx.callConfirmed('set_quote_active', { quoteId: revised.revised.quoteId }));
    const order = resultOf<{ order: { orderNumber: string; totalAmount: number }; quote: { state: string } }>(await cx.callConfirmed('convert_quote_to_order', { quoteId: revised.revised.quoteId }));
    expect(order.order.orderNumber).toMatch(/^ORD-/);
    expect(order.quote.state).toBe('Won');
    const won = resultOf<{ opportunity: { state: string; actualRevenue: number; actualCloseDate: string } }>(await cx.callConfirmed('close_opportunity', { opportunityId, status: 'won', actualRevenue: order.order.totalAmount }));
    expect(won.opportunity).toMatchObject({ state: 'Won', actualRevenue: order.order.totalAmount, actualCloseDate: server.clock.date().toISOString().slice(0, 10) });
    expect(await stateOf('opportunities', opportunityId)).toMatchObject({ statecode: 1, statuscode: 3 });
  });
});
