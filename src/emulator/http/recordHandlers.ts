import { DataverseError, ErrorCode, notFound, propertyNotFound, queryError } from '../dataverseError.js';
import type { AttributeDef, NavProperty, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { PageRequest, QueryText, ResolvedQuery } from '../odata/queryEngine.js';
import { MAX_PAGE, contextFragment, resolveQuery, retrieveRecord, runCollection } from '../odata/queryEngine.js';
import { parseQueryOptions } from '../odata/queryOptions.js';
import { buildQueryString } from '../odata/skipToken.js';
import { formattedValue, toJsonValue } from '../odata/values.js';
import { runSqlQuery } from '../sql/runSqlQuery.js';
import type { SqlValue } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { createRecord, deleteRecord, loadRow, updateRecord } from '../write/recordWriter.js';
import type { ApiResponse, RequestScope } from './apiTypes.js';

function etag(version: SqlValue | undefined): string {
  return `W/"${String(version)}"`;
}

function matchesEtag(header: string, current: string): boolean {
  return header
    .split(',')
    .map((s) => s.trim())
    .some((h) => h === '*' || h === current);
}

function appliedPreferences(scope: RequestScope, extra: string[] = []): Record<string, string> {
  const applied = [...extra];
  if (scope.req.prefer.includeAnnotations) applied.push(`odata.include-annotations="${scope.req.prefer.includeAnnotations}"`);
  return applied.length ? { 'Preference-Applied': applied.join(',') } : {};
}

/** The query options of this request, minus $skiptoken, in their original order. */
function queryEntries(scope: RequestScope): Array<[string, string]> {
  return [...scope.req.url.searchParams].filter(([k]) => k !== '$skiptoken');
}

/** Runs a collection query with server-driven paging, $count and nextLink. */
function collectionResponse(scope: RequestScope, contextPath: string, query: ResolvedQuery, withCount: boolean, skiptoken: string | undefined, restrict?: PageRequest['scope']): ApiResponse {
  const { req, core } = scope;
  const entries = queryEntries(scope);
  // Built only when paging needs it: the hot path ($top lists) never pays for it.
  let key: string | undefined;
  const scopeKey = () => (key ??= `${req.path}?${buildQueryString(entries)}`);
  const paged = query.top === undefined;
  const pageSize = Math.min(req.prefer.maxPageSize ?? MAX_PAGE, MAX_PAGE);
  const offset = skiptoken !== undefined ? core.skipTokens.read(skiptoken, scopeKey()) : 0;
  const page: PageRequest = { offset, pageSize, ...(restrict ? { scope: restrict } : {}) };
  const result = runCollection(scope.engine, query, page, withCount);
  const frag = contextFragment(query);
  const body: Record<string, unknown> = { '@odata.context': `${req.baseUrl}$metadata#${contextPath}${frag ? `(${frag})` : ''}` };
  if (withCount && result.count !== undefined) {
    body['@odata.count'] = Math.min(result.count, MAX_PAGE);
    if (result.count > MAX_PAGE) body['@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded'] = true;
  }
  body.value = result.records;
  if (paged && result.hasMore) {
    const token = core.skipTokens.issue(offset + result.records.length, scopeKey());
    body['@odata.nextLink'] = `${req.baseUrl}${req.path}?${buildQueryString([...entries, ['$skiptoken', token]])}`;
  }
  const extra = paged && req.prefer.maxPageSize !== undefined ? [`odata.maxpagesize=${req.prefer.maxPageSize}`] : [];
  return { status: 200, headers: appliedPreferences(scope, extra), body };
}

function queryText(scope: RequestScope): QueryText & { count: boolean; skiptoken?: string; apply?: string } {
  return parseQueryOptions(scope.req.url.searchParams);
}

export function listRecords(scope: RequestScope, table: TableDef): ApiResponse {
  const sql = scope.req.url.searchParams.get('sql');
  if (sql !== null) {
    scope.access.require('Read', table);
    const entries = queryEntries(scope);
    const scopeKey = `${scope.req.path}?${buildQueryString(entries)}`;
    const token = scope.req.url.searchParams.get('$skiptoken');
    const offset = token !== null ? scope.core.skipTokens.read(token, scopeKey) : 0;
    const pageSize = Math.min(scope.req.prefer.maxPageSize ?? MAX_PAGE, MAX_PAGE);
    const result = runSqlQuery(scope.engine, table, sql, { offset, pageSize });
    const body: Record<string, unknown> = { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}(${result.columns.join(',')})`, value: result.records };
    if (result.hasMore) {
      const next = scope.core.skipTokens.issue(offset + result.records.length, scopeKey);
      body['@odata.nextLink'] = `${scope.req.baseUrl}${scope.req.path}?${buildQueryString([...entries, ['$skiptoken', next]])}`;
    }
    return { status: 200, headers: appliedPreferences(scope, scope.req.prefer.maxPageSize ? [`odata.maxpagesize=${scope.req.prefer.maxPageSize}`] : []), body };
  }
  const opts = queryText(scope);
  if (opts.apply !== undefined) return applyResponse(scope, table, opts.apply, opts.filter);
  const query = resolveQuery(scope.engine, table, opts);
  return collectionResponse(scope, table.entitySetName, query, opts.count, opts.skiptoken);
}

/** `GET /accounts(<id>)/contact_customer_accounts` and `GET /contacts(<id>)/parentcustomerid_account`. */
export function getRelated(scope: RequestScope, table: TableDef, id: string, nav: NavProperty): ApiResponse {
  scope.access.require('Read', table);
  const parent = loadRow(scope.core.store, table, id);
  if (!parent) throw notFound(table.logicalName, id);
  const target = scope.core.model.table(nav.target);
  if (!target) throw propertyNotFound(nav.name, table.logicalName);
  const opts = queryText(scope);
  if (nav.kind === 'single') {
    const targetId = parent[nav.attribute];
    if (typeof targetId !== 'string' || scope.core.store.names.get(targetId)?.table !== target.logicalName) {
      return { status: 204 };
    }
    const query = resolveQuery(scope.engine, target, { ...opts, filter: undefined, orderby: undefined, top: undefined });
    const record = retrieveRecord(scope.engine, query, targetId);
    const frag = contextFragment(query);
    return { status: 200, headers: appliedPreferences(scope), body: { '@odata.context': `${scope.req.baseUrl}$metadata#${target.entitySetName}${frag ? `(${frag})` : ''}/$entity`, ...record } };
  }
  const query = resolveQuery(scope.engine, target, opts);
  const restrict =
    nav.kind === 'collection'
      ? { sql: `t.${quoteIdent(nav.attribute)} = ?`, params: [id] as SqlValue[] }
      : {
          sql: `t.${quoteIdent(target.primaryIdAttribute)} IN (SELECT ${quoteIdent(nav.targetColumn)} FROM ${quoteIdent(nav.intersect)} WHERE ${quoteIdent(nav.selfColumn)} = ?)`,
          params: [id] as SqlValue[],
        };
  return collectionResponse(scope, target.entitySetName, query, opts.count, opts.skiptoken, restrict);
}

export function getRecord(scope: RequestScope, table: TableDef, id: string): ApiResponse {
  const opts = queryText(scope);
  if (opts.filter !== undefined || opts.orderby !== undefined || opts.top !== undefined) {
    throw queryError('The query options $filter, $orderby and $top are not supported when retrieving a single record.');
  }
  const query = resolveQuery(scope.engine, table, opts);
  const record = retrieveRecord(scope.engine, query, id);
  const tag = typeof record['@odata.etag'] === 'string' ? record['@odata.etag'] : undefined;
  const ifNoneMatch = scope.req.headers['if-none-match'];
  if (tag && ifNoneMatch && matchesEtag(ifNoneMatch, tag)) return { status: 304, headers: { ETag: tag } };
  const frag = contextFragment(query);
  return {
    status: 200,
    headers: { ...appliedPreferences(scope), ...(tag ? { ETag: tag } : {}) },
    body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}${frag ? `(${frag})` : ''}/$entity`, ...record },
  };
}

/** `GET /accounts(<id>)/name` */
export function getProperty(scope: RequestScope, table: TableDef, id: string, property: string): ApiResponse {
  scope.access.require('Read', table);
  const m = /^_(.+)_value$/.exec(property);
  const a = scope.core.model.attribute(table.logicalName, m?.[1] ?? property);
  if (!a || (m ? !isLookupType(a.type) : isLookupType(a.type))) throw propertyNotFound(property, table.logicalName);
  const row = loadRow(scope.core.store, table, id);
  if (!row) throw notFound(table.logicalName, id);
  const value = row[a.logicalName];
  if (value === null || value === undefined) return { status: 204 };
  const body: Record<string, unknown> = { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}(${id})/${property}` };
  const f = scope.annotations.any ? formattedValue(a, value) : undefined;
  if (f !== undefined) body['value@OData.Community.Display.V1.FormattedValue'] = f;
  body.value = toJsonValue(a, value);
  return { status: 200, body };
}

