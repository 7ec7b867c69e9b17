import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkQuery } from '../../src/tools/dataverse/readQuery.js';
import { modernHeaders, modernRequest, startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

let server: TestServer;
let alice: TestClient;
let dana: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  alice = await connect(server, 'alice', 'dataverse');
  dana = await connect(server, 'dana', 'dataverse', 'modern');
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await dana?.close();
  await server?.close();
});

describe('tables', () => {
  it('list_tables shows only the agent allowlist', async () => {
    const tables = (await alice.call('list_tables')).data['tables'] as Array<{ name: string }>;
    const names = tables.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['account', 'contact', 'lead', 'incident']));
    expect(names).not.toContain('msdyn_predictivescore');
    expect(names).not.toContain('systemuserroles');
  });

  it('describe_table returns columns, lookups, choices and a T-SQL rendering', async () => {
    const r = await alice.call('describe_table', { table_name: 'Account' });
    const data = r.data as { primaryId: string; columns: Array<{ name: string; type: string; lookupTargets?: string[]; options?: unknown[] }>; tsql: string };
    expect(data.primaryId).toBe('accountid');
    expect(data.columns.find((c) => c.name === 'primarycontactid')?.lookupTargets).toEqual(['contact']);
    expect(data.columns.find((c) => c.name === 'statecode')?.options?.length).toBeGreaterThan(0);
    expect(data.tsql).toMatch(/^CREATE TABLE account \(/);
    const outside = await alice.call('describe_table', { table_name: 'role' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/not available on this agent/);
  });
});

describe('read_query', () => {
  it('runs a joined aggregate query', async () => {
    const r = await alice.call('read_query', {
      sql_query: 'SELECT a.name, COUNT(c.contactid) AS contacts FROM account a INNER JOIN contact c ON c.parentcustomerid = a.accountid GROUP BY a.name ORDER BY contacts DESC',
    });
    expect(r.isError, r.text).toBeFalsy();
    const data = r.data as { rows: Array<{ name: string; contacts: number }>; columns: string[]; executedSql: string };
    expect(data.columns).toEqual(['name', 'contacts']);
    expect(data.rows.length).toBeGreaterThan(10);
    expect(data.rows[0]!.contacts).toBeGreaterThanOrEqual(data.rows[1]!.contacts);
    expect(data.executedSql).toMatch(/^SELECT TOP 100 /);
  });

  it.each([
    ['a write', 'DELETE FROM account', /Only SELECT/],
    ['two statements', 'SELECT name FROM account; DELETE FROM account', /exactly one/],
    ['UNION', 'SELECT name FROM account UNION SELECT fullname FROM contact', /UNION/],
    ['a subquery', 'SELECT name FROM account WHERE accountid IN (SELECT parentcustomerid FROM contact)', /Subqueries/],
    ['HAVING', 'SELECT name, COUNT(*) AS n FROM account GROUP BY name HAVING COUNT(*) > 1', /HAVING/],
    ['a CTE', 'WITH x AS (SELECT name FROM account) SELECT name FROM x', /WITH|exactly one/],
    ['SELECT *', 'SELECT * FROM lead', /Name the columns/],
    ['RIGHT JOIN', 'SELECT a.name FROM account a RIGHT JOIN contact c ON c.parentcustomerid = a.accountid', /RIGHT JOIN/],
    ['a table outside the allowlist', 'SELECT name FROM role', /not available on this agent/],
    ['a comment smuggling a statement', "SELECT name FROM account -- '; DELETE FROM account", undefined],
    ['garbage', 'SELEKT naem FRUM acount', /could not be parsed|exactly one/],
    ['another schema', 'SELECT fullname FROM [dbo::account].systemuser', /default schema/],
  ])('refuses or neutralises %s', async (_name, sql, message) => {
    const r = await alice.call('read_query', { sql_query: sql });
    if (message) {
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(message);
    } else {
      expect(r.isError, r.text).toBeFalsy();
      expect((r.data as { executedSql: string }).executedSql).not.toMatch(/DELETE/i);
    }
  });

  it('keeps a large result well under the 500 KB client cap, and says it was cut', async () => {
    const token = await server.token('alice');
    const res = await fetch(server.mcpUrl('dataverse'), {
      method: 'POST',
      headers: modernHeaders(token, 'tools/call', 'read_query'),
      body: JSON.stringify(modernRequest('tools/call', { name: 'read_query', arguments: { sql_query: 'SELECT TOP 5000 leadid, subject, description, fullname, companyname, emailaddress1 FROM lead' } })),
    });
    const body = await res.text();
    expect(body.length).toBeLessThan(400_000);
    const result = (JSON.parse(body) as { result: { structuredContent: { truncated: boolean; rowCount: number } } }).result.structuredContent;
    expect(result.truncated).toBe(true);
    expect(result.rowCount).toBeGreaterThan(50);
  });

  it('caps TOP', () => {
    expect(checkQuery('SELECT TOP 100000 name FROM account').top).toBe(500);
    expect(checkQuery('SELECT TOP 5 name FROM account')).toMatchObject({ top: 5, capped: false });
    expect(checkQuery("SELECT name FROM account WHERE name = 'O''Brien'").sql).toContain("'O''Brien'");
  });

  it("respects the caller's roles: bob cannot read leads through SQL either", async () => {
    const bob = await connect(server, 'bob', 'dataverse');
    const r = await bob.call('read_query', { sql_query: 'SELECT fullname FROM lead' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvReadLead/);
    await bob.close();
  });
});

describe('records', () => {
  it('creates and deletes a record, each after confirmation; delete always confirms', async () => {
    const args = { table_name: 'contact', record_data: { firstname: 'Mira', lastname: 'Okafor', emailaddress1: 'mira.okafor@example.com', jobtitle: 'Buyer' } };
    const preview = await alice.call('create_record', args);
    expect(preview.data['status']).toBe('confirmation_required');
    const created = resultOf<{ recordId: string; record: Record<string, unknown> }>(await alice.callConfirmed('create_record', args));
    expect(created.record['fullname']).toBe('Mira Okafor');

    const upd = resultOf<{ record: Record<string, unknown> }>(await alice.callConfirmed('update_record', { table_name: 'contact', record_id: created.recordId, update_data: { jobtitle: 'Head of Purchasing' } }));
    expect(upd.record['jobtitle']).toBe('Head of Purchasing');

    const del = await alice.call('delete_record', { table_name: 'contact', record_id: created.recordId });
    expect(del.data['status']).toBe('confirmation_required');
    expect((del.data['confirmation'] as { summary: string }).summary).toContain('Mira Okafor');
    resultOf(await alice.callConfirmed('delete_record', { table_name: 'contact', record_id: created.recordId }));
    const gone = await alice.callConfirmed('update_record', { table_name: 'contact', record_id: created.recordId, update_data: { jobtitle: 'x' } });
    expect(gone.isError).toBe(true);
    expect(gone.text).toMatch(/No contact with id/);
  });

  it('rita (read-only role) can read but every write names the missing privilege', async () => {
    const rita = await connect(server, 'rita', 'dataverse');
    const q = await rita.call('read_query', { sql_query: 'SELECT TOP 3 name FROM account' });
    expect(q.isError, q.text).toBeFalsy();
    const w = await rita.callConfirmed('create_record', { table_name: 'contact', record_data: { lastname: 'Nope' } });
    expect(w.isError).toBe(true);
    expect(w.text).toMatch(/prvCreateContact/);
    await rita.close();
  });

  it('checks record data against the table definition before anything is sent', async () => {
    const r = await alice.call('create_record', { table_name: 'contact', record_data: { lastname: 'X', shoe_size: 44, parentcustomerid: 'not-a-guid', emailaddress1: 12 } });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/shoe_size: no such column/);
    expect(r.text).toMatch(/emailaddress1: must be text/);
    expect(r.text).toMatch(/parentcustomerid: must be a GUID/);
    const missing = await alice.call('create_record', { table_name: 'contact', record_data: { firstname: 'Only' } });
    expect(missing.text).toMatch(/lastname: required/);
  });

  it('sets lookups from a GUID and choices from a label', async () => {
    const account = ((await alice.call('read_query', { sql_query: 'SELECT TOP 1 accountid, name FROM account' })).data['rows'] as Array<{ accountid: string }>)[0]!;
    const created = resultOf<{ recordId: string; record: Record<string, unknown> }>(
      await alice.callConfirmed('create_record', { table_name: 'contact', record_data: { lastname: 'Lookup', parentcustomerid: `account:${account.accountid}` } }),
    );
    const row = ((await alice.call('read_query', { sql_query: `SELECT parentcustomerid FROM contact WHERE contactid = '${created.recordId}'` })).data['rows'] as Array<{ parentcustomerid: string }>)[0]!;
    expect(row.parentcustomerid.toLowerCase()).toBe(account.accountid.toLowerCase());
  });
});

