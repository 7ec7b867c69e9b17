import { describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { q, useOrg } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

function sql(set: string, text: string, alias: 'alice' | 'dana' | 'bob' = 'dana', headers: Record<string, string> = {}) {
  return org.api<ODataList & ODataError>(alias, `${set}?sql=${encodeURIComponent(text)}`, { headers });
}

async function rows(set: string, text: string, alias: 'alice' | 'dana' | 'bob' = 'dana'): Promise<Rec[]> {
  const r = await sql(set, text, alias);
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

  it('supports TOP, OFFSET/FETCH, DISTINCT, IN, BETWEEN, IS NULL, NOT LIKE and bracket wildcards', async () => {
    expect(await rows('leads', 'SELECT TOP 3 subject FROM lead ORDER BY createdon DESC')).toHaveLength(3);
    const page1 = await rows('leads', 'SELECT subject, leadid FROM lead ORDER BY leadid OFFSET 0 ROWS FETCH NEXT 5 ROWS ONLY');
    const page2 = await rows('leads', 'SELECT subject, leadid FROM lead ORDER BY leadid OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY');
    expect(page1).toHaveLength(5);
    expect(page2[0]?.leadid).not.toBe(page1[0]?.leadid);
    expect(String(page2[0]?.leadid) > String(page1[4]?.leadid)).toBe(true);
    const cities = await rows('accounts', 'SELECT DISTINCT a.address1_country FROM account AS a');
    expect(new Set(cities.map((c) => c.address1_country)).size).toBe(cities.length);
    for (const r of await rows('leads', 'SELECT leadqualitycode FROM lead WHERE leadqualitycode IN (1, 3)')) expect([1, 3]).toContain(r.leadqualitycode);
    for (const r of await rows('leads', 'SELECT estimatedvalue FROM lead WHERE estimatedvalue BETWEEN 10000 AND 20000')) {
      expect(r.estimatedvalue as number).toBeGreaterThanOrEqual(10000);
      expect(r.estimatedvalue as number).toBeLessThanOrEqual(20000);
    }
    for (const r of await rows('leads', 'SELECT telephone1 FROM lead WHERE telephone1 IS NULL')) expect(r.telephone1).toBeNull();
    for (const r of await rows('accounts', "SELECT name FROM account WHERE name NOT LIKE 'Contoso%'")) expect(String(r.name).startsWith('Contoso')).toBe(false);
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
    const [lead] = await rows('leads', 'SELECT TOP 1 l.fullname, l.ownerid, l.owneridname, l.statuscode, l.statuscodename FROM lead AS l WHERE l.statecode = 0');
    expect(lead?.ownerid).toMatch(/^[0-9a-f-]{36}$/);
    expect(lead?.owneridname).toEqual(expect.any(String));
    expect(['New', 'Contacted']).toContain(lead?.statuscodename);
  });

  it('keeps hostile literals inert', async () => {
    expect(await rows('accounts', "SELECT name FROM account WHERE name = 'x'' OR ''1''=''1'")).toEqual([]);
    expect(await rows('accounts', "SELECT name FROM account WHERE name = 'Robert''); DROP TABLE account; --'")).toEqual([]);
    expect((await rows('accounts', 'SELECT COUNT(*) AS n FROM account'))[0]?.n).toBeGreaterThanOrEqual(50);
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
  const refused: Array<[string, string, string]> = [
    ['UNION', 'SELECT name FROM account UNION SELECT fullname FROM contact', 'UNION'],
    ['multiple statements', 'SELECT name FROM account; DROP TABLE account', 'single SELECT'],
    ['trailing semicolon', 'SELECT name FROM account;', 'single SELECT'],
    ['INSERT', "INSERT INTO account (name) VALUES ('x')", ''],
    ['UPDATE', "UPDATE account SET name = 'x'", ''],
    ['DELETE', 'DELETE FROM account', ''],
    ['DROP', 'DROP TABLE account', ''],
    ['HAVING', 'SELECT name, COUNT(*) AS n FROM account GROUP BY name HAVING COUNT(*) > 1', 'HAVING'],
    ['subquery in WHERE', 'SELECT name FROM account WHERE accountid IN (SELECT parentcustomerid FROM contact)', ''],
    ['subquery in FROM', 'SELECT x.name FROM (SELECT name FROM account) AS x', ''],
    ['CTE', 'WITH x AS (SELECT name FROM account) SELECT name FROM x', ''],
    ['line comment', 'SELECT name FROM account -- sneaky', 'Comments'],
    ['block comment', 'SELECT name FROM account /* ; DROP TABLE account */', ''],
    ['SELECT *', 'SELECT * FROM account', 'SELECT *'],
    ['RIGHT JOIN', 'SELECT a.name FROM account a RIGHT JOIN contact c ON a.accountid = c.parentcustomerid', 'RIGHT JOIN'],
    ['FULL JOIN', 'SELECT a.name FROM account a FULL JOIN contact c ON a.accountid = c.parentcustomerid', ''],
    ['CROSS JOIN', 'SELECT a.name FROM account a CROSS JOIN contact c', ''],
    ['comma join', 'SELECT a.name FROM account a, contact c', 'cross joins'],
    ['literal comparison', 'SELECT name FROM account WHERE 1 = 1', 'literal'],
    ['function in WHERE', 'SELECT name FROM account WHERE LEN(name) > 3', ''],
    ['TOP over 5000', 'SELECT TOP 5001 name FROM account', 'TOP'],
    ['wrong base table', 'SELECT fullname FROM contact', 'must match'],
    ['unknown column', 'SELECT nosuch FROM account', "Invalid column name 'nosuch'"],
    ['unknown table', 'SELECT name FROM widget', "Invalid object name 'widget'"],
    ['FOR XML', 'SELECT name FROM account FOR XML PATH', ''],
    ['SELECT INTO', 'SELECT name INTO #tmp FROM account', ''],
    ['window function', 'SELECT name, ROW_NUMBER() OVER (ORDER BY name) AS rn FROM account', ''],
  ];
  for (const [label, text, fragment] of refused) {
    it(label, async () => {
      const r = await sql('accounts', text);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toMatch(/^0x/);
      if (fragment) expect(r.body.error.message).toContain(fragment);
    });
  }

  it('checks read privilege on every table referenced', async () => {
    const r = await sql('accounts', 'SELECT a.name, o.name AS opp FROM account a INNER JOIN opportunity o ON o.customerid = a.accountid', 'bob');
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('prvReadOpportunity');
  });
});
