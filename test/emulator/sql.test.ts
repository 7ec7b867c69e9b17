import { describe, expect, it } from 'vitest';
import { expectEvery } from '../helpers/expectEvery.js';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { ANNOTATIONS, q, useOrg } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

function sql(set: string, text: string, alias: 'alice' | 'dana' | 'bob' = 'dana', headers: Record<string, string> = {}) {
  return org.api<ODataList & ODataError>(alias, `${set}?sql=${encodeURIComponent(text)}`, { headers });
}

async function rows(set: string, text: string, alias: 'alice' | 'dana' | 'bob' = 'dana', headers: Record<string, string> = {}): Promise<Rec[]> {
  const r = await sql(set, text, alias, headers);
  if (r.status !== 200) throw new Error(`${text}: ${r.status} ${r.text}`);
  return r.body.value;
}

describe('accepted SQL', () => {
  it('answers the documented shape', async () => {
    const r = await sql('accounts', "SELECT name \nFROM account AS a \nWHERE a.name LIKE 'Fourth Coffee'");
    expect(r.status, r.text).toBe(200);
    expect(r.body['@odata.context']).toBe(`${org.base}$metadata#accounts(name,accountid)`);
    expect(r.body.value).toEqual([{ '@odata.etag': expect.stringMatching(/^W\/"\d+"$/), accountid: expect.any(String), name: 'Fourth Coffee' }]);
  });

  it('runs a joined aggregate with GROUP BY', async () => {
    const grouped = await rows('accounts', 'SELECT a.name, COUNT(c.contactid) AS contact_count FROM account AS a INNER JOIN contact AS c ON a.accountid = c.parentcustomerid GROUP BY a.name ORDER BY contact_count DESC, a.name');
    expect(grouped.length).toBeGreaterThan(40);
    const contoso = grouped.find((g) => g.name === 'Contoso Ltd.');
    const odata = await org.api<ODataList>('dana', `contacts?${q({ $select: 'contactid', $filter: "parentcustomerid_account/name eq 'Contoso Ltd.'", $count: 'true' })}`);
    expect(contoso?.contact_count).toBe(odata.body['@odata.count']);
    for (let i = 1; i < grouped.length; i++) expect(Number(grouped[i - 1]?.contact_count) >= Number(grouped[i]?.contact_count)).toBe(true);
    expect(Object.keys(grouped[0] ?? {})).toEqual(['name', 'contact_count']);
  });

  it('supports LEFT JOIN, three-table joins, aliases and self joins', async () => {
    const left = await rows('accounts', 'SELECT a.name, c.fullname FROM account a LEFT JOIN contact c ON a.accountid = c.parentcustomerid');
    expect(left.length).toBeGreaterThan(150);
    const three = await rows('accounts', 'SELECT a.name, c.fullname, o.name AS opportunity_name FROM account AS a INNER JOIN contact AS c ON a.accountid = c.parentcustomerid INNER JOIN opportunity AS o ON a.accountid = o.customerid');
    expect(three.length).toBeGreaterThan(0);
    expect(three[0]).toHaveProperty('opportunity_name');
    const self = await rows('accounts', 'SELECT child.name AS account, parent.name AS parent_account FROM account AS child INNER JOIN account AS parent ON child.parentaccountid = parent.accountid');
    expect(self).toContainEqual(expect.objectContaining({ account: 'Contoso Pharmaceuticals', parent_account: 'Contoso Ltd.' }));
  });

  it('supports DISTINCT, IN, BETWEEN, IS NULL, NOT LIKE and bracket wildcards', async () => {
    const cities = await rows('accounts', 'SELECT DISTINCT a.address1_country FROM account AS a');
    expect(cities.length).toBeGreaterThan(1);
    expect(new Set(cities.map((c) => c.address1_country)).size).toBe(cities.length);
    expectEvery(await rows('leads', 'SELECT leadqualitycode FROM lead WHERE leadqualitycode IN (1, 3)'), (r) => expect([1, 3]).toContain(r.leadqualitycode), 'hot or cold leads');
    expectEvery(
      await rows('leads', 'SELECT estimatedvalue FROM lead WHERE estimatedvalue BETWEEN 10000 AND 20000'),
      (r) => {
        expect(r.estimatedvalue as number).toBeGreaterThanOrEqual(10000);
        expect(r.estimatedvalue as number).toBeLessThanOrEqual(20000);
      },
      'leads worth 10000 to 20000',
    );
    expectEvery(await rows('leads', 'SELECT telephone1 FROM lead WHERE telephone1 IS NULL'), (r) => expect(r.telephone1).toBeNull(), 'leads without a phone');
    expectEvery(await rows('accounts', "SELECT name FROM account WHERE name NOT LIKE 'Contoso%'"), (r) => expect(String(r.name).startsWith('Contoso')).toBe(false), 'accounts not named Contoso');
    expect(await rows('accounts', "SELECT name FROM account WHERE name LIKE '%[%]%'")).toEqual([]);
    expect((await rows('accounts', "SELECT name FROM account WHERE name LIKE '_ontoso Ltd.'")).map((r) => r.name)).toEqual(['Contoso Ltd.']);
  });

  it('supports COUNT, SUM, AVG, MIN and MAX', async () => {
    const [agg] = await rows('accounts', 'SELECT COUNT(*) AS total_accounts, SUM(revenue) AS total_revenue, AVG(revenue) AS avg_revenue, MIN(revenue) AS min_revenue, MAX(revenue) AS max_revenue FROM account');
    expect(agg?.total_accounts).toBeGreaterThanOrEqual(50);
    expect(agg?.min_revenue as number).toBeLessThanOrEqual(agg?.avg_revenue as number);
    expect(agg?.avg_revenue as number).toBeLessThanOrEqual(agg?.max_revenue as number);
  });

  it('reads lookups as GUIDs and label columns for lookups and choices', async () => {
    const [lead] = await rows('leads', 'SELECT l.fullname, l.ownerid, l.owneridname, l.statuscode, l.statuscodename FROM lead AS l WHERE l.statecode = 0', 'dana', { Prefer: 'odata.maxpagesize=1' });
    expect(lead?.ownerid).toMatch(/^[0-9a-f-]{36}$/);
    expect(lead?.owneridname).toEqual(expect.any(String));
    expect(['New', 'Contacted']).toContain(lead?.statuscodename);
  });

  it('keeps hostile literals inert', async () => {
    expect(await rows('accounts', "SELECT name FROM account WHERE name = 'x'' OR ''1''=''1'")).toEqual([]);
    expect(await rows('accounts', "SELECT name FROM account WHERE name = 'Robert''); DROP TABLE account; --'")).toEqual([]);
    expect((await rows('accounts', 'SELECT COUNT(*) AS n FROM account'))[0]?.n).toBeGreaterThanOrEqual(50);
  });

  it('carries the base table key and etag on joined rows, and names aliased columns', async () => {
    const r = await sql('accounts', "SELECT a.name AS account_name, c.fullname FROM account AS a INNER JOIN contact AS c ON a.accountid = c.parentcustomerid WHERE a.name = 'Fourth Coffee'", 'dana', ANNOTATIONS);
    expect(r.status, r.text).toBe(200);
    expectEvery(r.body.value, (row) =>
      expect(row).toMatchObject({
        '@odata.etag': expect.stringMatching(/^W\/"\d+"$/),
        accountid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        account_name: 'Fourth Coffee',
        'account_name@OData.Community.Display.V1.AttributeName': 'name',
      }),
    'contacts of Fourth Coffee');
  });

  it('accepts further ON conditions on the joined table', async () => {
    const active = await rows('accounts', 'SELECT a.name, c.fullname FROM account a INNER JOIN contact c ON a.accountid = c.parentcustomerid AND c.statecode = 0');
    const all = await rows('accounts', 'SELECT a.name, c.fullname FROM account a INNER JOIN contact c ON a.accountid = c.parentcustomerid');
    expect(active.length).toBeGreaterThan(0);
    expect(active.length).toBeLessThanOrEqual(all.length);
  });

  it('limits an ordered query with odata.maxpagesize: the first page holds the first rows', async () => {
    const r = await sql('leads', 'SELECT subject, createdon FROM lead ORDER BY createdon DESC', 'dana', { Prefer: 'odata.maxpagesize=3' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.value).toHaveLength(3);
    expect(r.body['@odata.nextLink']).toEqual(expect.any(String));
    const newest = await rows('leads', 'SELECT MAX(createdon) AS newest FROM lead');
    expect(r.body.value[0]?.createdon).toBe(newest[0]?.newest);
  });

  it('pages with odata.maxpagesize', async () => {
    let url: string | undefined = `${org.base}leads?sql=${encodeURIComponent('SELECT subject FROM lead ORDER BY subject')}`;
    let total = 0;
    while (url) {
      const r: { status: number; body: ODataList } = await org.api<ODataList>('dana', url, { headers: { Prefer: 'odata.maxpagesize=200' } });
      expect(r.status).toBe(200);
      total += r.body.value.length;
      url = r.body['@odata.nextLink'];
    }
    expect(total).toBe(500);
  });
});

describe('refused SQL', () => {
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/sql lists what the
  // service refuses; every refusal is a 400 with the code the emulator answers for SQL errors.
  const refused: Array<[string, string, string]> = [
    ['UNION', 'SELECT name FROM account UNION SELECT fullname FROM contact', 'UNION'],
    ['multiple statements', 'SELECT name FROM account; DROP TABLE account', 'single SELECT'],
    ['trailing semicolon', 'SELECT name FROM account;', 'single SELECT'],
    ['INSERT', "INSERT INTO account (name) VALUES ('x')", 'Only SELECT'],
    ['UPDATE', "UPDATE account SET name = 'x'", 'Only SELECT'],
    ['DELETE', 'DELETE FROM account', 'Only SELECT'],
    ['DROP', 'DROP TABLE account', 'Only SELECT'],
    ['HAVING', 'SELECT name, COUNT(*) AS n FROM account GROUP BY name HAVING COUNT(*) > 1', 'HAVING'],
    ['subquery in WHERE', 'SELECT name FROM account WHERE accountid IN (SELECT parentcustomerid FROM contact)', 'Subqueries'],
    ['subquery in FROM', 'SELECT x.name FROM (SELECT name FROM account) AS x', 'subqueries'],
    ['EXISTS', 'SELECT name FROM account WHERE EXISTS (SELECT accountid FROM account)', 'EXISTS'],
    ['CTE', 'WITH x AS (SELECT name FROM account) SELECT name FROM x', 'WITH'],
    ['line comment', 'SELECT name FROM account -- sneaky', 'Comments'],
    ['block comment', 'SELECT name FROM account /* ; DROP TABLE account */', 'Comments'],
    ['SELECT *', 'SELECT * FROM account', 'SELECT *'],
    ['RIGHT JOIN', 'SELECT a.name FROM account a RIGHT JOIN contact c ON a.accountid = c.parentcustomerid', 'RIGHT JOIN'],
    ['FULL JOIN', 'SELECT a.name FROM account a FULL JOIN contact c ON a.accountid = c.parentcustomerid', 'FULL JOIN'],
    ['CROSS JOIN', 'SELECT a.name FROM account a CROSS JOIN contact c', 'CROSS JOIN'],
    ['comma join', 'SELECT a.name FROM account a, contact c', 'cross joins'],
    ['literal comparison', 'SELECT name FROM account WHERE 1 = 1', 'two literals'],
    ['column comparison', 'SELECT name FROM account WHERE name = accountnumber', 'a column and a literal'],
    ['function in WHERE', 'SELECT name FROM account WHERE LEN(name) > 3', 'functions'],
    ['NOT before a condition', "SELECT name FROM account WHERE NOT name LIKE 'A%'", 'NOT is supported only as part of'],
    ['NOT before parentheses', 'SELECT name FROM account WHERE NOT (statecode = 0)', 'NOT is supported only as part of'],
    ['TOP', 'SELECT TOP 3 name FROM account', 'TOP and OFFSET ... FETCH are not supported'],
    ['TOP over 5000', 'SELECT TOP 5001 name FROM account', 'TOP and OFFSET ... FETCH are not supported'],
    ['TOP PERCENT', 'SELECT TOP 10 PERCENT name FROM account', 'TOP and OFFSET ... FETCH are not supported'],
    ['OFFSET ... FETCH', 'SELECT name FROM account ORDER BY name OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY', 'TOP and OFFSET ... FETCH are not supported'],
    ['a literal in the select list', "SELECT name, 'x' AS tag FROM account", 'select list'],
    ['a function in the select list', 'SELECT UPPER(name) AS n FROM account', 'select list'],
    ['an expression in the select list', 'SELECT revenue * 2 AS r FROM account', 'select list'],
    ['window function', 'SELECT name, ROW_NUMBER() OVER (ORDER BY name) AS rn FROM account', 'select list'],
    ['a JOIN on a literal', 'SELECT a.name FROM account a INNER JOIN contact c ON c.statecode = 0', 'must compare a column of'],
    ['a JOIN on an inequality', 'SELECT a.name FROM account a INNER JOIN contact c ON a.accountid < c.parentcustomerid', 'must compare a column of'],
    ['a JOIN on two columns of the joined table', 'SELECT a.name FROM account a INNER JOIN contact c ON c.contactid = c.parentcustomerid', 'must compare a column of'],
    ['a JOIN condition on the base table', 'SELECT a.name FROM account a INNER JOIN contact c ON a.accountid = c.parentcustomerid AND a.statecode = 0', 'only use columns of'],
    ['wrong base table', 'SELECT fullname FROM contact', 'must match'],
    ['unknown column', 'SELECT nosuch FROM account', "Invalid column name 'nosuch'"],
    ['unknown table', 'SELECT name FROM widget', "Invalid object name 'widget'"],
    ['FOR XML', 'SELECT name FROM account FOR XML PATH', 'FOR XML'],
    ['SELECT INTO', 'SELECT name INTO #tmp FROM account', 'INTO'],
  ];
  for (const [label, text, fragment] of refused) {
    it(label, async () => {
      const r = await sql('accounts', text);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe('0x80040203');
      expect(r.body.error.message).toContain(fragment);
    });
  }

  // A syntax error names the spot, never the parser's list of expected tokens.
  const syntax: Array<[string, string, string]> = [
    ['a misspelt SELECT', 'SELEC name FROM account', "Incorrect syntax near 'SELEC' (line 1, column 1)."],
    ['misspelt keywords and names', 'SELEKT naem FRUM acount', "Incorrect syntax near 'SELEKT' (line 1, column 1)."],
    ['a misspelt FROM', 'SELECT name FRUM account', "Incorrect syntax near 'account' (line 1, column 18)."],
    ['a statement without a table', 'SELECT name FROM', "Incorrect syntax near 'FROM': the query ends unexpectedly (line 1, column 17)."],
    ['a WHERE without a condition', 'SELECT name FROM account WHERE', "Incorrect syntax near 'WHERE': the query ends unexpectedly (line 1, column 31)."],
    ['an error on a later line', 'SELECT name\nFROM account\nWHERE name =', "Incorrect syntax near '=': the query ends unexpectedly (line 3, column 13)."],
  ];
  for (const [label, text, message] of syntax) {
    it(`syntax: ${label}`, async () => {
      const r = await sql('accounts', text);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe('0x80040203');
      expect(r.body.error.message).toBe(message);
    });
  }

  // A 5,000-character name is repeated in a message only as far as its first 100 characters.
  const long = `q${'z'.repeat(4999)}`;
  const longNames: Array<[string, string]> = [
    ['table', `SELECT name FROM ${long}`],
    ['column', `SELECT ${long} FROM account`],
    ['qualifier', `SELECT ${long}.name FROM account`],
    ['alias', `SELECT a.name FROM account AS ${long} INNER JOIN contact AS ${long} ON a.accountid = c.parentcustomerid`],
    ['schema', `SELECT name FROM ${long}.account`],
    ['first word', `${long} name FROM account`],
    ['syntax error', `SELECT name FROM account ${long} ${long}`],
  ];
  for (const [label, text] of longNames) {
    it(`clips a long ${label} name to 100 characters`, async () => {
      const r = await sql('accounts', text);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.message).toContain(`q${'z'.repeat(99)}`);
      expect(r.body.error.message).not.toContain('z'.repeat(100));
    });
  }

  it('checks read privilege on every table referenced', async () => {
    const r = await sql('accounts', 'SELECT a.name, o.name AS opp FROM account a INNER JOIN opportunity o ON o.customerid = a.accountid', 'bob');
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('prvReadOpportunity');
  });
});
