import { DataverseError, ErrorCode, invalidArgument } from '../dataverseError.js';
import type { RequestScope } from '../http/apiTypes.js';
import type { TableDef } from '../metadata/types.js';
import { type EngineContext, formatRecord, resolveQuery } from '../odata/queryEngine.js';
import { AnnotationFilter, FORMATTED } from '../odata/values.js';
import { canReadColumn } from '../security/fieldSecurity.js';
import { quoteIdent, type SqlValue } from '../store/store.js';
import type { ColumnHit } from './searchIndex.js';
import { ftsPhrase, parseSearch, type SearchNode, termsOf } from './searchSyntax.js';

/**
 * The query operation of Dataverse search: `POST /api/search/v2.0/query` and the Web API action
 * `POST /api/data/v9.2/searchquery`, which take the same parameters and answer the same response
 * (Dataverse Search query, https://learn.microsoft.com/power-apps/developer/data-platform/search/query,
 * and "Search for Dataverse records", https://learn.microsoft.com/power-apps/developer/data-platform/search/overview).
 * The response is an escaped JSON string with `Error`, `Value` (Id, EntityName, ObjectTypeCode,
 * Attributes, Highlights, Score), `Facets`, `QueryContext` and `Count`. Results are only records
 * the caller may read; ties in score are broken by table and id (the service orders them randomly).
 */

/** The operation's parameters (query.md's table; `propertybag` from its earlier revision). */
const PARAMETERS = new Set(['search', 'count', 'entities', 'facets', 'filter', 'options', 'orderby', 'propertybag', 'skip', 'top']);
/** "By default, up to 50 results are returned … You can use top to raise it as high as 100" (skip and top parameters). */
const DEFAULT_TOP = 50;
const MAX_TOP = 100;
/** "Search term must be at least one character long and has a 100 character limit" (search parameter). */
const MAX_SEARCH = 100;
const ID_CHUNK = 400;

interface SearchEntity {
  name: string;
  selectColumns: string[] | undefined;
  searchColumns: string[] | undefined;
  filter: string | undefined;
}

interface Plan {
  table: TableDef;
  select: string[];
  search: string[];
  filter: string | undefined;
}

interface Result {
  table: TableDef;
  id: string;
  score: number;
  attributes: Record<string, unknown>;
  order: Record<string, unknown>;
}

function badParameter(name: string, expected: string): DataverseError {
  return invalidArgument(`The value of the '${name}' parameter is not valid: ${expected}.`);
}

/** String parameters that carry JSON (`entities`, `options`, `orderby`, `facets`); "null" is their absence, as the Web API sample sends. */
function jsonParameter(body: Record<string, unknown>, name: string): unknown {
  const raw = body[name];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw badParameter(name, 'it must be a string holding JSON');
  if (raw.trim() === '' || raw.trim() === 'null') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw badParameter(name, 'it is not valid JSON');
  }
}

/** SearchEntity fields, matched case-insensitively: the samples write both `selectColumns` and `SelectColumns`. */
function parseEntities(value: unknown): SearchEntity[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw badParameter('entities', 'it must be a non-empty JSON array of SearchEntity objects');
  return value.map((raw) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badParameter('entities', 'each item must be a SearchEntity object');
    const fields = new Map(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
    for (const k of fields.keys()) if (!['name', 'selectcolumns', 'searchcolumns', 'filter'].includes(k)) throw badParameter('entities', `'${k}' is not a SearchEntity field (name, selectColumns, searchColumns, filter)`);
    const name = fields.get('name');
    if (typeof name !== 'string' || name === '') throw badParameter('entities', 'every SearchEntity needs a name (the logical name of a table)');
    const list = (key: string): string[] | undefined => {
      const v = fields.get(key);
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) throw badParameter('entities', `${key} of '${name}' must be an array of column names`);
      return (v as string[]).length ? (v as string[]) : undefined;
    };
    const filter = fields.get('filter');
    if (filter !== undefined && filter !== null && typeof filter !== 'string') throw badParameter('entities', `the filter of '${name}' must be a string`);
    return { name, selectColumns: list('selectcolumns'), searchColumns: list('searchcolumns'), filter: typeof filter === 'string' && filter.trim() ? filter : undefined };
  });
}

