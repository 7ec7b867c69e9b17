import { z } from 'zod';

import { and, eq, guid } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { guidArg, lookup, LookupSchema, num, orNotFound, str } from '../shared.js';
import { money, productIdArg } from './pipelineData.js';

export const PriceRowSchema = z.object({
  priceListItemId: z.string(),
  priceList: LookupSchema.optional(),
  product: LookupSchema.optional(),
  unit: LookupSchema.optional(),
  amount: z.number().optional(),
});

export const PRICE_ROW_COLUMNS = ['productpricelevelid', '_pricelevelid_value', '_productid_value', '_uomid_value', 'amount'] as const;

export function toPriceRow(row: Record<string, unknown>): z.infer<typeof PriceRowSchema> {
  const priceList = lookup(row, 'pricelevelid');
  const product = lookup(row, 'productid');
  const unit = lookup(row, 'uomid');
  const amount = num(row, 'amount');
  return { priceListItemId: str(row, 'productpricelevelid') ?? '', ...(priceList && { priceList }), ...(product && { product }), ...(unit && { unit }), ...(amount !== undefined && { amount }) };
}

/** `get_product_pricing` (MCP tool reference): a product's price list items, optionally on one list. One request. */
export const getProductPricing = defineTool({
  name: 'get_product_pricing',
  kind: 'read',
  title: 'Get product pricing',
  description: "Reads a product's price-list rows (price list, unit, amount), optionally on one price list.",
  input: z.object({
    productId: productIdArg,
    priceListId: guidArg('Only this price list.').optional(),
    top: z.number().int().min(1).max(50).default(20).describe('Rows to return (1-50, default 20).'),
  }),
  output: z.object({ prices: z.array(PriceRowSchema) }),
  async run({ productId, priceListId, top }, ctx) {
    const page = await orNotFound('product', productId, () =>
      ctx.dataverse.list('productpricelevels', {
        select: PRICE_ROW_COLUMNS,
        filter: and(eq('_productid_value', guid(productId)), priceListId ? eq('_pricelevelid_value', guid(priceListId)) : undefined),
        orderby: [{ property: 'amount', descending: true }],
        top,
      }),
    );
    const prices = page.rows.map(toPriceRow);
    const text = prices.length ? prices.map((p) => `${p.priceList?.name ?? ''}: ${money(p.amount)} per ${p.unit?.name ?? 'unit'}`).join('; ') : 'This product is on no price list (or none you may read).';
    return { data: { prices }, text };
  },
});
