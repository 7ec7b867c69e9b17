import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { guidArg, orNotFound } from '../shared.js';
import { allowedTable, existingRow, recordLabel } from './recordData.js';
import { TABLE_HEADER, tableNameArg } from './tableAccess.js';

export const deleteRecord = defineTool({
  name: 'delete_record',
  headers: TABLE_HEADER,
  kind: 'destructive',
  title: 'Delete record',
  description: 'Deletes a Dataverse row (and, as Dataverse does, rows that cascade from it). Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg, record_id: guidArg('The row to delete.') }),
  output: z.object({ table: z.string(), recordId: z.string(), deleted: z.boolean() }),
  auditTarget: (args) => `${args.table_name}:${args.record_id}`,
  async prepare(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const [row] = await Promise.all([existingRow(ctx, info, args.record_id), ctx.privileges.require({ table: info.logicalName, ops: ['Delete'] })]);
    return {
      preview: { summary: `Permanently delete ${recordLabel(info, row, args.record_id)}. This cannot be undone.`, details: { table: info.logicalName, id: args.record_id } },
      async run() {
        await orNotFound(info.logicalName, args.record_id, () => ctx.dataverse.delete(info.entitySetName, args.record_id));
        return { data: { table: info.logicalName, recordId: args.record_id, deleted: true }, text: `Deleted ${info.logicalName} ${args.record_id}.`, target: `${info.logicalName}:${args.record_id}` };
      },
    };
  },
});