/** `options`: a serialized dictionary such as {'querytype': 'lucene', 'searchmode': 'all'} (options parameter). */
function parseOptions(value: unknown): { searchMode: 'any' | 'all'; queryType: 'simple' | 'lucene' } {
  const out = { searchMode: 'any' as 'any' | 'all', queryType: 'simple' as 'simple' | 'lucene' };
  if (value === undefined) return out;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badParameter('options', 'it must be a JSON object of option names and values');
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = k.toLowerCase();
    const text = String(v).toLowerCase();
    if (key === 'querytype') {
      if (text !== 'simple' && text !== 'lucene') throw badParameter('options', "querytype is 'simple' or 'lucene'");
      out.queryType = text;
    } else if (key === 'searchmode') {
      if (text !== 'any' && text !== 'all') throw badParameter('options', "searchmode is 'any' or 'all'");
      out.searchMode = text;
    } else if (key === 'besteffortsearchenabled' || key === 'grouprankingenabled' || key === 'groupranking') {
      if (text !== 'true' && text !== 'false') throw badParameter('options', `${k} is true or false`);
    } else {
      throw badParameter('options', `'${k}' is not a search option (querytype, searchmode, besteffortsearchenabled, grouprankingenabled)`);
    }
  }
  return out;
}

function parseOrderBy(value: unknown): Array<{ column: string; desc: boolean }> {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw badParameter('orderby', 'it must be a JSON array of clauses such as "@search.score desc"');
  return (value as string[]).map((clause) => {
    const m = /^\s*(@search\.score|[a-z_][a-z0-9_]*)\s*(asc|desc)?\s*$/i.exec(clause);
    if (!m) throw badParameter('orderby', `'${clause.slice(0, 60)}' is not a column followed by asc or desc`);
    return { column: m[1]!.toLowerCase(), desc: (m[2] ?? 'asc').toLowerCase() === 'desc' };
  });
}

function integer(body: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw badParameter(name, `it must be a whole number from ${min} to ${max}`);
  return v;
}

export interface SearchQueryOutcome {
  /** The response property: the escaped JSON string of the results. */
  response: string;
}

export function searchQuery(scope: RequestScope): SearchQueryOutcome {
  const { core, req, access } = scope;
  if (!core.searchEnabled) throw new DataverseError(400, ErrorCode.SearchDisabled, 'Dataverse Search feature is disabled for this organization.');
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('The request body must be a JSON object with the search parameters.');
  const params = body as Record<string, unknown>;
  for (const k of Object.keys(params)) {
    if (!PARAMETERS.has(k)) throw invalidArgument(`The parameter '${k.slice(0, 60)}' in the request payload is not a valid parameter for the operation 'searchquery'.`);
  }
  const search = params['search'];
  if (typeof search !== 'string' || search.length === 0) throw invalidArgument("The 'search' parameter is required: the text to search with (1 to 100 characters).");
  if (search.length > MAX_SEARCH) throw invalidArgument(`The 'search' parameter has a ${MAX_SEARCH} character limit; it has ${search.length}.`);
  if (params['count'] !== undefined && params['count'] !== null && typeof params['count'] !== 'boolean') throw badParameter('count', 'it must be true or false');
  if (params['filter'] !== undefined && params['filter'] !== null && typeof params['filter'] !== 'string') throw badParameter('filter', 'it must be a string');
  if (params['propertybag'] !== undefined && params['propertybag'] !== null && typeof params['propertybag'] !== 'string') throw badParameter('propertybag', 'it must be a string');
  const entities = parseEntities(jsonParameter(params, 'entities'));
  const options = parseOptions(jsonParameter(params, 'options'));
  const orderBy = parseOrderBy(jsonParameter(params, 'orderby'));
  const facets = jsonParameter(params, 'facets');
  if (facets !== undefined && !(Array.isArray(facets) && facets.length === 0)) throw invalidArgument('Facets are not supported by the local Dataverse emulator; send the query without facets.');
  const top = integer(params, 'top', 0, MAX_TOP, DEFAULT_TOP);
  const skip = integer(params, 'skip', 0, 100_000, 0);
  const topFilter = typeof params['filter'] === 'string' && params['filter'].trim() ? params['filter'] : undefined;
  const tree = parseSearch(search, options);

  const plans = planEntities(scope, entities, topFilter);
  for (const p of plans) core.search.refresh(p.table.logicalName);

  // Each distinct term is looked up once in the inverted index.
  const hitsByTerm = new Map<string, ColumnHit[]>();
  for (const t of termsOf(tree)) {
    const phrase = ftsPhrase(t);
    const key = `${phrase}^${t.boost}`;
    if (!hitsByTerm.has(key)) hitsByTerm.set(key, core.search.matches(phrase, t.boost));
  }

  const engine: EngineContext = { ...scope.engine, annotations: AnnotationFilter.parse(FORMATTED) };
  const results: Result[] = [];
  for (const plan of plans) {
    const scores = evaluate(tree, plan, hitsByTerm, () => core.search.records(plan.table.logicalName));
    if (scores.size === 0) continue;
    results.push(...readRows(engine, plan, scores, orderBy));
  }

  results.sort((a, b) => compareResults(a, b, orderBy));
  const page = results.slice(skip, skip + top);
  const highlightQuery = termsOf(tree)
    .filter((t) => !negated(tree, t))
    .map(ftsPhrase)
    .join(' OR ');
  const byTable = new Map<string, Result[]>();
  for (const r of page) byTable.set(r.table.logicalName, [...(byTable.get(r.table.logicalName) ?? []), r]);
  const highlights = new Map<string, Record<string, string[]>>();
  for (const [table, rows] of byTable) {
    const plan = plans.find((p) => p.table.logicalName === table)!;
    for (const [id, h] of core.search.highlights(highlightQuery, table, rows.map((r) => r.id), plan.search)) highlights.set(`${table}:${id}`, h);
  }

  const value = page.map((r) => ({
    Id: r.id,
    EntityName: r.table.logicalName,
    ObjectTypeCode: r.table.objectTypeCode,
    Attributes: { '@search.objecttypecode': r.table.objectTypeCode, ...r.attributes },
    Highlights: highlights.get(`${r.table.logicalName}:${r.id}`) ?? {},
    Score: Math.round(r.score * 1e6) / 1e6,
  }));
  const count = params['count'] === true ? results.length : -1;
  return { response: JSON.stringify({ Error: null, Value: value, Facets: {}, QueryContext: null, Count: count }) };
}

