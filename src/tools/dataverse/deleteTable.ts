import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { TABLE_HEADER, tableNameArg } from './tableAccess.js';
import { deletable } from './tableSchema.js';

export const deleteTable = defineTool({
  name: 'delete_table',
  headers: TABLE_HEADER,
  kind: 'destructive',
  title: 'Delete table',
  description: 'Deletes a custom Dataverse table and all its rows. Standard tables cannot be deleted. Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg }),
  output: z.object({ table: z.string(), deleted: z.boolean() }),
  auditTarget: (args) => `table:${args.table_name}`,
  async prepare(args, ctx) {
    const [info] = await Promise.all([deletable(ctx, args.table_name), ctx.privileges.requireNamed('prvDeleteEntity')]);
    return {
      preview: { summary: `Permanently delete the table ${info.logicalName} ("${info.displayName}") and every row in it. This cannot be undone.`, details: { table: info.logicalName } },
      async run() {
        await ctx.dataverse.deleteTable(info.logicalName);
        ctx.metadata.forget(info.logicalName);
        return { data: { table: info.logicalName, deleted: true }, text: `Deleted table ${info.logicalName}.`, target: `table:${info.logicalName}` };
      },
    };
  },
});
