import { notFound, propertyNotFound, queryError } from '../dataverseError.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { AttributeDef, NavProperty, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import { visibleValue } from '../security/fieldSecurity.js';
import type { AccessChecker, Principal } from '../security/roles.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { parseFilter } from './filterParser.js';
import { FilterCompiler } from './filterCompiler.js';
import type { ExpandText } from './queryOptions.js';
import { splitTopLevel } from './queryOptions.js';
import { buildQueryString } from './skipToken.js';
import type { AnnotationFilter } from './values.js';
import { ASSOCIATED_NAV, FORMATTED, LOOKUP_LOGICAL_NAME, formattedValue, toJsonValue } from './values.js';

/** "up to 5,000 records may be returned for each request" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results). */
export const MAX_PAGE = 5000;

/** How expanded collections link to the rest of their rows (join-tables, "Expand collection-valued navigation properties"). */
export interface ExpandPaging {
  /** `${org}/api/data/v9.2/` */
  baseUrl: string;
  /** `Prefer: odata.maxpagesize` (at most 5000): the page size of each expanded collection under a nested $expand. */
  pageSize: number;
  /** A $skiptoken for a related-collection URL, bound to `path?query` (without $skiptoken) as a follow-up request sees it. */
  issueToken: (offset: number, scopeKey: string) => string;
}

/** Everything a query needs from the request and the emulator. */
export interface EngineContext {
  model: MetadataModel;
  store: Store;
  access: AccessChecker;
  principal: Principal;
  now: Date;
  annotations: AnnotationFilter;
  aliases: ReadonlyMap<string, string>;
  paging?: ExpandPaging;
  /** Rows one `$apply` may aggregate (Dataverse: 50,000); lower only in tests of what happens past it. */
  aggregateRecordLimit?: number;
}

export interface QueryText {
  select?: string[];
  filter?: string;
  orderby?: string;
  top?: number;
  expand: ExpandText[];
}

export interface ResolvedQuery {
  table: TableDef;
  /** Requested names ($select) or null for all columns. */
  selectNames: string[] | null;
  attrs: AttributeDef[];
  where: string | null;
  params: SqlValue[];
  order: string;
  top: number | undefined;
  expand: ResolvedExpand[];
  /** A $expand inside a $expand somewhere in the request: expanded collections are paged. */
  nestedExpand: boolean;
}

interface ResolvedExpand {
  nav: NavProperty;
  query: ResolvedQuery;
  /** The options as written, for the `<nav>@odata.nextLink` of expanded collections. */
  text: ExpandText;
  /** Polymorphic single-valued navigation (ownerid → team): the query for each further target table. */
  alternates: Map<string, ResolvedQuery>;
}

/**
 * "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship
 * or nested one-to-many relationship." (join-tables, Nested $expand on collection-valued navigation
 * properties, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables)
 */
export const EXPAND_OPTIONS_ERROR = 'Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship.';

/** Whether any $expand of the request has a $expand of its own ("If you use a nested $expand anywhere in your query"). */
function hasNestedExpand(expand: readonly ExpandText[]): boolean {
  return expand.some((e) => e.expand.length > 0);
}

export type JsonRecord = Record<string, unknown>;

function q(name: string): string {
  return quoteIdent(name);
}

