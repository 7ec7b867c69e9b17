import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { guidArg } from '../shared.js';
import { describe, requireTable, TABLE_HEADER, tableNameArg } from '../dataverse/tableAccess.js';
import { columnNameArg, INLINE_MAX_BYTES, mimeOf, readBlocks, sizeText, startDownload } from './fileData.js';

/**
 * `file_download`: a file or image column's content, inline (base64) when asked and small, else a
 * short-lived signed link on this server (the download route reads the file again as the user who
 * opens it, with their bearer token; links are bound to the user and agent and expire).
 */
export const fileDownload = defineTool({
  name: 'file_download',
  headers: TABLE_HEADER,
  kind: 'read',
  title: 'Download a file',
  description: `Gets the file stored in a file or image column: a short-lived download link (default), or the content inline as base64 when inline is true and the file is at most ${INLINE_MAX_BYTES / 1024} KB.`,
  input: z.object({
    table_name: tableNameArg,
    record_id: guidArg('The row whose file to get.'),
    column_name: columnNameArg,
    inline: z.boolean().default(false).describe(`Return the content as base64 (files up to ${INLINE_MAX_BYTES / 1024} KB) instead of a link.`),
  }),
  output: z.object({
    fileName: z.string(),
    mimeType: z.string(),
    sizeBytes: z.number(),
    contentBase64: z.string().optional().describe('The file, when returned inline'),
    downloadUrl: z.string().optional().describe('Signed link (needs your bearer token), when not inline'),
    expiresAt: z.string().optional().describe('When the link stops working'),
  }),
  async run(args, ctx) {
    requireTable(ctx, args.table_name);
    const info = await describe(ctx, args.table_name);
    const attr = info.attributes.get(args.column_name);
    if (!attr || attr.type !== 'Virtual') throw new ToolError(`${info.logicalName}.${args.column_name} is not a file or image column. describe lists the columns.`, 'invalid_argument');
    const start = await startDownload(ctx.dataverse, info.logicalName, info.primaryId, args.record_id, args.column_name);
    const base = { fileName: start.fileName, mimeType: mimeOf(start.fileName), sizeBytes: start.size };
    if (args.inline) {
      if (start.size > INLINE_MAX_BYTES) throw new ToolError(`${start.fileName} is ${sizeText(start.size)}, more than the ${INLINE_MAX_BYTES / 1024} KB returned inline. Call again without inline for a download link.`, 'invalid_argument');
      const body = await readBlocks(ctx.dataverse, start);
      return { data: { ...base, contentBase64: body.toString('base64') }, text: `${start.fileName} (${sizeText(start.size)}, ${base.mimeType}), inline as base64.`, records: [{ table: info.logicalName, id: args.record_id }] };
    }
    const link = ctx.references.downloadLink({ table: info.logicalName, id: args.record_id.toLowerCase(), column: args.column_name });
    return {
      data: { ...base, downloadUrl: link.url, expiresAt: link.expiresAt },
      text: `${start.fileName} (${sizeText(start.size)}): ${link.url} (send your bearer token; works until ${link.expiresAt}).`,
      records: [{ table: info.logicalName, id: args.record_id }],
    };
  },
});
