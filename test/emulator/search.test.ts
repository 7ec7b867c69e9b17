import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Alias, ODataError, TestOrg } from './helpers.js';
import { startOrg, useOrg } from './helpers.js';

/**
 * Dataverse search as the emulator serves it (https://learn.microsoft.com/power-apps/developer/data-platform/search/query):
 * `POST /api/search/v2.0/query` and the Web API action `searchquery`, over SQLite FTS4.
 */
let org: TestOrg;
useOrg((o) => (org = o));

interface Hit {
  Id: string;
  EntityName: string;
  ObjectTypeCode: number;
  Attributes: Record<string, unknown>;
  Highlights: Record<string, string[]>;
  Score: number;
}
interface Results {
  Error: unknown;
  Value: Hit[];
  Facets: Record<string, unknown>;
  QueryContext: unknown;
  Count: number;
}

const SEARCH = '/api/search/v2.0/query';

async function raw(alias: Alias | null, body: unknown, path = SEARCH, method = 'POST') {
  return org.api<{ response?: string } & Partial<ODataError>>(alias, `${org.emu.url}${path}`, { method, ...(body !== undefined && { body }) });
}

async function search(alias: Alias, body: Record<string, unknown>): Promise<Results> {
  const r = await raw(alias, body);
  expect(r.status, r.text).toBe(200);
  expect(typeof r.body.response).toBe('string');
  return JSON.parse(r.body.response!) as Results;
}

const entities = (...list: Array<Record<string, unknown>>) => JSON.stringify(list);
const ARTICLES = { name: 'knowledgearticle', selectColumns: ['title', 'articlepublicnumber'], searchColumns: ['title', 'content', 'keywords'], filter: 'statecode eq 3' };
const QNA = { name: 'new_qna', selectColumns: ['new_question', 'new_answer'], searchColumns: ['new_question', 'new_answer'], filter: 'statecode eq 0' };
const NOTES = { name: 'annotation', selectColumns: ['subject', 'filename', 'mimetype'], searchColumns: ['subject', 'notetext', 'filename', 'documentbody'], filter: 'isdocument eq true' };

