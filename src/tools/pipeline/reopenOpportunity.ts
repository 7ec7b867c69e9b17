import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { num } from '../shared.js';
import { getOpportunity, OPPORTUNITY_STATE, opportunityIdArg, OpportunitySchema, toOpportunity } from './pipelineData.js';

const OPEN_STATUS = { 1: 'In Progress', 2: 'On Hold' } as const;

/**
 * `reopen_opportunity` (reopen_opportunity MCP tool reference): a won or lost opportunity back to
 * Open, In Progress (1) unless On Hold (2) is asked for. A state change (SetState through PATCH);
 * products, revenue and other fields stay as they are.
 */
export const reopenOpportunity = defineTool({
  name: 'reopen_opportunity',
  kind: 'write',
  idempotent: true,
  title: 'Reopen opportunity',
  description: 'Reopens a won or lost opportunity so the seller can keep working it (status In Progress, or On Hold with statusCode 2). Changes nothing else.',
  input: z.object({
    opportunityId: opportunityIdArg,
    statusCode: z.number().int().min(1).max(2).default(1).describe('Open status reason: 1 In Progress (default) or 2 On Hold.'),
  }),
  output: z.object({ opportunity: OpportunitySchema }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([getOpportunity(ctx, args.opportunityId), ctx.privileges.require({ table: 'opportunity', ops: ['Write'] })]);
    const o = toOpportunity(row);
    if (num(row, 'statecode') === OPPORTUNITY_STATE.open) throw new ToolError(`Opportunity "${o.name}" is already open (${o.status}); nothing to reopen.`, 'conflict');
    return {
      preview: { summary: `Reopen opportunity "${o.name}" (now ${o.state}) as ${OPEN_STATUS[args.statusCode as 1 | 2]}.`, details: { opportunity: o.name, from: `${o.state} (${o.status})`, to: `Open (${OPEN_STATUS[args.statusCode as 1 | 2]})` } },
      async run() {
        await ctx.dataverse.update('opportunities', args.opportunityId, { statecode: OPPORTUNITY_STATE.open, statuscode: args.statusCode });
        const after = toOpportunity(await getOpportunity(ctx, args.opportunityId));
        return { data: { opportunity: after }, text: `Reopened "${after.name}" (${after.status}).`, target: `opportunity:${args.opportunityId}`, records: [{ table: 'opportunity', id: args.opportunityId, name: after.name }] };
      },
    };
  },
});
