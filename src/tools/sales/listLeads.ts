import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, contains, eq, ge, gt, guid, inList, le, ne, type OrderBy, or, queryFunction } from '../../dataverse/odata.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { cursorArg, guidArg, PAGE_BYTES, pageWithCursor, pagingNote, searchArg, topArg } from '../shared.js';
import {
  type Engagement,
  engagementFor,
  getLead,
  LEAD_RATING,
  LEAD_SOURCE,
  LEAD_STATE,
  leadLine,
  leadQuery,
  leadRecords,
  LeadSchema,
  leadScoring,
  type LeadView,
  NO_SCORING_NOTE,
  toLead,
  withScore,
} from './leadData.js';

/** Orderings Dataverse can do itself; score and last activity are ranked here over a bounded window. */
const SERVER_ORDER: Record<string, OrderBy[]> = {
  newest: [{ property: 'createdon', descending: true }],
  oldest: [{ property: 'createdon' }],
  name: [{ property: 'fullname' }],
  company: [{ property: 'companyname' }, { property: 'fullname' }],
  estimated_value: [{ property: 'estimatedvalue', descending: true }],
  rating: [{ property: 'leadqualitycode' }, { property: 'createdon', descending: true }],
};
/** The most leads ranked in memory for score / last-activity ordering; beyond it the caller must narrow. */
const RANK_WINDOW = 1000;

const input = z.object({
  leadId: guidArg('Fetch this one lead.').optional(),
  search: searchArg('Text to find in the lead name, company, email or topic.'),
  status: z.enum(['open', 'qualified', 'disqualified', 'all']).default('open').describe('Lead state; default open.'),
  source: z.enum(Object.keys(LEAD_SOURCE) as [keyof typeof LEAD_SOURCE, ...Array<keyof typeof LEAD_SOURCE>]).optional().describe('Lead source.'),
  rating: z.enum(['hot', 'warm', 'cold']).optional(),
  createdWithinDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe("Only leads created in the last N calendar days, counted as Dataverse's LastXDays does: from midnight N days before today until now (1 = yesterday and today)."),
  activityWithinDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe('Only leads with an email, call, task or appointment in the last N calendar days (from midnight N days before today, as LastXDays counts). For a rolling window use activityWithinHours.'),
  activityWithinHours: z
    .number()
    .int()
    .min(1)
    .max(8760)
    .optional()
    .describe('Only leads with an email, call, task or appointment in the last N hours, a rolling window ending now (48 = the last two days to the minute).'),
  minScore: z.number().int().min(0).max(100).optional().describe('Only leads whose predictive score is at least this (0-100).'),
  orderBy: z
    .enum(['newest', 'oldest', 'name', 'company', 'estimated_value', 'rating', 'score', 'last_activity'])
    .default('newest')
    .describe('Sort order; score and last_activity rank up to 1,000 matching leads.'),
  top: topArg,
  cursor: cursorArg,
});

