import { beforeAll, describe, expect, it } from 'vitest';
import type { ODataError, ODataList, TestOrg } from './helpers.js';
import { expectEvery } from '../helpers/expectEvery.js';
import { ANCHOR, ANNOTATIONS, q, useOrg, user } from './helpers.js';

let org: TestOrg;
type Rec = Record<string, unknown>;

useOrg((o) => (org = o));

async function list(path: string, alias: 'alice' | 'dana' = 'alice', headers: Record<string, string> = {}): Promise<Rec[]> {
  const r = await org.api<ODataList | ODataError>(alias, path, { headers });
  if (r.status !== 200) throw new Error(`${path} → ${r.status} ${r.text}`);
  return (r.body as ODataList).value;
}

async function filterLeads(filter: string, select = 'leadid'): Promise<Rec[]> {
  return list(`leads?${q({ $select: select, $filter: filter })}`);
}

async function expectQueryError(path: string, alias: 'alice' | 'dana' = 'alice'): Promise<ODataError['error']> {
  const r = await org.api<ODataError>(alias, path);
  expect(r.status, `${path}: ${r.text}`).toBe(400);
  return r.body.error;
}

describe('$select', () => {
  it('returns only the selected columns plus the key and etag', async () => {
    const [lead] = await list(`leads?${q({ $select: 'subject,companyname', $top: '1' })}`);
    expect(Object.keys(lead ?? {}).sort()).toEqual(['@odata.etag', 'companyname', 'leadid', 'subject']);
  });

  it('refuses an unknown column, and a lookup selected by its bare name, naming it', async () => {
    const e = await expectQueryError(`leads?${q({ $select: 'subject,nosuchcolumn' })}`);
    expect(e).toEqual({ code: '0x80060888', message: "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.lead'." });
    const lookup = await expectQueryError(`contacts?${q({ $select: 'parentcustomerid' })}`);
    expect(lookup.message).toContain("'parentcustomerid'");
  });
});

