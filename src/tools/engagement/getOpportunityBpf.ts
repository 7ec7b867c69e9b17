import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound, str } from '../shared.js';
import { BpfSchema, bpfText, instanceOf, requireBpfTables, withStages } from './bpfData.js';

/**
 * `get_opportunity_bpf` (get_opportunity_bpf reference: `opportunityId`): the flow instance the
 * opportunity joined when its lead was qualified, with its stages. Opportunities created without
 * a lead run the Opportunity Sales Process, which this server does not read: the result says so.
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
    const [opportunity, row] = await Promise.all([
      orNotFound('opportunity', args.opportunityId, () => ctx.dataverse.get('opportunities', args.opportunityId, { select: ['opportunityid', 'name'] })),
      instanceOf(ctx, { opportunity: args.opportunityId }),
    ]);
    const instance = row ? await withStages(ctx, row) : undefined;
    const name = str(opportunity, 'name') ?? '';
    const note = instance ? undefined : 'No Lead to Opportunity Sales Process instance includes this opportunity (it was not qualified from a lead); the Opportunity Sales Process is not read by this server.';
    return {
      data: { opportunityId: args.opportunityId, opportunityName: name, ...(instance && { instance }), ...(note && { note }) },
      text: instance ? bpfText(`Opportunity ${name}`, instance) : `Opportunity ${name}: ${note}`,
      records: [{ table: 'opportunity', id: args.opportunityId, name }],
    };
  },
});
