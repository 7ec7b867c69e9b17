import { invalidArgument } from '../dataverseError.js';
import type { TableDef } from '../metadata/types.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { LINE_TABLES, priceLine } from './pricing.js';

/**
 * What the service refuses or computes on plain creates, updates and deletes of the Sales pipeline
 * tables (the messages have their own rules, in actions/salesPipeline.ts). Each rule names the page
 * that documents it.
 */

const OPP_OPEN = 0;
const QUOTE_DRAFT = 0;
const QUOTE_ACTIVE = 1;
const ORDER_ACTIVE = 0;

/** "QUO-01234-A1B2C3": the shape of a quote or order number (auto-numbering of the Sales tables). */
export function documentNumber(prefix: 'QUO' | 'ORD', random: () => number): string {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  let tail = '';
  for (let i = 0; i < 6; i++) tail += chars.charAt(Math.floor(random() * chars.length));
  return `${prefix}-${String(Math.floor(random() * 100000)).padStart(5, '0')}-${tail}`;
}

function parentRow(store: Store, parent: string, id: SqlValue | undefined): Row | undefined {
  if (typeof id !== 'string') return undefined;
  return store.get(`SELECT * FROM "${parent}" WHERE "${parent}id" = ?`, [id]);
}

/**
 * Before a create or update of a pipeline row is stored. `internal` marks writes of the messages
 * themselves (WinOpportunity, CloseQuote, …), which may make the state changes a PATCH may not.
 */
export function beforePipelineWrite(
  store: Store,
  table: TableDef,
  values: Map<string, SqlValue>,
  current: Row | undefined,
  options: { internal: boolean; random: () => number },
): void {
  const t = table.logicalName;
  const line = LINE_TABLES[t];
  if (line) {
    const parentId = values.has(line.parentAttribute) ? values.get(line.parentAttribute) : current?.[line.parentAttribute];
    const parent = parentRow(store, line.parent, parentId);
    if (parent) checkParentEditable(line.parent, parent, 'add or change its products');
    if (t === 'opportunityproduct' && parent && !options.internal) {
      // "You must select a price list before attempting to add a product" (Troubleshoot issues with an
      // opportunity, https://learn.microsoft.com/troubleshoot/dynamics-365/sales/troubleshoot-opportunities-issues).
      if (typeof parent.pricelevelid !== 'string') {
        throw invalidArgument('You must select a price list before attempting to add a product. Set the opportunity\'s price list (pricelevelid) first.');
      }
    }
    const productId = values.has('productid') ? values.get('productid') : current?.productid;
    if (typeof productId === 'string') {
      // "You can only add active products" (same page): a draft or retired product is refused.
      const product = store.get(`SELECT statecode, name FROM product WHERE productid = ?`, [productId]);
      if (product && product.statecode !== 0 && !options.internal) throw invalidArgument(`You can only add active products. The product "${String(product.name)}" is not active.`);
      const uom = values.has('uomid') ? values.get('uomid') : current?.uomid;
      if (typeof uom !== 'string' && !options.internal) throw invalidArgument('The unit (uomid) is required for an existing product.');
    } else {
      // "You must provide a value for product description" for a write-in product (same page).
      const description = values.has('productdescription') ? values.get('productdescription') : current?.productdescription;
      if (typeof description !== 'string' || description.trim() === '') throw invalidArgument('You must provide a value for product description (a write-in product needs its name), or choose an existing product.');
    }
    if (!options.internal) priceLine(store, values, current, parent && typeof parent.pricelevelid === 'string' ? parent.pricelevelid : null);
    return;
  }
  if (!current) {
    if (t === 'quote' && !values.get('quotenumber')) values.set('quotenumber', documentNumber('QUO', options.random));
    if (t === 'quote' && !values.has('revisionnumber')) values.set('revisionnumber', 0);
    if (t === 'salesorder' && !values.get('ordernumber')) values.set('ordernumber', documentNumber('ORD', options.random));
    return;
  }
  if (options.internal) return;
  const state = values.get('statecode');
  if (t === 'opportunity' && current.statecode !== OPP_OPEN && state !== OPP_OPEN) {
    // A closed opportunity is read-only until it is reopened ("Can't edit an opportunity", same page).
    throw invalidArgument('The opportunity is closed (won or lost) and read-only. Reopen it first (set statecode 0), then change it.');
  }
  if (t === 'quote') {
    // Activating a draft is a state change of its own; an active quote is locked ("Activate a quote":
    // the quote can't be edited, revise it instead, https://learn.microsoft.com/dynamics365/sales/create-edit-quote-sales),
    // and winning or closing it are messages (WinQuote, CloseQuote, ConvertQuoteToSalesOrder).
    const onlyState = [...values.keys()].every((k) => ['statecode', 'statuscode', 'modifiedon', 'modifiedby', 'versionnumber'].includes(k));
    if (state === 2 || state === 3) {
      throw invalidArgument(`This message can not be used to set the state of quote to ${state === 2 ? 'Won' : 'Closed'}. Use the ${state === 2 ? 'WinQuoteRequest or ConvertQuoteToSalesOrderRequest' : 'CloseQuoteRequest'} message instead.`);
    }
    if (state === QUOTE_DRAFT && current.statecode !== QUOTE_DRAFT) throw invalidArgument('A quote that is not a draft cannot be set back to Draft; use ReviseQuote to make a new draft revision.');
    if (state === QUOTE_ACTIVE && current.statecode !== QUOTE_DRAFT && current.statecode !== QUOTE_ACTIVE) throw invalidArgument('Only a draft quote can be activated.');
    if (current.statecode !== QUOTE_DRAFT && !onlyState) throw invalidArgument('The quote is not a draft and cannot be changed. Revise it (ReviseQuote) to get an editable draft.');
  }
  if (t === 'salesorder' && current.statecode !== ORDER_ACTIVE) throw invalidArgument('The order is not active and cannot be changed.');
}

/** Before a pipeline line is deleted: its parent must still be editable. */
export function beforePipelineDelete(store: Store, table: TableDef, current: Row): void {
  const line = LINE_TABLES[table.logicalName];
  if (!line) return;
  const parent = parentRow(store, line.parent, current[line.parentAttribute]);
  if (parent) checkParentEditable(line.parent, parent, 'remove its products');
}

function checkParentEditable(parent: string, row: Row, what: string): void {
  if (parent === 'opportunity' && row.statecode !== OPP_OPEN) throw invalidArgument(`The opportunity is closed (won or lost); reopen it to ${what}.`);
  if (parent === 'quote' && row.statecode !== QUOTE_DRAFT) throw invalidArgument(`The quote is not a draft; revise it (ReviseQuote) to ${what}.`);
  if (parent === 'salesorder' && row.statecode !== ORDER_ACTIVE) throw invalidArgument(`The order is not active; you cannot ${what}.`);
}
