import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound, str } from '../shared.js';
import { BpfSchema, bpfText, instanceOf, OPPORTUNITY_FLOW, requireBpfTables, withStages } from './bpfData.js';

/**
 * `get_opportunity_bpf` (get_opportunity_bpf reference: `opportunityId`): the opportunity's flow
 * instance with its stages: the Lead to Opportunity Sales Process it joined when its lead was
 * qualified, or the Opportunity Sales Process of an opportunity created without a lead (where the
 * agent allows that table). Three requests: the opportunity and both flows at once, then the stages.
 */
export const getOpportunityBpf = defineTool({
  name: 'get_opportunity_bpf',
  kind: 'read',
  title: 'Opportunity business process flow',
  description: 'Shows the sales process stage of an opportunity: the flow instance id, the active stage and each stage with its id, category and table, for moving it on with update_bpf_stage.',
  input: z.object({ opportunityId: guidArg('The opportunity (its GUID).') }),
  aliases: { OpportunityId: 'opportunityId', msdyn_OpportunityId: 'opportunityId' },
  output: z.object({ opportunityId: z.string(), opportunityName: z.string(), instance: BpfSchema.optional(), note: z.string().optional() }),
  async run(args, ctx) {
    requireTable(ctx, 'opportunity');
    requireBpfTables(ctx);
    const [opportunity, found] = await Promise.all([
      orNotFound('opportunity', args.opportunityId, () => ctx.dataverse.get('opportunities', args.opportunityId, { select: ['opportunityid', 'name'] })),
      instanceOf(ctx, { opportunity: args.opportunityId }),
    ]);
    const instance = found ? await withStages(ctx, found) : undefined;
    const name = str(opportunity, 'name') ?? '';
    const note = instance
      ? undefined
      : tableAllowed(ctx, OPPORTUNITY_FLOW.table)
        ? 'No sales process flow instance includes this opportunity (neither the Lead to Opportunity nor the Opportunity Sales Process); it gets one when it is opened in the app.'
        : 'No Lead to Opportunity Sales Process instance includes this opportunity (it was not qualified from a lead); this agent does not allow the Opportunity Sales Process table (opportunitysalesprocess).';
    return {
      data: { opportunityId: args.opportunityId, opportunityName: name, ...(instance && { instance }), ...(note && { note }) },
      text: instance ? bpfText(`Opportunity ${name}`, instance) : `Opportunity ${name}: ${note}`,
      records: [{ table: 'opportunity', id: args.opportunityId, name }],
    };
  },
});
