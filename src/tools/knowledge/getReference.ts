import { z } from 'zod';

import { str } from '../shared.js';
import { defineTool } from '../defineTool.js';
import { ANSWER_TYPES, answerText, ErrorShape, KNOWLEDGE_ARTICLE_PUBLISHED, recordUrl, refusal, sourceOf, withErrorShape } from './sources.js';

const ReferenceOutput = z.object({
  sourceType: z.enum(['Local', 'Qna']).optional().describe('Local: a document held in Dataverse, downloaded from this server; Qna: a question and its answer'),
  fileName: z.string().optional(),
  mimeType: z.string().optional(),
  previewUrl: z
    .string()
    .optional()
    .describe('A short-lived signed link on this server that downloads the document, read as you: send the same bearer token as to this MCP endpoint'),
  expiresAt: z.string().optional().describe('When previewUrl stops working (ISO 8601)'),
  recordUrl: z.string().optional().describe('The record in Dynamics 365 (a note opens on the record it is attached to)'),
  fileSize: z.number().int().optional().describe('Size of the attached file in bytes, when known'),
  question: z.string().optional(),
  answer: z.string().optional().describe('The answer, in the format answerType names'),
  answerType: z.enum(['Simple', 'Card', 'Dialog']).optional().describe('Simple: plain text; Card: adaptive card JSON; Dialog: a serialized dialog'),
  error: ErrorShape.optional().describe('Present when the reference could not be resolved'),
});

/**
 * Opens a citation of `chat`. The reference id is sealed to the user and agent that received it;
 * every call reads the record again as the user, so access lost since the answer is refused here.
 */
export const getReference = defineTool({
  name: 'get_reference',
  kind: 'read',
  title: 'Open a citation',
  description:
    'Turns a citation returned by chat into something openable: for a document, its file name, MIME type, the record in Dynamics 365 and a short-lived download link; for a QnA, the full question and answer. Your access is checked again on every call.',
  input: z.object({
    referenceId: z.string().max(4096).describe('The referenceId of a citation returned by chat'),
    sourceType: z.string().max(32).describe("The citation's sourceType: Document or Qna"),
  }),
  output: ReferenceOutput,
  async run({ referenceId, sourceType }, ctx) {
    return withErrorShape('Open the citation', {}, async () => {
      const id = referenceId.trim();
      const kind = sourceType.trim().toLowerCase();
      if (!id || !kind) throw refusal('400', 'referenceId and sourceType are both required (sourceType: Document or Qna).');
      if (kind !== 'document' && kind !== 'qna') throw refusal('400', `Unknown sourceType "${sourceType.slice(0, 32)}": pass the citation's sourceType, Document or Qna.`);
      const opened = ctx.references.open(id);
      if (!opened.ok) {
        switch (opened.reason) {
          case 'malformed':
            throw refusal('400', 'This is not a referenceId: pass the referenceId of a citation exactly as chat returned it.');
          case 'foreign':
            throw refusal('403', 'This reference belongs to another user or another agent; ask your question with chat to get your own citations.');
          default:
            throw refusal('404', 'This reference was not found within this agent: it expired or was not issued here. Ask again with chat for fresh citations.');
        }
      }
      const target = opened.target;
      const expected = kind === 'qna' ? 'Qna' : 'Document';
      if (target.sourceType !== expected) throw refusal('400', `This reference is a ${target.sourceType} citation: pass sourceType ${target.sourceType}.`);
      const source = sourceOf(target.table);
      if (!source) throw refusal('404', 'This reference points to nothing this agent can open.');

      // Read again as the user: Dataverse decides, now, whether they may still see it.
      if (target.table === 'new_qna') {
        const row = await ctx.dataverse.get(source.entitySet, target.id, { select: ['new_question', 'new_answer', 'new_answertype', 'statecode'] });
        if (row['statecode'] !== 0) throw refusal('404', 'This QnA pair was deactivated since it was cited.');
        const answerType = ANSWER_TYPES[row['new_answertype'] as number] ?? 'Simple';
        const answer = str(row, 'new_answer') ?? '';
        const data = { sourceType: 'Qna' as const, question: str(row, 'new_question') ?? '', answer, answerType };
        return { data, text: `Q: ${data.question}\nA: ${answerText(answer, answerType)}`, records: [{ table: 'new_qna', id: target.id, name: data.question }] };
      }
      if (target.table === 'annotation') {
        const row = await ctx.dataverse.get(source.entitySet, target.id, { select: ['subject', 'filename', 'mimetype', 'filesize', 'isdocument', '_objectid_value'] });
        if (row['isdocument'] !== true) throw refusal('404', 'This note no longer has an attached document.');
        const link = ctx.references.downloadLink(target);
        const fileName = str(row, 'filename') ?? str(row, 'subject') ?? 'document';
        const data = {
          sourceType: 'Local' as const,
          fileName,
          mimeType: str(row, 'mimetype') ?? 'application/octet-stream',
          previewUrl: link.url,
          expiresAt: link.expiresAt,
          recordUrl: recordUrl(ctx.dataverse, 'annotation', target.id, row),
          ...(typeof row['filesize'] === 'number' && { fileSize: row['filesize'] }),
        };
        return { data, text: `${fileName} (${data.mimeType}): download until ${link.expiresAt} from ${link.url} with your bearer token, or open ${data.recordUrl}`, records: [{ table: 'annotation', id: target.id, name: fileName }] };
      }
      const row = await ctx.dataverse.get(source.entitySet, target.id, { select: ['title', 'articlepublicnumber', 'statecode'] });
      if (row['statecode'] !== KNOWLEDGE_ARTICLE_PUBLISHED) throw refusal('404', 'This knowledge article is no longer published.');
      const link = ctx.references.downloadLink(target);
      const fileName = `${str(row, 'articlepublicnumber') ?? 'article'}.html`;
      const data = { sourceType: 'Local' as const, fileName, mimeType: 'text/html', previewUrl: link.url, expiresAt: link.expiresAt, recordUrl: recordUrl(ctx.dataverse, 'knowledgearticle', target.id) };
      return {
        data,
        text: `${str(row, 'title') ?? fileName} (${fileName}): download until ${link.expiresAt} from ${link.url} with your bearer token, or open ${data.recordUrl}`,
        records: [{ table: 'knowledgearticle', id: target.id, name: str(row, 'title') }],
      };
    });
  },
});
