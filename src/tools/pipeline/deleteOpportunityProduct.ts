import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { guidArg, lookup, orNotFound } from '../shared.js';
import { LINE_COLUMNS, money, openOpportunity, OPPORTUNITY_COLUMNS, recalculate, toLine, TotalsSchema } from './pipelineData.js';

/** `delete_opportunity_product` (MCP tool reference): removes one line, then refreshes the totals. */
export const deleteOpportunityProduct = defineTool({
  name: 'delete_opportunity_product',
  kind: 'destructive',
  title: 'Delete opportunity product',
  description: 'Removes a product line from an open opportunity and returns the refreshed opportunity totals. Always asks the user to confirm first.',
  input: z.object({ opportunityProductId: guidArg('The opportunity product line to remove.') }),
  output: z.object({ deletedOpportunityProductId: z.string(), totals: TotalsSchema }),
  auditTarget: (args) => `opportunityproduct:${args.opportunityProductId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([
      orNotFound('opportunity product', args.opportunityProductId, () =>
        ctx.dataverse.get('opportunityproducts', args.opportunityProductId, { select: LINE_COLUMNS, expand: [{ nav: 'opportunityid', select: OPPORTUNITY_COLUMNS }] }),
      ),
      ctx.privileges.require({ table: 'opportunityproduct', ops: ['Delete'] }, { table: 'opportunity', ops: ['Write'] }),
    ]);
    const line = toLine(row);
    const opportunityId = lookup(row, 'opportunityid')?.id ?? '';
    const o = openOpportunity((row['opportunityid'] as Record<string, unknown> | undefined) ?? {}, 'remove its products');
    return {
      preview: { summary: `Remove ${line.quantity} × ${line.product} from opportunity "${o.name}".`, details: { line: `${line.quantity} × ${line.product}`, extendedAmount: money(line.extendedAmount) } },
      async run() {
        await ctx.dataverse.delete('opportunityproducts', args.opportunityProductId);
        const totals = await recalculate(ctx, opportunityId);
        return {
          data: { deletedOpportunityProductId: args.opportunityProductId, totals },
          text: `Removed ${line.product} from "${o.name}"; total now ${money(totals.totalAmount)}.`,
          target: `opportunityproduct:${args.opportunityProductId}`,
          records: [{ table: 'opportunity', id: opportunityId, name: o.name }],
        };
      },
    };
  },
});