/** Which tables, columns and filters the query covers; tables the caller may not read are left out, as their rows would be. */
function planEntities(scope: RequestScope, entities: SearchEntity[] | undefined, topFilter: string | undefined): Plan[] {
  const index = scope.core.search;
  const principal = scope.req.principal;
  const requested: SearchEntity[] = entities ?? Object.keys(indexTables(scope)).map((name) => ({ name, selectColumns: undefined, searchColumns: undefined, filter: undefined }));
  const plans: Plan[] = [];
  const seen = new Set<string>();
  for (const e of requested) {
    const name = e.name.toLowerCase();
    if (seen.has(name)) throw badParameter('entities', `'${e.name}' is listed twice`);
    seen.add(name);
    const table = index.searchable(name);
    // Not documented: the service's answer for a table that is not enabled for search.
    if (!table) throw invalidArgument(`The entity '${e.name.slice(0, 64)}' is not enabled for Dataverse search in this organization. Enable it for search, or leave it out of 'entities'.`);
    const searchable = index.columns(name);
    for (const c of e.searchColumns ?? []) {
      if (!searchable.includes(c)) throw invalidArgument(`The column '${c.slice(0, 64)}' of '${name}' is not searchable (searchable columns come from the table's Quick Find view: ${searchable.join(', ')}).`);
    }
    for (const c of e.selectColumns ?? []) {
      if (!table.attributes.some((a) => a.logicalName === c)) throw invalidArgument(`Could not find a property named '${c.slice(0, 64)}' on type 'Microsoft.Dynamics.CRM.${name}'.`);
    }
    if (!scope.access.can('Read', table)) continue;
    // "If empty, only the table primary name is searched on" / "… returned" (SearchEntity type); without `entities`, every searchable column.
    const search = (e.searchColumns ?? (entities ? [table.primaryNameAttribute] : searchable)).filter((c) => {
      const a = table.attributes.find((x) => x.logicalName === c);
      return a !== undefined && canReadColumn(principal, a);
    });
    const select = e.selectColumns ?? [table.primaryNameAttribute];
    const filters = [e.filter, topFilter].filter((f): f is string => f !== undefined);
    plans.push({ table, select, search, filter: filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : filters.map((f) => `(${f})`).join(' and ') });
  }
  return plans;
}

function indexTables(scope: RequestScope): Record<string, true> {
  const out: Record<string, true> = {};
  for (const t of scope.core.model.allTables()) if (scope.core.search.searchable(t.logicalName)) out[t.logicalName] = true;
  return out;
}

