import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { label, lookup, LookupSchema, num, orNotFound, str } from '../shared.js';
import { productIdArg } from './pipelineData.js';

export const ProductSchema = z.object({
  productId: z.string(),
  name: z.string(),
  productNumber: z.string(),
  description: z.string().optional(),
  state: z.string().describe('Active, Retired, Draft or Under Revision'),
  listPrice: z.number().optional(),
  type: z.string().optional(),
  defaultUnit: LookupSchema.optional(),
  defaultPriceList: LookupSchema.optional(),
});

export const PRODUCT_COLUMNS = ['productid', 'name', 'productnumber', 'description', 'statecode', 'price', 'producttypecode', '_defaultuomid_value', '_pricelevelid_value'] as const;

export function toProduct(row: Record<string, unknown>): z.infer<typeof ProductSchema> {
  const unit = lookup(row, 'defaultuomid');
  const list = lookup(row, 'pricelevelid');
  const price = num(row, 'price');
  const description = str(row, 'description');
  const type = label(row, 'producttypecode');
  return {
    productId: str(row, 'productid') ?? '',
    name: str(row, 'name') ?? '',
    productNumber: str(row, 'productnumber') ?? '',
    ...(description && { description }),
    state: label(row, 'statecode') ?? '',
    ...(price !== undefined && { listPrice: price }),
    ...(type && { type }),
    ...(unit && { defaultUnit: unit }),
    ...(list && { defaultPriceList: list }),
  };
}

/** `get_product` (MCP tool reference): one product's catalogue details. One request. */
export const getProduct = defineTool({
  name: 'get_product',
  kind: 'read',
  title: 'Get product',
  description: "Reads a product's catalogue details by id: name, product number, description, state, list price, default unit and default price list. For what it costs on a price list use get_product_pricing.",
  input: z.object({ productId: productIdArg }),
  output: z.object({ product: ProductSchema }),
  async run({ productId }, ctx) {
    const product = toProduct(await orNotFound('product', productId, () => ctx.dataverse.get('products', productId, { select: PRODUCT_COLUMNS })));
    return { data: { product }, text: `${product.name} (${product.productNumber}), ${product.state}.`, records: [{ table: 'product', id: productId, name: product.name }] };
  },
});
