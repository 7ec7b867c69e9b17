import { describe, expect, it } from 'vitest';

import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { useOrg } from './helpers.js';

let org: TestOrg;
useOrg((o) => (org = o));

type Rec = Record<string, unknown>;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const blockId = (n: number) => b64(`block-${String(n).padStart(6, '0')}`);

async function firstId(set: string, key: string): Promise<string> {
  return String((await org.api<ODataList>('dana', `${set}?$select=${key}&$top=1`)).body.value[0]![key]);
}

const call = <T = Rec>(alias: 'alice' | 'dana' | 'rita', action: string, body: Rec) => org.api<T>(alias, action, { method: 'POST', body });
const accountTarget = (id: string) => ({ '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: id });

async function upload(alias: 'alice' | 'dana', target: Rec, column: string, fileName: string, blocks: Buffer[], mime = 'application/pdf'): Promise<{ status: number; body: Rec }> {
  const init = await call<{ FileContinuationToken: string }>(alias, 'InitializeFileBlocksUpload', { Target: target, FileAttributeName: column, FileName: fileName });
  if (init.status !== 200) return init as unknown as { status: number; body: Rec };
  const token = init.body.FileContinuationToken;
  for (const [i, data] of blocks.entries()) {
    const r = await call(alias, 'UploadBlock', { BlockId: blockId(i), BlockData: data.toString('base64'), FileContinuationToken: token });
    if (r.status !== 204) return r;
  }
  return call(alias, 'CommitFileBlocksUpload', { FileName: fileName, MimeType: mime, BlockList: blocks.map((_, i) => blockId(i)), FileContinuationToken: token });
}

/** File and image columns through the block messages (file-column-data, files-images-overview). */
describe('file columns', () => {
  it('describes file and image columns as Virtual with their type name and MaxSizeInKB', async () => {
    const file = await org.api<Rec>('dana', "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_contract')");
    expect(file.body).toMatchObject({ '@odata.type': '#Microsoft.Dynamics.CRM.FileAttributeMetadata', AttributeType: 'Virtual', AttributeTypeName: { Value: 'FileType' }, MaxSizeInKB: 32768 });
    const images = await org.api<ODataList>('dana', "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.ImageAttributeMetadata?$select=LogicalName,MaxSizeInKB");
    expect(images.body.value).toEqual([expect.objectContaining({ LogicalName: 'entityimage', MaxSizeInKB: 10240 })]);
  });

  it('uploads in blocks, stores the file id and name on the row, and downloads it back in blocks', async () => {
    const id = await firstId('accounts', 'accountid');
    const parts = [Buffer.from('%PDF-1.7 first block '), Buffer.from('second block'), Buffer.from(' and the end')];
    const committed = await upload('alice', accountTarget(id), 'new_contract', 'contract.pdf', parts);
    expect(committed.status, JSON.stringify(committed.body)).toBe(200);
    const size = Buffer.concat(parts).length;
    expect(committed.body).toMatchObject({ FileSizeInBytes: size });
    const row = await org.api<Rec>('alice', `accounts(${id})?$select=new_contract,new_contract_name`);
    expect(row.body).toMatchObject({ new_contract: committed.body['FileId'], new_contract_name: 'contract.pdf' });

    const init = await call<{ FileContinuationToken: string; FileSizeInBytes: number; FileName: string; IsChunkingSupported: boolean }>('alice', 'InitializeFileBlocksDownload', { Target: accountTarget(id), FileAttributeName: 'new_contract' });
    expect(init.body).toMatchObject({ FileSizeInBytes: size, FileName: 'contract.pdf', IsChunkingSupported: true });
    const first = await call<{ Data: string }>('alice', 'DownloadBlock', { Offset: 0, BlockLength: 10, FileContinuationToken: init.body.FileContinuationToken });
    const rest = await call<{ Data: string }>('alice', 'DownloadBlock', { Offset: 10, BlockLength: 1000, FileContinuationToken: init.body.FileContinuationToken });
    expect(Buffer.concat([Buffer.from(first.body.Data, 'base64'), Buffer.from(rest.body.Data, 'base64')])).toEqual(Buffer.concat(parts));
    // Not settable in a create or update.
    const patch = await org.api<ODataError>('alice', `accounts(${id})`, { method: 'PATCH', body: { new_contract: committed.body['FileId'] } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.message).toMatch(/InitializeFileBlocksUpload/);
  });

  const refused: Array<[string, () => Promise<{ status: number; body: Rec }>, number, RegExp]> = [
    ['a column that is not a file column', async () => call('alice', 'InitializeFileBlocksUpload', { Target: accountTarget(await firstId('accounts', 'accountid')), FileAttributeName: 'name', FileName: 'a.txt' }), 400, /not a file or image column/],
    ['a blocked extension (Organization.BlockedAttachments)', async () => call('alice', 'InitializeFileBlocksUpload', { Target: accountTarget(await firstId('accounts', 'accountid')), FileAttributeName: 'new_contract', FileName: 'setup.exe' }), 400, /not a valid type/],
    ['a non-image file in an image column', async () => call('alice', 'InitializeFileBlocksUpload', { Target: { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: await firstId('contacts', 'contactid') }, FileAttributeName: 'entityimage', FileName: 'photo.pdf' }), 400, /gif, jpeg, tiff, bmp and png/],
    ['a missing row', async () => call('alice', 'InitializeFileBlocksUpload', { Target: accountTarget('00000000-0000-4000-8000-000000000000'), FileAttributeName: 'new_contract', FileName: 'a.pdf' }), 404, /Does Not Exist/],
    ['no write privilege', async () => call('rita', 'InitializeFileBlocksUpload', { Target: accountTarget(await firstId('accounts', 'accountid')), FileAttributeName: 'new_contract', FileName: 'a.pdf' }), 403, /prvWriteAccount/],
    ['an unknown token', async () => call('alice', 'UploadBlock', { BlockId: blockId(0), BlockData: b64('x'), FileContinuationToken: 'nope' }), 400, /FileContinuationToken is not valid/],
  ];
  it.each(refused)('refuses %s', async (_name, run, status, message) => {
    const r = await run();
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect((r.body as unknown as ODataError).error.message).toMatch(message);
  });

  it('refuses a file over the column\'s MaxSizeInKB, a commit of blocks never uploaded, and another user\'s token', async () => {
    const contact = { '@odata.type': 'Microsoft.Dynamics.CRM.contact', contactid: await firstId('contacts', 'contactid') };
    // entityimage takes 10240 KB: four blocks of 2.75 MB are 11 MB (each request stays under the emulator's 4 MB body limit).
    const block = Buffer.alloc(2816 * 1024);
    const over = await upload('dana', contact, 'entityimage', 'photo.png', [block, block, block, block], 'image/png');
    expect(over.status).toBe(400);
    expect((over.body as unknown as ODataError).error.message).toMatch(/larger than the 10240 KB/);
    const init = await call<{ FileContinuationToken: string }>('alice', 'InitializeFileBlocksUpload', { Target: accountTarget(await firstId('accounts', 'accountid')), FileAttributeName: 'new_contract', FileName: 'a.pdf' });
    const token = init.body.FileContinuationToken;
    const ghost = await call<ODataError>('alice', 'CommitFileBlocksUpload', { FileName: 'a.pdf', MimeType: 'application/pdf', BlockList: [blockId(9)], FileContinuationToken: token });
    expect(ghost.body.error.message).toMatch(/not uploaded/);
    const stolen = await call<ODataError>('dana', 'UploadBlock', { BlockId: blockId(0), BlockData: b64('x'), FileContinuationToken: token });
    expect(stolen.body.error.message).toMatch(/another user/);
  });
});
