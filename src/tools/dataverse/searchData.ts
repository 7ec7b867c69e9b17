import { z } from 'zod';

import { MAX_SEARCH_CHARS, searchWords } from '../../dataverse/search.js';
import { defineTool, ToolError } from '../defineTool.js';
import { requireTable, tableAllowed } from './tableAccess.js';

/** Dataverse search returns at most 100 results per query (search/query, skip and top parameters). */
const SEARCH_WINDOW = 100;

const HitSchema = z.object({
  table: z.string().describe('Table logical name'),
  id: z.string(),
  name: z.string().describe('The row\'s primary name'),
  highlights: z.array(z.string()).describe('Matched fragments, the matched words in **bold**'),
  score: z.number().describe('Relevance score (higher is better)'),
});

const tableList = z
  .array(z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a table logical name'))
  .max(20)
  .optional()
  .describe('Only rows of these tables (logical names). Default: every table this agent may use that the org indexes for search.');

/**
 * `search_data`: relevance search over the records of this agent's tables through Dataverse
 * search, as the user (only rows they may read come back). One query over every indexed table
 * and all its searchable columns; rows of tables this agent may not use are dropped here, so the
 * agent never sees them.
 */
export const searchData = defineTool({
  name: 'search_data',
  title: 'Search records',
  description:
    'Relevance search (Dataverse search) over the records of the tables this agent may use: finds rows whose searchable columns match the words, best first, with the matched fragments. Use it when you do not know which table or column holds a value; use read_query for exact filters.',
  input: z.object({
    query: z.string().trim().min(1).max(MAX_SEARCH_CHARS).describe(`Words to search for (at most ${MAX_SEARCH_CHARS} characters; operators are searched as text).`),
    tables: tableList,
    top: z.number().int().min(1).max(50).default(10).describe('Rows to return (1-50, default 10).'),
  }),
  output: z.object({ results: z.array(HitSchema), more: z.boolean().describe('More rows matched than were returned') }),
  kind: 'read',
  async run({ query, tables, top }, ctx) {
    for (const t of tables ?? []) requireTable(ctx, t);
    const wanted = tables?.length ? new Set(tables) : undefined;
    const words = query.split(/\s+/).filter(Boolean);
    if (!words.length) throw new ToolError('Give at least one word to search for.', 'invalid_argument');
    const found = await ctx.dataverse.search({ search: searchWords(words), top: SEARCH_WINDOW });
    const kept = found.hits.filter((h) => tableAllowed(ctx, h.entityName) && (!wanted || wanted.has(h.entityName)));
    const results = kept.slice(0, top).map((h) => ({
      table: h.entityName,
      id: h.id,
      name: nameOf(h.attributes),
      highlights: Object.values(h.highlights)
        .flat()
        .slice(0, 3)
        .map((f) => f.replace(/\{crmhit\}/g, '**').replace(/\{\/crmhit\}/g, '**')),
      score: h.score,
    }));
    const more = kept.length > top || found.hits.length === SEARCH_WINDOW;
    const text = results.length
      ? results.map((r, i) => `${i + 1}. ${r.table} ${r.name ? `"${r.name}" ` : ''}(${r.id})${r.highlights[0] ? `: ${r.highlights[0]}` : ''}`).join('\n')
      : `No rows of ${wanted ? [...wanted].join(', ') : "this agent's tables"} match "${query}".`;
    return { data: { results, more }, text, records: results.map((r) => ({ table: r.table, id: r.id, name: r.name })) };
  },
});

/** The primary name the hit carries (its only selected column by default). */
function nameOf(attributes: Record<string, unknown>): string {
  for (const [k, v] of Object.entries(attributes)) if (!k.includes('@') && typeof v === 'string') return v;
  return '';
}
