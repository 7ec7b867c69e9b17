import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAgentsFile } from '../../src/config/agents.js';
import { compileTool, toolsForAgent } from '../../src/mcp/toolInventory.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { GENERATION_ONLY, servedIn } from '../../src/tools/names.js';
import { dataverseAs, type WebApi } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

/**
 * The Dataverse MCP server's 2026 tools (describe, search, search_data), the bulk tools
 * (create_records, update_records) and which generation lists which, against the emulator.
 */
const compiled = ALL_TOOLS.map(compileTool);
const agents = loadAgentsFile('agents.json');
const agent = (id: string) => agents.find((a) => a.id === id)!;
const names = (a: ReturnType<typeof agent>) => toolsForAgent(a, compiled).map((t) => t.def.name);

describe('generation-only tools', () => {
  it.each([
    ['classic', ['list_tables', 'describe_table'], ['describe', 'search', 'search_data']],
    ['cx', ['describe', 'search', 'search_data'], ['list_tables', 'describe_table']],
    ['both', ['list_tables', 'describe_table', 'describe', 'search', 'search_data'], []],
  ] as const)('%s lists %j and not %j', (generation, listed, hidden) => {
    const list = names({ ...agent('dataverse'), names: generation });
    for (const n of listed) expect(list).toContain(n);
    for (const n of hidden) expect(list).not.toContain(n);
    // Tools of no single generation are served everywhere.
    for (const n of ['read_query', 'create_record', 'create_records', 'update_records', 'whoami']) expect(list).toContain(n);
  });

  it('every generation-only name is a real tool, and servedIn follows the declaration', () => {
    const all = new Set(compiled.map((t) => t.def.name));
    for (const [n, only] of Object.entries(GENERATION_ONLY)) {
      expect(all.has(n), n).toBe(true);
      expect(servedIn(n, only)).toBe(true);
      expect(servedIn(n, only === 'cx' ? 'classic' : 'cx')).toBe(false);
      expect(servedIn(n, 'both')).toBe(true);
    }
    expect(servedIn('read_query', 'classic') && servedIn('read_query', 'cx')).toBe(true);
  });

  it('the shipped agents: dataverse keeps the classic discovery tools, dataverse-cx the 2026 ones, sales gets the bulk tools', () => {
    expect(names(agent('dataverse'))).toEqual(expect.arrayContaining(['list_tables', 'describe_table', 'create_records']));
    expect(names(agent('dataverse-cx'))).toEqual(expect.arrayContaining(['describe', 'search', 'search_data', 'create_records', 'update_records']));
    expect(names(agent('dataverse-cx'))).not.toContain('list_tables');
    for (const id of ['sales', 'sales-cx']) expect(names(agent(id))).toEqual(expect.arrayContaining(['create_records', 'update_records']));
    expect(names(agent('insights'))).not.toContain('create_records');
  });
});

let server: TestServer;
let cx: TestClient;
let narrow: TestClient;
let sales: TestClient;
let rita: TestClient;
let api: WebApi;

beforeAll(async () => {
  // The shipped agents plus one that may use accounts only: search_data must not show it other tables' rows.
  const file = JSON.parse(await readFile('agents.json', 'utf8')) as { agents: Array<Record<string, unknown>> };
  file.agents.push({ ...file.agents.find((a) => a['id'] === 'dataverse-cx')!, id: 'accounts-only', tables: ['account'] });
  const path = join(await mkdtemp(join(tmpdir(), 'agents-')), 'agents.json');
  await writeFile(path, JSON.stringify(file));
  server = await startTestServer({ emulator: true, env: { AGENTS_FILE: path } });
  [cx, narrow, sales, rita] = await Promise.all([connect(server, 'alice', 'dataverse-cx', 'modern'), connect(server, 'alice', 'accounts-only'), connect(server, 'alice', 'sales'), connect(server, 'rita', 'sales')]);
  api = dataverseAs(server, 'alice');
}, 60_000);
afterAll(async () => {
  for (const c of [cx, narrow, sales, rita]) await c?.close();
  await server?.close();
});

