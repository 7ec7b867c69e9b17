/**
 * OData query building for the Dataverse Web API. `$filter` only accepts a `Filter`, and a
 * `Filter` can only be made by the functions below, which validate property names and escape every
 * literal. No caller can paste text into a query, so injection is impossible by construction.
 */

const FILTER = Symbol('odata.filter');

export interface Filter {
  readonly [FILTER]: true;
  readonly text: string;
}

export class ODataBuildError extends Error {
  override name = 'ODataBuildError';
}

const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const PATH = /^[A-Za-z_][A-Za-z0-9_]{0,127}(\/[A-Za-z_][A-Za-z0-9_]{0,127}){0,2}$/;
export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A property name or navigation path (`parentcustomerid_account/name`). */
export function prop(name: string): string {
  if (!PATH.test(name)) throw new ODataBuildError(`invalid property name: ${JSON.stringify(name.slice(0, 64))}`);
  return name;
}

function simpleProp(name: string): string {
  if (!PROPERTY.test(name)) throw new ODataBuildError(`invalid property name: ${JSON.stringify(name.slice(0, 64))}`);
  return name;
}

function make(text: string): Filter {
  return Object.freeze({ [FILTER]: true as const, text });
}

export function isFilter(value: unknown): value is Filter {
  return typeof value === 'object' && value !== null && (value as Filter)[FILTER] === true;
}

/** A literal value; strings are quoted with embedded quotes doubled. */
export type Literal = string | number | boolean | null | Date | GuidLiteral;

const GUID_LITERAL = Symbol('odata.guid');
export interface GuidLiteral {
  readonly [GUID_LITERAL]: string;
}

/** A GUID literal (unquoted in OData); throws unless `value` is a GUID. */
export function guid(value: string): GuidLiteral {
  if (!GUID.test(value)) throw new ODataBuildError(`not a GUID: ${JSON.stringify(value.slice(0, 64))}`);
  return { [GUID_LITERAL]: value.toLowerCase() };
}

export function literal(value: Literal): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ODataBuildError('numbers must be finite');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ODataBuildError('invalid date');
    return value.toISOString();
  }
  return value[GUID_LITERAL];
}

const compare =
  (op: string) =>
  (property: string, value: Literal): Filter =>
    make(`${prop(property)} ${op} ${literal(value)}`);

export const eq = compare('eq');
export const ne = compare('ne');
export const gt = compare('gt');
export const ge = compare('ge');
export const lt = compare('lt');
export const le = compare('le');

const stringFn =
  (fn: string) =>
  (property: string, text: string): Filter =>
    make(`${fn}(${prop(property)},${literal(text)})`);

export const contains = stringFn('contains');
export const startsWith = stringFn('startswith');
export const endsWith = stringFn('endswith');

/** Conditional parts read naturally as `flag && eq(...)`; falsy parts are skipped. */
type Part = Filter | undefined | null | false | '' | 0;

export function and(...parts: Part[]): Filter | undefined {
  const real = parts.filter(isFilter);
  if (real.length === 0) return undefined;
  if (real.length === 1) return real[0];
  return make(real.map((p) => `(${p.text})`).join(' and '));
}

export function or(...parts: Part[]): Filter | undefined {
  const real = parts.filter(isFilter);
  if (real.length === 0) return undefined;
  if (real.length === 1) return real[0];
  return make(real.map((p) => `(${p.text})`).join(' or '));
}

export function not(part: Filter): Filter {
  return make(`not (${part.text})`);
}

/** Dataverse query functions (`Microsoft.Dynamics.CRM.*`) that take a property and an optional value. */
export function queryFunction(
  name:
    | 'LastXHours'
    | 'LastXDays'
    | 'LastXWeeks'
    | 'LastXMonths'
    | 'NextXDays'
    | 'OlderThanXDays'
    | 'OlderThanXMonths'
    | 'Today'
    | 'Yesterday'
    | 'ThisWeek'
    | 'ThisMonth'
    | 'ThisYear'
    | 'On'
    | 'OnOrAfter'
    | 'OnOrBefore'
    | 'EqualUserId'
    | 'NotEqualUserId',
  property: string,
  value?: Literal,
): Filter {
  const args = [`PropertyName=${literal(simpleProp(property))}`];
  if (value !== undefined) args.push(`PropertyValue=${literal(value)}`);
  return make(`Microsoft.Dynamics.CRM.${name}(${args.join(',')})`);
}

/**
 * `Microsoft.Dynamics.CRM.In` / `NotIn`. `PropertyValues` is a `Collection(Edm.String)` read as a
 * JSON array: every value is a quoted string, GUIDs and numbers included, in double quotes so an
 * apostrophe inside a value cannot break the array
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/in and the
 * "filter rows" page: "use double quotes when a value contains an apostrophe").
 */
