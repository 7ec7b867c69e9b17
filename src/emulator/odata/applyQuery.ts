import { DataverseError, ErrorCode, propertyNotFound, queryError } from '../dataverseError.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import { canReadColumn } from '../security/fieldSecurity.js';
import { quoteIdent } from '../store/store.js';
import { type EngineContext, MAX_PAGE, resolveQuery, resolveSelect } from './queryEngine.js';
import { splitTopLevel } from './queryOptions.js';
import { FORMATTED, LOOKUP_LOGICAL_NAME, formattedValue, toJsonValue } from './values.js';

/**
 * `$apply` as Dataverse supports it (aggregate-data,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data):
 * `[filter(…)/]groupby((a,b)[,aggregate(…)])` or `[filter(…)/]aggregate(…)`, with
 * `x with sum|average|min|max|countdistinct as alias` and `$count as alias`. Its rules:
 * - "The aggregate functions are limited to a collection of 50,000 records"; past it Dataverse
 *   answers `0x8004E023` "AggregateQueryRecordLimit exceeded. Cannot perform this operation."
 *   (FetchXML aggregate-data, Limitations; the HTTP status is not documented, 400 here);
 * - "groupby with datetime values is not supported";
 * - "$orderby with aggregate values is not supported" ("The query node SingleValueOpenPropertyAccess is not supported.");
 * - "Null values aren't considered when calculating aggregate values" (FetchXML aggregate-data);
 * - aggregates carry formatted values like any column (the examples' `count@…FormattedValue: "8"`).
 */
export const AGGREGATE_RECORD_LIMIT = 50_000;

const FUNCTIONS: Record<string, string> = { sum: 'SUM', average: 'AVG', min: 'MIN', max: 'MAX', countdistinct: 'COUNT(DISTINCT' };
/** Aggregates that keep the column's type (and so its formatting). */
const SAME_TYPE = new Set(['sum', 'average', 'min', 'max']);
const COUNT_ATTR: AttributeDef = { logicalName: '$count', schemaName: '$count', type: 'Integer', displayName: '', description: '', requiredLevel: 'None', isCustom: false, validForCreate: false, validForUpdate: false, metadataId: '' };

interface Output {
  name: string;
  /** The SQL column of the result row. */
  key: string;
  /** How the value is typed and formatted. */
  attr: AttributeDef;
  group: boolean;
}

export interface ApplyResult {
  value: Array<Record<string, unknown>>;
}

