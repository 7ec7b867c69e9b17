import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { tableAllowed } from './tableAccess.js';

const labelOf = (v: unknown): string => (v as { UserLocalizedLabel?: { Label?: string } | null } | undefined)?.UserLocalizedLabel?.Label ?? '';

export const listTables = defineTool({
  name: 'list_tables',
  toolset: 'dataverse',
  title: 'List tables',
  description: 'Lists the Dataverse tables this agent may use, with their logical names (for describe_table and read_query) and display names.',
  input: z.object({}),
  output: z.object({
    tables: z.array(z.object({ name: z.string().describe('Logical name'), displayName: z.string(), entitySetName: z.string(), custom: z.boolean() })),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(_args, ctx) {
    const defs = await ctx.dataverse.entityDefinitions(['LogicalName', 'EntitySetName', 'DisplayName', 'IsCustomEntity']);
    const tables = defs
      .map((d) => ({ name: String(d['LogicalName']), displayName: labelOf(d['DisplayName']), entitySetName: String(d['EntitySetName'] ?? ''), custom: d['IsCustomEntity'] === true }))
      .filter((t) => tableAllowed(ctx, t.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { data: { tables }, text: `${tables.length} table(s): ${tables.map((t) => `${t.name} (${t.displayName})`).join(', ')}` };
  },
});