describe('describe', () => {
  const cases: Array<[string, Record<string, unknown>, (d: Record<string, unknown>, text: string) => void]> = [
    ['every table of the agent', {}, (d) => {
      const tables = (d['tables'] as Array<{ name: string }>).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['account', 'lead', 'knowledgearticle']));
      expect(tables).not.toContain('quote');
    }],
    ['tables by keyword', { keyword: 'knowledge' }, (d) => expect((d['tables'] as Array<{ name: string }>).map((t) => t.name)).toEqual(['knowledgearticle'])],
    ['a table: columns, lookups, T-SQL', { table_name: 'Contact' }, (d) => {
      const desc = d['description'] as { table: string; primaryId: string; columns: Array<{ name: string }>; relationships: Array<{ column: string; target: string }>; tsql: string };
      expect(desc.table).toBe('contact');
      expect(desc.columns[0]!.name).toBe('contactid');
      expect(desc.relationships).toEqual(expect.arrayContaining([expect.objectContaining({ column: 'parentcustomerid', target: 'account' })]));
      expect(desc.tsql).toMatch(/^CREATE TABLE contact/);
    }],
    ['a choice column by keyword', { table_name: 'lead', keyword: 'lead source' }, (d, text) => {
      const desc = d['description'] as { columns: Array<{ name: string; options?: Array<{ value: number; label: string }> }>; tsql?: string };
      expect(desc.columns.map((c) => c.name)).toEqual(['leadsourcecode']);
      expect(desc.columns[0]!.options).toEqual(expect.arrayContaining([{ value: 7, label: 'Trade Show' }]));
      expect(desc.tsql).toBeUndefined();
      expect(text).toContain('7=Trade Show');
    }],
  ];
  it.each(cases)('%s', async (_name, args, check) => {
    const r = await cx.call('describe', args);
    expect(r.isError, r.text).toBeFalsy();
    check(r.data, r.text);
  });

  it.each([
    [{ table_name: 'quote' }, /not available on this agent/],
    [{ table_name: 'new_nothing' }, /no table named "new_nothing"/],
    [{ table_name: "lead'; drop" }, /table logical name/],
  ])('refuses %j', async (args, message) => {
    const r = await cx.call('describe', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });
});

describe('search (metadata)', () => {
  it('finds columns and tables of the agent by words, names before labels', async () => {
    const r = await cx.call('search', { query: 'email address', top: 50 });
    expect(r.isError, r.text).toBeFalsy();
    const matches = r.data['matches'] as Array<{ kind: string; table: string; column?: string }>;
    expect(matches).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'column', table: 'lead', column: 'emailaddress1' })]));
    expect(matches.every((m) => m.table !== 'quote' && m.table !== 'competitor')).toBe(true);
    const tables = await cx.call('search', { query: 'knowledge article' });
    expect((tables.data['matches'] as Array<{ kind: string; table: string }>)[0]).toMatchObject({ kind: 'table', table: 'knowledgearticle' });
    const none = await cx.call('search', { query: 'zzqx' });
    expect(none.data['matches']).toEqual([]);
    expect(none.text).toMatch(/No table or column/);
  });
});

