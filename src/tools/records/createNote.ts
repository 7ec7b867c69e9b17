import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { DataverseError } from '../../dataverse/errors.js';
import { defineTool, ToolError } from '../defineTool.js';
import { existingRow, recordLabel } from '../dataverse/recordData.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { createConfirmed, previewText } from '../shared.js';
import { entityArg, NOTE_TABLE, recordIdArg, recordTable } from './recordsData.js';

export const noteTitleArg = z.string().trim().min(1).max(500).describe('Title of the note.');
export const noteTextArg = z.string().trim().min(1).max(100_000).describe('Text of the note (plain text).');

/**
 * `create_note` (create_note reference: a note "attached to the record you specify", shown on its
 * timeline): an annotation whose `objectid` points to the record, bound through the navigation
 * name the org's metadata gives (`objectid_<table>`).
 */
export const createNote = defineTool({
  name: 'create_note',
  kind: 'write',
  title: 'Create note',
  description: 'Adds a note (title and text) to a record such as a case, account, contact, lead or opportunity; it shows on the record\'s timeline. Asks the user to confirm first.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record the note is about.'), title: noteTitleArg, text: noteTextArg }),
  aliases: { table_name: 'entityLogicalName', regardingEntityLogicalName: 'entityLogicalName', regardingId: 'recordId', record_id: 'recordId', subject: 'title', notetext: 'text', noteText: 'text' },
  output: z.object({ noteId: z.string(), regarding: z.object({ table: z.string(), id: z.string() }) }),
  auditTarget: (args) => `annotation:new:${args.entityLogicalName}:${args.recordId}`,
  async prepare(args, ctx) {
    requireTable(ctx, NOTE_TABLE);
    const info = await recordTable(ctx, args.entityLogicalName);
    const [row, key] = await Promise.all([
      existingRow(ctx, info, args.recordId),
      ctx.metadata.bindKey(NOTE_TABLE, 'objectid', info.logicalName).catch((err: unknown) => {
        if (err instanceof DataverseError && err.kind === 'validation') throw new ToolError(`Notes cannot be attached to ${info.logicalName} records in this organisation.`, 'invalid_argument');
        throw err;
      }),
      ctx.privileges.require({ table: NOTE_TABLE, ops: ['Create', 'Append'] }, { table: info.logicalName, ops: ['AppendTo'] }),
    ]);
    return {
      preview: { summary: `Add a note to ${recordLabel(info, row, args.recordId)}.`, details: { title: args.title, text: previewText(args.text) } },
      async run() {
        const { id } = await createConfirmed(ctx, { table: NOTE_TABLE, entitySet: 'annotations', primaryId: 'annotationid' }, { subject: args.title, notetext: args.text, [key]: bind(info.entitySetName, args.recordId) });
        return {
          data: { noteId: id, regarding: { table: info.logicalName, id: args.recordId } },
          text: `Added note "${args.title}" (${id}) to ${recordLabel(info, row, args.recordId)}.`,
          target: `annotation:${id}`,
          records: [{ table: NOTE_TABLE, id, name: args.title }, { table: info.logicalName, id: args.recordId }],
        };
      },
    };
  },
});
