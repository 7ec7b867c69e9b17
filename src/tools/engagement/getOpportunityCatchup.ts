import { z } from 'zod';

import { ge } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, label, orNotFound, str } from '../shared.js';
import { brief, BriefFields, rowsOf } from './accountData.js';
import { byNewest, Change, changeSentences, recentTimeline, sinceDate, sinceDaysArg } from './catchupData.js';

/**
 * `get_opportunity_catchup` (get_opportunity_catchup reference: `opportunityId`; Microsoft's tool
 * calls msdyn_SalesOpportunityCatchup): recent changes on a deal: its own edits and stage, quotes
 * and product lines created or changed, activities and notes logged. Three requests at once.
 */
export const getOpportunityCatchup = defineTool({
  name: 'get_opportunity_catchup',
  kind: 'read',
  title: 'Opportunity catch-up',
  description: 'Catches a seller up on an opportunity before acting: what changed in the last days (the deal and its stage, quotes, product lines, activities and notes), newest first.',
  input: z.object({ opportunityId: guidArg('The opportunity (its GUID).'), sinceDays: sinceDaysArg }),
  aliases: { OpportunityId: 'opportunityId', msdyn_OpportunityId: 'opportunityId', recordId: 'opportunityId' },
  output: z.object({ opportunityId: z.string(), name: z.string(), state: z.string(), stage: z.string().optional(), since: z.string(), changes: z.array(Change), ...BriefFields }),
  async run(args, ctx) {
    requireTable(ctx, 'opportunity');
    const since = sinceDate(ctx.now(), args.sinceDays);
    const recent = ge('modifiedon', since);
    const [row, timeline] = await Promise.all([
      orNotFound('opportunity', args.opportunityId, () =>
        ctx.dataverse.get('opportunities', args.opportunityId, {
          select: ['opportunityid', 'name', 'statecode', 'stepname', 'modifiedon', 'createdon'],
          expand: [
            ...(tableAllowed(ctx, 'quote') ? [{ nav: 'opportunity_quotes', select: ['quoteid', 'name', 'createdon', 'modifiedon'], filter: recent, top: 25 }] : []),
            ...(tableAllowed(ctx, 'opportunityproduct') ? [{ nav: 'product_opportunities', select: ['opportunityproductid', 'opportunityproductname', 'createdon', 'modifiedon'], filter: recent, top: 25 }] : []),
          ],
        }),
      ),
      recentTimeline(ctx, args.opportunityId, since),
    ]);
    const name = str(row, 'name') ?? '';
    const at = since.toISOString();
    const touched = (table: string, id: string, nameCol: string) => (r: Record<string, unknown>) => {
      const created = (str(r, 'createdon') ?? '') >= at;
      return { table, id: str(r, id) ?? '', name: str(r, nameCol) ?? '', what: created ? `${table} created` : `${table} changed`, on: (created ? str(r, 'createdon') : str(r, 'modifiedon')) ?? '' };
    };
    const changes = [
      ...((str(row, 'modifiedon') ?? '') >= at ? [touched('opportunity', 'opportunityid', 'name')(row)] : []),
      ...rowsOf(row, 'opportunity_quotes').map(touched('quote', 'quoteid', 'name')),
      ...rowsOf(row, 'product_opportunities').map(touched('opportunityproduct', 'opportunityproductid', 'opportunityproductname')),
      ...timeline,
    ].sort(byNewest);
    const stage = str(row, 'stepname');
    const state = label(row, 'statecode') ?? '';
    const head = [{ text: `${name} is ${state.toLowerCase() || 'in an unknown state'}${stage ? `, in ${stage}` : ''}.`, fields: ['statecode', 'stepname'] }];
    const { text, ...written } = await brief(ctx, { table: 'opportunity', recordId: args.opportunityId, name, purpose: 'catchup', sentences: changeSentences(name, changes, args.sinceDays, head) });
    return {
      data: { opportunityId: args.opportunityId, name, state, ...(stage && { stage }), since: at, changes, ...written },
      text,
      records: [{ table: 'opportunity', id: args.opportunityId, name }, ...changes.filter((c) => c.table !== 'opportunity').map((c) => ({ table: c.table, id: c.id, name: c.name }))],
    };
  },
});