describe('$filter', () => {
  it('handles doubled quotes: O\'Brien', async () => {
    const rows = await list(`contacts?${q({ $select: 'lastname', $filter: "lastname eq 'O''Brien'" })}`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.lastname).toBe("O'Brien");
  });

  it('keeps hostile literals inert', async () => {
    const before = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $count: 'true', $top: '0' })}`);
    for (const hostile of ["' or 1 eq 1", "x'; DROP TABLE lead; --", "' OR '1'='1", 'Robert"); DROP TABLE contact;--', '%', '_', '\\']) {
      const literal = `'${hostile.replace(/'/g, "''")}'`;
      expect(await filterLeads(`lastname eq ${literal}`)).toEqual([]);
      expect(await filterLeads(`contains(fullname,${literal})`)).toEqual([]);
    }
    const after = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $count: 'true', $top: '0' })}`);
    expect(after.body['@odata.count']).toBe(before.body['@odata.count']);
    // Unescaped attempts are syntax errors, never widened queries.
    await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "lastname eq 'x' or 1 eq 1" })}`);
    await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "lastname eq 'x'; DROP TABLE lead" })}`);
    await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "lastname eq 'x'' or ''1'' eq ''1" })}`);
  });

  it('matches unicode text', async () => {
    const rows = await list(`contacts?${q({ $select: 'fullname', $filter: "contains(fullname,'ø') or contains(fullname,'ü') or contains(fullname,'é')" })}`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(String(r.fullname)).toMatch(/[øüé]/);
    const exact = await list(`contacts?${q({ $select: 'lastname', $filter: "lastname eq 'Müller'" })}`);
    expectEvery(exact, (r) => expect(r.lastname).toBe('Müller'), 'contacts named Müller');
  });

  it('combines and/or/not with parentheses and compares numbers', async () => {
    const rows = await filterLeads('(leadqualitycode eq 1 or leadqualitycode eq 2) and not (statecode eq 1) and estimatedvalue ge 100000 and estimatedvalue lt 300000', 'leadqualitycode,statecode,estimatedvalue');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect([1, 2]).toContain(r.leadqualitycode);
      expect(r.statecode).not.toBe(1);
      expect(r.estimatedvalue as number).toBeGreaterThanOrEqual(100000);
      expect(r.estimatedvalue as number).toBeLessThan(300000);
    }
  });

  it('supports booleans, null, GUID lookups and datetimes', async () => {
    expectEvery(await filterLeads('donotemail eq true', 'donotemail'), (r) => expect(r.donotemail).toBe(true), 'leads with donotemail');
    expectEvery(await filterLeads('telephone1 eq null', 'telephone1'), (r) => expect(r.telephone1).toBeNull(), 'leads without a phone');
    const alice = user('alice').systemUserId;
    const owned = await filterLeads(`_ownerid_value eq ${alice}`, '_ownerid_value');
    expect(owned.length).toBeGreaterThan(0);
    for (const r of owned) expect(r._ownerid_value).toBe(alice);
    const quoted = await expectQueryError(`leads?${q({ $select: 'leadid', $filter: `_ownerid_value eq '${alice}'` })}`);
    expect(quoted.message).toContain("'Edm.Guid' and 'Edm.String'");
    const since = new Date(ANCHOR.getTime() - 3 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    expectEvery(await filterLeads(`createdon ge ${since}`, 'createdon'), (r) => expect(String(r.createdon) >= since).toBe(true), 'recent leads');
    const wrongType = await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "estimatedvalue eq 'lots'" })}`);
    expect(wrongType.message).toContain('incompatible types');
  });

  it('supports contains, startswith and endswith', async () => {
    for (const r of await list(`accounts?${q({ $select: 'name', $filter: "startswith(name,'Contoso')" })}`)) expect(String(r.name).startsWith('Contoso')).toBe(true);
    for (const r of await list(`accounts?${q({ $select: 'name', $filter: "endswith(name,'Toys')" })}`)) expect(String(r.name).endsWith('Toys')).toBe(true);
    const c = await list(`accounts?${q({ $select: 'name', $filter: "contains(name,'world')" })}`);
    expect(c.map((r) => r.name)).toContain('Wide World Importers');
  });

  it('follows single-valued navigation paths and lambda operators', async () => {
    const contacts = await list(`contacts?${q({ $select: 'fullname,_parentcustomerid_value', $filter: "parentcustomerid_account/name eq 'Contoso Ltd.'" })}`);
    expect(contacts.length).toBeGreaterThan(0);
    const [contoso] = await list(`accounts?${q({ $select: 'accountid', $filter: "name eq 'Contoso Ltd.'" })}`);
    for (const c of contacts) expect(c._parentcustomerid_value).toBe(contoso?.accountid);
    const someone = contacts[0]?.fullname as string;
    const accounts = await list(`accounts?${q({ $select: 'name', $filter: `contact_customer_accounts/any(c: c/fullname eq '${someone.replace(/'/g, "''")}')` })}`);
    expect(accounts.map((a) => a.name)).toContain('Contoso Ltd.');
  });

  it('supports parameter aliases', async () => {
    const rows = await list(`contacts?$select=lastname&$filter=lastname eq @p1&@p1=${encodeURIComponent("'O''Brien'")}`);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('answers syntax and semantic errors with 400 and the OData code', async () => {
    for (const f of ['subject eq', "subject eq 'open", 'subject eq 1 and', '(statecode eq 0', 'statecode eq 0)', 'nosuch eq 1', 'tolower(subject) eq 1', 'statecode has 1']) {
      const e = await expectQueryError(`leads?${q({ $select: 'leadid', $filter: f })}`);
      expect(e.code).toBe('0x80060888');
    }
  });
});

describe('query functions', () => {
  const now = ANCHOR.getTime();
  const DAY = 86_400_000;
  const sod = Date.UTC(ANCHOR.getUTCFullYear(), ANCHOR.getUTCMonth(), ANCHOR.getUTCDate());
  const sow = sod - new Date(sod).getUTCDay() * DAY;
  const som = Date.UTC(ANCHOR.getUTCFullYear(), ANCHOR.getUTCMonth(), 1);
  const monthsBack = (t: number, n: number) => {
    const d = new Date(t);
    d.setUTCMonth(d.getUTCMonth() - n);
    return d.getTime();
  };
  const soy = Date.UTC(ANCHOR.getUTCFullYear(), 0, 1);
  let leads: Array<{ id: string; t: number; owner: string; quality: number }> = [];
  let tasks: Array<{ id: string; t: number | null }> = [];

  beforeAll(async () => {
    leads = (await list(`leads?${q({ $select: 'createdon,_ownerid_value,leadqualitycode' })}`)).map((r) => ({
      id: String(r.leadid),
      t: Date.parse(String(r.createdon)),
      owner: String(r._ownerid_value),
      quality: Number(r.leadqualitycode),
    }));
    tasks = (await list(`tasks?${q({ $select: 'scheduledend' })}`)).map((r) => ({ id: String(r.activityid), t: r.scheduledend ? Date.parse(String(r.scheduledend)) : null }));
  });

  const between = (t: number, lo: number, hi: number, inclusive = false) => t >= Math.floor(lo / 1000) * 1000 && (inclusive ? t <= hi : t < hi);
  const leadCases: Array<[string, (x: { t: number; owner: string; quality: number }) => boolean]> = [
    ["LastXHours(PropertyName='createdon',PropertyValue=36)", (x) => between(x.t, now - 36 * 3_600_000, now + 60_000, true)],
    ["LastXDays(PropertyName='createdon',PropertyValue=7)", (x) => between(x.t, sod - 7 * DAY, now + 60_000, true)],
    ["LastXWeeks(PropertyName='createdon',PropertyValue=2)", (x) => between(x.t, sod - 14 * DAY, now + 60_000, true)],
    ["LastXMonths(PropertyName='createdon',PropertyValue=1)", (x) => between(x.t, monthsBack(sod, 1), now + 60_000, true)],
    ["LastXYears(PropertyName='createdon',PropertyValue=1)", (x) => between(x.t, monthsBack(sod, 12), now + 60_000, true)],
    ["OlderThanXDays(PropertyName='createdon',PropertyValue=90)", (x) => x.t < now - 90 * DAY],
    ["OlderThanXWeeks(PropertyName='createdon',PropertyValue=10)", (x) => x.t < now - 70 * DAY],
    ["OlderThanXMonths(PropertyName='createdon',PropertyValue=3)", (x) => x.t < monthsBack(now, 3)],
    ["OlderThanXHours(PropertyName='createdon',PropertyValue=12)", (x) => x.t < now - 12 * 3_600_000],
    ["Today(PropertyName='createdon')", (x) => between(x.t, sod, sod + DAY)],
    ["Yesterday(PropertyName='createdon')", (x) => between(x.t, sod - DAY, sod)],
    ["ThisWeek(PropertyName='createdon')", (x) => between(x.t, sow, sow + 7 * DAY)],
    ["LastWeek(PropertyName='createdon')", (x) => between(x.t, sow - 7 * DAY, sow)],
    ["ThisMonth(PropertyName='createdon')", (x) => between(x.t, som, Date.UTC(2026, 11, 1))],
    ["LastMonth(PropertyName='createdon')", (x) => between(x.t, Date.UTC(2026, 9, 1), som)],
    ["ThisYear(PropertyName='createdon')", (x) => between(x.t, soy, Date.UTC(2027, 0, 1))],
    ["LastYear(PropertyName='createdon')", (x) => between(x.t, Date.UTC(2025, 0, 1), soy)],
    ["On(PropertyName='createdon',PropertyValue='2026-11-18')", (x) => between(x.t, Date.UTC(2026, 10, 18), Date.UTC(2026, 10, 19))],
    ["NotOn(PropertyName='createdon',PropertyValue='2026-11-18')", (x) => !between(x.t, Date.UTC(2026, 10, 18), Date.UTC(2026, 10, 19))],
    ["OnOrAfter(PropertyName='createdon',PropertyValue='2026-11-01')", (x) => x.t >= Date.UTC(2026, 10, 1)],
    ["OnOrBefore(PropertyName='createdon',PropertyValue='2026-10-31')", (x) => x.t < Date.UTC(2026, 10, 1)],
    ["Between(PropertyName='createdon',PropertyValues=['2026-10-01','2026-10-15'])", (x) => between(x.t, Date.UTC(2026, 9, 1), Date.UTC(2026, 9, 16))],
    ["NotBetween(PropertyName='createdon',PropertyValues=['2026-10-01','2026-10-15'])", (x) => !between(x.t, Date.UTC(2026, 9, 1), Date.UTC(2026, 9, 16))],
    ["In(PropertyName='leadqualitycode',PropertyValues=['1','3'])", (x) => x.quality === 1 || x.quality === 3],
    ["NotIn(PropertyName='leadqualitycode',PropertyValues=['1','3'])", (x) => x.quality === 2],
    ["EqualUserId(PropertyName='ownerid')", (x) => x.owner === user('alice').systemUserId],
    ["NotEqualUserId(PropertyName='ownerid')", (x) => x.owner !== user('alice').systemUserId],
  ];

  it('In takes a JSON array of quoted strings: unquoted GUIDs are refused, either quote style works', async () => {
    const ids = leads.slice(0, 2).map((l) => l.id);
    const unquoted = await expectQueryError(`leads?${q({ $select: 'leadid', $filter: `Microsoft.Dynamics.CRM.In(PropertyName='leadid',PropertyValues=[${ids.join(',')}])` })}`);
    expect(unquoted.message).toContain('Invalid JSON');
    for (const values of [ids.map((id) => `'${id}'`).join(','), ids.map((id) => `"${id}"`).join(',')]) {
      const got = await filterLeads(`Microsoft.Dynamics.CRM.In(PropertyName='leadid',PropertyValues=[${values}])`);
      expect(got.map((r) => String(r.leadid)).sort()).toEqual([...ids].sort());
    }
    const apostrophe = await list(`contacts?${q({ $select: 'lastname', $filter: `Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=["O'Brien","Nobody"])` })}`);
    expectEvery(apostrophe, (r) => expect(r.lastname).toBe("O'Brien"), "contacts named O'Brien");
  });

  for (const [fn, predicate] of leadCases) {
    it(`Microsoft.Dynamics.CRM.${fn}`, async () => {
      const got = (await filterLeads(`Microsoft.Dynamics.CRM.${fn}`)).map((r) => String(r.leadid)).sort();
      const expected = leads.filter(predicate).map((x) => x.id).sort();
      expect(got).toEqual(expected);
    });
  }

  it('the seed has a cluster of leads in the last 7 days', async () => {
    const recent = await filterLeads("Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)");
    expect(recent.length).toBeGreaterThan(50);
    expect(recent.length).toBeLessThan(150);
  });

  const taskCases: Array<[string, (t: number) => boolean]> = [
    ["NextXDays(PropertyName='scheduledend',PropertyValue=3)", (t) => t >= now && t < sod + 4 * DAY],
    ["NextXHours(PropertyName='scheduledend',PropertyValue=48)", (t) => t >= now && t <= now + 48 * 3_600_000],
    ["NextXWeeks(PropertyName='scheduledend',PropertyValue=1)", (t) => t >= now && t < sod + 8 * DAY],
    ["NextXMonths(PropertyName='scheduledend',PropertyValue=1)", (t) => t >= now && t < Date.UTC(2026, 11, 21)],
    ["Tomorrow(PropertyName='scheduledend')", (t) => t >= sod + DAY && t < sod + 2 * DAY],
    ["NextWeek(PropertyName='scheduledend')", (t) => t >= sow + 7 * DAY && t < sow + 14 * DAY],
    ["NextMonth(PropertyName='scheduledend')", (t) => t >= Date.UTC(2026, 11, 1) && t < Date.UTC(2027, 0, 1)],
    ["NextYear(PropertyName='scheduledend')", (t) => t >= Date.UTC(2027, 0, 1) && t < Date.UTC(2028, 0, 1)],
    ["NextXYears(PropertyName='scheduledend',PropertyValue=1)", (t) => t >= now && t < Date.UTC(2027, 10, 21)],
    ["OlderThanXMinutes(PropertyName='scheduledend',PropertyValue=90)", (t) => t < now - 90 * 60_000],
    ["OlderThanXYears(PropertyName='scheduledend',PropertyValue=1)", (t) => t < Date.UTC(2025, 10, 20, 12)],
  ];
  for (const [fn, predicate] of taskCases) {
    it(`Microsoft.Dynamics.CRM.${fn}`, async () => {
      const got = (await list(`tasks?${q({ $select: 'activityid', $filter: `Microsoft.Dynamics.CRM.${fn}` })}`)).map((r) => String(r.activityid)).sort();
      const expected = tasks.filter((x) => x.t !== null && predicate(x.t)).map((x) => x.id).sort();
      expect(got).toEqual(expected);
    });
  }

  it('works on date-only columns', async () => {
    const opps = await list(`opportunities?${q({ $select: 'estimatedclosedate' })}`);
    const got = await list(`opportunities?${q({ $select: 'estimatedclosedate', $filter: "Microsoft.Dynamics.CRM.ThisMonth(PropertyName='estimatedclosedate')" })}`);
    const expected = opps.filter((o) => String(o.estimatedclosedate).startsWith('2026-11'));
    expect(got.map((o) => o.opportunityid).sort()).toEqual(expected.map((o) => o.opportunityid).sort());
    expect(got.length).toBeGreaterThan(0);
  });

  it('EqualBusinessId and NotEqualBusinessId compare with the caller\'s business unit', async () => {
    const all = await list(`systemusers?${q({ $select: 'fullname' })}`);
    const same = await list(`systemusers?${q({ $select: 'fullname', $filter: "Microsoft.Dynamics.CRM.EqualBusinessId(PropertyName='businessunitid')" })}`);
    const other = await list(`systemusers?${q({ $select: 'fullname', $filter: "Microsoft.Dynamics.CRM.NotEqualBusinessId(PropertyName='businessunitid')" })}`);
    expect(same).toHaveLength(all.length);
    expect(other).toHaveLength(0);
  });

  it('refuses unknown functions and date functions on non-date columns', async () => {
    expect((await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "Microsoft.Dynamics.CRM.Someday(PropertyName='createdon')" })}`)).message).toContain('unknown function');
    await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "Microsoft.Dynamics.CRM.Today(PropertyName='subject')" })}`);
    await expectQueryError(`leads?${q({ $select: 'leadid', $filter: "Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon')" })}`);
  });
});

describe('$orderby, $top, $skip, $count', () => {
  it('orders by several columns', async () => {
    const rows = await list(`leads?${q({ $select: 'leadqualitycode,createdon', $orderby: 'leadqualitycode asc,createdon desc', $top: '200' })}`);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1] ?? {};
      const b = rows[i] ?? {};
      const qa = Number(a.leadqualitycode);
      const qb = Number(b.leadqualitycode);
      expect(qa < qb || (qa === qb && String(a.createdon) >= String(b.createdon)), JSON.stringify([a, b])).toBe(true);
    }
    await expectQueryError(`leads?${q({ $select: 'leadid', $orderby: 'nosuch desc' })}`);
  });

  it('$top limits rows without paging; with Prefer: odata.maxpagesize it is ignored', async () => {
    const top = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $top: '7' })}`);
    expect(top.body.value).toHaveLength(7);
    expect(top.body['@odata.nextLink']).toBeUndefined();
    // "If you include both, $top is ignored." (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results)
    const both = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $top: '7' })}`, { headers: { Prefer: 'odata.maxpagesize=3' } });
    expect(both.body.value).toHaveLength(3);
    expect(both.headers.get('preference-applied')).toBe('odata.maxpagesize=3');
    const seen = new Set<string>();
    let next = both.body['@odata.nextLink'];
    for (const v of both.body.value) seen.add(String(v.leadid));
    while (next) {
      const page: Awaited<ReturnType<typeof org.api<ODataList>>> = await org.api<ODataList>('alice', next, { headers: { Prefer: 'odata.maxpagesize=3' } });
      for (const v of page.body.value) seen.add(String(v.leadid));
      next = seen.size < 20 ? page.body['@odata.nextLink'] : undefined;
    }
    expect(seen.size).toBeGreaterThan(7);
  });

  it('$skip is refused like Dataverse does', async () => {
    const e = await expectQueryError(`leads?${q({ $select: 'leadid', $skip: '10' })}`);
    expect(e.message).toContain('$skip');
  });

  it('$count=true adds @odata.count', async () => {
    const r = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid', $filter: 'statecode eq 0', $count: 'true' })}`);
    expect(r.body['@odata.count']).toBe(r.body.value.length);
    expect(r.body['@odata.count']).toBeGreaterThan(300);
  });
});

