import { z } from 'zod';

import { bind, le } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { guidArg, num, orNotFound, previewText, rowsOf, str } from '../shared.js';
import { dateArg, getOpportunity, QUOTE_STATE, money, moneyArg, openOpportunity, opportunityIdArg, OpportunitySchema, today, toOpportunity } from './pipelineData.js';

const WON = [3];
const LOST = [4, 5];

/**
 * `close_opportunity` (close_opportunity MCP tool reference): WinOpportunity or LoseOpportunity
 * with an opportunity close carrying revenue, close date, competitor and note. Lost defaults to
 * Out-Sold (5) when a competitor is named, else Canceled (4); won to Won (3).
 */
export const closeOpportunity = defineTool({
  name: 'close_opportunity',
  kind: 'write',
  // A lifecycle change: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Close opportunity',
  description: 'Closes an open opportunity as won or lost (WinOpportunity / LoseOpportunity), with actual revenue, close date, the competitor and a note. Refused while the opportunity has draft or active quotes. Always asks the user to confirm first.',
  input: z.object({
    opportunityId: opportunityIdArg,
    status: z.enum(['won', 'lost']).describe('Close outcome: won or lost.'),
    actualRevenue: moneyArg('Actual revenue booked at close; for a won deal defaults to the estimated revenue.').optional(),
    closeDate: dateArg('Close date (ISO 8601); default today.').optional(),
    competitorId: guidArg('The competitor that won (or lost) the deal.').optional(),
    description: z.string().trim().max(2000).optional().describe('Closing note, kept on the opportunity close.'),
    statusCode: z.number().int().optional().describe('Status reason: 3 Won; 4 Canceled or 5 Out-Sold for lost.'),
  }),
  output: z.object({ opportunity: OpportunitySchema }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const statusCode = args.statusCode ?? (args.status === 'won' ? 3 : args.competitorId ? 5 : 4);
    if (!(args.status === 'won' ? WON : LOST).includes(statusCode)) {
      throw new ToolError(`statusCode ${statusCode} is not a ${args.status} status reason; use ${(args.status === 'won' ? WON : LOST).join(' or ')}.`, 'invalid_argument');
    }
    const [row, competitor, closeKey, competitorKey] = await Promise.all([
      getOpportunity(ctx, args.opportunityId, [{ nav: 'opportunity_quotes', select: ['quotenumber', 'statecode'], filter: le('statecode', QUOTE_STATE.active), top: 5 }]),
      args.competitorId ? orNotFound('competitor', args.competitorId, () => ctx.dataverse.get('competitors', args.competitorId!, { select: ['competitorid', 'name'] })) : undefined,
      ctx.metadata.bindKey('opportunityclose', 'opportunityid', 'opportunity'),
      args.competitorId ? ctx.metadata.bindKey('opportunityclose', 'competitorid', 'competitor') : undefined,
      ctx.privileges.require({ table: 'opportunity', ops: ['Write', 'AppendTo'] }, { table: 'opportunityclose', ops: ['Create'] }),
    ]);
    const o = openOpportunity(row, 'close it again');
    const open = rowsOf(row, 'opportunity_quotes');
    if (open.length) {
      throw new ToolError(`Opportunity "${o.name}" has draft or active quotes (${open.map((q) => str(q, 'quotenumber')).join(', ')}): close them (close_quote) or convert the accepted one (convert_quote_to_order) first.`, 'conflict');
    }
    const revenue = args.actualRevenue ?? (args.status === 'won' ? num(row, 'estimatedvalue') : undefined);
    const closeDate = args.closeDate ?? today(ctx);
    return {
      preview: {
        summary: `Close opportunity "${o.name}" as ${args.status}${o.customer ? ` (${o.customer.name})` : ''}.`,
        details: {
          outcome: `${args.status} (status ${statusCode})`,
          closeDate,
          ...(revenue !== undefined && { actualRevenue: money(revenue) }),
          ...(competitor && { competitor: str(competitor, 'name') ?? '' }),
          ...(args.description && { note: previewText(args.description) }),
        },
      },
      async run() {
        await ctx.dataverse.action(args.status === 'won' ? 'WinOpportunity' : 'LoseOpportunity', {
          OpportunityClose: {
            '@odata.type': 'Microsoft.Dynamics.CRM.opportunityclose',
            subject: `Opportunity ${args.status}: ${o.name}`.slice(0, 200),
            [closeKey]: bind('opportunities', args.opportunityId),
            actualend: closeDate,
            ...(revenue !== undefined && { actualrevenue: revenue }),
            ...(competitorKey && args.competitorId && { [competitorKey]: bind('competitors', args.competitorId) }),
            ...(args.description && { description: args.description }),
          },
          Status: statusCode,
        });
        const after = toOpportunity(await getOpportunity(ctx, args.opportunityId));
        return { data: { opportunity: after }, text: `Closed "${after.name}" as ${after.state} (${after.status}).`, target: `opportunity:${args.opportunityId}`, records: [{ table: 'opportunity', id: args.opportunityId, name: after.name }] };
      },
    };
  },
});
