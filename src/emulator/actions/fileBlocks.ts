import { randomBytes } from 'node:crypto';

import { toIso } from '../clock.js';
import { DataverseError, invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { EmulatorCore } from '../emulatorCore.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid, newGuid } from '../ids.js';
import { FILE_MAX_KB, IMAGE_MAX_KB } from '../metadata/fileColumns.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { quoteIdent } from '../store/store.js';
import { loadRow } from '../write/recordWriter.js';
import { actionParameters, type JsonObject } from './actionParameters.js';

/**
 * Files and images through the Dataverse block messages ("Use file column data", Upload files /
 * Download files with Dataverse messages, https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data;
 * "Files and images overview", https://learn.microsoft.com/power-apps/developer/data-platform/files-images-overview;
 * reference pages webapi/reference/initializefileblocksupload, uploadblock, commitfileblocksupload,
 * initializefileblocksdownload, downloadblock):
 *
 * - `InitializeFileBlocksUpload` {Target, FileAttributeName, FileName} → {FileContinuationToken}:
 *   the column must be a file or image column of the target's table, the row must exist and the
 *   caller must be able to write it (an upload updates the row).
 * - `UploadBlock` {BlockId, BlockData, FileContinuationToken} → 204: BlockData is base64, at most
 *   4 MB per block ("upload the file in blocks of 4 MB", file-column-data); BlockId is base64
 *   (the block id of Azure Blob Storage's Put Block, at most 64 bytes before encoding).
 * - `CommitFileBlocksUpload` {FileName, MimeType, BlockList, FileContinuationToken} →
 *   {FileId, FileSizeInBytes}: the blocks are joined in BlockList order; the file must fit the
 *   column's MaxSizeInKB; it replaces the row's previous file.
 * - `InitializeFileBlocksDownload` {Target, FileAttributeName} → {FileContinuationToken,
 *   FileSizeInBytes, FileName, IsChunkingSupported}; `DownloadBlock` {Offset, BlockLength,
 *   FileContinuationToken} → {Data}; reading needs the Read privilege.
 * - Image columns take gif, jpeg, tiff, bmp and png only; file columns take any file whose
 *   extension Organization.BlockedAttachments does not block (files-images-overview, "Supported
 *   file types"; the default list of "Block certain types of files",
 *   https://learn.microsoft.com/power-platform/admin/settings-privacy-security#block-file-extensions).
 *
 * Not documented, kept strict here: a continuation token belongs to the user who got it, to one
 * upload or download, and expires after 15 minutes. Committed files are kept in the org's database
 * (a table of the emulator's own, as the service keeps them in its file store), so a saved org keeps
 * them; blocks of an upload not yet committed live in memory, as they expire anyway.
 */

const BLOCK_BYTES = 4 * 1024 * 1024;
const TOKEN_TTL_MS = 15 * 60_000;
const IMAGE_EXTENSIONS = new Set(['gif', 'jpg', 'jpeg', 'tif', 'tiff', 'bmp', 'png']);
/** Organization.BlockedAttachments as a new environment sets it. */
export const BLOCKED_EXTENSIONS = new Set(
  'ade;adp;app;asa;ashx;asmx;asp;bas;bat;cdx;cer;chm;class;cmd;com;config;cpl;crt;csh;dll;exe;fxp;hlp;hta;htr;htw;ida;idc;idq;inf;ins;isp;its;jar;js;jse;ksh;lnk;mad;maf;mag;mam;maq;mar;mas;mat;mau;mav;maw;mda;mdb;mde;mdt;mdw;mdz;msc;msh;msh1;msh1xml;msh2;msh2xml;mshxml;msi;msp;mst;ops;pcd;pif;prf;prg;printer;pst;reg;rem;scf;scr;sct;shb;shs;shtm;shtml;soap;stm;tmp;url;vb;vbe;vbs;vsmacros;vss;vst;vsw;ws;wsc;wsf;wsh;svg'.split(';'),
);

interface StoredFile {
  fileId: string;
  name: string;
  mimeType: string;
  data: Buffer;
}

interface Upload {
  kind: 'upload';
  user: string;
  table: TableDef;
  id: string;
  column: AttributeDef;
  blocks: Map<string, Buffer>;
  bytes: number;
  expires: number;
}

interface Download {
  kind: 'download';
  user: string;
  file: StoredFile;
  expires: number;
}

interface FileState {
  tokens: Map<string, Upload | Download>;
}

const states = new WeakMap<EmulatorCore, FileState>();
function stateOf(core: EmulatorCore): FileState {
  let s = states.get(core);
  if (!s) {
    // Created on first use, so organisations saved before files were stored get the table too.
    core.store.run(`CREATE TABLE IF NOT EXISTS _emulator_files (tablename TEXT NOT NULL, recordid TEXT NOT NULL, columnname TEXT NOT NULL, fileid TEXT NOT NULL, name TEXT NOT NULL, mimetype TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (tablename, recordid, columnname))`);
    states.set(core, (s = { tokens: new Map() }));
  }
  return s;
}

/** The file a row's column holds, if any. */
function storedFile(core: EmulatorCore, table: string, id: string, column: string): StoredFile | undefined {
  stateOf(core);
  const row = core.store.get(`SELECT fileid, name, mimetype, data FROM _emulator_files WHERE tablename = ? AND recordid = ? AND columnname = ?`, [table, id, column]);
  if (!row || !(row.data instanceof Uint8Array)) return undefined;
  return { fileId: String(row.fileid), name: String(row.name), mimeType: String(row.mimetype), data: Buffer.from(row.data) };
}

export type FileMessage = (scope: RequestScope) => ApiResponse;

export function fileBlocksAction(name: string): FileMessage | undefined {
  switch (name.replace(/^Microsoft\.Dynamics\.CRM\./, '')) {
    case 'InitializeFileBlocksUpload':
      return initializeUpload;
    case 'UploadBlock':
      return uploadBlock;
    case 'CommitFileBlocksUpload':
      return commitUpload;
    case 'InitializeFileBlocksDownload':
      return initializeDownload;
    case 'DownloadBlock':
      return downloadBlock;
    default:
      return undefined;
  }
}

/** The file or image column a message names on its Target row. */
function target(scope: RequestScope, action: string, p: JsonObject): { table: TableDef; id: string; column: AttributeDef } {
  const t = p['Target'];
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw payloadError('', `The parameter 'Target' of '${action}' must be an entity reference with '@odata.type' and its key.`);
  const ref = t as JsonObject;
  const type = String(ref['@odata.type'] ?? '').replace(/^#/, '').replace(/^Microsoft\.Dynamics\.CRM\./, '');
  const table = scope.core.model.table(type);
  if (!table) throw payloadError('', `The Target of '${action}' needs an '@odata.type' naming its table, e.g. 'Microsoft.Dynamics.CRM.account'.`);
  const id = ref[table.primaryIdAttribute];
  if (typeof id !== 'string' || !isGuid(id)) throw payloadError(table.entitySetName, `The Target of '${action}' needs '${table.primaryIdAttribute}', the row's id.`);
  const name = p['FileAttributeName'];
  const column = table.attributes.find((a) => a.logicalName === name);
  if (!column) throw invalidArgument(`'${String(name).slice(0, 64)}' is not a column of '${table.logicalName}'.`);
  if (column.type !== 'File' && column.type !== 'Image') throw invalidArgument(`The column '${column.logicalName}' of '${table.logicalName}' is not a file or image column.`);
  if (!loadRow(scope.core.store, table, id.toLowerCase())) throw notFound(table.logicalName, id.toLowerCase());
  return { table, id: id.toLowerCase(), column };
}

function checkFileName(column: AttributeDef, fileName: string): void {
  if (!fileName.trim() || fileName.length > 255 || /[\\/:*?"<>|\u0000-\u001f]/.test(fileName)) throw invalidArgument(`'${fileName.slice(0, 64)}' is not a valid file name.`);
  const ext = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  if (column.type === 'Image' && !IMAGE_EXTENSIONS.has(ext)) {
    throw invalidArgument(`The image column '${column.logicalName}' accepts gif, jpeg, tiff, bmp and png files only; '${fileName.slice(0, 64)}' is not one.`);
  }
  if (column.type === 'File' && BLOCKED_EXTENSIONS.has(ext)) {
    throw new DataverseError(400, '0x80043e09', `The attachment is either not a valid type or is too large. It cannot be uploaded or downloaded.`);
  }
}

const maxBytes = (column: AttributeDef) => Math.min(column.maxSizeInKB ?? (column.type === 'Image' ? 10240 : 32768), column.type === 'Image' ? IMAGE_MAX_KB : FILE_MAX_KB) * 1024;

function issue(core: EmulatorCore, entry: Upload | Download): string {
  const state = stateOf(core);
  const now = core.clock.now().getTime();
  for (const [k, v] of state.tokens) if (v.expires < now) state.tokens.delete(k);
  const token = randomBytes(24).toString('base64url');
  state.tokens.set(token, entry);
  return token;
}

function opened<K extends 'upload' | 'download'>(scope: RequestScope, action: string, token: unknown, kind: K): Extract<Upload | Download, { kind: K }> {
  if (typeof token !== 'string' || !token) throw payloadError('', `The parameter 'FileContinuationToken' of '${action}' is required.`);
  const entry = stateOf(scope.core).tokens.get(token);
  if (!entry || entry.kind !== kind || entry.user !== scope.req.principal.systemUserId || entry.expires < scope.core.clock.now().getTime()) {
    throw invalidArgument(`The FileContinuationToken is not valid: it is unknown, expired, or was issued to another user or operation.`);
  }
  return entry as Extract<Upload | Download, { kind: K }>;
}

/** Base64 as Edm.Binary takes it: the standard alphabet, padded. */
function base64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw payloadError('', `The parameter '${what}' must be base64 (Edm.Binary).`);
  return Buffer.from(value, 'base64');
}

function initializeUpload(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'InitializeFileBlocksUpload', scope.req.body, {
    Target: { type: 'object', required: true },
    FileAttributeName: { type: 'string', required: true },
    FileName: { type: 'string', required: true },
  });
  const t = target(scope, 'InitializeFileBlocksUpload', p);
  scope.access.require('Write', t.table);
  checkFileName(t.column, p['FileName'] as string);
  const token = issue(scope.core, { kind: 'upload', user: scope.req.principal.systemUserId, ...t, blocks: new Map(), bytes: 0, expires: scope.core.clock.now().getTime() + TOKEN_TTL_MS });
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.InitializeFileBlocksUploadResponse`, FileContinuationToken: token } };
}

function uploadBlock(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'UploadBlock', scope.req.body, {
    BlockId: { type: 'string', required: true },
    BlockData: { type: 'string', required: true },
    FileContinuationToken: { type: 'string', required: true },
  });
  const upload = opened(scope, 'UploadBlock', p['FileContinuationToken'], 'upload');
  const blockId = p['BlockId'] as string;
  const rawId = base64(blockId, 'BlockId');
  if (rawId.length === 0 || rawId.length > 64) throw invalidArgument('A BlockId is base64 of 1 to 64 bytes.');
  const data = base64(p['BlockData'], 'BlockData');
  if (data.length > BLOCK_BYTES) throw invalidArgument(`A block holds at most ${BLOCK_BYTES} bytes (4 MB); this one has ${data.length}.`);
  const previous = upload.blocks.get(blockId)?.length ?? 0;
  if (upload.bytes - previous + data.length > maxBytes(upload.column)) {
    throw invalidArgument(`The file is larger than the ${upload.column.maxSizeInKB} KB the column '${upload.column.logicalName}' accepts (MaxSizeInKB).`);
  }
  upload.blocks.set(blockId, data);
  upload.bytes += data.length - previous;
  return { status: 204 };
}

function commitUpload(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'CommitFileBlocksUpload', scope.req.body, {
    FileName: { type: 'string', required: true },
    MimeType: { type: 'string', required: true },
    BlockList: { type: 'any', required: true },
    FileContinuationToken: { type: 'string', required: true },
  });
  const upload = opened(scope, 'CommitFileBlocksUpload', p['FileContinuationToken'], 'upload');
  const list = p['BlockList'];
  if (!Array.isArray(list) || list.length === 0 || list.some((b) => typeof b !== 'string')) throw payloadError('', "The parameter 'BlockList' must list the uploaded block ids in order.");
  const missing = (list as string[]).filter((b) => !upload.blocks.has(b));
  if (missing.length) throw invalidArgument(`The block list names blocks that were not uploaded: ${missing.slice(0, 5).join(', ')}.`);
  const fileName = p['FileName'] as string;
  checkFileName(upload.column, fileName);
  const mime = p['MimeType'] as string;
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i.test(mime)) throw invalidArgument(`'${mime.slice(0, 64)}' is not a MIME type.`);
  if (upload.column.type === 'Image' && !/^image\//i.test(mime)) throw invalidArgument(`The image column '${upload.column.logicalName}' takes image files only, not '${mime.slice(0, 64)}'.`);
  const data = Buffer.concat((list as string[]).map((b) => upload.blocks.get(b)!));
  if (data.length > maxBytes(upload.column)) throw invalidArgument(`The file is larger than the ${upload.column.maxSizeInKB} KB the column '${upload.column.logicalName}' accepts (MaxSizeInKB).`);
  // Re-checked at commit: the row may have gone, or the caller's role changed.
  scope.access.require('Write', upload.table);
  const { table, id, column } = upload;
  if (!loadRow(scope.core.store, table, id)) throw notFound(table.logicalName, id);
  const file: StoredFile = { fileId: newGuid(), name: fileName, mimeType: mime, data };
  const nameColumn = table.attributes.some((a) => a.logicalName === `${column.logicalName}_name`) ? `${column.logicalName}_name` : undefined;
  const sets: Array<[string, string | number]> = [[column.logicalName, file.fileId], ...(nameColumn ? [[nameColumn, fileName] as [string, string]] : [])];
  const has = (n: string) => table.attributes.some((a) => a.logicalName === n);
  if (has('modifiedon')) sets.push(['modifiedon', toIso(scope.core.clock.now())]);
  if (has('modifiedby')) sets.push(['modifiedby', scope.req.principal.systemUserId]);
  scope.core.store.transaction(() => {
    sets.push(['versionnumber', scope.core.store.nextVersion()]);
    scope.core.store.run(`UPDATE ${quoteIdent(table.logicalName)} SET ${sets.map(([c]) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${quoteIdent(table.primaryIdAttribute)} = ?`, [...sets.map(([, v]) => v), id]);
    // The new file replaces the row's previous one, in the same transaction as the column.
    scope.core.store.run(`INSERT OR REPLACE INTO _emulator_files (tablename, recordid, columnname, fileid, name, mimetype, data) VALUES (?, ?, ?, ?, ?, ?, ?)`, [table.logicalName, id, column.logicalName, file.fileId, file.name, file.mimeType, new Uint8Array(data)]);
  });
  stateOf(scope.core).tokens.delete(p['FileContinuationToken'] as string);
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.CommitFileBlocksUploadResponse`, FileId: file.fileId, FileSizeInBytes: data.length } };
}

function initializeDownload(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'InitializeFileBlocksDownload', scope.req.body, {
    Target: { type: 'object', required: true },
    FileAttributeName: { type: 'string', required: true },
  });
  const t = target(scope, 'InitializeFileBlocksDownload', p);
  scope.access.require('Read', t.table);
  const row = loadRow(scope.core.store, t.table, t.id);
  const file = storedFile(scope.core, t.table.logicalName, t.id, t.column.logicalName);
  if (!file || row?.[t.column.logicalName] !== file.fileId) throw new DataverseError(404, '0x80040217', `No file attachment found for attribute: ${t.column.logicalName} EntityId: ${t.id}.`);
  const token = issue(scope.core, { kind: 'download', user: scope.req.principal.systemUserId, file, expires: scope.core.clock.now().getTime() + TOKEN_TTL_MS });
  return {
    status: 200,
    body: {
      '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.InitializeFileBlocksDownloadResponse`,
      FileContinuationToken: token,
      FileSizeInBytes: file.data.length,
      FileName: file.name,
      IsChunkingSupported: true,
    },
  };
}

function downloadBlock(scope: RequestScope): ApiResponse {
  const p = actionParameters('', 'DownloadBlock', scope.req.body, {
    Offset: { type: 'any', required: true },
    BlockLength: { type: 'any', required: true },
    FileContinuationToken: { type: 'string', required: true },
  });
  const download = opened(scope, 'DownloadBlock', p['FileContinuationToken'], 'download');
  const offset = p['Offset'];
  const length = p['BlockLength'];
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw payloadError('', "The parameter 'Offset' must be a whole number of bytes from 0.");
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > BLOCK_BYTES) throw payloadError('', `The parameter 'BlockLength' must be 1 to ${BLOCK_BYTES} bytes.`);
  const data = download.file.data.subarray(offset, offset + length);
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.DownloadBlockResponse`, Data: data.toString('base64') } };
}

