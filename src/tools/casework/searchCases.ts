import { z } from 'zod';

import { and, contains, eq, type Filter, guid, inList, or } from '../../dataverse/odata.js';
import { searchWords } from '../../dataverse/search.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { guidArg } from '../shared.js';
import { CASE_COLUMNS, CASE_STATE, CaseSchema, caseLine, caseRecords, toCase } from '../service/caseFields.js';

const WORDS = /[\p{L}\p{N}][\p{L}\p{N}'-]*/gu;

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
    const words = args.query.match(WORDS) ?? [];
    if (words.length === 0) throw new ToolError('The query has no words to search for.', 'invalid_argument');
    const filter = args.state === 'active' ? eq('statecode', CASE_STATE.active) : undefined;
    if (args.customerId) return customerCases(ctx, args.query, words, args.customerId, filter, args.top);
    const hits = (await ctx.dataverse.search({ search: searchWords(words), entities: [{ name: 'incident', selectColumns: ['title'], searchColumns: ['title', 'ticketnumber', 'description'], ...(filter && { filter }) }], top: 50 })).hits;
    const ids = hits.map((h) => h.id.toLowerCase());
    if (ids.length === 0) return { data: { cases: [] }, text: `No ${args.state === 'active' ? 'active ' : ''}case matches "${args.query}".` };
    // The search index lags behind writes and knows no customer filter: read the cases as the user, then keep the search's order.
    const page = await ctx.dataverse.list('incidents', { select: CASE_COLUMNS, filter: inList('incidentid', ids.map((id) => guid(id))), top: ids.length }, { maxRows: ids.length });
    const byId = new Map(page.rows.map((r) => [String(r['incidentid']).toLowerCase(), toCase(r)]));
    const score = new Map(hits.map((h) => [h.id.toLowerCase(), h.score]));
    const cases = ids
      .map((id) => byId.get(id))
      .filter((c): c is NonNullable<typeof c> => c !== undefined)
      .slice(0, args.top)
      .map((c) => ({ ...c, score: score.get(c.caseId.toLowerCase()) ?? 0 }));
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
