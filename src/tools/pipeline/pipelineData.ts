import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { guidArg, label, lookup, LookupSchema, num, orNotFound, str } from '../shared.js';

/** State values as Dataverse stores them (opportunity, quote and product table references). */
export const OPPORTUNITY_STATE = { open: 0, won: 1, lost: 2 } as const;
export const QUOTE_STATE = { draft: 0, active: 1, won: 2, closed: 3 } as const;
export const PRODUCT_ACTIVE = 0;

export const opportunityIdArg = guidArg('The opportunity (its GUID; find it with D365_Sales_ListLeads / read_query or a search first).');
export const quoteIdArg = guidArg('The quote (its GUID).');
export const productIdArg = guidArg('The product (its GUID).');

/** A date (YYYY-MM-DD) or an ISO 8601 date-time. */
export const dateArg = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/, 'must be an ISO 8601 date such as 2026-11-20')
    .describe(what);

export const moneyArg = (what: string) => z.number().min(0).max(100_000_000_000).describe(what);

export function today(ctx: ToolContext): string {
  return ctx.now().toISOString().slice(0, 10);
}

export const OPPORTUNITY_COLUMNS = [
  'opportunityid',
  'name',
  'statecode',
  'statuscode',
  'estimatedvalue',
  'actualvalue',
  'estimatedclosedate',
  'actualclosedate',
  'closeprobability',
  'totallineitemamount',
  'totalamount',
  'stepname',
  'description',
  '_customerid_value',
  '_pricelevelid_value',
  '_ownerid_value',
] as const;

export const OpportunitySchema = z.object({
  opportunityId: z.string(),
  name: z.string(),
  state: z.string().describe('Open, Won or Lost'),
  status: z.string().describe('Status reason'),
  estimatedRevenue: z.number().optional(),
  actualRevenue: z.number().optional(),
  totalAmount: z.number().optional().describe('Sum of the product lines after discounts (after the last price calculation)'),
  estimatedCloseDate: z.string().optional(),
  actualCloseDate: z.string().optional(),
  probability: z.number().optional(),
  customer: LookupSchema.optional(),
  priceList: LookupSchema.optional(),
  owner: z.string(),
});
export type OpportunityView = z.infer<typeof OpportunitySchema>;

export function toOpportunity(row: Row): OpportunityView {
  const customer = lookup(row, 'customerid');
  const priceList = lookup(row, 'pricelevelid');
  const optional = (k: string, v: number | string | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    opportunityId: str(row, 'opportunityid') ?? '',
    name: str(row, 'name') ?? '',
    state: label(row, 'statecode') ?? '',
    status: label(row, 'statuscode') ?? '',
    ...optional('estimatedRevenue', num(row, 'estimatedvalue')),
    ...optional('actualRevenue', num(row, 'actualvalue')),
    ...optional('totalAmount', num(row, 'totalamount')),
    ...optional('estimatedCloseDate', str(row, 'estimatedclosedate')),
    ...optional('actualCloseDate', str(row, 'actualclosedate')),
    ...optional('probability', num(row, 'closeprobability')),
    ...(customer && { customer }),
    ...(priceList && { priceList }),
    owner: lookup(row, 'ownerid')?.name ?? '',
  };
}

export const LINE_COLUMNS = [
  'opportunityproductid',
  'opportunityproductname',
  '_opportunityid_value',
  '_productid_value',
  'productdescription',
  '_uomid_value',
  'quantity',
  'priceperunit',
  'baseamount',
  'manualdiscountamount',
  'tax',
  'extendedamount',
  'ispriceoverridden',
  'description',
  'pricingerrorcode',
] as const;

export const LineSchema = z.object({
  opportunityProductId: z.string(),
  product: z.string().describe('Product name, or the write-in description'),
  productId: z.string().optional(),
  unit: z.string().optional(),
  quantity: z.number(),
  pricePerUnit: z.number().optional(),
  amount: z.number().optional(),
  manualDiscountAmount: z.number().optional(),
  extendedAmount: z.number().optional(),
  priceOverridden: z.boolean(),
  pricingError: z.string().optional().describe('Why Dataverse could not price the line, if it could not'),
});
export type LineView = z.infer<typeof LineSchema>;