function representation(scope: RequestScope, table: TableDef, id: string, status: number): ApiResponse {
  const opts = queryText(scope);
  const query = resolveQuery(scope.engine, table, { ...opts, filter: undefined, orderby: undefined, top: undefined });
  const record = retrieveRecord(scope.engine, query, id);
  const frag = contextFragment(query);
  return {
    status,
    headers: appliedPreferences(scope, ['return=representation']),
    body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}${frag ? `(${frag})` : ''}/$entity`, ...record },
  };
}

export function createHandler(scope: RequestScope, table: TableDef): ApiResponse {
  const id = createRecord(scope.write, table, scope.req.body);
  if (scope.req.prefer.returnRepresentation) return representation(scope, table, id, 201);
  return { status: 204, headers: { 'OData-EntityId': `${scope.req.baseUrl}${table.entitySetName}(${id})` } };
}

/** PATCH is an upsert unless If-Match says otherwise; If-None-Match: * refuses to update. */
export function upsertHandler(scope: RequestScope, table: TableDef, id: string): ApiResponse {
  const { store } = scope.core;
  const current = loadRow(store, table, id);
  const ifMatch = scope.req.headers['if-match'];
  const ifNoneMatch = scope.req.headers['if-none-match'];
  if (current) {
    if (ifNoneMatch?.trim() === '*') throw new DataverseError(412, ErrorCode.DuplicateRecord, 'A record with matching key values already exists.');
    if (ifMatch && !matchesEtag(ifMatch, etag(current.versionnumber))) {
      throw new DataverseError(412, ErrorCode.ConcurrencyMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
    }
    updateRecord(scope.write, table, id, scope.req.body, current);
    if (scope.req.prefer.returnRepresentation) return representation(scope, table, id, 200);
    return { status: 204, headers: { 'OData-EntityId': `${scope.req.baseUrl}${table.entitySetName}(${id})` } };
  }
  if (ifMatch) throw notFound(table.logicalName, id);
  createRecord(scope.write, table, scope.req.body, { id });
  if (scope.req.prefer.returnRepresentation) return representation(scope, table, id, 201);
  return { status: 204, headers: { 'OData-EntityId': `${scope.req.baseUrl}${table.entitySetName}(${id})` } };
}

export function deleteHandler(scope: RequestScope, table: TableDef, id: string): ApiResponse {
  const current = loadRow(scope.core.store, table, id);
  scope.access.require('Delete', table);
  if (!current) throw notFound(table.logicalName, id);
  const ifMatch = scope.req.headers['if-match'];
  if (ifMatch && !matchesEtag(ifMatch, etag(current.versionnumber))) {
    throw new DataverseError(412, ErrorCode.ConcurrencyMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
  }
  deleteRecord(scope.write, table, id);
  return { status: 204 };
}

/** A small `$apply`: `groupby((a,b),aggregate(x with sum as total,$count as n))` and `aggregate(...)`, optionally after `filter(...)`. */
function applyResponse(scope: RequestScope, table: TableDef, apply: string, outerFilter: string | undefined): ApiResponse {
  if (outerFilter !== undefined) throw queryError('Use filter() inside $apply instead of $filter together with $apply.');
  let text = apply.trim();
  let filter: string | undefined;
  const f = /^filter\((.*)\)\/(.*)$/s.exec(text);
  if (f?.[1] !== undefined && f[2] !== undefined) {
    filter = f[1];
    text = f[2].trim();
  }
  let groupCols: string[] = [];
  let aggText: string | undefined;
  const g = /^groupby\(\(([^)]*)\)(?:\s*,\s*aggregate\((.*)\))?\)$/s.exec(text);
  const a = /^aggregate\((.*)\)$/s.exec(text);
  if (g?.[1] !== undefined) {
    groupCols = g[1].split(',').map((s) => s.trim()).filter(Boolean);
    aggText = g[2];
  } else if (a?.[1] !== undefined) {
    aggText = a[1];
  } else {
    throw queryError(`The $apply expression '${apply}' is not supported. Supported: filter(...)/groupby((...),aggregate(...)) and aggregate(...).`);
  }
  const query = resolveQuery(scope.engine, table, { ...(filter !== undefined ? { filter } : {}), select: groupCols.length ? groupCols : undefined, expand: [] });
  const selects: string[] = [];
  const outputs: Array<{ name: string; attr?: AttributeDef }> = [];
  for (const attr of query.attrs.filter((x) => groupCols.length > 0 && groupCols.some((c) => c === x.logicalName || c === `_${x.logicalName}_value`))) {
    selects.push(`t.${quoteIdent(attr.logicalName)} AS ${quoteIdent(attr.logicalName)}`);
    outputs.push({ name: isLookupType(attr.type) ? `_${attr.logicalName}_value` : attr.logicalName, attr });
  }
  const fnMap: Record<string, string> = { sum: 'SUM', average: 'AVG', min: 'MIN', max: 'MAX', countdistinct: 'COUNT(DISTINCT' };
  for (const item of aggText ? aggText.split(',').map((s) => s.trim()).filter(Boolean) : []) {
    const count = /^\$count\s+as\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(item);
    if (count?.[1]) {
      selects.push(`COUNT(*) AS ${quoteIdent(count[1])}`);
      outputs.push({ name: count[1] });
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+with\s+(sum|average|min|max|countdistinct)\s+as\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(item);
    if (!m?.[1] || !m[2] || !m[3]) throw queryError(`The aggregate expression '${item}' is not supported.`);
    const attr = scope.core.model.attribute(table.logicalName, m[1].replace(/^_(.+)_value$/, '$1'));
    if (!attr) throw propertyNotFound(m[1], table.logicalName);
    const fn = fnMap[m[2]] ?? 'SUM';
    selects.push(`${fn}(t.${quoteIdent(attr.logicalName)})${fn.endsWith('DISTINCT') ? ')' : ''} AS ${quoteIdent(m[3])}`);
    outputs.push({ name: m[3] });
  }
  if (selects.length === 0) throw queryError('The $apply expression selects nothing.');
  const where = query.where ? ` WHERE ${query.where}` : '';
  const group = groupCols.length ? ` GROUP BY ${query.attrs.map((x) => `t.${quoteIdent(x.logicalName)}`).join(', ')}` : '';
  const rows = scope.core.store.all(`SELECT ${selects.join(', ')} FROM ${quoteIdent(table.logicalName)} t${where}${group} LIMIT ${MAX_PAGE}`, query.params);
  const value = rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const o of outputs) {
      const key = o.attr ? o.attr.logicalName : o.name;
      const v = r[key];
      if (o.attr && scope.annotations.any) {
        const f = isLookupType(o.attr.type) ? (typeof v === 'string' ? scope.core.store.names.get(v)?.name : undefined) : formattedValue(o.attr, v);
        if (f) out[`${o.name}@OData.Community.Display.V1.FormattedValue`] = f;
      }
      out[o.name] = o.attr ? toJsonValue(o.attr, v) : (v ?? null);
    }
    return out;
  });
  return { status: 200, headers: appliedPreferences(scope), body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}`, value } };
}