export function inList(property: string, values: ReadonlyArray<string | number | GuidLiteral>, negate = false): Filter {
  if (values.length === 0) throw new ODataBuildError('In needs at least one value');
  const list = values
    .map((v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new ODataBuildError('numbers must be finite');
      return JSON.stringify(typeof v === 'object' ? v[GUID_LITERAL] : String(v));
    })
    .join(',');
  return make(`Microsoft.Dynamics.CRM.${negate ? 'NotIn' : 'In'}(PropertyName=${literal(simpleProp(property))},PropertyValues=[${list}])`);
}

export interface Expand {
  /** Navigation property, e.g. `primarycontactid` or `contact_customer_accounts`. */
  nav: string;
  select: readonly string[];
  filter?: Filter;
  orderby?: readonly OrderBy[];
  top?: number;
}

export interface OrderBy {
  property: string;
  descending?: boolean;
}

export interface Query {
  select: readonly string[];
  filter?: Filter | undefined;
  orderby?: readonly OrderBy[] | undefined;
  top?: number | undefined;
  expand?: readonly Expand[] | undefined;
  count?: boolean | undefined;
}

function renderOrder(order: readonly OrderBy[]): string {
  return order.map((o) => `${prop(o.property)}${o.descending ? ' desc' : ' asc'}`).join(',');
}

function renderExpand(e: Expand): string {
  const inner: string[] = [];
  if (e.select.length) inner.push(`$select=${e.select.map(simpleProp).join(',')}`);
  if (e.filter) inner.push(`$filter=${e.filter.text}`);
  if (e.orderby?.length) inner.push(`$orderby=${renderOrder(e.orderby)}`);
  if (e.top !== undefined) inner.push(`$top=${positiveInt(e.top)}`);
  return `${simpleProp(e.nav)}${inner.length ? `(${inner.join(';')})` : ''}`;
}

function positiveInt(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 5000) throw new ODataBuildError('top must be an integer 0..5000');
  return n;
}

/** Renders query options as a URL query string (values percent-encoded, never form-encoded). */
export function renderQuery(q: Partial<Query>): string {
  const parts: string[] = [];
  const add = (k: string, v: string) => parts.push(`${k}=${encodeURIComponent(v)}`);
  if (q.select?.length) add('$select', q.select.map(simpleProp).join(','));
  if (q.filter) add('$filter', q.filter.text);
  if (q.orderby?.length) add('$orderby', renderOrder(q.orderby));
  if (q.top !== undefined) add('$top', String(positiveInt(q.top)));
  if (q.expand?.length) add('$expand', q.expand.map(renderExpand).join(','));
  if (q.count) add('$count', 'true');
  return parts.join('&');
}

/** One aggregate of `$apply`: `<property> with <method> as <alias>`, or `$count as <alias>`. */
export type AggregateItem = { property: string; method: 'sum' | 'average' | 'min' | 'max' | 'countdistinct'; as: string } | { count: true; as: string };

/** `$apply=filter(…)/groupby((…),aggregate(…))` (aggregate-data, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data). */
export interface Aggregation {
  filter?: Filter | undefined;
  groupBy: readonly string[];
  aggregate: readonly AggregateItem[];
}

/** The `$apply` query string of an aggregation, from typed parts only. */
export function renderApply(a: Aggregation): string {
  const items = a.aggregate.map((i) => ('count' in i ? `$count as ${simpleProp(i.as)}` : `${simpleProp(i.property)} with ${i.method} as ${simpleProp(i.as)}`));
  const agg = items.length ? `aggregate(${items.join(',')})` : '';
  const body = a.groupBy.length ? `groupby((${a.groupBy.map(simpleProp).join(',')})${agg ? `,${agg}` : ''})` : agg;
  if (!body) throw new ODataBuildError('an aggregation needs a group or an aggregate');
  return `$apply=${encodeURIComponent(a.filter ? `filter(${a.filter.text})/${body}` : body)}`;
}

/** `accounts(<guid>)`; throws unless id is a GUID. */
export function entityPath(entitySet: string, id: string): string {
  return `${simpleProp(entitySet)}(${literal(guid(id))})`;
}

/** `"/accounts(<guid>)"` for an `@odata.bind` value. */
export function bind(entitySet: string, id: string): string {
  return `/${entityPath(entitySet, id)}`;
}

/** The formatted label Dataverse returns next to a value when annotations are requested. */
export function formatted(row: Record<string, unknown>, property: string): string | undefined {
  const v = row[`${property}@OData.Community.Display.V1.FormattedValue`];
  return typeof v === 'string' ? v : undefined;
}