export const listLeads = defineTool({
  name: 'D365_Sales_ListLeads',
  title: 'List leads',
  description:
    'Lists leads (open by default, newest first) or finds leads by name, company, email or topic. Filters: status, source, rating, created or last-activity window, minimum predictive score (where the organisation has predictive scoring; notes say when it has not). Each lead carries its score, last activity and interaction count. Returns ids for the other sales tools.',
  input,
  output: z.object({
    leads: z.array(LeadSchema),
    nextCursor: z.string().optional().describe('Pass back as cursor for the next page'),
    totalCount: z.number().optional().describe('Matching leads (capped at 5000 by Dataverse)'),
    engagementAvailable: z.boolean().describe('False when your role cannot read activities'),
    notes: z.array(z.string()).optional().describe('What the listing could not do as asked (e.g. no predictive scoring in this organisation)'),
  }),
  kind: 'read',
  async run(args, ctx) {
    const scoring = await leadScoring(ctx);
    const notes: string[] = [];
    if (!scoring && (args.minScore !== undefined || args.orderBy === 'score')) {
      notes.push(
        `${NO_SCORING_NOTE}${args.minScore !== undefined ? ' minScore was not applied.' : ''}${args.orderBy === 'score' ? ' Ranked by rating, then last activity, then newest instead of score.' : ''}`,
      );
    }
    if (args.leadId) {
      const row = await getLead(ctx, args.leadId);
      const engagement = await engagementFor(ctx, [args.leadId]);
      const lead = toLead(row, engagement?.get(args.leadId.toLowerCase()) ?? (engagement && { count: 0, lastOn: undefined, lastType: undefined, activities: [] }));
      return { data: { leads: [lead], engagementAvailable: engagement !== undefined }, text: leadLine(lead), records: leadRecords([lead]) };
    }

    if (args.activityWithinDays !== undefined && args.activityWithinHours !== undefined) {
      throw new ToolError('Give activityWithinDays (calendar days) or activityWithinHours (rolling hours), not both.', 'invalid_argument');
    }
    let restrictTo: string[] | undefined;
    if (args.activityWithinDays !== undefined) restrictTo = await recentlyActiveLeads(ctx, 'LastXDays', args.activityWithinDays);
    if (args.activityWithinHours !== undefined) restrictTo = await recentlyActiveLeads(ctx, 'LastXHours', args.activityWithinHours);
    if (restrictTo && restrictTo.length === 0) {
      return { data: { leads: [], engagementAvailable: true, ...(notes.length && { notes }) }, text: `No leads had activity in that window.${notes.map((n) => ` ${n}`).join('')}` };
    }

    const filter = and(
      args.status !== 'all' && eq('statecode', LEAD_STATE[args.status]),
      args.source && eq('leadsourcecode', LEAD_SOURCE[args.source]),
      args.rating && eq('leadqualitycode', LEAD_RATING[args.rating]),
      args.search && or(contains('fullname', args.search), contains('companyname', args.search), contains('emailaddress1', args.search), contains('subject', args.search)),
      args.createdWithinDays !== undefined && queryFunction('LastXDays', 'createdon', args.createdWithinDays),
      args.minScore !== undefined && scoring && ge(`${scoring.navigation}/msdyn_score`, args.minScore),
      restrictTo && inList('leadid', restrictTo.map((id) => guid(id))),
    );
    const query = { ...leadQuery(scoring), filter, count: true };

    let rows: Row[];
    let nextCursor: string | undefined;
    let count: number | undefined;
    let engagement: Map<string, Engagement> | undefined;
    if (args.orderBy === 'score' || args.orderBy === 'last_activity') {
      const offset = args.cursor ? Number(ctx.cursors.open(args.cursor).extra?.['offset'] ?? 0) : 0;
      const window = await ctx.dataverse.list('leads', { ...query, orderby: SERVER_ORDER['newest'] }, { pageSize: RANK_WINDOW, maxRows: RANK_WINDOW });
      if (window.next) {
        throw new ToolError(`More than ${RANK_WINDOW} leads match, too many to rank by ${args.orderBy.replace('_', ' ')}. Narrow the filters (e.g. createdWithinDays or minScore).`, 'invalid_argument');
      }
      engagement = await engagementFor(ctx, window.rows.map((r) => String(r['leadid'])));
      const byActivity = (a: LeadView, b: LeadView) => (b.lastActivityOn ?? '').localeCompare(a.lastActivityOn ?? '');
      const byRating = (a: Row, b: Row) => Number(a['leadqualitycode'] ?? 9) - Number(b['leadqualitycode'] ?? 9);
      const ranked = window.rows
        .map((r) => withScore(r, scoring))
        .map((r) => ({ row: r, lead: toLead(r, engagement?.get(String(r['leadid']).toLowerCase())) }))
        .sort((a, b) =>
          args.orderBy === 'last_activity'
            ? byActivity(a.lead, b.lead)
            : scoring
              ? (b.lead.score ?? -1) - (a.lead.score ?? -1) || b.lead.createdOn.localeCompare(a.lead.createdOn)
              : byRating(a.row, b.row) || byActivity(a.lead, b.lead) || b.lead.createdOn.localeCompare(a.lead.createdOn),
        );
      rows = ranked.slice(offset, offset + args.top).map((r) => r.row);
      count = ranked.length;
      nextCursor = offset + args.top < ranked.length ? ctx.cursors.seal({ next: 'rank', extra: { offset: offset + args.top } }) : undefined;
    } else {
      const page = await pageWithCursor(
        ctx,
        args.cursor,
        () => ctx.dataverse.list('leads', { ...query, orderby: SERVER_ORDER[args.orderBy] }, { pageSize: args.top, maxRows: args.top, maxBytes: PAGE_BYTES }),
        args.top,
      );
      rows = page.rows.map((r) => withScore(r, scoring));
      nextCursor = page.nextCursor;
      count = page.count;
      engagement = await engagementFor(ctx, rows.map((r) => String(r['leadid'])));
    }

    const none = { count: 0, lastOn: undefined, lastType: undefined, activities: [] };
    const leads = rows.map((r) => toLead(r, engagement ? (engagement.get(String(r['leadid']).toLowerCase()) ?? none) : undefined));
    const text = leads.length
      ? `${leads.length} lead(s):\n${leads.map(leadLine).join('\n')}${pagingNote(leads.length, nextCursor, count)}`
      : 'No leads match.';
    return {
      data: {
        leads,
        ...(nextCursor && { nextCursor }),
        ...(count !== undefined && { totalCount: count }),
        engagementAvailable: engagement !== undefined,
        ...(notes.length && { notes }),
      },
      text: `${text}${notes.map((n) => `\n${n}`).join('')}`,
      records: leadRecords(leads),
    };
  },
});

/**
 * Leads with an interaction in the window, from one activity query (at most 500, newest first).
 * The interaction date is the one the lead rows report (`lastActivityOn`): when the activity ended,
 * or when it was recorded if it has not ended yet.
 */
async function recentlyActiveLeads(ctx: ToolContext, window: 'LastXDays' | 'LastXHours', n: number): Promise<string[]> {
  const page = await ctx.dataverse.list(
    'activitypointers',
    {
      select: ['activityid', '_regardingobjectid_value'],
      filter: or(
        and(ne('actualend', null), le('actualend', ctx.now()), queryFunction(window, 'actualend', n)),
        and(or(eq('actualend', null), gt('actualend', ctx.now())), queryFunction(window, 'createdon', n)),
      ),
      orderby: [{ property: 'createdon', descending: true }],
    },
    { pageSize: 5000, maxRows: 5000 },
  );
  const ids = new Set<string>();
  for (const r of page.rows) {
    const id = r['_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname'] === 'lead' ? r['_regardingobjectid_value'] : undefined;
    if (typeof id === 'string') ids.add(id.toLowerCase());
    if (ids.size >= 500) break;
  }
  return [...ids];
}
