import { notFound, propertyNotFound, queryError } from '../dataverseError.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { AttributeDef, NavProperty, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { AccessChecker, Principal } from '../security/roles.js';
import type { Row, SqlValue, Store } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { parseFilter } from './filterParser.js';
import { FilterCompiler } from './filterCompiler.js';
import type { ExpandText } from './queryOptions.js';
import { splitTopLevel } from './queryOptions.js';
import type { AnnotationFilter } from './values.js';
import { ASSOCIATED_NAV, FORMATTED, LOOKUP_LOGICAL_NAME, formattedValue, toJsonValue } from './values.js';

export const MAX_PAGE = 5000;

/** Everything a query needs from the request and the emulator. */
export interface EngineContext {
  model: MetadataModel;
  store: Store;
  access: AccessChecker;
  principal: Principal;
  now: Date;
  annotations: AnnotationFilter;
  aliases: ReadonlyMap<string, string>;
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
}

interface ResolvedExpand {
  nav: NavProperty;
  query: ResolvedQuery;
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

export function resolveQuery(ctx: EngineContext, table: TableDef, text: QueryText, alias = 't'): ResolvedQuery {
  ctx.access.require('Read', table);
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
    if (nav.kind === 'single' && (e.filter !== undefined || e.orderby !== undefined || e.top !== undefined)) {
      throw queryError(`Only $select and $expand are supported on the single-valued navigation property '${e.nav}'.`);
    }
    return { nav, query: resolveQuery(ctx, target, { ...e, expand: e.expand }, 'x') };
  });
  return { table, selectNames: text.select ?? null, attrs, where, params, order, top: text.top, expand };
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
    const v = row[a.logicalName];
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
      const f = formattedValue(a, v);
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

/** Loads expansions for a page of rows and attaches them to the formatted records. */
function expandInto(ctx: EngineContext, query: ResolvedQuery, rows: readonly Row[], records: JsonRecord[]): void {
  for (const e of query.expand) {
    const target = e.query.table;
    const key = target.primaryIdAttribute;
    if (e.nav.kind === 'single') {
      const attribute = e.nav.attribute;
      const ids = [...new Set(rows.map((r) => r[attribute]).filter((v): v is string => typeof v === 'string'))];
      const byId = new Map<string, { row: Row; rec: JsonRecord }>();
      if (ids.length > 0) {
        const cols = columnsFor(e.query);
        const found = ctx.store.all(`SELECT ${selectList(cols, 'x')} FROM ${q(target.logicalName)} x WHERE x.${q(key)} IN (${inList(ids.length)})`, ids);
        const recs = found.map((r) => formatRecord(ctx, target, e.query.attrs, r));
        expandInto(ctx, e.query, found, recs);
        found.forEach((r, i) => {
          const rec = recs[i];
          if (rec && typeof r[key] === 'string') byId.set(r[key], { row: r, rec });
        });
      }
      rows.forEach((r, i) => {
        const rec = records[i];
        if (!rec) return;
        const id = r[attribute];
        rec[e.nav.name] = typeof id === 'string' ? (byId.get(id)?.rec ?? null) : null;
      });
      continue;
    }
    const parentKey = query.table.primaryIdAttribute;
    const parentIds = rows.map((r) => r[parentKey]).filter((v): v is string => typeof v === 'string');
    const children = new Map<string, JsonRecord[]>();
    if (parentIds.length > 0) {
      const cols = columnsFor(e.query);
      let sql: string;
      const params: SqlValue[] = [];
      if (e.nav.kind === 'collection') {
        sql = `SELECT ${selectList(cols, 'x')}, x.${q(e.nav.attribute)} AS "__parent" FROM ${q(target.logicalName)} x WHERE x.${q(e.nav.attribute)} IN (${inList(parentIds.length)})`;
      } else {
        sql = `SELECT ${selectList(cols, 'x')}, i.${q(e.nav.selfColumn)} AS "__parent" FROM ${q(target.logicalName)} x JOIN ${q(e.nav.intersect)} i ON i.${q(e.nav.targetColumn)} = x.${q(key)} WHERE i.${q(e.nav.selfColumn)} IN (${inList(parentIds.length)})`;
      }
      params.push(...parentIds);
      if (e.query.where) {
        sql += ` AND ${e.query.where}`;
        params.push(...e.query.params);
      }
      sql += ` ORDER BY ${e.query.order}`;
      const found = ctx.store.all(sql, params);
      const perParent = new Map<string, Row[]>();
      for (const r of found) {
        const p = r.__parent;
        if (typeof p !== 'string') continue;
        const list = perParent.get(p) ?? [];
        if (e.query.top === undefined || list.length < Math.min(e.query.top, MAX_PAGE)) list.push(r);
        perParent.set(p, list);
      }
      for (const [p, list] of perParent) {
        const recs = list.map((r) => formatRecord(ctx, target, e.query.attrs, r));
        expandInto(ctx, e.query, list, recs);
        children.set(p, recs);
      }
    }
    rows.forEach((r, i) => {
      const rec = records[i];
      const id = r[parentKey];
      if (rec) rec[e.nav.name] = typeof id === 'string' ? (children.get(id) ?? []) : [];
    });
  }
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
  expandInto(ctx, query, rows, records);
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
  expandInto(ctx, query, rows, records);
  const rec = records[0];
  if (!rec) throw notFound(query.table.logicalName, id);
  return rec;
}

/** `$metadata#leads(subject,leadid,parentaccountid(name))` */
export function contextFragment(query: ResolvedQuery): string {
  const parts: string[] = [];
  if (query.selectNames) {
    parts.push(...query.selectNames);
    if (!parts.includes(query.table.primaryIdAttribute)) parts.push(query.table.primaryIdAttribute);
  }
  for (const e of query.expand) {
    const inner = contextFragment(e.query);
    parts.push(`${e.nav.name}(${inner})`);
  }
  return parts.join(',');
}
