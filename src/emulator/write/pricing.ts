import type { MetadataModel } from '../metadata/metadataModel.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';

/**
 * System pricing of opportunities, quotes and orders as the Sales docs describe it ("Configure the
 * pricing calculation", https://learn.microsoft.com/dynamics365/sales/configure-default-price-list):
 * a line's price per unit comes from the parent's price list item for its product and unit (unless
 * the price is overridden); Amount = price × quantity; Extended amount = Amount − manual discount +
 * tax; the parent's Detail Amount is the sum of its lines before tax, Total = Detail − discount + tax.
 */

/** The line tables, the lookup to their parent and the parent table. */
export const LINE_TABLES: Readonly<Record<string, { parent: string; parentAttribute: string }>> = {
  opportunityproduct: { parent: 'opportunity', parentAttribute: 'opportunityid' },
  quotedetail: { parent: 'quote', parentAttribute: 'quoteid' },
  salesorderdetail: { parent: 'salesorder', parentAttribute: 'salesorderid' },
};

export const LINE_OF: Readonly<Record<string, string>> = { opportunity: 'opportunityproduct', quote: 'quotedetail', salesorder: 'salesorderdetail' };

const num = (v: SqlValue | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
export const money = (v: number): number => Math.round(v * 100) / 100;

/** The list price of a product in a price list for a unit, or undefined when the list has no item for it. */
export function listPrice(store: Store, priceLevelId: string, productId: string, uomId: string): number | undefined {
  const r = store.get(`SELECT amount FROM productpricelevel WHERE pricelevelid = ? AND productid = ? AND uomid = ?`, [priceLevelId, productId, uomId]);
  return r ? num(r.amount) : undefined;
}

/** Prices one line in place (the values about to be written, merged over the current row). */
export function priceLine(store: Store, values: Map<string, SqlValue>, current: Row | undefined, priceLevelId: string | null): void {
  const get = (k: string): SqlValue | undefined => (values.has(k) ? values.get(k) : current?.[k]);
  const productId = get('productid');
  const uomId = get('uomid');
  const overridden = get('ispriceoverridden') === 1 || typeof productId !== 'string';
  let price = num(get('priceperunit'));
  let error = 0;
  if (!overridden) {
    const found = typeof uomId === 'string' && priceLevelId ? listPrice(store, priceLevelId, productId, uomId) : undefined;
    if (typeof uomId !== 'string') error = 10;
    else if (found === undefined) error = 11;
    price = found ?? 0;
    values.set('priceperunit', price);
  }
  const quantity = num(get('quantity'));
  const base = money(price * quantity);
  values.set('baseamount', base);
  values.set('extendedamount', money(base - num(get('manualdiscountamount')) + num(get('tax'))));
  values.set('pricingerrorcode', error);
}

/** Recomputes a parent's totals from its lines (CalculatePrice); the opportunity's estimated revenue follows when system-calculated. */
export function computeTotals(store: Store, model: MetadataModel, parent: 'opportunity' | 'quote' | 'salesorder', id: string, version: number): Row {
  const lineTable = LINE_OF[parent]!;
  const key = LINE_TABLES[lineTable]!.parentAttribute;
  const sums = store.get(
    `SELECT COALESCE(SUM(COALESCE(baseamount, 0) - COALESCE(manualdiscountamount, 0)), 0) AS detail, COALESCE(SUM(COALESCE(tax, 0)), 0) AS tax FROM ${quoteIdent(lineTable)} WHERE ${quoteIdent(key)} = ?`,
    [id],
  );
  const table = model.table(parent)!;
  const extra = parent === 'opportunity' ? ', isrevenuesystemcalculated' : '';
  const row = store.get(`SELECT discountamount${extra} FROM ${quoteIdent(parent)} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [id]) ?? {};
  const detail = money(num(sums?.detail));
  const tax = money(num(sums?.tax));
  const total = money(detail - num(row.discountamount) + tax);
  const set: Row = { totallineitemamount: detail, totaltax: tax, totalamount: total, versionnumber: version };
  if (parent === 'opportunity' && row.isrevenuesystemcalculated === 1) set.estimatedvalue = total;
  const cols = Object.keys(set);
  store.run(`UPDATE ${quoteIdent(parent)} SET ${cols.map((c) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [
    ...cols.map((c) => set[c] ?? null),
    id,
  ]);
  return set;
}
