import { DataverseError, ErrorCode, notFound, propertyNotFound, queryError } from '../dataverseError.js';
import type { NavProperty, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { PageRequest, QueryText, ResolvedQuery } from '../odata/queryEngine.js';
import { MAX_PAGE, contextFragment, resolveQuery, retrieveRecord, runCollection } from '../odata/queryEngine.js';
import { runApply } from '../odata/applyQuery.js';
import { parseQueryOptions } from '../odata/queryOptions.js';
import { buildQueryString } from '../odata/skipToken.js';
import { FORMATTED, TOTAL_RECORD_COUNT, TOTAL_RECORD_COUNT_LIMIT_EXCEEDED, formattedValue, toJsonValue } from '../odata/values.js';
import { runSqlQuery } from '../sql/runSqlQuery.js';
import type { SqlValue } from '../store/store.js';
import { quoteIdent } from '../store/store.js';
import { createRecord, deleteRecord, loadRow, updateRecord } from '../write/recordWriter.js';
import { visibleValue } from '../security/fieldSecurity.js';
import type { ApiResponse, RequestScope } from './apiTypes.js';

/** "Dataverse generates a weakly validating @odata.etag property for every entity instance" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api). */
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
function collectionResponse(scope: RequestScope, contextPath: string, resolved: ResolvedQuery, withCount: boolean, skiptoken: string | undefined, restrict?: PageRequest['scope']): ApiResponse {
  const { req, core } = scope;
  const entries = queryEntries(scope);
  // Built only when paging needs it: the hot path ($top lists) never pays for it.
  let key: string | undefined;
  const scopeKey = () => (key ??= `${req.path}?${buildQueryString(entries)}`);
  // "Don't use $top with the Prefer: odata.maxpagesize request header. If you include both, $top is
  // ignored." (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results)
  const query = req.prefer.maxPageSize !== undefined ? { ...resolved, top: undefined } : resolved;
  const paged = query.top === undefined;
  const pageSize = Math.min(req.prefer.maxPageSize ?? MAX_PAGE, MAX_PAGE);
  const offset = skiptoken !== undefined ? core.skipTokens.read(skiptoken, scopeKey()) : 0;
  const page: PageRequest = { offset, pageSize, ...(restrict ? { scope: restrict } : {}) };
  const result = runCollection(scope.engine, query, page, withCount);
  const frag = contextFragment(query);
  const body: Record<string, unknown> = { '@odata.context': `${req.baseUrl}$metadata#${contextPath}${frag ? `(${frag})` : ''}` };
  Object.assign(body, countAnnotations(scope, withCount ? result.count : undefined));
  body.value = result.records;
  if (paged && result.hasMore) {
    const token = core.skipTokens.issue(offset + result.records.length, scopeKey());
    body['@odata.nextLink'] = `${req.baseUrl}${req.path}?${buildQueryString([...entries, ['$skiptoken', token]])}`;
  }
  const extra = paged && req.prefer.maxPageSize !== undefined ? [`odata.maxpagesize=${req.prefer.maxPageSize}`] : [];
  return { status: 200, headers: appliedPreferences(scope, extra), body };
}

/**
 * `$count=true` gives `@odata.count`, "the number of rows, up to 5,000"; the total-record-count
 * annotations come only when `Prefer: odata.include-annotations` asks for them: the count (capped at
 * 5000) and whether it exceeds 5000, or -1 without `$count=true`
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/count-rows).
 */
function countAnnotations(scope: RequestScope, count: number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (count !== undefined) out['@odata.count'] = Math.min(count, MAX_PAGE);
  if (scope.annotations.includes(TOTAL_RECORD_COUNT)) out[`@${TOTAL_RECORD_COUNT}`] = count === undefined ? -1 : Math.min(count, MAX_PAGE);
  if (scope.annotations.includes(TOTAL_RECORD_COUNT_LIMIT_EXCEEDED)) out[`@${TOTAL_RECORD_COUNT_LIMIT_EXCEEDED}`] = count !== undefined && count > MAX_PAGE;
  return out;
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
  if (opts.apply !== undefined) {
    const result = runApply(scope.engine, table, opts.apply, { ...(opts.filter !== undefined && { filter: opts.filter }), ...(opts.orderby !== undefined && { orderby: opts.orderby }) });
    return { status: 200, headers: appliedPreferences(scope), body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}`, value: result.value } };
  }
  const query = resolveQuery(scope.engine, table, opts);
  return collectionResponse(scope, table.entitySetName, query, opts.count, opts.skiptoken);
}

/**
 * `GET /accounts(<id>)/contact_customer_accounts` (the filtered collection of a relationship) and
 * `GET /contacts(<id>)/parentcustomerid_account` (retrieve-entity-using-web-api, Retrieve navigation
 * property values, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api).
 */
export function getRelated(scope: RequestScope, table: TableDef, id: string, nav: NavProperty): ApiResponse {
  scope.access.require('Read', table);
  const parent = loadRow(scope.core.store, table, id);
  if (!parent) throw notFound(table.logicalName, id);
  const target = scope.core.model.table(nav.target);
  if (!target) throw propertyNotFound(nav.name, table.logicalName);
  const opts = queryText(scope);
  if (nav.kind === 'single') {
    const targetId = parent[nav.attribute];
    // A polymorphic lookup (ownerid) answers with the row of whichever target table holds it.
    const actual = typeof targetId === 'string' ? scope.core.store.names.get(targetId)?.table : undefined;
    const actualTable = actual && nav.targets.includes(actual) ? scope.core.model.table(actual) : undefined;
    if (typeof targetId !== 'string' || !actualTable) return { status: 204 };
    const query = resolveQuery(scope.engine, actualTable, { ...opts, filter: undefined, orderby: undefined, top: undefined });
    const record = retrieveRecord(scope.engine, query, targetId);
    const frag = contextFragment(query);
    return { status: 200, headers: appliedPreferences(scope), body: { '@odata.context': `${scope.req.baseUrl}$metadata#${actualTable.entitySetName}${frag ? `(${frag})` : ''}/$entity`, ...record } };
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

/** `GET /accounts(<id>)?$select=…&$expand=…` (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api). */
export function getRecord(scope: RequestScope, table: TableDef, id: string): ApiResponse {
  const opts = queryText(scope);
  if (opts.filter !== undefined || opts.orderby !== undefined || opts.top !== undefined) {
    throw queryError('The query options $filter, $orderby and $top are not supported when retrieving a single record.');
  }
  const query = resolveQuery(scope.engine, table, opts);
  const record = retrieveRecord(scope.engine, query, id);
  const tag = typeof record['@odata.etag'] === 'string' ? record['@odata.etag'] : undefined;
  const ifNoneMatch = scope.req.headers['if-none-match'];
  // "If the query includes $expand it will never return 304 Not Modified", nor with
  // Prefer: odata.include-annotations (conditional retrievals,
  // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api).
  const conditional = query.expand.length === 0 && !scope.req.prefer.includeAnnotations;
  if (conditional && tag && ifNoneMatch && matchesEtag(ifNoneMatch, tag)) return { status: 304, headers: { ETag: tag } };
  const frag = contextFragment(query);
  return {
    status: 200,
    headers: { ...appliedPreferences(scope), ...(tag ? { ETag: tag } : {}) },
    body: { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}${frag ? `(${frag})` : ''}/$entity`, ...record },
  };
}

/** `GET /accounts(<id>)/name` → `{"@odata.context": "…#accounts(<id>)/name", "value": …}` (retrieve-entity-using-web-api, Retrieve a single property value). */
export function getProperty(scope: RequestScope, table: TableDef, id: string, property: string): ApiResponse {
  scope.access.require('Read', table);
  const m = /^_(.+)_value$/.exec(property);
  const a = scope.core.model.attribute(table.logicalName, m?.[1] ?? property);
  if (!a || (m ? !isLookupType(a.type) : isLookupType(a.type))) throw propertyNotFound(property, table.logicalName);
  const row = loadRow(scope.core.store, table, id);
  if (!row) throw notFound(table.logicalName, id);
  const value = visibleValue(scope.req.principal, a, row[a.logicalName]);
  if (value === null || value === undefined) return { status: 204 };
  const body: Record<string, unknown> = { '@odata.context': `${scope.req.baseUrl}$metadata#${table.entitySetName}(${id})/${property}` };
  const f = scope.annotations.includes(FORMATTED) ? formattedValue(a, value, scope.req.principal.uiLanguageId) : undefined;
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

/**
 * `POST /accounts` → 204 with OData-EntityId, or with `Prefer: return=representation` 201 with the
 * row and no OData-EntityId (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api).
 */
export function createHandler(scope: RequestScope, table: TableDef): ApiResponse {
  const id = createRecord(scope.write, table, scope.req.body);
  if (scope.req.prefer.returnRepresentation) return representation(scope, table, id, 201);
  return { status: 204, headers: { 'OData-EntityId': `${scope.req.baseUrl}${table.entitySetName}(${id})` } };
}

/**
 * PATCH is an upsert unless If-Match says otherwise; If-None-Match: * refuses to update (412 "A record
 * with matching key values already exists."); If-Match: * on a missing row is 404; a stale If-Match
 * is 412 ("Limit upsert operations", "Apply optimistic concurrency",
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api).
 */
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

/** `DELETE /accounts(<id>)` → 204; a stale If-Match → 412 (perform-conditional-operations-using-web-api, Apply optimistic concurrency on delete). */
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
