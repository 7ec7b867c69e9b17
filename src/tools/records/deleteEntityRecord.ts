import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { existingRow, recordLabel } from '../dataverse/recordData.js';
import { orNotFound } from '../shared.js';
import { entityArg, isNoteOrActivity, RECORD_ALIASES, recordIdArg, recordTable, TABLE_HEADER } from './recordsData.js';

/**
 * `delete_entity_record` (delete_entity_record reference: "a hard delete. There is no undo").
 * Agents with `recordDeletes: notes-and-activities` (the default) delete only notes and activity
 * records, the records Microsoft's tool is for; other tables are refused before anyone is asked.
 */
export const deleteEntityRecord = defineTool({
  name: 'delete_entity_record',
  kind: 'destructive',
  title: 'Delete record',
  description: 'Permanently deletes one record (on most agents only notes and activities: emails, tasks, phone calls, appointments). There is no undo. Always asks the user to confirm first.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record to delete.') }),
  aliases: RECORD_ALIASES,
  headers: TABLE_HEADER,
  output: z.object({ table: z.string(), recordId: z.string(), deleted: z.boolean() }),
  auditTarget: (args) => `${args.entityLogicalName}:${args.recordId}`,
  async prepare(args, ctx) {
    if (ctx.agent.recordDeletes === 'notes-and-activities' && !isNoteOrActivity(args.entityLogicalName)) {
      throw new ToolError(`On this agent delete_entity_record deletes only notes (annotation) and activities (email, task, phonecall, appointment, …), not ${args.entityLogicalName} records.`, 'forbidden');
    }
    const info = await recordTable(ctx, args.entityLogicalName);
    const [row] = await Promise.all([existingRow(ctx, info, args.recordId), ctx.privileges.require({ table: info.logicalName, ops: ['Delete'] })]);
    return {
      preview: { summary: `Permanently delete ${recordLabel(info, row, args.recordId)}. This cannot be undone.`, details: { table: info.logicalName, id: args.recordId } },
      async run() {
        await orNotFound(info.logicalName, args.recordId, () => ctx.dataverse.delete(info.entitySetName, args.recordId));
        return { data: { table: info.logicalName, recordId: args.recordId, deleted: true }, text: `Deleted ${recordLabel(info, row, args.recordId)}.`, target: `${info.logicalName}:${args.recordId}` };
      },
    };
  },
});
