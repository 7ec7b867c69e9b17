import { z } from 'zod';

import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { guidArg } from '../shared.js';
import { existingRow } from '../dataverse/recordData.js';
import { TABLE_HEADER, tableNameArg } from '../dataverse/tableAccess.js';
import { blockId, CHUNK_BYTES, checkFile, columnNameArg, fileColumn, fileNameArg, sizeText, targetOf } from './fileData.js';
import { openUpload, sealUpload, type UploadSession } from './uploadSession.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `init_file_upload`: starts a chunked upload into a file or image column and takes its chunks.
 * The first call checks the table, column, row, privilege, file type and size limit and starts a
 * Dataverse upload (InitializeFileBlocksUpload); each call sends one chunk (UploadBlock). Nothing
 * on the record changes until commit_file_upload, which asks the user first: the blocks are
 * invisible until committed, and expire. So it runs without a confirmation of its own, but it
 * stages a write (Dataverse holds the blocks): it is not advertised as read-only, and read-only
 * agents, which cannot commit, do not serve it.
 */
export const initFileUpload = defineTool({
  name: 'init_file_upload',
  headers: TABLE_HEADER,
  kind: 'read',
  stagesWrite: true,
  idempotent: false,
  title: 'Start or continue a file upload',
  description: `Uploads a file into a file or image column in chunks of up to ${CHUNK_BYTES / 1024} KB (base64). First call: table_name, record_id, column_name, file_name, mime_type and the first chunk; it returns upload_id. Further calls: upload_id and the next chunk. Nothing changes on the record until commit_file_upload, which asks the user to confirm.`,
  input: z.object({
    upload_id: z.string().max(4096).optional().describe('From the previous init_file_upload call, to send the next chunk. Leave empty to start.'),
    table_name: tableNameArg.optional(),
    record_id: guidArg('The row whose column receives the file.').optional(),
    column_name: columnNameArg.optional(),
    file_name: fileNameArg.optional(),
    mime_type: z.string().trim().max(255).optional().describe('The file\'s MIME type, e.g. "application/pdf" or "image/png".'),
    content_base64: z.string().min(1).max(Math.ceil(CHUNK_BYTES / 3) * 4).describe(`This chunk of the file, base64 (at most ${CHUNK_BYTES / 1024} KB of file per call).`),
  }),
  output: z.object({
    upload_id: z.string().describe('Pass to the next init_file_upload call, then to commit_file_upload'),
    file_name: z.string(),
    chunks: z.number().describe('Chunks received so far'),
    bytes_received: z.number(),
    max_bytes: z.number().describe('The largest file the column takes'),
  }),
  async run(args, ctx) {
    if (!BASE64.test(args.content_base64) || args.content_base64.length % 4 !== 0) throw new ToolError('content_base64 must be standard, padded base64.', 'invalid_argument');
    const chunk = Buffer.from(args.content_base64, 'base64');
    if (chunk.length > CHUNK_BYTES) throw new ToolError(`A chunk holds at most ${CHUNK_BYTES} bytes; this one has ${chunk.length}. Split the file further.`, 'invalid_argument');
    const session = args.upload_id ? continued(ctx, args.upload_id, args) : await started(ctx, args);
    if (session.bytes + chunk.length > session.maxBytes) {
      throw new ToolError(`The file would exceed ${sizeText(session.maxBytes)}, the most ${session.table}.${session.column} takes (MaxSizeInKB). Nothing was stored.`, 'invalid_argument');
    }
    await ctx.dataverse.action('UploadBlock', { BlockId: blockId(session.blocks), BlockData: args.content_base64, FileContinuationToken: session.token });
    const next: UploadSession = { ...session, blocks: session.blocks + 1, bytes: session.bytes + chunk.length };
    const uploadId = sealUpload(ctx, next);
    return {
      data: { upload_id: uploadId, file_name: next.fileName, chunks: next.blocks, bytes_received: next.bytes, max_bytes: next.maxBytes },
      text: `Received chunk ${next.blocks} of ${next.fileName} (${sizeText(next.bytes)} so far). Send the next chunk with this upload_id, or call commit_file_upload with it when the file is complete: upload_id ${uploadId}`,
    };
  },
});

type Args = { table_name?: string | undefined; record_id?: string | undefined; column_name?: string | undefined; file_name?: string | undefined; mime_type?: string | undefined };

async function started(ctx: ToolContext, args: Args): Promise<UploadSession> {
  const missing = (['table_name', 'record_id', 'column_name', 'file_name', 'mime_type'] as const).filter((k) => !args[k]);
  if (missing.length) throw new ToolError(`To start an upload give ${missing.join(', ')} (or upload_id to continue one).`, 'invalid_argument');
  const col = await fileColumn(ctx, args.table_name!, args.column_name!);
  checkFile(col, args.file_name!, args.mime_type!);
  // The row and the privilege first: an upload is an update of the row.
  await Promise.all([existingRow(ctx, col.info, args.record_id!), ctx.privileges.require({ table: col.info.logicalName, ops: ['Write'] })]);
  const started = await ctx.dataverse.action<{ FileContinuationToken?: unknown }>('InitializeFileBlocksUpload', {
    Target: targetOf(col.info.logicalName, col.info.primaryId, args.record_id!),
    FileAttributeName: col.column,
    FileName: args.file_name,
  });
  if (typeof started?.FileContinuationToken !== 'string') throw new ToolError('Dataverse did not start the upload.', 'failed');
  return {
    token: started.FileContinuationToken,
    table: col.info.logicalName,
    primaryId: col.info.primaryId,
    id: args.record_id!.toLowerCase(),
    column: col.column,
    columnName: col.displayName,
    kind: col.kind,
    fileName: args.file_name!,
    mimeType: args.mime_type!,
    blocks: 0,
    bytes: 0,
    maxBytes: col.maxBytes,
  };
}

function continued(ctx: ToolContext, uploadId: string, args: Args): UploadSession {
  const s = openUpload(ctx, uploadId);
  const differs = ([['table_name', s.table], ['record_id', s.id], ['column_name', s.column], ['file_name', s.fileName], ['mime_type', s.mimeType]] as const).filter(([k, v]) => args[k] !== undefined && args[k]!.toLowerCase() !== v.toLowerCase());
  if (differs.length) throw new ToolError(`This upload_id is for ${s.fileName} into ${s.table}.${s.column} of ${s.id}; ${differs.map(([k]) => k).join(', ')} differ. Leave them out when continuing, or start a new upload.`, 'invalid_argument');
  return s;
}
