import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { getOpportunity, money, openOpportunity, opportunityIdArg, recalculate, TotalsSchema } from './pipelineData.js';

/** `recalculate_opportunity_price` (MCP tool reference): CalculatePrice on the opportunity, then its totals. */
export const recalculateOpportunityPrice = defineTool({
  name: 'recalculate_opportunity_price',
  kind: 'write',
  idempotent: true,
  title: 'Recalculate opportunity price',
  description: 'Recalculates an open opportunity\'s totals from its product lines (Dynamics 365 price calculation) and returns them; with system-calculated revenue the estimated revenue follows.',
  input: z.object({ opportunityId: opportunityIdArg }),
  output: z.object({ totals: TotalsSchema }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([getOpportunity(ctx, args.opportunityId), ctx.privileges.require({ table: 'opportunity', ops: ['Read', 'Write'] })]);
    const o = openOpportunity(row, 'recalculate its price');
    return {
      preview: { summary: `Recalculate the totals of opportunity "${o.name}" from its product lines.`, details: { currentTotal: money(o.totalAmount) } },
      async run() {
        const totals = await recalculate(ctx, args.opportunityId);
        return { data: { totals }, text: `"${o.name}": lines ${money(totals.detailAmount)}, total ${money(totals.totalAmount)}.`, target: `opportunity:${args.opportunityId}`, records: [{ table: 'opportunity', id: args.opportunityId, name: o.name }] };
      },
    };
  },
});