describe('search_data', () => {
  let accountName: string;
  beforeAll(async () => {
    const a = await api<{ value: Array<{ name: string }> }>("accounts?$select=name&$filter=startswith(name,'Blue Ridge')&$top=1");
    accountName = a.body.value[0]!.name;
  });

  it('finds rows by relevance with their highlights, across the agent\'s tables', async () => {
    const word = 'Ridge';
    const r = await cx.call('search_data', { query: word, top: 50 });
    expect(r.isError, r.text).toBeFalsy();
    const results = r.data['results'] as Array<{ table: string; id: string; name: string; highlights: string[] }>;
    expect(results.some((x) => x.table === "account" && x.name === accountName), `${accountName}: ${JSON.stringify(results.slice(0, 8))}`).toBe(true);
    expect(results.some((x) => x.highlights.some((h) => h.includes(`**${word}**`)))).toBe(true);
    const onlyAccounts = (await cx.call('search_data', { query: word, tables: ['account'] })).data['results'] as Array<{ table: string }>;
    expect(onlyAccounts.length).toBeGreaterThan(0);
    expect(onlyAccounts.every((x) => x.table === 'account')).toBe(true);
    // An agent limited to accounts never sees rows of other tables, though Dataverse search returned them.
    const narrowed = (await narrow.call('search_data', { query: word, top: 50 })).data['results'] as Array<{ table: string }>;
    expect(narrowed.length).toBeGreaterThan(0);
    expect(narrowed.every((x) => x.table === 'account')).toBe(true);
  });

  it.each([
    [{ query: 'x', tables: ['quote'] }, /not available on this agent/],
    [{ query: 'a'.repeat(101) }, /100/],
  ])('refuses %j', async (args, message) => {
    const r = await cx.call('search_data', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('searches operators as text (no injection into the search syntax)', async () => {
    const r = await cx.call('search_data', { query: '*' });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['results']).toEqual([]);
  });
});

const attendees = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ firstname: `Attendee${i + 1}`, lastname: tag, companyname: `Company ${i % 17}`, emailaddress1: `attendee${i + 1}.${tag}@example.com`, subject: 'Contoso Summit 2026', leadsourcecode: 'Trade Show' }));
const leadsTagged = async (tag: string) => (await api<{ value: Array<{ leadid: string; jobtitle: string | null }> }>(`leads?$select=leadid,jobtitle&$filter=lastname eq '${tag}'`)).body.value;