/** Scores of the records of one table the tree matches (0 for records matched only by `*`). */
function evaluate(node: SearchNode, plan: Plan, hits: Map<string, ColumnHit[]>, universe: () => string[]): Map<string, number> {
  switch (node.kind) {
    case 'all':
      return new Map(universe().map((id) => [id, 1]));
    case 'term': {
      const out = new Map<string, number>();
      for (const h of hits.get(`${ftsPhrase(node)}^${node.boost}`) ?? []) {
        if (h.entity !== plan.table.logicalName || !plan.search.includes(h.attribute)) continue;
        out.set(h.recordId, (out.get(h.recordId) ?? 0) + h.score);
      }
      return out;
    }
    case 'not':
      // A NOT on its own excludes from everything.
      return subtract(new Map(universe().map((id) => [id, 0])), evaluate(node.child, plan, hits, universe));
    case 'and':
    case 'or': {
      const positives = node.children.filter((c) => c.kind !== 'not');
      const negatives = node.children.filter((c): c is Extract<SearchNode, { kind: 'not' }> => c.kind === 'not');
      let result: Map<string, number>;
      if (positives.length === 0) result = negatives.length ? new Map(universe().map((id) => [id, 0])) : new Map();
      else if (node.kind === 'or') {
        result = new Map();
        for (const c of positives) for (const [id, s] of evaluate(c, plan, hits, universe)) result.set(id, (result.get(id) ?? 0) + s);
      } else {
        const parts = positives.map((c) => evaluate(c, plan, hits, universe));
        result = new Map();
        for (const [id, s] of parts[0]!) {
          if (parts.every((p) => p.has(id))) result.set(id, s + parts.slice(1).reduce((sum, p) => sum + (p.get(id) ?? 0), 0));
        }
      }
      for (const n of negatives) result = subtract(result, evaluate(n.child, plan, hits, universe));
      return result;
    }
  }
}

function subtract(from: Map<string, number>, remove: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, s] of from) if (!remove.has(id)) out.set(id, s);
  return out;
}

/** Whether a term only appears under a NOT (it is not highlighted). */
function negated(node: SearchNode, term: SearchNode, under = false): boolean {
  if (node === term) return under;
  switch (node.kind) {
    case 'not':
      return negated(node.child, term, true);
    case 'and':
    case 'or':
      return node.children.some((c) => negated(c, term, under));
    default:
      return false;
  }
}

/** The matched rows that pass the table's filters, read as the caller (their columns, formatted values). */
function readRows(engine: EngineContext, plan: Plan, scores: Map<string, number>, orderBy: ReadonlyArray<{ column: string }>): Result[] {
  const table = plan.table;
  const orderColumns = orderBy.map((o) => o.column).filter((c) => c !== '@search.score');
  for (const c of orderColumns) {
    if (!table.attributes.some((a) => a.logicalName === c)) throw invalidArgument(`The orderby column '${c}' is not a column of '${table.logicalName}'; with several tables, order by columns they all have (createdon, modifiedon, @search.score).`);
  }
  const query = resolveQuery(engine, table, { select: [...new Set([...plan.select, ...orderColumns])], ...(plan.filter !== undefined && { filter: plan.filter }), expand: [] }, 't');
  const columns = [...new Set([table.primaryIdAttribute, 'versionnumber', ...query.attrs.map((a) => a.logicalName)])];
  const ids = [...scores.keys()];
  const out: Result[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const sql = `SELECT ${columns.map((c) => `t.${quoteIdent(c)} AS ${quoteIdent(c)}`).join(', ')} FROM ${quoteIdent(table.logicalName)} AS t WHERE t.${quoteIdent(table.primaryIdAttribute)} IN (${chunk.map(() => '?').join(', ')})${query.where ? ` AND ${query.where}` : ''}`;
    const rows = engine.store.all(sql, [...(chunk as SqlValue[]), ...query.params]);
    for (const row of rows) {
      const id = String(row[table.primaryIdAttribute]);
      const formatted = formatRecord(engine, table, query.attrs.filter((a) => plan.select.includes(a.logicalName)), row);
      delete formatted['@odata.etag'];
      if (!plan.select.includes(table.primaryIdAttribute)) delete formatted[table.primaryIdAttribute];
      out.push({ table, id, score: scores.get(id) ?? 0, attributes: formatted, order: Object.fromEntries(orderColumns.map((c) => [c, row[c]])) });
    }
  }
  return out;
}

function compareResults(a: Result, b: Result, orderBy: ReadonlyArray<{ column: string; desc: boolean }>): number {
  for (const o of orderBy) {
    const x = o.column === '@search.score' ? a.score : a.order[o.column];
    const y = o.column === '@search.score' ? b.score : b.order[o.column];
    const c = compareValues(x, y);
    if (c !== 0) return o.desc ? -c : c;
  }
  if (orderBy.length === 0 && a.score !== b.score) return b.score - a.score;
  return a.table.logicalName.localeCompare(b.table.logicalName) || a.id.localeCompare(b.id);
}

function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined) return -1;
  if (y === null || y === undefined) return 1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y));
}
