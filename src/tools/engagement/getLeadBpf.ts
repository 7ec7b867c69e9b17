import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound, str } from '../shared.js';
import { BpfSchema, bpfText, instanceOf, requireBpfTables, withStages } from './bpfData.js';

/**
 * `get_lead_bpf` (get_lead_bpf reference: `leadId`): the lead's business process flow instance,
 * its active stage and every stage of the path with its id, category and the table it belongs to;
 * `instance` is absent when the lead has no flow. Three requests (the lead and the instance at
 * once, then the stages).
 */
export const getLeadBpf = defineTool({
  name: 'get_lead_bpf',
  kind: 'read',
  title: 'Lead business process flow',
  description: 'Shows the sales process stage of a lead: the flow instance id, the active stage and each stage with its id, category and whether it belongs to the lead or to the opportunity (Develop and later need the lead qualified first).',
  input: z.object({ leadId: guidArg('The lead (its GUID).') }),
  aliases: { LeadId: 'leadId', msdyn_LeadId: 'leadId' },
  output: z.object({ leadId: z.string(), leadName: z.string(), instance: BpfSchema.optional() }),
  async run(args, ctx) {
    requireTable(ctx, 'lead');
    requireBpfTables(ctx);
    const [lead, found] = await Promise.all([orNotFound('lead', args.leadId, () => ctx.dataverse.get('leads', args.leadId, { select: ['leadid', 'fullname'] })), instanceOf(ctx, { lead: args.leadId })]);
    const instance = found ? await withStages(ctx, found) : undefined;
    const name = str(lead, 'fullname') ?? '';
    return {
      data: { leadId: args.leadId, leadName: name, ...(instance && { instance }) },
      text: bpfText(`Lead ${name}`, instance),
      records: [{ table: 'lead', id: args.leadId, name }],
    };
  },
});