describe('create_records and update_records', () => {
  it('imports 200 event attendees as leads on the sales agent with one confirmation that shows every row', async () => {
    const tag = `T${randomUUID().slice(0, 8)}`;
    const args = { table_name: 'lead', records: attendees(tag, 200) };
    const first = await sales.call('create_records', args);
    expect(first.isError, first.text).toBeFalsy();
    expect(first.data['status']).toBe('confirmation_required');
    const details = (first.data['confirmation'] as { details: Record<string, string> }).details;
    expect(details['rows']).toBe('200');
    expect(details['row 1']).toContain(`emailaddress1=attendee1.${tag}@example.com`);
    expect(details['row 5']).toBeDefined();
    expect(details['row 6']).toBeUndefined();
    expect(details['column leadsourcecode']).toMatch(/^200 of 200 rows/);
    expect(details['rows 6-200']).toContain(`200. Attendee200 ${tag}`);
    expect(await leadsTagged(tag)).toEqual([]);

    server.emulator!.clearRequests();
    const done = await sales.call('create_records', { ...args, confirmationHandle: (first.data['confirmation'] as { handle: string }).handle });
    const result = resultOf<{ created: number; results: Array<{ row: number; recordId: string; status: string }> }>(done);
    expect(server.emulator!.requests.length).toBe(1);
    expect(result.created).toBe(200);
    expect(result.results[199]).toMatchObject({ row: 200, status: 'created' });
    const rows = await leadsTagged(tag);
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.leadid))).toEqual(new Set(result.results.map((r) => r.recordId)));
  });

  it('refuses bad rows before anyone is asked, naming each, and creates nothing', async () => {
    const tag = `T${randomUUID().slice(0, 8)}`;
    const records: Array<Record<string, unknown>> = attendees(tag, 4);
    records[1] = { ...records[1], leadsourcecode: 'Carrier pigeon' };
    records[3] = { ...records[3], nosuchcolumn: 1 };
    const r = await sales.call('create_records', { table_name: 'lead', records });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Nothing was created: 2 of 4 rows are not valid for lead: row 2: leadsourcecode: must be one of .*; row 4: nosuchcolumn: no such column/);
    expect(await leadsTagged(tag)).toEqual([]);
  });

  it.each([
    ['a table outside the allowlist', 'alice', { table_name: 'incident', records: [{ title: 'x' }] }, /not available on this agent/],
    ['no create privilege (read-only role)', 'rita', { table_name: 'lead', records: [{ lastname: 'x', subject: 'x' }] }, /prvCreateLead/],
    ['more than 1,000 rows', 'alice', { table_name: 'lead', records: Array.from({ length: 1001 }, () => ({ lastname: 'x' })) }, /1000/],
  ])('refuses %s', async (_name, who, args, message) => {
    const r = await (who === 'rita' ? rita : sales).call('create_records', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('updates many rows with one confirmation, naming each, and refuses repeated or unknown rows', async () => {
    const tag = `T${randomUUID().slice(0, 8)}`;
    resultOf(await sales.callConfirmed('create_records', { table_name: 'lead', records: attendees(tag, 7) }));
    const ids = (await leadsTagged(tag)).map((r) => r.leadid);
    const records = ids.map((record_id, i) => ({ record_id, update_data: { jobtitle: i % 2 ? 'Speaker' : 'Visitor' } }));
    const first = await cx.call('update_records', { table_name: 'lead', records });
    expect(first.data['status']).toBe('confirmation_required');
    const details = (first.data['confirmation'] as { details: Record<string, string> }).details;
    expect(details['rows']).toBe('7');
    expect(details['column jobtitle']).toMatch(/^7 of 7 rows/);
    expect(details['rows 6-7']).toMatch(/6\. ".+" jobtitle=Speaker; 7\. ".+" jobtitle=Visitor/);
    expect((await leadsTagged(tag)).every((r) => r.jobtitle === null)).toBe(true);
    const done = resultOf<{ updated: number; results: Array<{ row: number; name?: string }> }>(await cx.call('update_records', { table_name: 'lead', records, confirmationHandle: (first.data['confirmation'] as { handle: string }).handle }));
    expect(done.updated).toBe(7);
    expect(done.results[0]!.name).toMatch(/^Attendee/);
    expect((await leadsTagged(tag)).filter((r) => r.jobtitle === 'Speaker')).toHaveLength(3);

    const twice = await cx.call('update_records', { table_name: 'lead', records: [records[0], records[0]] });
    expect(twice.text).toMatch(/repeat an earlier row: row 2 /);
    const unknown = await cx.call('update_records', { table_name: 'lead', records: [records[0], { record_id: randomUUID(), update_data: { jobtitle: 'x' } }] });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/^Nothing was updated: no lead you can read has the id of row 2/);
  });
});

