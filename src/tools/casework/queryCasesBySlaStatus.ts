import { z } from 'zod';

import { and, eq, guid, or } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { cursorArg, PAGE_BYTES, pageWithCursor, pagingNote, topArg } from '../shared.js';
import { CASE_STATE, caseLine } from '../service/caseFields.js';
import { CASE_WITH_SLA, CaseSlaSchema, SLA_STATUS, slaLine, toCaseSla } from './caseworkData.js';

const NAV = { resolve_by: 'resolvebykpiid', first_response: 'firstresponsebykpiid' } as const;

/**
 * `query_cases_by_sla_status` (MCP tool reference): active cases whose resolve-by (or first-response)
 * KPI is in a given state, oldest first; `at_risk` is nearing noncompliance or noncompliant. One
 * request per page: the filter runs on the KPI lookup in Dataverse, not here.
 */
export const queryCasesBySlaStatus = defineTool({
  name: 'query_cases_by_sla_status',
  kind: 'read',
  title: 'Query cases by SLA status',
  description:
    'Finds active cases by SLA state: at_risk (nearing noncompliance or noncompliant), nearing_noncompliance, noncompliant, in_progress or succeeded, on the resolve-by KPI (default) or the first-response KPI; optionally only yours. Oldest first, with each case\'s KPIs.',
  input: z.object({
    status: z.enum(['at_risk', 'nearing_noncompliance', 'noncompliant', 'in_progress', 'succeeded']).default('at_risk').describe('SLA state to find; default at_risk.'),
    kpi: z.enum(['resolve_by', 'first_response']).default('resolve_by').describe('Which KPI to judge by; default resolve_by.'),
    ownedByMe: z.boolean().default(false).describe('Only cases you own.'),
    top: topArg,
    cursor: cursorArg,
  }),
  output: z.object({ cases: z.array(CaseSlaSchema), nextCursor: z.string().optional(), totalCount: z.number().optional() }),
  async run(args, ctx) {
    await ctx.privileges.require({ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] });
    const path = `${NAV[args.kpi]}/status`;
    const statusFilter =
      args.status === 'at_risk' ? or(eq(path, SLA_STATUS.nearing_noncompliance), eq(path, SLA_STATUS.noncompliant)) : eq(path, SLA_STATUS[args.status]);
    const me = args.ownedByMe ? await ctx.user() : undefined;
    const filter = and(eq('statecode', CASE_STATE.active), statusFilter, me && eq('_ownerid_value', guid(me.systemUserId)));
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () => ctx.dataverse.list('incidents', { ...CASE_WITH_SLA, filter, orderby: [{ property: 'createdon' }], count: true }, { pageSize: args.top, maxRows: args.top, maxBytes: PAGE_BYTES }),
      args.top,
    );
    const now = ctx.now();
    const cases = page.rows.map((r) => toCaseSla(r, now));
    const kpiName = args.kpi === 'resolve_by' ? 'resolve-by' : 'first-response';
    const text = cases.length
      ? `${cases.length} active case(s) with the ${kpiName} KPI ${args.status.replace(/_/g, ' ')}:\n${cases
          .map((c) => `${caseLine(c)}\n  ${c.sla.map(slaLine).join('; ')}`)
          .join('\n')}${pagingNote(cases.length, page.nextCursor, page.count)}`
      : `No active case${args.ownedByMe ? ' of yours' : ''} has its ${kpiName} KPI ${args.status.replace(/_/g, ' ')}.`;
    return {
      data: { cases, ...(page.nextCursor && { nextCursor: page.nextCursor }), ...(page.count !== undefined && { totalCount: page.count }) },
      text,
      records: cases.map((c) => ({ table: 'incident', id: c.caseId, name: c.title })),
    };
  },
});
