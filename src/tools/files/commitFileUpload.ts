import { z } from 'zod';

import { DataverseError } from '../../dataverse/errors.js';
import { defineTool, ToolError } from '../defineTool.js';
import { allowedTable, existingRow, recordLabel } from '../dataverse/recordData.js';
import { blockId, sizeText } from './fileData.js';
import { openUpload } from './uploadSession.js';

/**
 * `commit_file_upload`: stores an uploaded file in its column (CommitFileBlocksUpload), after the
 * user confirms a preview naming the file, its size and type, the record and the file it replaces.
 */
export const commitFileUpload = defineTool({
  name: 'commit_file_upload',
  kind: 'write',
  title: 'Store an uploaded file',
  description: 'Stores the file uploaded with init_file_upload in its file or image column, replacing the file there. Asks the user to confirm first.',
  input: z.object({ upload_id: z.string().min(1).max(4096).describe('The upload_id of the last init_file_upload call.') }),
  output: z.object({ table: z.string(), recordId: z.string(), column: z.string(), fileId: z.string(), fileName: z.string(), sizeBytes: z.number() }),
  auditTarget: () => 'file:upload',
  async prepare(args, ctx) {
    const s = openUpload(ctx, args.upload_id);
    if (s.blocks === 0) throw new ToolError('Nothing was uploaded with this upload_id yet: send the file with init_file_upload first.', 'invalid_argument');
    const info = await allowedTable(ctx, s.table);
    const nameColumn = s.kind === 'File' && info.attributes.has(`${s.column}_name`) ? `${s.column}_name` : undefined;
    const [row] = await Promise.all([
      existingRow(ctx, info, s.id),
      ctx.privileges.require({ table: info.logicalName, ops: ['Write'] }),
    ]);
    const current = nameColumn ? await ctx.dataverse.get(info.entitySetName, s.id, { select: [nameColumn] }).then((r) => (typeof r[nameColumn] === 'string' ? (r[nameColumn] as string) : undefined)) : undefined;
    const target = recordLabel(info, row, s.id);
    return {
      preview: {
        summary: `Store "${s.fileName}" (${sizeText(s.bytes)}, ${s.mimeType}) in ${s.columnName} of ${target}${current ? `, replacing "${current}"` : ''}.`,
        details: { file: s.fileName, size: `${s.bytes} bytes`, type: s.mimeType, record: target, column: `${s.column} (${s.kind === 'Image' ? 'image' : 'file'} column)`, replaces: current ?? 'nothing' },
      },
      async run() {
        let res: { FileId?: unknown; FileSizeInBytes?: unknown };
        try {
          res = await ctx.dataverse.action('CommitFileBlocksUpload', { FileName: s.fileName, MimeType: s.mimeType, BlockList: Array.from({ length: s.blocks }, (_, i) => blockId(i)), FileContinuationToken: s.token });
        } catch (err) {
          if (err instanceof DataverseError && err.kind === 'validation' && /ContinuationToken/i.test(err.message)) {
            throw new ToolError('This upload was already stored or has expired; nothing more was changed. Start a new upload to store another file.', 'conflict');
          }
          throw err;
        }
        const fileId = typeof res?.FileId === 'string' ? res.FileId.toLowerCase() : '';
        const size = typeof res?.FileSizeInBytes === 'number' ? res.FileSizeInBytes : s.bytes;
        return {
          data: { table: s.table, recordId: s.id, column: s.column, fileId, fileName: s.fileName, sizeBytes: size },
          text: `Stored "${s.fileName}" (${sizeText(size)}) in ${s.columnName} of ${target}.`,
          target: `${s.table}:${s.id}`,
          records: [{ table: s.table, id: s.id }],
        };
      },
    };
  },
});