export function runApply(ctx: EngineContext, table: TableDef, apply: string, options: { filter?: string; orderby?: string }): ApplyResult {
  if (options.filter !== undefined) throw queryError('Use filter() inside $apply instead of $filter together with $apply.');
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
    if (groupCols.length === 0) throw queryError(`The $apply expression '${apply}' groups by nothing.`);
    aggText = g[2];
  } else if (a?.[1] !== undefined) {
    aggText = a[1];
  } else {
    throw queryError(`The $apply expression '${apply}' is not supported. Supported: filter(...)/groupby((...),aggregate(...)) and aggregate(...).`);
  }
  const query = resolveQuery(ctx, table, { ...(filter !== undefined ? { filter } : {}), expand: [] });
  const groups = resolveSelect(ctx.model, table, groupCols);
  const dateGroup = groups.find((x) => x.type === 'DateTime');
  if (dateGroup) throw queryError(`groupby with datetime values is not supported ('${dateGroup.logicalName}').`);

  const column = (attr: AttributeDef) => (canReadColumn(ctx.principal, attr) ? `t.${quoteIdent(attr.logicalName)}` : 'NULL');
  const selects: string[] = [];
  const outputs: Output[] = [];
  groups.forEach((attr, i) => {
    selects.push(`${column(attr)} AS "g${i}"`);
    outputs.push({ name: isLookupType(attr.type) ? `_${attr.logicalName}_value` : attr.logicalName, key: `g${i}`, attr, group: true });
  });
  const items = aggText ? splitTopLevel(aggText, ',').map((s) => s.trim()).filter(Boolean) : [];
  items.forEach((item, i) => {
    const key = `a${i}`;
    const count = /^\$count\s+as\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(item);
    if (count?.[1]) {
      selects.push(`COUNT(*) AS "${key}"`);
      outputs.push({ name: count[1], key, attr: COUNT_ATTR, group: false });
      return;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+with\s+(sum|average|min|max|countdistinct)\s+as\s+([A-Za-z_][A-Za-z0-9_]*)$/.exec(item);
    if (!m?.[1] || !m[2] || !m[3]) throw queryError(`The aggregate expression '${item}' is not supported.`);
    const attr = ctx.model.attribute(table.logicalName, m[1].replace(/^_(.+)_value$/, '$1'));
    if (!attr) throw propertyNotFound(m[1], table.logicalName);
    const fn = FUNCTIONS[m[2]] ?? 'SUM';
    selects.push(`${fn}(${column(attr)})${fn.endsWith('DISTINCT') ? ')' : ''} AS "${key}"`);
    outputs.push({ name: m[3], key, attr: SAME_TYPE.has(m[2]) ? attr : COUNT_ATTR, group: false });
  });
  if (selects.length === 0) throw queryError('The $apply expression selects nothing.');
  const order = orderBy(options.orderby, outputs);

  const where = query.where ? ` WHERE ${query.where}` : '';
  const limit = ctx.aggregateRecordLimit ?? AGGREGATE_RECORD_LIMIT;
  const seen = ctx.store.get(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${quoteIdent(table.logicalName)} t${where} LIMIT ${limit + 1})`, query.params);
  if (typeof seen?.n === 'number' && seen.n > limit) {
    throw new DataverseError(400, ErrorCode.AggregateQueryRecordLimit, 'AggregateQueryRecordLimit exceeded. Cannot perform this operation.');
  }
  const group = groups.length ? ` GROUP BY ${groups.map((_, i) => `"g${i}"`).join(', ')}` : '';
  const rows = ctx.store.all(`SELECT ${selects.join(', ')} FROM ${quoteIdent(table.logicalName)} t${where}${group}${order} LIMIT ${MAX_PAGE}`, query.params);

  const formatted = ctx.annotations.includes(FORMATTED);
  const lookupNames = ctx.annotations.includes(LOOKUP_LOGICAL_NAME);
  const value = rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const o of outputs) {
      const v = r[o.key];
      if (isLookupType(o.attr.type)) {
        const entry = typeof v === 'string' ? ctx.store.names.get(v) : undefined;
        if (formatted && entry?.name) out[`${o.name}@${FORMATTED}`] = entry.name;
        if (lookupNames && entry) out[`${o.name}@${LOOKUP_LOGICAL_NAME}`] = entry.table;
      } else if (formatted) {
        const text = formattedValue(o.attr, v, ctx.principal.uiLanguageId);
        if (text !== undefined) out[`${o.name}@${FORMATTED}`] = text;
      }
      out[o.name] = toJsonValue(o.attr, v);
    }
    return out;
  });
  return { value };
}

/** `$orderby` on the grouped columns; an aggregate value cannot be ordered by. */
function orderBy(text: string | undefined, outputs: readonly Output[]): string {
  if (text === undefined) return '';
  const parts = splitTopLevel(text, ',').map((item) => {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/i.exec(item);
    if (!m?.[1]) throw queryError(`Syntax error in $orderby at '${item.trim()}'.`);
    const out = outputs.find((o) => o.name === m[1] || o.attr.logicalName === m[1]);
    if (!out) throw queryError(`Syntax error in $orderby at '${item.trim()}'.`);
    if (!out.group) throw queryError('The query node SingleValueOpenPropertyAccess is not supported.');
    return `"${out.key}" ${m[2]?.toLowerCase() === 'desc' ? 'DESC' : 'ASC'}`;
  });
  return ` ORDER BY ${parts.join(', ')}`;
}

