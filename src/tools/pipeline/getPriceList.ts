import { z } from 'zod';

import { and, contains, eq } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { guidArg, label, num, orNotFound, rowsOf, str } from '../shared.js';
import { PRICE_ROW_COLUMNS, PriceRowSchema, toPriceRow } from './getProductPricing.js';

const LIST_COLUMNS = ['pricelevelid', 'name', 'description', 'begindate', 'enddate', 'statecode'] as const;

/**
 * `get_price_list` (MCP tool reference): one price list by id, or by a name that matches one
 * active list, with up to `top` of its item rows. One request either way.
 */
export const getPriceList = defineTool({
  name: 'get_price_list',
  kind: 'read',
  title: 'Get price list',
  description: 'Reads a price list (by id, or by name among the active lists) and, unless includeProducts is false, its product price rows.',
  input: z.object({
    priceListId: guidArg('The price list.').optional(),
    priceListName: z.string().trim().min(1).max(100).optional().describe('Name (or part of it) of an active price list, when the id is not known.'),
    includeProducts: z.boolean().default(true).describe('Include the product price rows (default true).'),
    top: z.number().int().min(1).max(100).default(25).describe('Product rows to return (1-100, default 25).'),
  }),
  output: z.object({
    priceList: z.object({ priceListId: z.string(), name: z.string(), description: z.string().optional(), state: z.string(), beginDate: z.string().optional(), endDate: z.string().optional() }),
    products: z.array(PriceRowSchema),
  }),
  async run(args, ctx) {
    if (!args.priceListId && !args.priceListName) throw new ToolError('Give priceListId or priceListName.', 'invalid_argument');
    const expand = args.includeProducts ? [{ nav: 'price_level_product_price_levels', select: PRICE_ROW_COLUMNS, top: args.top }] : [];
    let row: Record<string, unknown>;
    if (args.priceListId) {
      const id = args.priceListId;
      row = await orNotFound('price list', id, () => ctx.dataverse.get('pricelevels', id, { select: LIST_COLUMNS, expand }));
    } else {
      const page = await ctx.dataverse.list('pricelevels', { select: LIST_COLUMNS, filter: and(eq('statecode', 0), contains('name', args.priceListName!)), expand, top: 6 });
      const exact = page.rows.filter((r) => str(r, 'name')?.toLowerCase() === args.priceListName!.toLowerCase());
      const matches = exact.length === 1 ? exact : page.rows;
      if (matches.length === 0) throw new ToolError(`No active price list matches "${args.priceListName}".`, 'not_found');
      if (matches.length > 1) throw new ToolError(`Several active price lists match "${args.priceListName}": ${matches.map((r) => str(r, 'name')).join(', ')}. Use the full name or priceListId.`, 'invalid_argument');
      row = matches[0]!;
    }
    const items = rowsOf(row, 'price_level_product_price_levels');
    const priceList = {
      priceListId: str(row, 'pricelevelid') ?? '',
      name: str(row, 'name') ?? '',
      ...(str(row, 'description') && { description: str(row, 'description')! }),
      state: label(row, 'statecode') ?? String(num(row, 'statecode') ?? ''),
      ...(str(row, 'begindate') && { beginDate: str(row, 'begindate')! }),
      ...(str(row, 'enddate') && { endDate: str(row, 'enddate')! }),
    };
    return {
      data: { priceList, products: items.map(toPriceRow) },
      text: `${priceList.name} (${priceList.state})${args.includeProducts ? `: ${items.length} product price(s) shown` : ''}.`,
      records: [{ table: 'pricelevel', id: priceList.priceListId, name: priceList.name }],
    };
  },
});