/** `$select` names: `_x_value` for lookups, logical names otherwise. */
export function resolveSelect(model: MetadataModel, table: TableDef, names: readonly string[]): AttributeDef[] {
  const out: AttributeDef[] = [];
  for (const name of names) {
    const m = /^_(.+)_value$/.exec(name);
    const a = model.attribute(table.logicalName, m?.[1] ?? name);
    if (!a || (m ? !isLookupType(a.type) : isLookupType(a.type))) throw propertyNotFound(name, table.logicalName);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

function resolveOrder(model: MetadataModel, table: TableDef, text: string | undefined, alias: string): string {
  const parts: string[] = [];
  if (text !== undefined) {
    for (const item of splitTopLevel(text, ',')) {
      const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(item);
      if (!m?.[1]) throw queryError(`Syntax error in $orderby at '${item.trim()}'.`);
      const [attr] = resolveSelect(model, table, [m[1]]);
      if (!attr) throw propertyNotFound(m[1], table.logicalName);
      parts.push(`${alias}.${q(attr.logicalName)} ${m[2]?.toLowerCase() === 'desc' ? 'DESC' : 'ASC'}`);
    }
  }
  // The primary key breaks ties so pages never overlap or skip rows.
  parts.push(`${alias}.${q(table.primaryIdAttribute)} ASC`);
  return parts.join(', ');
}

export function resolveQuery(ctx: EngineContext, table: TableDef, text: QueryText, alias = 't', nestedMode?: boolean): ResolvedQuery {
  ctx.access.require('Read', table);
  const nestedExpand = nestedMode ?? hasNestedExpand(text.expand);
  const attrs = text.select ? resolveSelect(ctx.model, table, text.select) : table.attributes.slice();
  const params: SqlValue[] = [];
  let where: string | null = null;
  if (text.filter !== undefined) {
    const compiler = new FilterCompiler({ model: ctx.model, principal: ctx.principal, access: ctx.access, now: ctx.now, params, aliasSeq: { n: 0 } });
    where = compiler.compile(parseFilter(text.filter, ctx.aliases), table, alias);
  }
  const order = resolveOrder(ctx.model, table, text.orderby, alias);
  const expand: ResolvedExpand[] = text.expand.map((e) => {
    const nav = ctx.model.nav(table.logicalName, e.nav);
    if (!nav) throw propertyNotFound(e.nav, table.logicalName);
    const target = ctx.model.table(nav.target);
    if (!target) throw propertyNotFound(e.nav, table.logicalName);
    // $filter is allowed on a many-to-one expansion; $top/$orderby only on collections of a single-level $expand.
    if ((nav.kind === 'single' || nestedExpand) && (e.orderby !== undefined || e.top !== undefined)) throw queryError(EXPAND_OPTIONS_ERROR);
    const alternates = new Map<string, ResolvedQuery>();
    if (nav.kind === 'single') {
      for (const other of nav.targets.slice(1)) {
        const t = ctx.model.table(other);
        if (!t) continue;
        // The selected columns the other table has; a $filter or $expand written for the first target does not apply to it.
        const select = e.select?.filter((n) => ctx.model.attribute(other, n.replace(/^_(.+)_value$/, '$1')) !== undefined);
        alternates.set(other, resolveQuery(ctx, t, { ...(select ? { select } : {}), expand: [] }, 'x', nestedExpand));
      }
    }
    return { nav, text: e, alternates, query: resolveQuery(ctx, target, { ...e, expand: e.expand }, 'x', nestedExpand) };
  });
  return { table, selectNames: text.select ?? null, attrs, where, params, order, top: text.top, expand, nestedExpand };
}

/** `$select=…;$filter=…` of an expansion, as it appears inside `nav(...)`. */
function expandOptionEntries(e: ExpandText): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (e.select) out.push(['$select', e.select.join(',')]);
  if (e.filter !== undefined) out.push(['$filter', e.filter]);
  if (e.orderby !== undefined) out.push(['$orderby', e.orderby]);
  if (e.top !== undefined) out.push(['$top', String(e.top)]);
  if (e.expand.length) out.push(['$expand', e.expand.map(expandText).join(',')]);
  return out;
}

function expandText(e: ExpandText): string {
  const opts = expandOptionEntries(e);
  return opts.length ? `${e.nav}(${opts.map(([k, v]) => `${k}=${v}`).join(';')})` : e.nav;
}

/** Columns to read: what is output, plus the key, the version and anything the expansions join on. */
function columnsFor(query: ResolvedQuery, extra: readonly string[] = []): string[] {
  const cols = new Set<string>([query.table.primaryIdAttribute, 'versionnumber']);
  for (const a of query.attrs) cols.add(a.logicalName);
  for (const e of query.expand) if (e.nav.kind === 'single') cols.add(e.nav.attribute);
  for (const c of extra) cols.add(c);
  return [...cols].filter((c) => c === query.table.primaryIdAttribute || query.table.attributes.some((a) => a.logicalName === c));
}

function selectList(cols: readonly string[], alias: string): string {
  return cols.map((c) => `${alias}.${q(c)} AS ${q(c)}`).join(', ');
}

export function formatRecord(ctx: EngineContext, table: TableDef, attrs: readonly AttributeDef[], row: Row): JsonRecord {
  const out: JsonRecord = {};
  if (row.versionnumber !== null && row.versionnumber !== undefined) out['@odata.etag'] = `W/"${String(row.versionnumber)}"`;
  const ann = ctx.annotations;
  for (const a of attrs) {
    const v = visibleValue(ctx.principal, a, row[a.logicalName]);
    if (isLookupType(a.type)) {
      const key = `_${a.logicalName}_value`;
      if (typeof v === 'string' && ann.any) {
        const entry = ctx.store.names.get(v);
        if (entry) {
          if (ann.includes(FORMATTED) && entry.name !== null) out[`${key}@${FORMATTED}`] = entry.name;
          if (ann.includes(ASSOCIATED_NAV)) {
            const nav = ctx.model.navForLookup(table.logicalName, a.logicalName, entry.table);
            if (nav) out[`${key}@${ASSOCIATED_NAV}`] = nav;
          }
          if (ann.includes(LOOKUP_LOGICAL_NAME)) out[`${key}@${LOOKUP_LOGICAL_NAME}`] = entry.table;
        }
      }
      out[key] = typeof v === 'string' ? v : null;
      continue;
    }
    if (ann.any && ann.includes(FORMATTED)) {
      const f = formattedValue(a, v, ctx.principal.uiLanguageId);
      if (f !== undefined) out[`${a.logicalName}@${FORMATTED}`] = f;
    }
    out[a.logicalName] = toJsonValue(a, v);
  }
  if (!(table.primaryIdAttribute in out)) out[table.primaryIdAttribute] = row[table.primaryIdAttribute] ?? null;
  return out;
}

function inList(n: number): string {
  return new Array(n).fill('?').join(', ');
}

/**
 * Loads expansions for a page of rows and attaches them to the formatted records. `entitySet` is true
 * when the rows answer an EntitySet query: only then do single-level collection expansions carry
 * their `<nav>@odata.nextLink`.
 */
function expandInto(ctx: EngineContext, query: ResolvedQuery, rows: readonly Row[], records: JsonRecord[], entitySet: boolean): void {
  for (const e of query.expand) {
    if (e.nav.kind === 'single') expandSingle(ctx, e, rows, records, entitySet);
    else expandCollection(ctx, query, e, rows, records, entitySet);
  }
}

/** Related rows of one table by key, formatted; a $filter on the expansion leaves the non-matching ones out (the property is then null). */
function loadByIds(ctx: EngineContext, rq: ResolvedQuery, ids: string[], entitySet: boolean): Map<string, JsonRecord> {
  const out = new Map<string, JsonRecord>();
  if (ids.length === 0) return out;
  const key = rq.table.primaryIdAttribute;
  const where = rq.where ? ` AND ${rq.where}` : '';
  const found = ctx.store.all(`SELECT ${selectList(columnsFor(rq), 'x')} FROM ${q(rq.table.logicalName)} x WHERE x.${q(key)} IN (${inList(ids.length)})${where}`, [...ids, ...rq.params]);
  const recs = found.map((r) => formatRecord(ctx, rq.table, rq.attrs, r));
  expandInto(ctx, rq, found, recs, entitySet);
  found.forEach((r, i) => {
    const rec = recs[i];
    const id = r[key];
    if (rec && typeof id === 'string') out.set(id, rec);
  });
  return out;
}

function expandSingle(ctx: EngineContext, e: ResolvedExpand, rows: readonly Row[], records: JsonRecord[], entitySet: boolean): void {
  if (e.nav.kind !== 'single') return;
  const attribute = e.nav.attribute;
  const ids = [...new Set(rows.map((r) => r[attribute]).filter((v): v is string => typeof v === 'string'))];
  // A polymorphic lookup (ownerid: user or team) reads each target table for the ids that live in it.
  const byTable = new Map<string, string[]>();
  for (const id of ids) {
    const table = e.alternates.size ? (ctx.store.names.get(id)?.table ?? e.nav.target) : e.nav.target;
    byTable.set(table, [...(byTable.get(table) ?? []), id]);
  }
  const byId = new Map<string, JsonRecord>();
  for (const [table, list] of byTable) {
    const q = table === e.nav.target ? e.query : e.alternates.get(table);
    // An alternate target cannot match a $filter written for the first one.
    if (!q || (q !== e.query && e.query.where)) continue;
    for (const [id, rec] of loadByIds(ctx, q, list, entitySet)) byId.set(id, rec);
  }
  rows.forEach((r, i) => {
    const rec = records[i];
    if (!rec) return;
    const id = r[attribute];
    rec[e.nav.name] = typeof id === 'string' ? (byId.get(id) ?? null) : null;
  });
}

/**
 * A collection-valued expansion. Single-level $expand: no paging, up to 5000 rows (or $top) per
 * parent, and on EntitySet queries `<nav>@odata.nextLink` is the related collection's URL with the
 * expansion's options and no paging information. Under a nested $expand anywhere in the query, each
 * expanded collection is paged at `odata.maxpagesize`, and its nextLink carries a $skiptoken for the
 * rows after that page (join-tables, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables).
 */
function expandCollection(ctx: EngineContext, query: ResolvedQuery, e: ResolvedExpand, rows: readonly Row[], records: JsonRecord[], entitySet: boolean): void {
  const target = e.query.table;
  const key = target.primaryIdAttribute;
  const parentKey = query.table.primaryIdAttribute;
  const parentIds = rows.map((r) => r[parentKey]).filter((v): v is string => typeof v === 'string');
  const nested = query.nestedExpand;
  const limit = nested ? Math.min(ctx.paging?.pageSize ?? MAX_PAGE, MAX_PAGE) : Math.min(e.query.top ?? MAX_PAGE, MAX_PAGE);
  const children = new Map<string, { recs: JsonRecord[]; more: boolean }>();
  // The join-tables examples of a single-level expansion on an EntitySet show each child with the
  // lookup that points back at the parent (`_regardingobjectid_value`, `_parentcustomerid_value`).
  const back = !nested && entitySet && e.nav.kind === 'collection' ? ctx.model.attribute(target.logicalName, e.nav.attribute) : undefined;
  const attrs = back && !e.query.attrs.includes(back) ? [...e.query.attrs, back] : e.query.attrs;
  if (parentIds.length > 0) {
    const cols = columnsFor(e.query, back ? [back.logicalName] : []);
    let sql: string;
    const params: SqlValue[] = [];
    if (e.nav.kind === 'collection') {
      sql = `SELECT ${selectList(cols, 'x')}, x.${q(e.nav.attribute)} AS "__parent" FROM ${q(target.logicalName)} x WHERE x.${q(e.nav.attribute)} IN (${inList(parentIds.length)})`;
    } else if (e.nav.kind === 'manyToMany') {
      sql = `SELECT ${selectList(cols, 'x')}, i.${q(e.nav.selfColumn)} AS "__parent" FROM ${q(target.logicalName)} x JOIN ${q(e.nav.intersect)} i ON i.${q(e.nav.targetColumn)} = x.${q(key)} WHERE i.${q(e.nav.selfColumn)} IN (${inList(parentIds.length)})`;
    } else {
      return;
    }
    params.push(...parentIds);
    if (e.query.where) {
      sql += ` AND ${e.query.where}`;
      params.push(...e.query.params);
    }
    sql += ` ORDER BY ${e.query.order}`;
    const perParent = new Map<string, { rows: Row[]; more: boolean }>();
    for (const r of ctx.store.all(sql, params)) {
      const p = r.__parent;
      if (typeof p !== 'string') continue;
      const entry = perParent.get(p) ?? { rows: [], more: false };
      if (entry.rows.length < limit) entry.rows.push(r);
      else entry.more = true;
      perParent.set(p, entry);
    }
    for (const [p, entry] of perParent) {
      const recs = entry.rows.map((r) => formatRecord(ctx, target, attrs, r));
      expandInto(ctx, e.query, entry.rows, recs, entitySet);
      children.set(p, { recs, more: entry.more });
    }
  }
  rows.forEach((r, i) => {
    const rec = records[i];
    const id = r[parentKey];
    if (!rec) return;
    const found = typeof id === 'string' ? children.get(id) : undefined;
    rec[e.nav.name] = found?.recs ?? [];
    // On EntitySet queries every expanded collection carries the link (the nested example shows one with
    // paging information even for a single contact); a retrieved record only when rows remain.
    const link = typeof id === 'string' ? collectionLink(ctx, query.table, id, e, nested, entitySet || (nested && (found?.more ?? false)), limit) : undefined;
    if (link) rec[`${e.nav.name}@odata.nextLink`] = link;
  });
}

/** `accounts(<id>)/Account_Tasks?$select=subject`, plus a $skiptoken for the next page under a nested $expand. */
function collectionLink(ctx: EngineContext, parent: TableDef, id: string, e: ResolvedExpand, nested: boolean, wanted: boolean, pageSize: number): string | undefined {
  const paging = ctx.paging;
  if (!paging || !wanted) return undefined;
  const path = `${parent.entitySetName}(${id})/${e.nav.name}`;
  const entries = expandOptionEntries(e.text);
  const query = buildQueryString(entries);
  if (!nested) return `${paging.baseUrl}${path}${query ? `?${query}` : ''}`;
  const token = paging.issueToken(pageSize, `${path}?${query}`);
  return `${paging.baseUrl}${path}?${buildQueryString([...entries, ['$skiptoken', token]])}`;
}

export interface PageRequest {
  offset: number;
  pageSize: number;
  /** Extra condition (e.g. the parent key of a related collection). */
  scope?: { sql: string; params: SqlValue[] };
}

export interface PageResult {
  records: JsonRecord[];
  hasMore: boolean;
  count?: number;
}

function whereClause(query: ResolvedQuery, scope?: { sql: string; params: SqlValue[] }): { sql: string; params: SqlValue[] } {
  const conds: string[] = [];
  const params: SqlValue[] = [];
  if (scope) {
    conds.push(scope.sql);
    params.push(...scope.params);
  }
  if (query.where) {
    conds.push(query.where);
    params.push(...query.params);
  }
  return { sql: conds.length ? ` WHERE ${conds.join(' AND ')}` : '', params };
}

export function runCollection(ctx: EngineContext, query: ResolvedQuery, page: PageRequest, withCount: boolean): PageResult {
  const { sql: where, params } = whereClause(query, page.scope);
  const cols = columnsFor(query);
  const limited = query.top !== undefined;
  const limit = limited ? Math.min(query.top ?? 0, MAX_PAGE) : page.pageSize + 1;
  const offset = limited ? 0 : page.offset;
  const rows = ctx.store.all(
    `SELECT ${selectList(cols, 't')} FROM ${q(query.table.logicalName)} t${where} ORDER BY ${query.order} LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  const hasMore = !limited && rows.length > page.pageSize;
  if (hasMore) rows.pop();
  const records = rows.map((r) => formatRecord(ctx, query.table, query.attrs, r));
  expandInto(ctx, query, rows, records, true);
  const result: PageResult = { records, hasMore };
  if (withCount) {
    const c = ctx.store.get(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${q(query.table.logicalName)} t${where} LIMIT ${MAX_PAGE + 1})`, params);
    result.count = typeof c?.n === 'number' ? c.n : 0;
  }
  return result;
}

export function retrieveRecord(ctx: EngineContext, query: ResolvedQuery, id: string): JsonRecord {
  const cols = columnsFor(query);
  const rows = ctx.store.all(`SELECT ${selectList(cols, 't')} FROM ${q(query.table.logicalName)} t WHERE t.${q(query.table.primaryIdAttribute)} = ?`, [id]);
  const row = rows[0];
  if (!row) throw notFound(query.table.logicalName, id);
  const records = [formatRecord(ctx, query.table, query.attrs, row)];
  expandInto(ctx, query, rows, records, false);
  const rec = records[0];
  if (!rec) throw notFound(query.table.logicalName, id);
  return rec;
}

/**
 * `$metadata#accounts(name,revenue)`, `…#accounts(name,accountid,Account_Tasks(subject))`: the
 * selected properties as written, without the key that every row carries anyway (the examples of
 * select-columns and join-tables, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/select-columns).
 */
export function contextFragment(query: ResolvedQuery): string {
  const parts: string[] = [];
  if (query.selectNames) parts.push(...query.selectNames);
  for (const e of query.expand) {
    const inner = contextFragment(e.query);
    parts.push(`${e.nav.name}(${inner})`);
  }
  return parts.join(',');
}