describe('schema changes (dana, System Administrator)', () => {
  it('creates a table, adds a column, writes a row, deletes the table; each confirmed', async () => {
    const create = { table_name: 'new_project', display_name: 'Project', columns: [{ name: 'budget', type: 'money' }, { name: 'phase', type: 'choice', options: ['Plan', 'Build', 'Run'] }] };
    const preview = await dana.call('create_table', create);
    expect(preview.data['status']).toBe('confirmation_required');
    const created = resultOf<{ table: string; entitySetName: string; columnsAdded: string[] }>(await dana.callConfirmed('create_table', create));
    expect(created.columnsAdded).toEqual(['new_budget', 'new_phase']);

    const updated = resultOf<{ columnsAdded: string[] }>(await dana.callConfirmed('update_table', { table_name: 'new_project', new_columns: [{ name: 'due', type: 'date' }] }));
    expect(updated.columnsAdded).toEqual(['new_due']);

    const row = resultOf<{ recordId: string }>(await dana.callConfirmed('create_record', { table_name: 'new_project', record_data: { new_name: 'Apollo', new_budget: 125000, new_phase: 'Build', new_due: '2027-03-31' } }));
    const q = await dana.call('read_query', { sql_query: 'SELECT new_name, new_budget, new_phase FROM new_project' });
    expect(q.data['rows']).toEqual([expect.objectContaining({ new_name: 'Apollo', new_budget: 125000 })]);
    expect(row.recordId).toMatch(/^[0-9a-f-]{36}$/);

    const std = await dana.callConfirmed('delete_table', { table_name: 'account' });
    expect(std.isError).toBe(true);
    expect(std.text).toMatch(/standard table/);
    resultOf(await dana.callConfirmed('delete_table', { table_name: 'new_project' }));
    const after = await dana.call('describe_table', { table_name: 'new_project' });
    expect(after.isError).toBe(true);
  });

  it('alice may not change the schema: the privilege is named', async () => {
    const r = await alice.callConfirmed('create_table', { table_name: 'new_gadget', columns: [] });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvCreateEntity/);
  });

  it('tables outside the allowlist are refused before Dataverse is asked', async () => {
    const r = await dana.call('create_table', { table_name: 'contoso_thing', columns: [] });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/not available on this agent/);
  });
});
