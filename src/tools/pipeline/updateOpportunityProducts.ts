import { z } from 'zod';

import { guid, inList } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { guidArg, lookup } from '../shared.js';
import { LINE_COLUMNS, LineSchema, money, moneyArg, openOpportunity, OPPORTUNITY_COLUMNS, opportunityIdArg, recalculate, toLine, TotalsSchema } from './pipelineData.js';

const Update = z.object({
  opportunityProductId: guidArg('The line to change.'),
  quantity: z.number().positive().max(1_000_000_000).optional().describe('New quantity.'),
  pricePerUnit: moneyArg('New unit price (marks the price as overridden).').optional(),
  manualDiscountAmount: moneyArg('New manual discount amount.').optional(),
  description: z.string().trim().max(2000).optional().describe('New line description.'),
});

/**
 * `update_opportunity_products` (MCP tool reference): patches existing lines of one open
 * opportunity and refreshes its totals. One read for all the lines (and their opportunity), one
 * PATCH per line, CalculatePrice and the totals.
 */
export const updateOpportunityProducts = defineTool({
  name: 'update_opportunity_products',
  kind: 'write',
  idempotent: true,
  title: 'Update opportunity products',
  description: 'Changes quantity, unit price, discount or description of existing product lines (up to 20) of one open opportunity, then recalculates its totals.',
  input: z.object({
    opportunityId: opportunityIdArg.optional().describe('The opportunity the lines must belong to (checked when given).'),
    updates: z.array(Update).min(1).max(20).describe('The line changes, keyed by opportunityProductId.'),
  }),
  output: z.object({ lines: z.array(LineSchema), totals: TotalsSchema }),
  auditTarget: (args) => `opportunity:${args.opportunityId ?? args.updates[0]?.opportunityProductId ?? ''}`,
  async prepare(args, ctx) {
    const ids = args.updates.map((u) => u.opportunityProductId.toLowerCase());
    if (new Set(ids).size !== ids.length) throw new ToolError('Each opportunityProductId may appear once in updates.', 'invalid_argument');
    for (const u of args.updates) {
      if (u.quantity === undefined && u.pricePerUnit === undefined && u.manualDiscountAmount === undefined && u.description === undefined) {
        throw new ToolError(`Nothing to change for line ${u.opportunityProductId}: give quantity, pricePerUnit, manualDiscountAmount or description.`, 'invalid_argument');
      }
    }
    const [page] = await Promise.all([
      ctx.dataverse.list('opportunityproducts', { select: LINE_COLUMNS, filter: inList('opportunityproductid', ids.map(guid)), expand: [{ nav: 'opportunityid', select: OPPORTUNITY_COLUMNS }], top: 20 }),
      ctx.privileges.require({ table: 'opportunityproduct', ops: ['Write'] }, { table: 'opportunity', ops: ['Write'] }),
    ]);
    const byId = new Map(page.rows.map((r) => [String(r['opportunityproductid']).toLowerCase(), r]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw new ToolError(`No opportunity product with id ${missing.join(', ')}.`, 'not_found');
    const parents = new Set(page.rows.map((r) => lookup(r, 'opportunityid')?.id));
    if (parents.size !== 1) throw new ToolError('The lines belong to different opportunities: update one opportunity per call.', 'invalid_argument');
    const opportunityId = [...parents][0]!;
    if (args.opportunityId && args.opportunityId.toLowerCase() !== opportunityId) throw new ToolError(`The lines do not belong to opportunity ${args.opportunityId}.`, 'invalid_argument');
    const o = openOpportunity((page.rows[0]!['opportunityid'] as Record<string, unknown>) ?? {}, 'change its products');
    const details: Record<string, string> = {};
    for (const u of args.updates) {
      const line = toLine(byId.get(u.opportunityProductId.toLowerCase())!);
      const changes = [
        u.quantity !== undefined && `quantity ${line.quantity} → ${u.quantity}`,
        u.pricePerUnit !== undefined && `price ${money(line.pricePerUnit)} → ${money(u.pricePerUnit)}`,
        u.manualDiscountAmount !== undefined && `discount ${money(line.manualDiscountAmount)} → ${money(u.manualDiscountAmount)}`,
        u.description !== undefined && 'description',
      ].filter(Boolean);
      details[line.product || u.opportunityProductId] = changes.join(', ');
    }
    return {
      preview: { summary: `Update ${args.updates.length} product line(s) of opportunity "${o.name}" and recalculate its totals.`, details },
      async run() {
        for (const u of args.updates) {
          await ctx.dataverse.update('opportunityproducts', u.opportunityProductId, {
            ...(u.quantity !== undefined && { quantity: u.quantity }),
            ...(u.pricePerUnit !== undefined && { ispriceoverridden: true, priceperunit: u.pricePerUnit }),
            ...(u.manualDiscountAmount !== undefined && { manualdiscountamount: u.manualDiscountAmount }),
            ...(u.description !== undefined && { description: u.description }),
          });
        }
        const totals = await recalculate(ctx, opportunityId);
        const after = await ctx.dataverse.list('opportunityproducts', { select: LINE_COLUMNS, filter: inList('opportunityproductid', ids.map(guid)), top: 20 });
        return {
          data: { lines: after.rows.map(toLine), totals },
          text: `Updated ${args.updates.length} line(s) of "${o.name}"; total now ${money(totals.totalAmount)}.`,
          target: `opportunity:${opportunityId}`,
          records: [{ table: 'opportunity', id: opportunityId, name: o.name }],
        };
      },
    };
  },
});