describe('the query operation', () => {
  it('answers the documented response: an escaped JSON string with Error, Value, Facets, QueryContext and Count', async () => {
    const res = await search('bob', { search: 'reset customer password', entities: entities(ARTICLES), count: true });
    expect(res).toMatchObject({ Error: null, Facets: {}, QueryContext: null });
    expect(res.Count).toBe(res.Value.length);
    const first = res.Value[0]!;
    expect(first.EntityName).toBe('knowledgearticle');
    expect(first.ObjectTypeCode).toBe(9953);
    expect(first.Attributes['@search.objecttypecode']).toBe(9953);
    expect(first.Attributes['title']).toBe("Resetting a customer's portal password");
    expect(Object.keys(first.Attributes).sort()).toEqual(['@search.objecttypecode', 'articlepublicnumber', 'title']);
    expect(first.Highlights['title']?.[0]).toContain('{crmhit}');
    // Ranked by relevance: scores never rise down the list.
    for (let i = 1; i < res.Value.length; i++) expect(res.Value[i]!.Score).toBeLessThanOrEqual(res.Value[i - 1]!.Score);
  });

  it('the Web API action searchquery takes the same parameters and answers the same results', async () => {
    const body = { search: 'olive oil', entities: entities(ARTICLES), top: 5 };
    const native = await search('bob', body);
    const action = await org.api<{ '@odata.context': string; response: string }>('bob', 'searchquery', { method: 'POST', body });
    expect(action.status).toBe(200);
    expect(action.body['@odata.context']).toMatch(/\$metadata#Microsoft\.Dynamics\.CRM\.searchqueryResponse$/);
    expect(JSON.parse(action.body.response)).toEqual(native);
  });

  it('count is -1 unless asked for; top and skip page through the ranking', async () => {
    const all = await search('bob', { search: 'olive', entities: entities(ARTICLES), count: true });
    expect(all.Value.length).toBeGreaterThan(3);
    const uncounted = await search('bob', { search: 'olive', entities: entities(ARTICLES), top: 2 });
    expect(uncounted.Count).toBe(-1);
    expect(uncounted.Value.map((v) => v.Id)).toEqual(all.Value.slice(0, 2).map((v) => v.Id));
    const second = await search('bob', { search: 'olive', entities: entities(ARTICLES), top: 2, skip: 2 });
    expect(second.Value.map((v) => v.Id)).toEqual(all.Value.slice(2, 4).map((v) => v.Id));
  });

  it('searchmode any matches any term, all every term; - excludes; a trailing * matches a prefix; quotes a phrase', async () => {
    const ids = async (s: string, options?: Record<string, string>) =>
      (await search('bob', { search: s, entities: entities(ARTICLES), ...(options && { options: JSON.stringify(options) }) })).Value.map((v) => v.Attributes['title'] as string);
    const any = await ids('tinplate aluminium');
    const all = await ids('tinplate aluminium', { searchmode: 'all' });
    expect(all.length).toBeGreaterThan(0);
    expect(all.length).toBeLessThan(any.length);
    expect(await ids('olive -glass')).not.toContain('Product catalogue: dark glass bottles');
    expect(await ids('olive')).toContain('Product catalogue: dark glass bottles');
    expect(await ids('tinpl*')).toContain('Product catalogue: tinplate oil cans');
    expect(await ids('tinpl')).toEqual([]);
    expect(await ids('"cold pressed olive oil"')).toContain('Product catalogue: tinplate oil cans');
    expect(await ids('"olive cold"')).toEqual([]);
    expect(await ids('olive + tinplate', { searchmode: 'any' })).toEqual(await ids('olive tinplate', { searchmode: 'all' }));
    expect(await ids('olive | tinplate', { searchmode: 'all' })).toEqual(await ids('olive tinplate'));
  });

  it('an entity filter applies: draft and expired articles only show without the published filter', async () => {
    const published = await search('bob', { search: 'legacy admin console', entities: entities(ARTICLES) });
    expect(published.Value.map((v) => v.Attributes['title'])).not.toContain('Resetting passwords in the legacy admin console');
    const any = await search('bob', { search: 'legacy admin console', entities: entities({ ...ARTICLES, filter: undefined }) });
    expect(any.Value.map((v) => v.Attributes['title'])).toContain('Resetting passwords in the legacy admin console');
  });

  it('searches the text of note attachments, not of binary files; only the searchColumns asked for', async () => {
    const runbook = await search('bob', { search: 'resend', entities: entities(NOTES) });
    expect(runbook.Value.map((v) => v.Attributes['filename'])).toEqual(['portal-password-reset-runbook.txt']);
    expect(runbook.Value[0]!.Highlights['documentbody']?.[0]).toContain('{crmhit}resend{/crmhit}');
    expect((await search('bob', { search: 'manual', entities: entities({ ...NOTES, searchColumns: ['documentbody'] }) })).Value).toEqual([]);
    expect((await search('bob', { search: 'manual', entities: entities(NOTES) })).Value.map((v) => v.Attributes['mimetype'])).toEqual(['application/pdf']);
    // Without searchColumns only the primary name is searched ("If empty, only the table primary name is searched on").
    expect((await search('bob', { search: 'resend', entities: entities({ name: 'annotation' }) })).Value).toEqual([]);
  });

  it('returns only records the caller may read: QnA pairs for the service desk, not for sellers', async () => {
    const body = { search: 'password reset', entities: entities(QNA, ARTICLES), count: true };
    const bob = await search('bob', body);
    expect(bob.Value.some((v) => v.EntityName === 'new_qna')).toBe(true);
    for (const seller of ['alice', 'sam'] as const) {
      const res = await search(seller, body);
      expect(res.Value.length).toBeGreaterThan(0);
      expect(res.Value.every((v) => v.EntityName === 'knowledgearticle')).toBe(true);
    }
    const inactive = await search('bob', { search: 'legacy admin console', entities: entities(QNA) });
    expect(inactive.Value.map((v) => v.Attributes['new_question'])).not.toContain('Can agents type a new password for a customer?');
  });

  it('follows writes: a new row is found, a deleted one is not', async () => {
    const created = await org.api('bob', 'new_qnas', { method: 'POST', body: { new_question: 'Can I pay by zebracard?', new_answer: 'Zebracard payments are accepted.' }, headers: { Prefer: 'return=representation' } });
    expect(created.status, created.text).toBe(201);
    const id = String(created.body['new_qnaid']);
    expect((await search('bob', { search: 'zebracard', entities: entities(QNA) })).Value.map((v) => v.Id)).toEqual([id]);
    expect((await org.api('bob', `new_qnas(${id})`, { method: 'DELETE' })).status).toBe(403);
    expect((await org.api('dana', `new_qnas(${id})`, { method: 'DELETE' })).status).toBe(204);
    expect((await search('bob', { search: 'zebracard', entities: entities(QNA) })).Value).toEqual([]);
  });

  it('treats operators of the full-text engine in the search text as plain words', async () => {
    for (const s of ['password" OR "x', 'NEAR password', 'title:password', 'password*) OR (*', "x' OR 1=1 --", 'content MATCH password']) {
      const r = await raw('bob', { search: s, entities: entities(ARTICLES) });
      expect(r.status, `${s}: ${r.text}`).toBeLessThan(500);
    }
    const escaped = await search('bob', { search: 'sign\\-in \\(portal\\)', entities: entities(ARTICLES) });
    expect(escaped.Value.length).toBeGreaterThan(0);
  });
});

describe('what the service refuses', () => {
  const refused = async (body: unknown, status: number, pattern: RegExp, alias: Alias | null = 'bob', path = SEARCH, method = 'POST') => {
    const r = await raw(alias, body, path, method);
    expect(r.status, r.text).toBe(status);
    expect(r.body.error?.message ?? '').toMatch(pattern);
    return r;
  };

  it('a body without a valid search term', async () => {
    await refused({}, 400, /'search' parameter is required/);
    await refused({ search: '' }, 400, /'search' parameter is required/);
    await refused({ search: 'x'.repeat(101) }, 400, /100 character limit/);
    await refused({ search: 42 }, 400, /'search' parameter is required/);
    await refused([{ search: 'x' }], 400, /JSON object/);
  });

  it('unknown parameters and malformed values', async () => {
    await refused({ search: 'olive', query: 'olive' }, 400, /parameter 'query' in the request payload is not a valid parameter for the operation 'searchquery'/);
    await refused({ search: 'olive', entities: '[{"name":' }, 400, /'entities' parameter is not valid: it is not valid JSON/);
    await refused({ search: 'olive', entities: [{ name: 'account' }] }, 400, /must be a string holding JSON/);
    await refused({ search: 'olive', entities: entities({ selectColumns: ['name'] }) }, 400, /needs a name/);
    await refused({ search: 'olive', top: 101 }, 400, /'top' parameter is not valid/);
    await refused({ search: 'olive', skip: -1 }, 400, /'skip' parameter is not valid/);
    await refused({ search: 'olive', count: 'yes' }, 400, /'count' parameter is not valid/);
    await refused({ search: 'olive', options: JSON.stringify({ searchmode: 'most' }) }, 400, /searchmode is 'any' or 'all'/);
    await refused({ search: '"olive', entities: entities(ARTICLES) }, 400, /unterminated quotation mark/);
    await refused({ search: 'olive~', options: JSON.stringify({ querytype: 'lucene' }) }, 400, /Fuzzy search is not supported/);
  });

  it('tables not enabled for search, columns that are not searchable or do not exist', async () => {
    await refused({ search: 'olive', entities: entities({ name: 'email' }) }, 400, /'email' is not enabled for Dataverse search/);
    await refused({ search: 'olive', entities: entities({ name: 'nosuchtable' }) }, 400, /not enabled for Dataverse search/);
    await refused({ search: 'olive', entities: entities({ name: 'knowledgearticle', searchColumns: ['statecode'] }) }, 400, /'statecode' of 'knowledgearticle' is not searchable/);
    await refused({ search: 'olive', entities: entities({ name: 'knowledgearticle', selectColumns: ['nosuch'] }) }, 400, /Could not find a property named 'nosuch'/);
    await refused({ search: 'olive', entities: entities({ name: 'knowledgearticle', filter: 'nosuch eq 1' }) }, 400, /nosuch/);
  });

  it('other methods, other operations, and callers without a token', async () => {
    await refused(undefined, 405, /not supported/, 'bob', SEARCH, 'GET');
    await refused({ search: 'x' }, 404, /Resource not found/, 'bob', '/api/search/v2.0/nosuch');
    const anonymous = await raw(null, { search: 'olive' });
    expect(anonymous.status).toBe(401);
  });
});

describe('an organisation with Dataverse search turned off', () => {
  let off: TestOrg;
  beforeAll(async () => {
    off = await startOrg({ search: false });
  });
  afterAll(async () => {
    await off?.emu.close();
  });

  it('answers 400 0x80048d0b on both endpoints, as the overview documents', async () => {
    for (const path of [`${off.emu.url}${SEARCH}`, 'searchquery']) {
      const r = await off.api<ODataError>('bob', path, { method: 'POST', body: { search: 'olive' } });
      expect(r.status).toBe(400);
      expect(r.body.error).toEqual({ code: '0x80048d0b', message: 'Dataverse Search feature is disabled for this organization.' });
    }
  });
});