describe('paging', () => {
  it('follows @odata.nextLink verbatim to the end', async () => {
    const seen = new Set<string>();
    let url: string | undefined = `${org.base}leads?${q({ $select: 'leadid,subject', $orderby: 'createdon desc' })}`;
    let pages = 0;
    const links: string[] = [];
    while (url) {
      const r: Awaited<ReturnType<typeof org.api<ODataList>>> = await org.api<ODataList>('alice', url, { headers: { Prefer: 'odata.maxpagesize=120' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('preference-applied')).toBe('odata.maxpagesize=120');
      expect(r.body.value.length).toBeLessThanOrEqual(120);
      for (const v of r.body.value) seen.add(String(v.leadid));
      url = r.body['@odata.nextLink'];
      if (url) links.push(url);
      pages++;
    }
    expect(pages).toBe(5);
    expect(links).toHaveLength(4);
    for (const link of links) expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/data\/v9\.2\/leads\?.*\$skiptoken=/);
    expect(seen.size).toBe(500);
  });

  it('refuses a tampered skiptoken or one from another query', async () => {
    const first = await org.api<ODataList>('alice', `leads?${q({ $select: 'leadid' })}`, { headers: { Prefer: 'odata.maxpagesize=10' } });
    const next = first.body['@odata.nextLink'] ?? '';
    const token = decodeURIComponent(/\$skiptoken=([^&]+)/.exec(next)?.[1] ?? '');
    const payload = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { o: number };
    const forged = `${Buffer.from(JSON.stringify({ ...payload, o: 0 })).toString('base64url')}.${token.split('.')[1]}`;
    const tampered = await org.api<ODataError>('alice', next.replace(/\$skiptoken=[^&]+/, `$skiptoken=${encodeURIComponent(forged)}`), { headers: { Prefer: 'odata.maxpagesize=10' } });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe('0x80060888');
    const elsewhere = await org.api<ODataError>('alice', `leads?${q({ $select: 'subject', $skiptoken: token })}`);
    expect(elsewhere.status).toBe(400);
    const garbage = await org.api<ODataError>('alice', `leads?${q({ $select: 'leadid', $skiptoken: 'abc' })}`);
    expect(garbage.status).toBe(400);
  });
});

describe('$expand', () => {
  it('navigation names are case-sensitive: the score is msdyn_PredictiveScoreId, not the attribute name', async () => {
    const e = await expectQueryError(`leads?${q({ $select: 'fullname', $expand: 'msdyn_predictivescoreid($select=msdyn_score)', $top: '1' })}`);
    expect(e.message).toContain("Could not find a property named 'msdyn_predictivescoreid'");
    const f = await expectQueryError(`leads?${q({ $select: 'fullname', $filter: 'msdyn_predictivescoreid/msdyn_score ge 70', $top: '1' })}`);
    expect(f.code).toBe('0x80060888');
    expect((await list(`leads?${q({ $select: 'fullname', $filter: 'msdyn_PredictiveScoreId/msdyn_score ge 70', $top: '1' })}`)).length).toBe(1);
  });

  it('expands single-valued navigation properties with nested $select', async () => {
    const rows = await list(`leads?${q({ $select: 'fullname', $filter: 'statecode eq 0 and _msdyn_predictivescoreid_value ne null', $expand: 'msdyn_PredictiveScoreId($select=msdyn_score,msdyn_grade),ownerid($select=fullname)', $top: '5' })}`);
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      const score = r.msdyn_PredictiveScoreId as Rec;
      expect(score.msdyn_score as number).toBeGreaterThanOrEqual(0);
      expect(score.msdyn_score as number).toBeLessThanOrEqual(100);
      expect(Object.keys(score).sort()).toEqual(['@odata.etag', 'msdyn_grade', 'msdyn_predictivescoreid', 'msdyn_score']);
      expect((r.ownerid as Rec).fullname).toEqual(expect.any(String));
    }
  });

  it('expands collection-valued navigation properties with nested $select/$filter/$orderby/$top', async () => {
    const [acct] = await list(`accounts?${q({ $select: 'name', $filter: "name eq 'Contoso Ltd.'", $expand: "contact_customer_accounts($select=fullname,jobtitle;$filter=statecode eq 0;$orderby=fullname desc;$top=2)" })}`);
    const contacts = acct?.contact_customer_accounts as Rec[];
    expect(contacts).toHaveLength(2);
    // A single-level expansion on an EntitySet carries the lookup back to the parent, as join-tables shows.
    expect(Object.keys(contacts[0] ?? {}).sort()).toEqual(['@odata.etag', '_parentcustomerid_value', 'contactid', 'fullname', 'jobtitle']);
    expect(String(contacts[0]?.fullname) >= String(contacts[1]?.fullname)).toBe(true);
  });

  it('expands notes on cases, email parties and nested expansions (as an administrator)', async () => {
    const cases = await list(`incidents?${q({ $select: 'title,ticketnumber', $filter: 'Incident_Annotation/any()', $expand: 'Incident_Annotation($select=subject,notetext),customerid_account($select=name;$expand=primarycontactid($select=fullname))', $top: '3' })}`, 'dana');
    expect(cases).toHaveLength(3);
    for (const c of cases) {
      expect(c.ticketnumber).toMatch(/^CAS-\d{5}-[A-Z0-9]{6}$/);
      expect((c.Incident_Annotation as Rec[]).length).toBeGreaterThan(0);
    }
    // Cases of contacts have no account to expand; those of accounts carry the nested expansion.
    expectEvery(
      cases.filter((c) => c.customerid_account),
      (c) => expect((c.customerid_account as Rec).primarycontactid).toBeDefined(),
      'cases of accounts',
    );
    const emails = await list(`emails?${q({ $select: 'subject', $expand: 'email_activity_parties($select=participationtypemask,_partyid_value,addressused)', $top: '3' })}`);
    for (const e of emails) {
      const masks = (e.email_activity_parties as Rec[]).map((p) => p.participationtypemask);
      expect(masks).toContain(1);
      expect(masks).toContain(2);
    }
  });

  it('refuses unknown navigation properties, and $top or $orderby on single-valued ones', async () => {
    await expectQueryError(`leads?${q({ $select: 'leadid', $expand: 'nosuchnav' })}`);
    // "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship …"
    // (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables)
    for (const option of ['$top=1', '$orderby=fullname']) {
      const e = await expectQueryError(`leads?${q({ $select: 'leadid', $expand: `ownerid($select=fullname;${option})`, $top: '1' })}`);
      expect(e).toEqual({ code: '0x80060888', message: 'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.' });
    }
  });

  it('reads a related collection through its navigation property', async () => {
    const [acct] = await list(`accounts?${q({ $select: 'accountid', $filter: "name eq 'Fabrikam, Inc.'" })}`);
    const r = await org.api<ODataList>('alice', `accounts(${String(acct?.accountid)})/contact_customer_accounts?$select=fullname`);
    expect(r.status).toBe(200);
    expect(r.body.value.length).toBeGreaterThan(0);
  });
});