export function toLine(row: Row): LineView {
  const product = lookup(row, 'productid');
  const error = num(row, 'pricingerrorcode');
  const optional = (k: string, v: number | string | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    opportunityProductId: str(row, 'opportunityproductid') ?? '',
    product: product?.name || str(row, 'productdescription') || '',
    ...(product && { productId: product.id }),
    ...optional('unit', lookup(row, 'uomid')?.name),
    quantity: num(row, 'quantity') ?? 0,
    ...optional('pricePerUnit', num(row, 'priceperunit')),
    ...optional('amount', num(row, 'baseamount')),
    ...optional('manualDiscountAmount', num(row, 'manualdiscountamount')),
    ...optional('extendedAmount', num(row, 'extendedamount')),
    priceOverridden: row['ispriceoverridden'] === true,
    ...(error ? { pricingError: label(row, 'pricingerrorcode') ?? String(error) } : {}),
  };
}

export const QUOTE_COLUMNS = ['quoteid', 'name', 'quotenumber', 'revisionnumber', 'statecode', 'statuscode', 'totalamount', 'totallineitemamount', '_opportunityid_value', '_customerid_value', '_pricelevelid_value'] as const;

export const QuoteSchema = z.object({
  quoteId: z.string(),
  name: z.string(),
  quoteNumber: z.string(),
  revision: z.number(),
  state: z.string().describe('Draft, Active, Won or Closed, in your language'),
  stateCode: z.number().describe('The state as a number, for decisions: 0 Draft, 1 Active, 2 Won, 3 Closed'),
  status: z.string(),
  totalAmount: z.number().optional(),
  opportunity: LookupSchema.optional(),
  customer: LookupSchema.optional(),
});
export type QuoteView = z.infer<typeof QuoteSchema>;

export function toQuote(row: Row): QuoteView {
  const opportunity = lookup(row, 'opportunityid');
  const customer = lookup(row, 'customerid');
  const total = num(row, 'totalamount');
  return {
    quoteId: str(row, 'quoteid') ?? '',
    name: str(row, 'name') ?? '',
    quoteNumber: str(row, 'quotenumber') ?? '',
    revision: num(row, 'revisionnumber') ?? 0,
    state: label(row, 'statecode') ?? '',
    stateCode: num(row, 'statecode') ?? -1,
    status: label(row, 'statuscode') ?? '',
    ...(total !== undefined && { totalAmount: total }),
    ...(opportunity && { opportunity }),
    ...(customer && { customer }),
  };
}

export const TotalsSchema = z.object({
  opportunityId: z.string(),
  detailAmount: z.number().describe('Sum of the lines after line discounts'),
  totalAmount: z.number(),
  estimatedRevenue: z.number().optional(),
});

export function money(value: number | undefined): string {
  return value === undefined ? '—' : value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export async function getOpportunity(ctx: ToolContext, id: string, expand: Parameters<ToolContext['dataverse']['get']>[2]['expand'] = undefined): Promise<Row> {
  return orNotFound('opportunity', id, () => ctx.dataverse.get('opportunities', id, { select: OPPORTUNITY_COLUMNS, ...(expand && { expand }) }));
}

export async function getQuote(ctx: ToolContext, id: string): Promise<Row> {
  return orNotFound('quote', id, () => ctx.dataverse.get('quotes', id, { select: QUOTE_COLUMNS }));
}

/** An open opportunity, or the sentence saying why it cannot be changed. */
export function openOpportunity(row: Row, action: string): OpportunityView {
  const o = toOpportunity(row);
  if (num(row, 'statecode') !== OPPORTUNITY_STATE.open) {
    throw new ToolError(`Opportunity "${o.name}" is ${o.state.toLowerCase() || 'closed'}: reopen it (reopen_opportunity) before you ${action}.`, 'conflict');
  }
  return o;
}

/** Recomputes the opportunity's totals (CalculatePrice) and reads them back: two requests. */
export async function recalculate(ctx: ToolContext, opportunityId: string): Promise<z.infer<typeof TotalsSchema>> {
  await ctx.dataverse.action('CalculatePrice', { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.opportunity', opportunityid: opportunityId } });
  const row = await ctx.dataverse.get('opportunities', opportunityId, { select: ['opportunityid', 'totallineitemamount', 'totalamount', 'estimatedvalue'] });
  const estimated = num(row, 'estimatedvalue');
  return { opportunityId, detailAmount: num(row, 'totallineitemamount') ?? 0, totalAmount: num(row, 'totalamount') ?? 0, ...(estimated !== undefined && { estimatedRevenue: estimated }) };
}
