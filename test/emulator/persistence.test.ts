import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import initSqlJs from 'sql.js';
import { LOCAL_TEAMS, LOCAL_USERS } from '../../src/emulator/index.js';
import type { Keys, ODataList, TestOrg } from './helpers.js';
import { ANCHOR, makeKeys, q, startOrg } from './helpers.js';

type Rec = Record<string, unknown>;
let dir: string;
let keys: Keys;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-emulator-'));
  keys = await makeKeys();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Polls (the write is debounced and the machine may be busy with other test files). */
async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  // Polls counted rather than read off the clock: the give-up point cannot depend on the hour.
  for (let polls = Math.ceil(timeoutMs / 50); !check(); polls--) {
    if (polls <= 0) throw new Error('timed out waiting for the data file');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const label = (text: string) => ({ LocalizedLabels: [{ Label: text, LanguageCode: 1033 }] });

describe('persistence', () => {
  it('a file written before teams, usersettings and greta existed gets them when it is loaded', async () => {
    const file = join(dir, 'older.sqlite');
    const first = await startOrg({ dataFile: file }, keys);
    await first.emu.close();
    // Turn the file into one an earlier emulator wrote.
    const SQL = await initSqlJs();
    const db = new SQL.Database(new Uint8Array(await readFile(file)));
    const greta = LOCAL_USERS.find((u) => u.alias === 'greta');
    db.run('DROP TABLE team; DROP TABLE usersettings;');
    db.run('DELETE FROM systemuserroles WHERE systemuserid = ?', [greta?.systemUserId ?? '']);
    db.run('DELETE FROM systemuser WHERE systemuserid = ?', [greta?.systemUserId ?? '']);
    await writeFile(file, db.export());
    db.close();

    const second = await startOrg({ dataFile: file }, keys);
    const teams = await second.api<ODataList>('alice', 'teams?$select=name');
    expect(teams.body.value.map((t) => t.name).sort()).toEqual(LOCAL_TEAMS.map((t) => t.name).sort());
    const who = await second.api<Rec>('greta', 'WhoAmI');
    expect(who.body.UserId).toBe(greta?.systemUserId);
    const settings = await second.api<Rec>('greta', `usersettingscollection(${greta?.systemUserId})?$select=uilanguageid`);
    expect(settings.body.uilanguageid).toBe(1031);
    await second.emu.close();
  });

  it('keeps created records and custom tables across a restart, and reset reseeds', async () => {
    const file = join(dir, 'nested', 'folder', 'org.sqlite');
    const first = await startOrg({ dataFile: file }, keys);
    const created = await first.api('alice', 'accounts', { method: 'POST', body: { name: 'Persistent Partners' } });
    expect(created.status).toBe(204);
    const table = await first.api('dana', 'EntityDefinitions', {
      method: 'POST',
      body: { SchemaName: 'new_Asset', DisplayName: label('Asset'), DisplayCollectionName: label('Assets'), Attributes: [{ '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', SchemaName: 'new_Name', IsPrimaryName: true, MaxLength: 100 }] },
    });
    expect(table.status).toBe(204);
    await first.api('dana', "EntityDefinitions(LogicalName='new_asset')/Attributes", { method: 'POST', body: { '@odata.type': 'Microsoft.Dynamics.CRM.IntegerAttributeMetadata', SchemaName: 'new_Units' } });
    expect((await first.api('dana', 'new_assets', { method: 'POST', body: { new_name: 'Forklift', new_units: 3 } })).status).toBe(204);
    await first.emu.close();
    expect(existsSync(file)).toBe(true);

    const second = await startOrg({ dataFile: file, anchorTime: new Date('2030-01-01T00:00:00Z') }, keys);
    const found = await second.api<ODataList>('alice', `accounts?${q({ $select: 'name', $filter: "name eq 'Persistent Partners'" })}`);
    expect(found.body.value).toHaveLength(1);
    const assets = await second.api<ODataList>('dana', 'new_assets?$select=new_name,new_units');
    expect(assets.body.value).toEqual([expect.objectContaining({ new_name: 'Forklift', new_units: 3 })]);
    const health = (await (await fetch(`${second.emu.url}/_emulator/health`)).json()) as { anchorTime: string };
    expect(health.anchorTime).toBe(ANCHOR.toISOString());
    await second.emu.close();

    const third = await startOrg({ dataFile: file, reset: true }, keys);
    const gone = await third.api<ODataList>('alice', `accounts?${q({ $select: 'name', $filter: "name eq 'Persistent Partners'" })}`);
    expect(gone.body.value).toHaveLength(0);
    expect((await third.api('dana', 'new_assets')).status).toBe(404);
    await third.emu.close();
  });

  it('keeps a committed file column across a restart (file-column-data)', async () => {
    const file = join(dir, 'files.sqlite');
    const first = await startOrg({ dataFile: file }, keys);
    const id = String((await first.api<ODataList>('alice', `accounts?${q({ $select: 'accountid', $orderby: 'createdon,accountid', $top: '1' })}`)).body.value[0]!['accountid']);
    const target = { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: id };
    const post = <T = Rec>(org: TestOrg, action: string, body: Rec) => org.api<T>('alice', action, { method: 'POST', body });
    const init = await post<{ FileContinuationToken: string }>(first, 'InitializeFileBlocksUpload', { Target: target, FileAttributeName: 'new_contract', FileName: 'kept.pdf' });
    const token = init.body.FileContinuationToken;
    const blockId = Buffer.from('block-000000').toString('base64');
    expect((await post(first, 'UploadBlock', { BlockId: blockId, BlockData: Buffer.from('%PDF kept across restarts').toString('base64'), FileContinuationToken: token })).status).toBe(204);
    expect((await post(first, 'CommitFileBlocksUpload', { FileName: 'kept.pdf', MimeType: 'application/pdf', BlockList: [blockId], FileContinuationToken: token })).status).toBe(200);
    await first.emu.close();

    const second = await startOrg({ dataFile: file }, keys);
    const download = await post<{ FileContinuationToken: string; FileName: string }>(second, 'InitializeFileBlocksDownload', { Target: target, FileAttributeName: 'new_contract' });
    expect(download.status).toBe(200);
    expect(download.body.FileName).toBe('kept.pdf');
    const data = await post<{ Data: string }>(second, 'DownloadBlock', { Offset: 0, BlockLength: 1000, FileContinuationToken: download.body.FileContinuationToken });
    expect(Buffer.from(data.body.Data, 'base64').toString()).toBe('%PDF kept across restarts');
    await second.emu.close();
  });

  it('writes the file shortly after a write (debounced), not only on close', async () => {
    const file = join(dir, 'debounce.sqlite');
    const org = await startOrg({ dataFile: file }, keys);
    await waitFor(() => existsSync(file));
    const before = statSync(file).mtimeMs;
    await org.api('alice', 'accounts', { method: 'POST', body: { name: 'Written Soon' } });
    await waitFor(() => statSync(file).mtimeMs > before);
    const copy = await startOrg({ dataFile: file }, keys);
    const found = await copy.api<ODataList>('alice', `accounts?${q({ $select: 'name', $filter: "name eq 'Written Soon'" })}`);
    expect(found.body.value).toHaveLength(1);
    await copy.emu.close();
    await org.emu.close();
  });
});

describe('determinism and the sample organisation', () => {
  let a: TestOrg;
  let b: TestOrg;
  beforeAll(async () => {
    // How long the build takes is the benchmark's to report (npm run bench:emulator), not a test's.
    a = await startOrg({}, keys);
    b = await startOrg({}, keys);
  });
  afterAll(async () => {
    await a.emu.close();
    await b.emu.close();
  });

  it('the same seed and anchor give the same data', async () => {
    for (const path of [
      `leads?${q({ $select: 'subject,fullname,createdon,statecode,statuscode,estimatedvalue,_ownerid_value', $orderby: 'leadid' })}`,
      `accounts?${q({ $select: 'name,revenue,_primarycontactid_value', $orderby: 'accountid' })}`,
      `incidents?${q({ $select: 'title,ticketnumber,statecode,statuscode,createdon', $orderby: 'incidentid' })}`,
      `emails?${q({ $select: 'subject,createdon,statuscode', $orderby: 'activityid' })}`,
    ]) {
      const x = await a.api<ODataList>('dana', path);
      const y = await b.api<ODataList>('dana', path);
      expect(x.body.value).toEqual(y.body.value);
    }
  });

  it('a different seed gives a different organisation', async () => {
    const c = await startOrg({ seed: 7 }, keys);
    const path = `leads?${q({ $select: 'subject', $orderby: 'createdon desc', $top: '20' })}`;
    const x = await a.api<ODataList>('dana', path);
    const y = await c.api<ODataList>('dana', path);
    expect(x.body.value.map((v) => v.subject)).not.toEqual(y.body.value.map((v) => v.subject));
    await c.emu.close();
  });

  it('has the documented volumes and distributions', async () => {
    const count = async (set: string, filter?: string) => {
      const r = await a.api<ODataList>('dana', `${set}?${q({ $select: 'versionnumber', $count: 'true', $top: '0', ...(filter ? { $filter: filter } : {}) })}`);
      return r.body['@odata.count'] ?? -1;
    };
    expect(await count('accounts')).toBeGreaterThanOrEqual(50);
    expect(await count('contacts')).toBeGreaterThanOrEqual(150);
    expect(await count('leads')).toBe(500);
    const open = await count('leads', 'statecode eq 0');
    expect(open / 500).toBeGreaterThan(0.6);
    expect(open / 500).toBeLessThan(0.8);
    expect(await count('leads', 'statecode eq 1')).toBeGreaterThan(20);
    expect(await count('leads', 'statecode eq 2')).toBeGreaterThan(20);
    expect(await count('leads', 'statecode eq 0 and _msdyn_predictivescoreid_value ne null')).toBeGreaterThan(open * 0.75);
    expect(await count('opportunities')).toBe(100);
    expect(await count('opportunities', '_originatingleadid_value ne null')).toBeGreaterThan(20);
    expect(await count('incidents')).toBe(300);
    const active = await count('incidents', 'statecode eq 0');
    const resolved = await count('incidents', 'statecode eq 1');
    const cancelled = await count('incidents', 'statecode eq 2');
    expect(active / 300).toBeGreaterThan(0.5);
    expect(active / 300).toBeLessThan(0.7);
    expect(resolved / 300).toBeGreaterThan(0.25);
    expect(resolved / 300).toBeLessThan(0.45);
    expect(cancelled / 300).toBeLessThan(0.12);
    expect(await count('incidentresolutions')).toBe(resolved);
    expect(await count('knowledgearticles', 'statecode eq 3')).toBeGreaterThanOrEqual(30);
    expect(await count('annotations', "objecttypecode eq 'incident'")).toBeGreaterThan(100);
    expect(await count('annotations', "objecttypecode eq 'lead'")).toBeGreaterThan(50);
    expect(await count('phonecalls')).toBeGreaterThan(100);
    expect(await count('tasks')).toBeGreaterThan(100);
    expect(await count('emails', 'statuscode eq 3')).toBeGreaterThan(100);
    expect(await count('emails', 'statuscode eq 4')).toBeGreaterThan(100);
    const users = await a.api<ODataList>('dana', 'systemusers?$select=azureactivedirectoryobjectid,fullname');
    for (const u of LOCAL_USERS) expect(users.body.value.map((v) => v.azureactivedirectoryobjectid)).toContain(u.objectId);
    expect(users.body.value.length).toBeGreaterThan(LOCAL_USERS.length);
    const leadActivities = await a.api<ODataList>('dana', `leads?${q({ $select: 'fullname', $filter: 'statecode eq 0 and Lead_ActivityPointers/any()', $count: 'true', $top: '0' })}`);
    expect(leadActivities.body['@odata.count']).toBeGreaterThan(150);
  });

  it('writes realistic text, not lorem ipsum', async () => {
    const r = await a.api<ODataList>('dana', `knowledgearticles?${q({ $select: 'title,content,articlepublicnumber', $top: '5' })}`);
    for (const kb of r.body.value as Rec[]) {
      expect(String(kb.content)).not.toMatch(/lorem|ipsum/i);
      expect(kb.articlepublicnumber).toMatch(/^KA-\d{5}$/);
    }
  });
});