describe('$apply', () => {
  it('groups and aggregates', async () => {
    const r = await org.api<ODataList>('alice', `leads?${q({ $apply: 'groupby((leadqualitycode),aggregate($count as count,estimatedvalue with sum as total))' })}`, { headers: ANNOTATIONS });
    expect(r.status).toBe(200);
    const total = r.body.value.reduce((s, v) => s + Number(v.count), 0);
    expect(total).toBe(500);
    expect(r.body.value.map((v) => v['leadqualitycode@OData.Community.Display.V1.FormattedValue']).sort()).toEqual(['Cold', 'Hot', 'Warm']);
  });
});

describe('limits', () => {
  it('refuses pathological filters and expansions with 400, not a crash', async () => {
    const deep = `${'('.repeat(500)}statecode eq 0${')'.repeat(500)}`;
    expect((await org.api<ODataError>('alice', `leads?${q({ $select: 'leadid', $filter: deep })}`)).status).toBe(400);
    const nots = `${'not '.repeat(500)}statecode eq 0`;
    expect((await org.api<ODataError>('alice', `leads?${q({ $select: 'leadid', $filter: nots })}`)).status).toBe(400);
    const expand = 'ownerid($expand=businessunitid($expand='.repeat(6) + 'x' + '))'.repeat(6);
    expect((await org.api<ODataError>('alice', `leads?${q({ $select: 'leadid', $expand: expand })}`)).status).toBe(400);
  });
});
