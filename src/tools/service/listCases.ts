import { z } from 'zod';

import { and, contains, eq, guid, or, queryFunction } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { cursorArg, guidArg, orNotFound, PAGE_BYTES, pageWithCursor, pagingNote, searchArg, topArg } from '../shared.js';
import { CASE_COLUMNS, CASE_STATE, CaseSchema, caseLine, caseRecords, PRIORITY, toCase } from './caseFields.js';

export const listCases = defineTool({
  name: 'D365_CustomerService_ListCases',
  title: 'List cases',
  description:
    'Gets cases (incidents): one by caseId, or a list filtered by text in the title or ticket number, state, priority, customer and age. Newest first. Returns ids to use with the other case tools.',
  input: z.object({
    caseId: guidArg('Fetch this one case.').optional(),
    search: searchArg('Text to find in the case title or ticket number (e.g. "CAS-01234").'),
    state: z.enum(['active', 'resolved', 'cancelled', 'all']).default('active').describe('Case state; default active.'),
    priority: z.enum(['high', 'normal', 'low']).optional(),
    customerId: guidArg('Only cases of this account or contact.').optional(),
    createdWithinDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe("Only cases created in the last N calendar days, counted as Dataverse's LastXDays does: from midnight N days before today until now (1 = yesterday and today)."),
    top: topArg,
    cursor: cursorArg,
  }),
  output: z.object({
    cases: z.array(CaseSchema),
    nextCursor: z.string().optional().describe('Pass back as cursor for the next page'),
    totalCount: z.number().optional().describe('Matching cases (capped at 5000 by Dataverse)'),
  }),
  kind: 'read',
  async run(args, ctx) {
    if (args.caseId) {
      const row = await orNotFound('case', args.caseId, () => ctx.dataverse.get('incidents', args.caseId!, { select: CASE_COLUMNS }));
      const c = toCase(row);
      return { data: { cases: [c] }, text: caseLine(c), records: caseRecords([c]) };
    }
    const filter = and(
      args.state !== 'all' && eq('statecode', CASE_STATE[args.state]),
      args.priority && eq('prioritycode', PRIORITY[args.priority]),
      args.customerId && eq('_customerid_value', guid(args.customerId)),
      args.search && or(contains('title', args.search), contains('ticketnumber', args.search)),
      args.createdWithinDays !== undefined && queryFunction('LastXDays', 'createdon', args.createdWithinDays),
    );
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () =>
        ctx.dataverse.list('incidents', { select: CASE_COLUMNS, filter, orderby: [{ property: 'createdon', descending: true }], count: true }, {
          pageSize: args.top,
          maxRows: args.top,
          maxBytes: PAGE_BYTES,
        }),
      args.top,
    );
    const cases = page.rows.map(toCase);
    const text = cases.length
      ? `${cases.length} case(s):\n${cases.map(caseLine).join('\n')}${pagingNote(cases.length, page.nextCursor, page.count)}`
      : 'No cases match.';
    return {
      data: { cases, ...(page.nextCursor && { nextCursor: page.nextCursor }), ...(page.count !== undefined && { totalCount: page.count }) },
      text,
      records: caseRecords(cases),
    };
  },
});
