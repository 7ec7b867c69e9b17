import { z } from 'zod';

import { defineTool, type ToolContext } from '../defineTool.js';
import { tableDescription } from './describeTable.js';
import { requireTable, TABLE_HEADER, tableAllowed } from './tableAccess.js';

const TableSchema = z.object({ name: z.string().describe('Logical name'), displayName: z.string(), entitySetName: z.string(), custom: z.boolean() });

const ColumnSchema = z.object({
  name: z.string(),
  type: z.string(),
  displayName: z.string(),
  requiredLevel: z.string(),
  maxLength: z.number().optional(),
  lookupTargets: z.array(z.string()).optional(),
  options: z.array(z.object({ value: z.number(), label: z.string() })).optional().describe('Choice values and their labels'),
});

const DescribedSchema = z.object({
  table: z.string(),
  displayName: z.string(),
  entitySetName: z.string(),
  primaryId: z.string(),
  primaryName: z.string(),
  columns: z.array(ColumnSchema),
  relationships: z
    .array(z.object({ column: z.string(), target: z.string().describe('Table the lookup points to'), navigation: z.string().describe('Navigation property (for @odata.bind)') }))
    .describe('Lookups of this table (many-to-one relationships)'),
  tsql: z.string().optional().describe('CREATE TABLE rendering of every column, for read_query (absent when a keyword narrowed the columns)'),
});

/** A keyword matches a name or display name when every word of it occurs in either (case-insensitive). */
export function matchesKeyword(keyword: string, ...texts: readonly string[]): boolean {
  const words = keyword.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  if (!words.length) return true;
  const hay = texts.join(' ').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/**
 * `describe`, the 2026 Dataverse MCP server's one discovery tool for what `list_tables` and
 * `describe_table` did: without a table, the tables this agent may use (narrowed by a keyword);
 * with one, its columns, choices and lookups (narrowed by a keyword). Metadata is cached per org.
 */
export const describeTool = defineTool({
  name: 'describe',
  title: 'Describe tables, columns and choices',
  description:
    'Describes Dataverse metadata. Without table_name: the tables this agent may use, optionally those matching keyword. With table_name: its columns (types, required level, lengths, lookup targets, choice values), its lookups and a T-SQL schema for read_query; keyword then narrows the columns (e.g. a choice column by name).',
  input: z.object({
    table_name: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a table logical name such as "account" or "new_project"')
      .optional()
      .describe('Table logical name to describe, e.g. "lead". Leave empty to list tables.'),
    keyword: z.string().trim().min(1).max(100).optional().describe('Words to match in table names (no table_name) or column names and labels (with table_name).'),
  }),
  output: z.object({ tables: z.array(TableSchema).describe('Tables matching (only without table_name)'), description: DescribedSchema.optional() }),
  headers: TABLE_HEADER,
  kind: 'read',
  async run({ table_name, keyword }, ctx) {
    if (!table_name) {
      const tables = (await ctx.metadata.tables())
        .filter((t) => tableAllowed(ctx, t.logicalName) && (!keyword || matchesKeyword(keyword, t.logicalName, t.displayName)))
        .map((t) => ({ name: t.logicalName, displayName: t.displayName, entitySetName: t.entitySetName, custom: t.isCustom }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const text = tables.length
        ? `${tables.length} table(s): ${tables.map((t) => `${t.name} (${t.displayName})`).join(', ')}. Call describe with table_name for columns.`
        : `No table${keyword ? ` matching "${keyword}"` : ''} is available on this agent.`;
      return { data: { tables }, text };
    }
    requireTable(ctx, table_name);
    const description = await describeOne(ctx, table_name, keyword);
    const text = keyword
      ? `${description.table}: ${description.columns.length} column(s) matching "${keyword}": ${description.columns.map((c) => `${c.name} ${c.type}${c.options ? ` (${c.options.map((o) => `${o.value}=${o.label}`).join(', ')})` : ''}`).join('; ') || 'none'}.`
      : `${description.tsql ?? ''}\nLookups: ${description.relationships.map((r) => `${r.column} → ${r.target}`).join(', ') || 'none'}`;
    return { data: { tables: [], description }, text };
  },
});

async function describeOne(ctx: ToolContext, table: string, keyword: string | undefined): Promise<z.output<typeof DescribedSchema>> {
  const [full, lookups] = await Promise.all([tableDescription(ctx, table), ctx.metadata.lookups(table)]);
  const columns = keyword ? full.columns.filter((c) => matchesKeyword(keyword, c.name, c.displayName)) : full.columns;
  const names = new Set(columns.map((c) => c.name));
  const relationships = lookups.filter((l) => names.has(l.attribute)).map((l) => ({ column: l.attribute, target: l.target, navigation: l.navigation }));
  const { tsql, ...rest } = full;
  return { ...rest, columns, relationships, ...(!keyword && { tsql }) };
}
