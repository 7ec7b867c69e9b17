import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { clip, createConfirmed, guidArg, orNotFound, previewText, str } from '../shared.js';

export const addCaseNote = defineTool({
  name: 'D365_CustomerService_AddCaseNote',
  kind: 'write',
  title: 'Add case note',
  description: "Adds a note to a case's timeline (an annotation linked to the incident).",
  input: z.object({
    caseId: guidArg('The case to annotate.'),
    text: z.string().trim().min(1).max(20_000).describe('The note.'),
    title: z.string().trim().max(500).optional().describe('Note subject; defaults to the first words of the text.'),
  }),
  output: z.object({ noteId: z.string(), caseId: z.string(), title: z.string() }),
  auditTarget: (args) => `incident:${args.caseId}`,
  async prepare(args, ctx) {
    const [row, objectKey] = await Promise.all([
      orNotFound('case', args.caseId, () => ctx.dataverse.get('incidents', args.caseId, { select: ['incidentid', 'title', 'ticketnumber'] })),
      ctx.metadata.bindKey('annotation', 'objectid', 'incident'),
      ctx.privileges.require({ table: 'annotation', ops: ['Create', 'Append'] }, { table: 'incident', ops: ['AppendTo'] }),
    ]);
    const title = args.title ?? clip(args.text.replace(/\s+/g, ' '), 60)!;
    return {
      preview: {
        summary: `Add a note to case ${str(row, 'ticketnumber') ?? ''} "${str(row, 'title') ?? ''}".`,
        details: { title, text: previewText(args.text) },
      },
      async run() {
        const { id } = await createConfirmed(ctx, { table: 'annotation', entitySet: 'annotations', primaryId: 'annotationid' }, {
          subject: title,
          notetext: args.text,
          [objectKey]: bind('incidents', args.caseId),
        });
        return { data: { noteId: id, caseId: args.caseId, title }, text: `Added note "${title}" to case ${args.caseId}.`, target: `annotation:${id} on incident:${args.caseId}`, records: [{ table: 'incident', id: args.caseId }] };
      },
    };
  },
});
