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
  /** The `sql` query options the emulator received since the last `clearRequests()`. */
  const sentSql = () => server.emulator!.requests.filter((r) => r.path.includes('?sql=')).map((r) => new URL(r.path, 'http://emulator').searchParams.get('sql'));
  const long = `q${'z'.repeat(4999)}`;

  it('runs a joined aggregate query', async () => {
    const r = await alice.call('read_query', {
      sql_query: 'SELECT a.name, COUNT(c.contactid) AS contacts FROM account a INNER JOIN contact c ON c.parentcustomerid = a.accountid GROUP BY a.name ORDER BY contacts DESC',
    });
    expect(r.isError, r.text).toBeFalsy();
    const data = r.data as { rows: Array<{ name: string; contacts: number }>; columns: string[]; executedSql: string };
    expect(data.columns).toEqual(['name', 'contacts']);
    expect(data.rows.length).toBeGreaterThan(10);
    expect(data.rows[0]!.contacts).toBeGreaterThanOrEqual(data.rows[1]!.contacts);
    expect(data.executedSql).toMatch(/^SELECT /);
    expect(data.executedSql).not.toMatch(/\bTOP\b/i);
  });

  it('sends a TOP n as the page size, not in the SQL, and reads one page', async () => {
    server.emulator!.clearRequests();
    const r = await alice.call('read_query', { sql_query: 'SELECT TOP 3 name FROM account ORDER BY name' });
    expect(r.isError, r.text).toBeFalsy();
    const data = r.data as { rowCount: number; truncated: boolean; executedSql: string };
    expect(data).toMatchObject({ rowCount: 3, truncated: false });
    expect(data.executedSql).not.toMatch(/\bTOP\b/i);
    expect(sentSql()).toEqual([data.executedSql]);
  });

  it('caps a query without TOP at 500 rows, reads one page and says more rows match', async () => {
    server.emulator!.clearRequests();
    // 562 lead-contact pairs share an account in the seeded organisation.
    const r = await alice.call('read_query', { sql_query: 'SELECT l.subject, c.fullname FROM lead l INNER JOIN contact c ON l.parentaccountid = c.parentcustomerid' });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data).toMatchObject({ rowCount: 500, truncated: true });
    expect(sentSql()).toHaveLength(1);
  });

  it('returns every row, not truncated, when the matches fill the cap exactly', async () => {
    // The seeded organisation has exactly 500 leads, all visible to dana (System Administrator).
    const r = await dana.call('read_query', { sql_query: 'SELECT subject FROM lead' });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data).toMatchObject({ rowCount: 500, truncated: false });
  });

  it('keeps the primary key Dataverse adds and strips its annotations', async () => {
    const r = await alice.call('read_query', { sql_query: "SELECT name FROM account WHERE name = 'Fourth Coffee'" });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['rows']).toEqual([{ accountid: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Fourth Coffee' }]);
  });

  it.each([
    ['a write', 'DELETE FROM account', /Only SELECT/],
    ['two statements', 'SELECT name FROM account; DELETE FROM account', /exactly one SELECT/],
    ['UNION', 'SELECT name FROM account UNION SELECT fullname FROM contact', /UNION/],
    ['a subquery', 'SELECT name FROM account WHERE accountid IN (SELECT parentcustomerid FROM contact)', /Subqueries/],
    ['HAVING', 'SELECT name, COUNT(*) AS n FROM account GROUP BY name HAVING COUNT(*) > 1', /HAVING/],
    ['a CTE', 'WITH x AS (SELECT name FROM account) SELECT name FROM x', /WITH/],
    ['SELECT *', 'SELECT * FROM lead', /Name the columns/],
    ['RIGHT JOIN', 'SELECT a.name FROM account a RIGHT JOIN contact c ON c.parentcustomerid = a.accountid', /RIGHT JOIN/],
    ['a table outside the allowlist', 'SELECT name FROM role', /not available on this agent/],
    ['another schema', 'SELECT fullname FROM [dbo::account].systemuser', /default schema/],
    ['OFFSET … FETCH', 'SELECT name FROM account ORDER BY name OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY', /OFFSET … FETCH is not supported by Dataverse's Web API SQL.*capped at 500 rows/],
    ['TOP … PERCENT', 'SELECT TOP 10 PERCENT name FROM account', /TOP is not supported by Dataverse's Web API SQL.*capped at 500 rows/],
    ['a literal in the select list', "SELECT name, 'x' AS tag FROM account", /select list.*a literal/],
    ['a function in the select list', 'SELECT UPPER(name) AS n FROM account', /select list.*the function UPPER/],
    ['an expression in the select list', 'SELECT revenue * 2 AS r FROM account', /select list.*an expression/],
    ['a JOIN on a literal', 'SELECT a.name FROM account a INNER JOIN contact c ON c.statecode = 0', /ON .*one = between a column of c and a column of an earlier table/],
    ['a JOIN on an inequality', 'SELECT a.name FROM account a INNER JOIN contact c ON a.accountid < c.parentcustomerid', /ON .*one = between a column of c and a column of an earlier table/],
    ['a JOIN on two columns of the joined table', 'SELECT a.name FROM account a INNER JOIN contact c ON c.contactid = c.parentcustomerid', /ON .*one = between a column of c and a column of an earlier table/],
    ['a JOIN condition on the base table', 'SELECT a.name FROM account a INNER JOIN contact c ON a.accountid = c.parentcustomerid AND a.statecode = 0', /only use columns of the joined table c/],
    ['a column-to-column WHERE', 'SELECT name FROM account WHERE name = accountnumber', /compare a column with a literal.*two columns/],
    ['a literal-to-literal WHERE', 'SELECT name FROM account WHERE 1 = 1', /compare a column with a literal.*two literals/],
    ['a function in WHERE', 'SELECT name FROM account WHERE LEN(name) > 3', /compare a column with a literal.*functions/],
    ['NOT before a condition', "SELECT name FROM account WHERE NOT name LIKE 'A%'", /NOT before a condition is not supported by Dataverse SQL/],
    ['NOT before parentheses', 'SELECT name FROM account WHERE NOT (statecode = 0)', /NOT before a condition is not supported by Dataverse SQL/],
    ['a function in ORDER BY', 'SELECT name FROM account ORDER BY UPPER(name)', /ORDER BY takes column names only/],
  ])('refuses %s', async (_name, sql, message) => {
    const r = await alice.call('read_query', { sql_query: sql });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it('accepts the documented WHERE operators, grouped with AND, OR and parentheses', async () => {
    const r = await alice.call('read_query', {
      sql_query:
        "SELECT name FROM account WHERE name NOT LIKE 'Z%' AND statecode NOT IN (1) AND name IS NOT NULL AND revenue NOT BETWEEN 1 AND 2 AND (statecode = 0 OR statecode <> 1) AND revenue >= 0",
    });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['rowCount']).toBeGreaterThan(0);
  });

  it.each([
    ['a line comment smuggling a statement', "SELECT name FROM account -- '; DELETE FROM account"],
    ['a block comment smuggling a statement', 'SELECT name /* ; DELETE FROM account */ FROM account'],
  ])('neutralises %s', async (_name, sql) => {
    const r = await alice.call('read_query', { sql_query: sql });
    expect(r.isError, r.text).toBeFalsy();
    expect((r.data as { executedSql: string }).executedSql).not.toMatch(/DELETE/i);
  });

  it.each([
    ['a misspelt SELECT', 'SELEC name FROM account', /^Incorrect syntax near "SELEC" at line 1, column 1: a query starts with SELECT\.$/],
    ['misspelt keywords and names', 'SELEKT naem FRUM acount', /^Incorrect syntax near "SELEKT" at line 1, column 1: a query starts with SELECT\.$/],
    ['a misspelt FROM', 'SELECT name FRUM account', /^Incorrect syntax near "account" at line 1, column 18 \(is "FRUM" meant to be FROM\?\)\.$/],
    ['a statement without a table', 'SELECT name FROM', /^The query is incomplete: it ends after "FROM" at line 1, column 17\.$/],
    ['a WHERE without a condition', 'SELECT name FROM account WHERE', /^The query is incomplete: it ends after "WHERE" at line 1, column 31\.$/],
    ['an unclosed string', "SELECT name FROM account WHERE name = 'x", /^The query is incomplete: the string that starts at line 1, column 39 is not closed\.$/],
  ])('names the spot of %s in one line', async (_name, sql, message) => {
    const r = await alice.call('read_query', { sql_query: sql });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  it.each([
    ['table', `SELECT name FROM ${long}`],
    ['column', `SELECT ${long} FROM account`],
    ['schema', `SELECT name FROM ${long}.account`],
    ['first word', `${long} name FROM account`],
    ['misplaced word', `SELECT name FROM account a ${long}`],
  ])('repeats at most 100 characters of a long %s name', async (_name, sql) => {
    const r = await alice.call('read_query', { sql_query: sql });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`q${'z'.repeat(99)}`);
    expect(r.text).not.toContain('z'.repeat(100));
  });

  it('keeps a large result well under the 500 KB client cap, and says it was cut', async () => {
    const token = await server.token('alice');
    const res = await fetch(server.mcpUrl('dataverse'), {
      method: 'POST',
      headers: modernHeaders(token, 'tools/call', 'read_query'),
      body: JSON.stringify(modernRequest('tools/call', { name: 'read_query', arguments: { sql_query: 'SELECT TOP 5000 leadid, subject, description, description AS notes, fullname, companyname, emailaddress1, address1_city, jobtitle, websiteurl FROM lead' } })),
    });
    const body = await res.text();
    expect(body.length).toBeLessThan(400_000);
    const result = (JSON.parse(body) as { result: { structuredContent: { truncated: boolean; rowCount: number } } }).result.structuredContent;
    // All 500 seeded leads fit one page; the size budget, not the row cap, cuts them.
    expect(result.truncated).toBe(true);
    expect(result.rowCount).toBeGreaterThan(50);
    expect(result.rowCount).toBeLessThan(500);
  });

  it('caps the page size at 500 rows; a smaller TOP asks for fewer', () => {
    expect(checkQuery('SELECT TOP 100000 name FROM account')).toMatchObject({ rowLimit: 500, capped: true, sql: 'SELECT [name] FROM [account]' });
    expect(checkQuery('SELECT TOP 5 name FROM account')).toMatchObject({ rowLimit: 5, capped: false, sql: 'SELECT [name] FROM [account]' });
    expect(checkQuery('SELECT name FROM account')).toMatchObject({ rowLimit: 500, capped: true });
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
