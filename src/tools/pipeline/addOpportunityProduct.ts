import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { createConfirmed, guidArg, lookup, num, orNotFound, previewText, rowsOf, str } from '../shared.js';
import { getOpportunity, LINE_COLUMNS, LineSchema, money, moneyArg, openOpportunity, opportunityIdArg, PRODUCT_ACTIVE, productIdArg, toLine } from './pipelineData.js';

/**
 * `add_opportunity_product` (add_opportunity_product MCP tool reference): one opportunity product
 * line, priced by Dataverse from the opportunity's price list unless a unit price is given. The
 * opportunity's totals are not recalculated (recalculate_opportunity_price does that). Refused
 * before anyone is asked: a closed opportunity, one without a price list, an inactive product.
 */
export const addOpportunityProduct = defineTool({
  name: 'add_opportunity_product',
  kind: 'write',
  title: 'Add opportunity product',
  description: 'Adds a product line to an open opportunity: product, quantity, optional unit, unit-price override, manual discount and description. Dataverse prices the line from the opportunity\'s price list. Call recalculate_opportunity_price afterwards for updated totals.',
  input: z.object({
    opportunityId: opportunityIdArg,
    productId: productIdArg,
    quantity: z.number().positive().max(1_000_000_000).default(1).describe('Quantity (default 1).'),
    unitId: guidArg('Unit of the line; default the product\'s default unit.').optional(),
    pricePerUnit: moneyArg('Unit price override; only when the seller gives one.').optional(),
    manualDiscountAmount: moneyArg('Manual discount amount for the line.').optional(),
    description: z.string().trim().max(2000).optional().describe('Line description.'),
  }),
  output: z.object({ line: LineSchema, creationStatus: z.enum(['created']).describe('created: the line exists (never repeat a call that failed without checking)') }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const [row, product, keys] = await Promise.all([
      getOpportunity(ctx, args.opportunityId),
      orNotFound('product', args.productId, () =>
        ctx.dataverse.get('products', args.productId, {
          select: ['productid', 'name', 'productnumber', 'statecode', '_defaultuomid_value'],
          expand: [{ nav: 'product_price_levels', select: ['amount', '_pricelevelid_value', '_uomid_value'], top: 50 }],
        }),
      ),
      Promise.all([
        ctx.metadata.bindKey('opportunityproduct', 'opportunityid', 'opportunity'),
        ctx.metadata.bindKey('opportunityproduct', 'productid', 'product'),
        ctx.metadata.bindKey('opportunityproduct', 'uomid', 'uom'),
      ]),
      ctx.privileges.require({ table: 'opportunityproduct', ops: ['Create', 'Append'] }, { table: 'opportunity', ops: ['Read', 'AppendTo'] }, { table: 'product', ops: ['Read', 'AppendTo'] }),
    ]);
    const o = openOpportunity(row, 'add products');
    const name = str(product, 'name') ?? args.productId;
    if (num(product, 'statecode') !== PRODUCT_ACTIVE) throw new ToolError(`Product "${name}" is not active (draft, retired or under revision): only active products can be added.`, 'conflict');
    if (!o.priceList) throw new ToolError(`Opportunity "${o.name}" has no price list: set one (update_record with pricelevelid) before adding products.`, 'conflict');
    const unitId = args.unitId ?? lookup(product, 'defaultuomid')?.id;
    if (!unitId) throw new ToolError(`Product "${name}" has no default unit: pass unitId.`, 'invalid_argument');
    const priceRows = rowsOf(product, 'product_price_levels');
    const listed = priceRows.find((p) => str(p, '_pricelevelid_value') === o.priceList!.id && str(p, '_uomid_value') === unitId);
    if (args.pricePerUnit === undefined && !listed) {
      throw new ToolError(`Product "${name}" is not on price list ${o.priceList.name} in that unit: choose another product or unit, or give pricePerUnit.`, 'conflict');
    }
    const price = args.pricePerUnit ?? num(listed ?? {}, 'amount');
    const [opportunityKey, productKey, unitKey] = keys;
    const body = {
      [opportunityKey]: bind('opportunities', args.opportunityId),
      [productKey]: bind('products', args.productId),
      [unitKey]: bind('uoms', unitId),
      quantity: args.quantity,
      ...(args.pricePerUnit !== undefined && { ispriceoverridden: true, priceperunit: args.pricePerUnit }),
      ...(args.manualDiscountAmount !== undefined && { manualdiscountamount: args.manualDiscountAmount }),
      ...(args.description && { description: args.description }),
    };
    return {
      preview: {
        summary: `Add ${args.quantity} × ${name} to opportunity "${o.name}".`,
        details: {
          product: `${name}${str(product, 'productnumber') ? ` (${str(product, 'productnumber')})` : ''}`,
          quantity: args.quantity,
          pricePerUnit: `${money(price)}${args.pricePerUnit !== undefined ? ' (override)' : ` (${o.priceList.name})`}`,
          ...(args.manualDiscountAmount !== undefined && { manualDiscount: money(args.manualDiscountAmount) }),
          ...(args.description && { description: previewText(args.description) }),
        },
      },
      async run() {
        const { id, row: created } = await createConfirmed(ctx, { table: 'opportunityproduct', entitySet: 'opportunityproducts', primaryId: 'opportunityproductid' }, body, { select: LINE_COLUMNS });
        const line = toLine({ ...(created ?? {}), opportunityproductid: id });
        return {
          data: { line: { ...line, product: line.product || name }, creationStatus: 'created' as const },
          text: `Added ${args.quantity} × ${name} to "${o.name}" (line ${id}, ${money(line.extendedAmount)}). Totals update with recalculate_opportunity_price.`,
          target: `opportunityproduct:${id}`,
          records: [{ table: 'opportunity', id: args.opportunityId, name: o.name }],
        };
      },
    };
  },
});
