import { z } from 'zod';

import type { DataverseClient } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { describe, requireTable, type TableInfo } from '../dataverse/tableAccess.js';

/**
 * File and image columns through the Dataverse block messages (InitializeFileBlocksUpload,
 * UploadBlock, CommitFileBlocksUpload; InitializeFileBlocksDownload, DownloadBlock: "Use file
 * column data", https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data).
 * They are plain JSON actions, so uploads and downloads share the client's one request path.
 */

/** Bytes of file content per tool call: its base64 (4/3 larger) stays well inside the MCP request body limit. */
export const CHUNK_BYTES = 512 * 1024;
/** Dataverse blocks are at most 4 MB (file-column-data). */
const DOWNLOAD_BLOCK = 4 * 1024 * 1024;
/** file_download returns content inline up to this size; larger files get a signed link. */
export const INLINE_MAX_BYTES = 256 * 1024;
/** Image columns take gif, jpeg, tiff, bmp and png files only (files-images-overview, "Supported file types"). */
const IMAGE_TYPES: Readonly<Record<string, string>> = { gif: 'image/gif', jpg: 'image/jpeg', jpeg: 'image/jpeg', tif: 'image/tiff', tiff: 'image/tiff', bmp: 'image/bmp', png: 'image/png' };
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

export const columnNameArg = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{0,99}$/, 'must be a column logical name such as "new_contract"')
  .describe('Logical name of the file or image column, e.g. "new_contract" (describe lists the columns).');

export const fileNameArg = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/:*?"<>|\u0000-\u001f]/.test(n), 'must not contain \\ / : * ? " < > | or control characters')
  .describe('The file name, with its extension, e.g. "contract.pdf".');

export interface FileColumn {
  info: TableInfo;
  column: string;
  displayName: string;
  kind: 'File' | 'Image';
  maxBytes: number;
}

/** A file or image column of an allowed table, with its MaxSizeInKB (one request per attribute kind, at once). */
export async function fileColumn(ctx: ToolContext, table: string, column: string): Promise<FileColumn> {
  requireTable(ctx, table);
  const info = await describe(ctx, table);
  const attr = info.attributes.get(column);
  if (!attr) throw new ToolError(`${info.logicalName} has no column "${column}". describe lists its columns.`, 'invalid_argument');
  if (attr.type !== 'Virtual') throw new ToolError(`${info.logicalName}.${column} is a ${attr.type} column, not a file or image column.`, 'invalid_argument');
  const [files, images] = await Promise.all(
    (['FileAttributeMetadata', 'ImageAttributeMetadata'] as const).map((cast) => ctx.dataverse.attributes<{ LogicalName?: unknown; MaxSizeInKB?: unknown }>(info.logicalName, ['LogicalName', 'MaxSizeInKB'], cast)),
  );
  const file = files!.find((a) => a.LogicalName === column);
  const image = images!.find((a) => a.LogicalName === column);
  const found = file ?? image;
  if (!found) throw new ToolError(`${info.logicalName}.${column} is not a file or image column.`, 'invalid_argument');
  const kb = typeof found.MaxSizeInKB === 'number' ? found.MaxSizeInKB : file ? 32768 : 10240;
  return { info, column, displayName: attr.displayName || column, kind: file ? 'File' : 'Image', maxBytes: kb * 1024 };
}

/** Checks a file's name and type against the column before anything is sent. */
export function checkFile(col: FileColumn, fileName: string, mimeType: string): void {
  if (!MIME.test(mimeType)) throw new ToolError(`"${mimeType.slice(0, 80)}" is not a MIME type such as "application/pdf".`, 'invalid_argument');
  if (col.kind === 'Image') {
    const ext = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
    if (!IMAGE_TYPES[ext] || !/^image\//i.test(mimeType)) {
      throw new ToolError(`The image column ${col.info.logicalName}.${col.column} takes gif, jpeg, tiff, bmp and png images only ("${fileName.slice(0, 80)}", ${mimeType.slice(0, 80)}).`, 'invalid_argument');
    }
  }
}

export const sizeText = (bytes: number) => (bytes < 1024 ? `${bytes} bytes` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** The Target entity reference the block messages take. */
export const targetOf = (table: string, primaryId: string, id: string) => ({ '@odata.type': `Microsoft.Dynamics.CRM.${table}`, [primaryId]: id });

/** Block ids: base64 of equal-length text, in upload order. */
export const blockId = (n: number) => Buffer.from(`block-${String(n).padStart(6, '0')}`).toString('base64');

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  ...IMAGE_TYPES,
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  xml: 'application/xml',
  html: 'text/html',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  zip: 'application/zip',
};

/** The download messages return the name, not the type: the type follows from the extension. */
export const mimeOf = (fileName: string) => MIME_BY_EXTENSION[/\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';

export interface DownloadStart {
  token: string;
  fileName: string;
  size: number;
}

/** InitializeFileBlocksDownload; a row without a file is "not found". */
export async function startDownload(dataverse: DataverseClient, table: string, primaryId: string, id: string, column: string): Promise<DownloadStart> {
  try {
    const r = await dataverse.action<{ FileContinuationToken?: unknown; FileName?: unknown; FileSizeInBytes?: unknown }>('InitializeFileBlocksDownload', { Target: targetOf(table, primaryId, id), FileAttributeName: column });
    if (typeof r?.FileContinuationToken !== 'string') throw new ToolError('Dataverse did not start the download.', 'failed');
    return { token: r.FileContinuationToken, fileName: typeof r.FileName === 'string' && r.FileName ? r.FileName : 'file', size: typeof r.FileSizeInBytes === 'number' ? r.FileSizeInBytes : 0 };
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`There is no file in ${table}.${column} of ${id} (or no such row).`, 'not_found');
    throw err;
  }
}

/** DownloadBlock until the whole file is read. */
export async function readBlocks(dataverse: DataverseClient, start: DownloadStart): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < start.size; offset += DOWNLOAD_BLOCK) {
    const r = await dataverse.action<{ Data?: unknown }>('DownloadBlock', { Offset: offset, BlockLength: Math.min(DOWNLOAD_BLOCK, start.size - offset), FileContinuationToken: start.token });
    if (typeof r?.Data !== 'string') throw new ToolError('Dataverse returned no data for the file.', 'failed');
    parts.push(Buffer.from(r.Data, 'base64'));
  }
  return Buffer.concat(parts);
}

/** A file column's content for the download route (a signed link of file_download), read as the user who opens it. */
export async function readFileColumn(dataverse: DataverseClient, table: string, id: string, column: string, maxBytes: number): Promise<{ fileName: string; mimeType: string; body: Uint8Array }> {
  const def = await dataverse.entityDefinition<{ PrimaryIdAttribute?: unknown }>(table, ['PrimaryIdAttribute']);
  const primaryId = typeof def.PrimaryIdAttribute === 'string' ? def.PrimaryIdAttribute : `${table}id`;
  const start = await startDownload(dataverse, table, primaryId, id, column);
  if (start.size > maxBytes) throw new ToolError('This file is larger than this server serves; open it in Dynamics 365.', 'invalid_argument');
  return { fileName: start.fileName, mimeType: mimeOf(start.fileName), body: await readBlocks(dataverse, start) };
}
