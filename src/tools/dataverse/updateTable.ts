import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { TABLE_HEADER, tableNameArg } from './tableAccess.js';
import { addColumns, columnOf, columnsArg, columnsSummary, extendable } from './tableSchema.js';

export const updateTable = defineTool({
  name: 'update_table',
  headers: TABLE_HEADER,
  kind: 'write',
  // Schema changes affect every user of the org: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Update table',
  description: 'Adds columns to a Dataverse table. Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg, new_columns: columnsArg('Columns to add.') }),
  output: z.object({ table: z.string(), columnsAdded: z.array(z.string()), columnsFailed: z.array(z.string()) }),
  auditTarget: (args) => `table:${args.table_name}`,
  async prepare(args, ctx) {
    const [info] = await Promise.all([extendable(ctx, args.table_name, args.new_columns), ctx.privileges.requireNamed('prvCreateAttribute')]);
    return {
      preview: { summary: `Add ${args.new_columns.length} column(s) to ${info.logicalName}.`, details: { columns: columnsSummary(args.table_name, args.new_columns) } },
      async run() {
        const { added, failed } = await addColumns(ctx, args.table_name, args.new_columns);
        ctx.metadata.forget(args.table_name);
        // Nothing added is a failure the caller must see (and the audit records), not a success with an empty list.
        if (added.length === 0) throw new ToolError(`No column was added to ${info.logicalName}: ${failed.join('; ')}`, 'failed');
        return {
          data: { table: info.logicalName, columnsAdded: added, columnsFailed: failed },
          text: `Added ${added.length} column(s) to ${info.logicalName}: ${added.join(', ')}.${failed.length ? ` Not added: ${failed.join('; ')}` : ''}`,
          target: `table:${info.logicalName}`,
          ...(failed.length && { partial: `columns not added: ${failed.map(columnOf).join(', ')}` }),
        };
      },
    };
  },
});
