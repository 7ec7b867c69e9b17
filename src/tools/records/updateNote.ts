import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { atLeastOne, guidArg, lookup, orNotFound, previewText, str } from '../shared.js';
import { NOTE_TABLE } from './recordsData.js';
import { noteTextArg, noteTitleArg } from './createNote.js';

/** `update_note` (update_note reference): a new title or text for an existing note. */
export const updateNote = defineTool({
  name: 'update_note',
  kind: 'write',
  idempotent: true,
  title: 'Update note',
  description: 'Changes the title or text of an existing note (annotation). Shows the current and the new text and asks the user to confirm first.',
  input: z.object({ noteId: guidArg('The note (annotation id).'), title: noteTitleArg.optional(), text: noteTextArg.optional() }),
  aliases: { annotationId: 'noteId', recordId: 'noteId', subject: 'title', notetext: 'text', noteText: 'text' },
  output: z.object({ noteId: z.string(), title: z.string(), regarding: z.object({ table: z.string(), id: z.string(), name: z.string() }).optional() }),
  auditTarget: (args) => `annotation:${args.noteId}`,
  async prepare(args, ctx) {
    atLeastOne(args, ['title', 'text'], 'title or text');
    requireTable(ctx, NOTE_TABLE);
    const [row] = await Promise.all([
      orNotFound('note', args.noteId, () => ctx.dataverse.get('annotations', args.noteId, { select: ['annotationid', 'subject', 'notetext', '_objectid_value'] })),
      ctx.privileges.require({ table: NOTE_TABLE, ops: ['Write'] }),
    ]);
    const regarding = lookup(row, 'objectid');
    const oldTitle = str(row, 'subject') ?? '';
    return {
      preview: {
        summary: `Update note "${oldTitle}"${regarding?.name ? ` on ${regarding.name}` : ''}.`,
        details: {
          ...(args.title !== undefined && { title: `${oldTitle} → ${args.title}` }),
          ...(args.text !== undefined && { currentText: previewText(str(row, 'notetext') ?? '', 500), newText: previewText(args.text) }),
        },
      },
      async run() {
        await orNotFound('note', args.noteId, () => ctx.dataverse.update('annotations', args.noteId, { ...(args.title !== undefined && { subject: args.title }), ...(args.text !== undefined && { notetext: args.text }) }));
        const title = args.title ?? oldTitle;
        return {
          data: { noteId: args.noteId, title, ...(regarding && { regarding }) },
          text: `Updated note "${title}".`,
          target: `annotation:${args.noteId}`,
          records: [{ table: NOTE_TABLE, id: args.noteId, name: title }],
        };
      },
    };
  },
});
