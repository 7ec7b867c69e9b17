import { z } from 'zod';

import { and, contains, eq, type Filter, guid, or } from '../../dataverse/odata.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { queryWords, searchAndRead } from '../searchRead.js';
import { guidArg } from '../shared.js';
import { CASE_COLUMNS, CASE_STATE, CaseSchema, caseLine, caseRecords, toCase } from '../service/caseFields.js';

/**
 * `search_cases` (MCP tool reference): cases ranked by relevance to keywords in their title, number
 * and description (Dataverse search), optionally of one customer. Two requests: the search, then
 * the cases it found read as the user, in rank order.
 */
export const searchCases = defineTool({
  name: 'search_cases',
  kind: 'read',
  title: 'Search cases',
  description: 'Finds cases by keywords in the title, ticket number or description, ranked by relevance (Dataverse search; for one customer, by how many of the words each case contains); active or all.',
  input: z.object({
    query: z.string().trim().min(1).max(100).describe('Keywords, e.g. "printer offline".'),
    customerId: guidArg('Only cases of this account or contact.').optional(),
    state: z.enum(['active', 'all']).default('active').describe('Active cases only (default) or every state.'),
    top: z.number().int().min(1).max(50).default(10).describe('How many (1-50, default 10).'),
  }),
  output: z.object({ cases: z.array(CaseSchema.extend({ score: z.number() })) }),
  async run(args, ctx) {
    const words = queryWords(args.query);
    const filter = args.state === 'active' ? eq('statecode', CASE_STATE.active) : undefined;
    if (args.customerId) return customerCases(ctx, args.query, words, args.customerId, filter, args.top);
    const found = await searchAndRead(
      ctx,
      words,
      { name: 'incident', selectColumns: ['title'], searchColumns: ['title', 'ticketnumber', 'description'], ...(filter && { filter }) },
      { entitySet: 'incidents', idField: 'incidentid', select: CASE_COLUMNS },
      50,
    );
    const cases = found.slice(0, args.top).map(({ row, score }) => ({ ...toCase(row), score }));
    return {
      data: { cases },
      text: cases.length ? `${cases.length} case(s) for "${args.query}", best first:\n${cases.map(caseLine).join('\n')}` : `No ${args.state === 'active' ? 'active ' : ''}case matches "${args.query}".`,
      records: caseRecords(cases),
    };
  },
});

/**
 * One customer's cases: Dataverse search has no customer filter on cases, so this runs as an OData
 * query on that customer (every case of theirs that contains a word), ranked by how many of the
 * words each contains. One request.
 */
async function customerCases(ctx: ToolContext, query: string, words: readonly string[], customerId: string, state: Filter | undefined, top: number) {
  const terms = words.slice(0, 10);
  const page = await ctx.dataverse.list(
    'incidents',
    { select: CASE_COLUMNS, filter: and(eq('_customerid_value', guid(customerId)), state, or(...terms.flatMap((w) => [contains('title', w), contains('description', w), contains('ticketnumber', w)]))), orderby: [{ property: 'createdon', descending: true }], top: 200 },
    { maxRows: 200 },
  );
  const cases = page.rows
    .map((r) => {
      const c = toCase(r);
      const text = `${c.title} ${c.description} ${c.ticketNumber}`.toLowerCase();
      return { ...c, score: terms.filter((w) => text.includes(w.toLowerCase())).length };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, top);
  return {
    data: { cases },
    text: cases.length ? `${cases.length} case(s) of that customer for "${query}", best first:\n${cases.map(caseLine).join('\n')}` : `No case of that customer matches "${query}".`,
    records: caseRecords(cases),
  };
}
