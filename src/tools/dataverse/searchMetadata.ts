import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { describe } from './tableAccess.js';
import { tableAllowed } from './tableAccess.js';

const MatchSchema = z.object({
  kind: z.enum(['table', 'column']),
  table: z.string().describe('Table logical name'),
  tableDisplayName: z.string(),
  column: z.string().optional().describe('Column logical name (column matches)'),
  displayName: z.string().describe('Display name of the table or column'),
  type: z.string().optional().describe('Column type (column matches)'),
  score: z.number().describe('How many of the words matched, names counting more than labels'),
});

const words = (text: string) => [...new Set(text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 1 || /\d/.test(w)))];

/** Words found in the logical name count 2, in the display name 1: "account number" finds accountnumber first. */
function score(query: readonly string[], name: string, displayName: string): number {
  const n = name.toLowerCase();
  const d = displayName.toLowerCase();
  let s = 0;
  for (const w of query) s += (n.includes(w) ? 2 : 0) + (d.includes(w) ? 1 : 0);
  return s;
}

/**
 * `search`, the 2026 Dataverse MCP server's metadata search: tables and columns of this agent's
 * tables whose names or labels match the words. Table definitions are cached per org, so a warm
 * call makes no request.
 */
export const searchMetadata = defineTool({
  name: 'search',
  title: 'Search tables and columns',
  description:
    'Finds the tables and columns this agent may use whose names or display names match keywords (e.g. "attendee email", "lead source"). Use it to discover where data lives; then describe a table, query it with read_query, or search its records with search_data.',
  input: z.object({
    query: z.string().trim().min(1).max(200).describe('Keywords to look for in table and column names and labels.'),
    top: z.number().int().min(1).max(50).default(20).describe('Matches to return (1-50, default 20).'),
  }),
  output: z.object({ matches: z.array(MatchSchema), total: z.number().describe('Matches found before top was applied') }),
  kind: 'read',
  async run({ query, top }, ctx) {
    const q = words(query);
    if (!q.length) return { data: { matches: [], total: 0 }, text: 'Give at least one word of two or more letters.' };
    const tables = (await ctx.metadata.tables()).filter((t) => tableAllowed(ctx, t.logicalName));
    const definitions = await Promise.all(tables.map((t) => describe(ctx, t.logicalName)));
    const matches: z.output<typeof MatchSchema>[] = [];
    for (const info of definitions) {
      const tableName = info.displayName || info.logicalName;
      const ts = score(q, info.logicalName, info.displayName);
      if (ts > 0) matches.push({ kind: 'table', table: info.logicalName, tableDisplayName: tableName, displayName: tableName, score: ts });
      for (const a of info.attributes.values()) {
        const cs = score(q, a.name, a.displayName);
        if (cs > 0) matches.push({ kind: 'column', table: info.logicalName, tableDisplayName: tableName, column: a.name, displayName: a.displayName || a.name, type: a.type, score: cs });
      }
    }
    matches.sort((a, b) => b.score - a.score || (a.kind === b.kind ? 0 : a.kind === 'table' ? -1 : 1) || a.table.localeCompare(b.table) || (a.column ?? '').localeCompare(b.column ?? ''));
    const shown = matches.slice(0, top);
    const text = shown.length
      ? shown.map((m) => (m.kind === 'table' ? `table ${m.table} (${m.displayName})` : `column ${m.table}.${m.column} (${m.displayName}, ${m.type})`)).join('\n') +
        (matches.length > shown.length ? `\n… ${matches.length - shown.length} more; raise top or use more specific words.` : '')
      : `No table or column on this agent matches "${query}".`;
    return { data: { matches: shown, total: matches.length }, text };
  },
});
