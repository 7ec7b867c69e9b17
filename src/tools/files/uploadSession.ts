import { type ToolContext, ToolError } from '../defineTool.js';

/** An upload between init_file_upload and commit_file_upload, sealed into `upload_id` (encrypted, bound to the user and agent). */
export interface UploadSession {
  /** Dataverse's FileContinuationToken: never shown to the client in the clear. */
  token: string;
  table: string;
  primaryId: string;
  id: string;
  column: string;
  columnName: string;
  kind: 'File' | 'Image';
  fileName: string;
  mimeType: string;
  blocks: number;
  bytes: number;
  maxBytes: number;
}

const PURPOSE = 'file-upload';
/** Dataverse keeps an upload's blocks for a limited time; an upload id works for 15 minutes. */
const UPLOAD_TTL_SECONDS = 15 * 60;

export function sealUpload(ctx: ToolContext, s: UploadSession): string {
  const extra: Record<string, string | number> = { ...s };
  return ctx.cursors.across(PURPOSE, UPLOAD_TTL_SECONDS).seal({ next: 'upload', extra });
}

export function openUpload(ctx: ToolContext, uploadId: string): UploadSession {
  let extra: Record<string, string | number | boolean> | undefined;
  try {
    extra = ctx.cursors.across(PURPOSE, UPLOAD_TTL_SECONDS).open(uploadId).extra;
  } catch {
    throw new ToolError('This upload_id is not valid here: it is malformed, expired (uploads last 15 minutes), or was issued to another user or agent. Start again with init_file_upload.', 'invalid_argument');
  }
  const str = (k: string) => (typeof extra?.[k] === 'string' ? (extra[k] as string) : '');
  const num = (k: string) => (typeof extra?.[k] === 'number' ? (extra[k] as number) : 0);
  const kind = str('kind');
  if (!str('token') || (kind !== 'File' && kind !== 'Image')) throw new ToolError('This upload_id is not valid here. Start again with init_file_upload.', 'invalid_argument');
  return {
    token: str('token'),
    table: str('table'),
    primaryId: str('primaryId'),
    id: str('id'),
    column: str('column'),
    columnName: str('columnName'),
    kind,
    fileName: str('fileName'),
    mimeType: str('mimeType'),
    blocks: num('blocks'),
    bytes: num('bytes'),
    maxBytes: num('maxBytes'),
  };
}