describe('tables without the bulk messages: one $batch change set', () => {
  const tasksTagged = async (tag: string) => (await api<{ value: Array<{ activityid: string; subject: string }> }>(`tasks?$select=subject&$filter=startswith(subject,'${tag}')`)).body.value;

  it('creates and updates tasks (no CreateMultiple in sdkmessagefilter) all together in one request, and a refused row changes nothing', async () => {
    const tag = `K${randomUUID().slice(0, 8)}`;
    const records = Array.from({ length: 30 }, (_, i) => ({ subject: `${tag} follow-up ${i + 1}` }));
    const first = await sales.call('create_records', { table_name: 'task', records });
    expect(first.data['status'], first.text).toBe('confirmation_required');
    server.emulator!.clearRequests();
    const done = resultOf<{ created: number; results: Array<{ recordId: string }> }>(await sales.call('create_records', { table_name: 'task', records, confirmationHandle: (first.data['confirmation'] as { handle: string }).handle }));
    expect(server.emulator!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/data/v9.2/$batch']);
    expect(done.created).toBe(30);
    const rows = await tasksTagged(tag);
    expect(new Set(rows.map((r) => r.activityid))).toEqual(new Set(done.results.map((r) => r.recordId)));

    // The last row points at an account that does not exist: Dataverse refuses it and the change set rolls back.
    const other = `L${randomUUID().slice(0, 8)}`;
    const bad = [...Array.from({ length: 3 }, (_, i) => ({ subject: `${other} ${i}` })), { subject: `${other} x`, regardingobjectid: `account:${randomUUID()}` }];
    const refused = await sales.callConfirmed('create_records', { table_name: 'task', records: bad });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^Nothing was created: Dataverse refused the \$batch change set request .* so no row was changed/);
    // The failing request's own error, read from the batch answer.
    expect(refused.text).toMatch(/account With Id = [0-9a-f-]{36} Does Not Exist/);
    expect(await tasksTagged(other)).toEqual([]);

    const changes = done.results.slice(0, 3).map((r, i) => ({ record_id: r.recordId, update_data: { subject: `${tag} moved ${i + 1}` } }));
    server.emulator!.clearRequests();
    const updated = resultOf<{ updated: number }>(await sales.callConfirmed('update_records', { table_name: 'task', records: changes }));
    expect(updated.updated).toBe(3);
    expect(server.emulator!.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/api/data/v9.2/$batch']);
    expect((await tasksTagged(`${tag} moved`)).map((r) => r.subject).sort()).toEqual([`${tag} moved 1`, `${tag} moved 2`, `${tag} moved 3`]);
  });
});

describe('files: init_file_upload, commit_file_upload, file_download', () => {
  let accountId: string;
  let contactId: string;
  beforeAll(async () => {
    accountId = (await api<{ value: Array<{ accountid: string }> }>("accounts?$select=accountid&$filter=startswith(name,'Blue Ridge')&$top=1")).body.value[0]!.accountid;
    contactId = (await api<{ value: Array<{ contactid: string }> }>('contacts?$select=contactid&$top=1')).body.value[0]!.contactid;
  });

  it('uploads in chunks, commits after one confirmation, and downloads inline and through a signed link', async () => {
    const content = Buffer.from('%PDF-1.7\n'.padEnd(530_000, 'x'));
    const chunks = [content.subarray(0, 512 * 1024), content.subarray(512 * 1024)];
    const start = { table_name: 'account', record_id: accountId, column_name: 'new_contract', file_name: 'contract.pdf', mime_type: 'application/pdf' };
    const first = await cx.call('init_file_upload', { ...start, content_base64: chunks[0]!.toString('base64') });
    expect(first.isError, first.text).toBeFalsy();
    expect(first.data).toMatchObject({ chunks: 1, bytes_received: 512 * 1024, max_bytes: 32768 * 1024 });
    const second = await cx.call('init_file_upload', { upload_id: first.data['upload_id'], content_base64: chunks[1]!.toString('base64') });
    expect(second.data).toMatchObject({ chunks: 2, bytes_received: content.length });
    // Nothing is stored before the commit is confirmed.
    expect((await api<Record<string, unknown>>(`accounts(${accountId})?$select=new_contract`)).body['new_contract']).toBeNull();
    const ask = await cx.call('commit_file_upload', { upload_id: second.data['upload_id'] });
    expect(ask.data['status']).toBe('confirmation_required');
    const confirmation = ask.data['confirmation'] as { summary: string; details: Record<string, string>; handle: string };
    expect(confirmation.summary).toMatch(/^Store "contract\.pdf" \(517\.6 KB, application\/pdf\) in Signed contract of Account "Blue Ridge/);
    expect(confirmation.details).toMatchObject({ size: `${content.length} bytes`, replaces: 'nothing' });
    // Round trips: the row and its current file name, then those and CommitFileBlocksUpload.
    server.emulator!.clearRequests();
    const done = resultOf<{ fileId: string; sizeBytes: number }>(await cx.call('commit_file_upload', { upload_id: second.data['upload_id'], confirmationHandle: confirmation.handle }));
    expect(server.emulator!.requests.length).toBeLessThanOrEqual(3);
    expect(done.sizeBytes).toBe(content.length);
    expect((await api<Record<string, unknown>>(`accounts(${accountId})?$select=new_contract,new_contract_name`)).body).toMatchObject({ new_contract: done.fileId, new_contract_name: 'contract.pdf' });

    const tooBig = await cx.call('file_download', { table_name: 'account', record_id: accountId, column_name: 'new_contract', inline: true });
    expect(tooBig.text).toMatch(/more than the 256 KB returned inline/);
    server.emulator!.clearRequests();
    const link = await cx.call('file_download', { table_name: 'account', record_id: accountId, column_name: 'new_contract' });
    expect(server.emulator!.requests.length, 'InitializeFileBlocksDownload only; the definition is cached').toBe(1);
    expect(link.isError, link.text).toBeFalsy();
    const url = String(link.data['downloadUrl']);
    expect(url.startsWith(server.url)).toBe(true);
    const res = await fetch(url, { headers: { authorization: `Bearer ${await server.token('alice')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain('contract.pdf');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content);
    // The link is bound to the user it was issued to.
    expect((await fetch(url, { headers: { authorization: `Bearer ${await server.token('bob')}` } })).status).toBe(403);
  });

  it('puts an image into an image column and returns small files inline', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);
    const started = await cx.call('init_file_upload', { table_name: 'contact', record_id: contactId, column_name: 'entityimage', file_name: 'portrait.png', mime_type: 'image/png', content_base64: png.toString('base64') });
    expect(started.isError, started.text).toBeFalsy();
    resultOf(await cx.callConfirmed('commit_file_upload', { upload_id: started.data['upload_id'] }));
    const inline = await cx.call('file_download', { table_name: 'contact', record_id: contactId, column_name: 'entityimage', inline: true });
    expect(inline.data).toMatchObject({ fileName: 'portrait.png', mimeType: 'image/png', sizeBytes: png.length, contentBase64: png.toString('base64') });
  });

  it.each([
    ['a column that is not a file column', { table_name: 'account', column_name: 'name', file_name: 'a.pdf', mime_type: 'application/pdf' }, /not a file or image column/],
    ['a pdf into an image column', { table_name: 'contact', column_name: 'entityimage', file_name: 'a.pdf', mime_type: 'application/pdf' }, /gif, jpeg, tiff, bmp and png images only/],
    ['an extension the org blocks', { table_name: 'account', column_name: 'new_contract', file_name: 'setup.exe', mime_type: 'application/octet-stream' }, /not a valid type/],
    ['a table outside the allowlist', { table_name: 'quote', column_name: 'new_contract', file_name: 'a.pdf', mime_type: 'application/pdf' }, /not available on this agent/],
    ['a start without its target', { file_name: 'a.pdf' }, /give table_name, column_name, mime_type/],
    ['a forged upload id', { upload_id: 'c1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, /upload_id is not valid/],
  ] as const)('refuses %s before anything is stored', async (_name, args, message) => {
    const target = 'table_name' in args && args.table_name === 'contact' ? contactId : accountId;
    const r = await cx.call('init_file_upload', { ...('upload_id' in args ? {} : { record_id: target }), ...args, content_base64: Buffer.from('hello').toString('base64') });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('an upload id works only for its user, and a committed upload cannot be committed again', async () => {
    const started = await cx.call('init_file_upload', { table_name: 'account', record_id: accountId, column_name: 'new_contract', file_name: 'notes.txt', mime_type: 'text/plain', content_base64: Buffer.from('v2').toString('base64') });
    const uploadId = String(started.data['upload_id']);
    const dana = await connect(server, 'dana', 'dataverse-cx');
    try {
      expect((await dana.call('commit_file_upload', { upload_id: uploadId })).text).toMatch(/upload_id is not valid/);
    } finally {
      await dana.close();
    }
    const ask = await cx.call('commit_file_upload', { upload_id: uploadId });
    expect((ask.data['confirmation'] as { summary: string }).summary).toMatch(/replacing "contract\.pdf"/);
    resultOf(await cx.call('commit_file_upload', { upload_id: uploadId, confirmationHandle: (ask.data['confirmation'] as { handle: string }).handle }));
    const again = await cx.callConfirmed('commit_file_upload', { upload_id: uploadId });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already stored or has expired/);
  });
});
