import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { guidArg, orNotFound, str } from '../shared.js';
import { getOpportunity, opportunityIdArg, toOpportunity } from './pipelineData.js';

/** `link_competitor_to_opportunity` (MCP tool reference): the opportunitycompetitors_association link, added or removed. */
export const linkCompetitorToOpportunity = defineTool({
  name: 'link_competitor_to_opportunity',
  kind: 'write',
  idempotent: true,
  title: 'Link competitor to opportunity',
  description: 'Records a competitor on an opportunity, or removes it with unlink. Does not create the competitor (create_competitor) or change other fields.',
  input: z.object({
    opportunityId: opportunityIdArg,
    competitorId: guidArg('The competitor to link or unlink.'),
    unlink: z.boolean().default(false).describe('True to remove the link instead of adding it.'),
  }),
  output: z.object({ opportunityId: z.string(), competitorId: z.string(), linked: z.boolean() }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const [row, competitor] = await Promise.all([
      getOpportunity(ctx, args.opportunityId),
      orNotFound('competitor', args.competitorId, () => ctx.dataverse.get('competitors', args.competitorId, { select: ['competitorid', 'name'] })),
      ctx.privileges.require({ table: 'opportunity', ops: ['Append', 'AppendTo'] }, { table: 'competitor', ops: ['Append', 'AppendTo'] }),
    ]);
    const o = toOpportunity(row);
    const name = str(competitor, 'name') ?? args.competitorId;
    return {
      preview: { summary: args.unlink ? `Remove competitor ${name} from opportunity "${o.name}".` : `Record competitor ${name} on opportunity "${o.name}".`, details: { opportunity: o.name, competitor: name } },
      async run() {
        if (args.unlink) await ctx.dataverse.disassociate('opportunities', args.opportunityId, 'opportunitycompetitors_association', { id: args.competitorId });
        else await ctx.dataverse.associate('opportunities', args.opportunityId, 'opportunitycompetitors_association', { entitySet: 'competitors', id: args.competitorId });
        return {
          data: { opportunityId: args.opportunityId, competitorId: args.competitorId, linked: !args.unlink },
          text: args.unlink ? `Removed ${name} from "${o.name}".` : `${name} is recorded on "${o.name}".`,
          target: `opportunity:${args.opportunityId}`,
          records: [{ table: 'opportunity', id: args.opportunityId, name: o.name }, { table: 'competitor', id: args.competitorId, name }],
        };
      },
    };
  },
});
