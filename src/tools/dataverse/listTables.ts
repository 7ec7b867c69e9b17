import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { tableAllowed } from './tableAccess.js';

export const listTables = defineTool({
  name: 'list_tables',
  title: 'List tables',
  description: 'Lists the Dataverse tables this agent may use, with their logical names (for describe_table and read_query) and display names.',
  input: z.object({}),
  output: z.object({
    tables: z.array(z.object({ name: z.string().describe('Logical name'), displayName: z.string(), entitySetName: z.string(), custom: z.boolean() })),
  }),
  kind: 'read',
  async run(_args, ctx) {
    const tables = (await ctx.metadata.tables())
      .map((t) => ({ name: t.logicalName, displayName: t.displayName, entitySetName: t.entitySetName, custom: t.isCustom }))
      .filter((t) => tableAllowed(ctx, t.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { data: { tables }, text: `${tables.length} table(s): ${tables.map((t) => `${t.name} (${t.displayName})`).join(', ')}` };
  },
});
