import { addDays, addMonths, startOfUtcDay, toDateOnly, toIso } from '../clock.js';
import { propertyNotFound, queryError } from '../dataverseError.js';
import type { MetadataModel } from '../metadata/metadataModel.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { isLookupType } from '../metadata/types.js';
import type { AccessChecker, Principal } from '../security/roles.js';
import type { SqlValue } from '../store/store.js';
import { canReadColumn } from '../security/fieldSecurity.js';
import { quoteIdent } from '../store/store.js';
import type { CompareOp, FilterNode, Literal, Operand } from './filterParser.js';
import { edmType } from './values.js';

/** What a $filter translation needs; `params` collects bound values in order. */
export interface SqlContext {
  model: MetadataModel;
  principal: Principal;
  access: AccessChecker;
  now: Date;
  params: SqlValue[];
  aliasSeq: { n: number };
}

interface Scope {
  table: TableDef;
  alias: string;
  /** Lambda variables in scope (`c` in `nav/any(c: c/name eq 'x')`). */
  variables: Map<string, { table: TableDef; alias: string }>;
}

interface ResolvedValue {
  sql: string;
  attr: AttributeDef;
  edm: string;
}

const OP_SQL: Record<CompareOp, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };
const OP_KIND: Record<CompareOp, string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
};

function literalEdm(l: Literal): string {
  switch (l.type) {
    case 'string':
      return 'Edm.String';
    case 'number':
      return l.integer ? (Math.abs(l.value) > 2147483647 ? 'Edm.Int64' : 'Edm.Int32') : 'Edm.Decimal';
    case 'boolean':
      return 'Edm.Boolean';
    case 'guid':
      return 'Edm.Guid';
    case 'datetime':
      return 'Edm.DateTimeOffset';
    case 'date':
      return 'Edm.Date';
    case 'null':
      return 'null';
    case 'enum':
      return l.typeName;
  }
}

function incompatible(a: string, b: string, op: CompareOp): never {
  throw queryError(`A binary operator with incompatible types was detected. Found operand types '${a}' and '${b}' for operator kind '${OP_KIND[op]}'.`);
}

/** Converts a literal to the stored representation of a column, or refuses it the way OData does. */
export function literalToColumn(attr: AttributeDef, l: Literal, op: CompareOp = 'eq'): SqlValue {
  const edm = edmType(attr);
  const fail = (): never => incompatible(edm, literalEdm(l), op);
  switch (edm) {
    case 'Edm.String':
      return l.type === 'string' ? l.value : fail();
    case 'Edm.Int32':
    case 'Edm.Int64':
      return l.type === 'number' && l.integer ? l.value : fail();
    case 'Edm.Decimal':
    case 'Edm.Double':
      return l.type === 'number' ? l.value : fail();
    case 'Edm.Boolean':
      return l.type === 'boolean' ? (l.value ? 1 : 0) : fail();
    case 'Edm.Guid':
      return l.type === 'guid' ? l.value : fail();
    case 'Edm.DateTimeOffset':
      if (l.type === 'datetime' || l.type === 'date') return toIso(parseDate(l.value));
      return fail();
    case 'Edm.Date':
      if (l.type === 'date') return l.value;
      if (l.type === 'datetime') return toDateOnly(parseDate(l.value));
      return fail();
    default:
      return fail();
  }
}

function parseDate(value: string): Date {
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw queryError(`The DateTimeOffset text '${value}' is not valid.`);
  return d;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function containsQueryFunction(n: FilterNode): boolean {
  switch (n.kind) {
    case 'queryFunction':
      return true;
    case 'and':
    case 'or':
      return containsQueryFunction(n.left) || containsQueryFunction(n.right);
    case 'not':
      return containsQueryFunction(n.operand);
    case 'lambda':
      return n.predicate ? containsQueryFunction(n.predicate) : false;
    default:
      return false;
  }
}

export class FilterCompiler {
  constructor(private readonly ctx: SqlContext) {}

  compile(node: FilterNode, table: TableDef, alias: string): string {
    return this.node(node, { table, alias, variables: new Map() });
  }

  private nextAlias(): string {
    this.ctx.aliasSeq.n++;
    return `n${this.ctx.aliasSeq.n}`;
  }

  private bind(v: SqlValue): string {
    this.ctx.params.push(v);
    return '?';
  }

  private node(n: FilterNode, scope: Scope): string {
    switch (n.kind) {
      case 'and':
      case 'or':
        return `(${this.node(n.left, scope)} ${n.kind.toUpperCase()} ${this.node(n.right, scope)})`;
      case 'not':
        // "you cannot use the not operator to negate query functions … Not operator along with the
        // Custom Named Condition operators is not allowed" (use-web-api-functions, Limitations of
        // query functions, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions).
        if (containsQueryFunction(n.operand)) throw queryError('Not operator along with the Custom Named Condition operators is not allowed');
        // OData's not() is two-valued: a comparison with a null column is false, so its negation is true.
        return `(NOT COALESCE(${this.node(n.operand, scope)}, 0))`;
      case 'compare':
        return this.compare(n.op, n.left, n.right, scope);
      case 'call':
        return this.stringFunction(n.name, n.args, scope);
      case 'queryFunction':
        return this.queryFunction(n.name, n.params, scope);
      case 'lambda':
        return this.lambda(n, scope);
      case 'boolPath': {
        const v = this.resolve(n.segments, scope);
        if (v.edm !== 'Edm.Boolean') throw queryError(`The $filter expression must evaluate to a single boolean value.`);
        return `(${v.sql} = 1)`;
      }
    }
  }

  /**
   * Resolves a property path to an SQL expression. `primarycontactid/createdby/fullname` (filter-rows,
   * Filter using lookup column property values) becomes a correlated subquery per hop.
   */
  private resolve(segments: string[], scope: Scope): ResolvedValue {
    let table = scope.table;
    let alias = scope.alias;
    let rest = segments;
    const first = segments[0];
    if (first !== undefined && scope.variables.has(first)) {
      const v = scope.variables.get(first);
      if (v) {
        table = v.table;
        alias = v.alias;
        rest = segments.slice(1);
      }
    }
    if (rest.length === 0) throw queryError(`The lambda variable '${first}' cannot be used on its own.`);
    return this.resolveFrom(rest, table, alias);
  }

  private resolveFrom(segments: string[], table: TableDef, alias: string): ResolvedValue {
    const [head, ...tail] = segments;
    if (head === undefined) throw queryError('Empty property path.');
    if (tail.length === 0) {
      const attr = this.attributeFor(table, head);
      // A secured column the caller may not read compares as empty (column-level security).
      return { sql: canReadColumn(this.ctx.principal, attr) ? `${alias}.${quoteIdent(attr.logicalName)}` : 'NULL', attr, edm: edmType(attr) };
    }
    const nav = this.ctx.model.nav(table.logicalName, head);
    if (!nav) throw propertyNotFound(head, table.logicalName);
    if (nav.kind !== 'single') {
      throw queryError(`The navigation property '${head}' is collection-valued; use any() or all() to filter on it.`);
    }
    const target = this.ctx.model.table(nav.target);
    if (!target) throw propertyNotFound(head, table.logicalName);
    this.ctx.access.require('Read', target);
    const inner = this.nextAlias();
    const value = this.resolveFrom(tail, target, inner);
    return {
      sql: `(SELECT ${value.sql} FROM ${quoteIdent(target.logicalName)} ${inner} WHERE ${inner}.${quoteIdent(target.primaryIdAttribute)} = ${alias}.${quoteIdent(nav.attribute)})`,
      attr: value.attr,
      edm: value.edm,
    };
  }

  /** `_x_value` for lookups, the logical name for everything else; a bare lookup name is unknown, as in Dataverse. */
  private attributeFor(table: TableDef, name: string): AttributeDef {
    const m = /^_(.+)_value$/.exec(name);
    if (m?.[1]) {
      const a = this.ctx.model.attribute(table.logicalName, m[1]);
      if (a && isLookupType(a.type)) return a;
      throw propertyNotFound(name, table.logicalName);
    }
    const a = this.ctx.model.attribute(table.logicalName, name);
    if (!a || isLookupType(a.type)) throw propertyNotFound(name, table.logicalName);
    return a;
  }

  private compare(op: CompareOp, left: Operand, right: Operand, scope: Scope): string {
    if (left.kind === 'literal' && right.kind === 'literal') {
      throw queryError(`Comparisons between two literals are not supported in $filter.`);
    }
    if (left.kind === 'literal' && right.kind === 'path') {
      const flipped: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
      return this.compare(flipped[op], right, left, scope);
    }
    if (left.kind !== 'path') throw queryError('Invalid comparison.');
    const lv = this.resolve(left.segments, scope);
    if (right.kind === 'path') {
      const rv = this.resolve(right.segments, scope);
      if (lv.edm !== rv.edm) incompatible(lv.edm, rv.edm, op);
      return `(${lv.sql} ${OP_SQL[op]} ${rv.sql})`;
    }
    const lit = right.literal;
    if (lit.type === 'null') {
      if (op === 'eq') return `(${lv.sql} IS NULL)`;
      if (op === 'ne') return `(${lv.sql} IS NOT NULL)`;
      incompatible(lv.edm, 'null', op);
    }
    const value = literalToColumn(lv.attr, lit, op);
    return `(${lv.sql} ${OP_SQL[op]} ${this.bind(value)})`;
  }

  private stringFunction(name: 'contains' | 'startswith' | 'endswith', args: Operand[], scope: Scope): string {
    const [target, needle] = args;
    if (target?.kind !== 'path' || needle?.kind !== 'literal' || needle.literal.type !== 'string') {
      throw queryError(`The function '${name}' requires a string property and a string literal.`);
    }
    const v = this.resolve(target.segments, scope);
    if (v.edm !== 'Edm.String') throw queryError(`No function signature for the function with name '${name}' matches the specified arguments. The function signatures considered are: ${name}(Edm.String Nullable=true, Edm.String).`);
    const text = escapeLike(needle.literal.value);
    const pattern = name === 'contains' ? `%${text}%` : name === 'startswith' ? `${text}%` : `%${text}`;
    return `(${v.sql} LIKE ${this.bind(pattern)} ESCAPE '\\')`;
  }

  /** `nav/any(c: …)` and `all` on collection-valued navigation properties (filter-rows, Filter using values of related collections). */
  private lambda(n: Extract<FilterNode, { kind: 'lambda' }>, scope: Scope): string {
    if (n.path.length !== 1 || n.path[0] === undefined) throw queryError(`Lambda operators are supported on a collection-valued navigation property of the queried table.`);
    const navName = n.path[0];
    const nav = this.ctx.model.nav(scope.table.logicalName, navName);
    if (!nav || nav.kind === 'single') throw propertyNotFound(navName, scope.table.logicalName);
    const target = this.ctx.model.table(nav.target);
    if (!target) throw propertyNotFound(navName, scope.table.logicalName);
    this.ctx.access.require('Read', target);
    const inner = this.nextAlias();
    let join: string;
    if (nav.kind === 'collection') {
      join = `${inner}.${quoteIdent(nav.attribute)} = ${scope.alias}.${quoteIdent(scope.table.primaryIdAttribute)}`;
    } else {
      const i = this.nextAlias();
      join = `${inner}.${quoteIdent(target.primaryIdAttribute)} IN (SELECT ${i}.${quoteIdent(nav.targetColumn)} FROM ${quoteIdent(nav.intersect)} ${i} WHERE ${i}.${quoteIdent(nav.selfColumn)} = ${scope.alias}.${quoteIdent(scope.table.primaryIdAttribute)})`;
    }
    const innerScope: Scope = { table: scope.table, alias: scope.alias, variables: new Map(scope.variables) };
    if (n.variable) innerScope.variables.set(n.variable, { table: target, alias: inner });
    const from = `FROM ${quoteIdent(target.logicalName)} ${inner} WHERE ${join}`;
    if (!n.predicate) return `EXISTS (SELECT 1 ${from})`;
    const predicate = this.node(n.predicate, innerScope);
    return n.op === 'any' ? `EXISTS (SELECT 1 ${from} AND ${predicate})` : `NOT EXISTS (SELECT 1 ${from} AND NOT COALESCE(${predicate}, 0))`;
  }

  // ---- Microsoft.Dynamics.CRM query functions ----------------------------------------------------
  // Full name with the namespace and a PropertyName parameter (filter-rows, Dataverse query functions;
  // reference: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/queryfunctions).

  private queryFunction(name: string, params: Map<string, Literal | Literal[]>, scope: Scope): string {
    const prop = params.get('PropertyName');
    if (!prop || Array.isArray(prop) || prop.type !== 'string') {
      throw queryError(`The function 'Microsoft.Dynamics.CRM.${name}' requires the parameter 'PropertyName'.`);
    }
    const attr = this.functionAttribute(scope.table, prop.value);
    const column = canReadColumn(this.ctx.principal, attr) ? `${scope.alias}.${quoteIdent(attr.logicalName)}` : 'NULL';
    const single = (): Literal => {
      const v = params.get('PropertyValue');
      if (!v || Array.isArray(v)) throw queryError(`The function 'Microsoft.Dynamics.CRM.${name}' requires the parameter 'PropertyValue'.`);
      return v;
    };
    const many = (): Literal[] => {
      const v = params.get('PropertyValues');
      if (!v || !Array.isArray(v)) throw queryError(`The function 'Microsoft.Dynamics.CRM.${name}' requires the parameter 'PropertyValues'.`);
      return v;
    };
    const count = (): number => {
      const l = single();
      const n = l.type === 'number' ? l.value : l.type === 'string' ? Number(l.value) : NaN;
      if (!Number.isInteger(n) || n < 0) throw queryError(`The value of 'PropertyValue' for 'Microsoft.Dynamics.CRM.${name}' must be a non-negative integer.`);
      return n;
    };

    switch (name) {
      case 'EqualUserId':
      case 'NotEqualUserId': {
        // A user lookup, or the user's own key (`systemusers?$filter=Microsoft.Dynamics.CRM.NotEqualUserId(PropertyName='systemuserid')`,
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions).
        const userKey = scope.table.logicalName === 'systemuser' && attr.isPrimaryId === true;
        if (!userKey && !attr.targets?.some((t) => t.table === 'systemuser')) throw queryError(`The property '${prop.value}' is not a user lookup.`);
        const p = this.bind(this.ctx.principal.systemUserId);
        return name === 'EqualUserId' ? `(${column} = ${p})` : `(${column} IS NULL OR ${column} <> ${p})`;
      }
      case 'EqualBusinessId':
      case 'NotEqualBusinessId': {
        const p = this.bind(this.ctx.principal.businessUnitId);
        return name === 'EqualBusinessId' ? `(${column} = ${p})` : `(${column} IS NULL OR ${column} <> ${p})`;
      }
      case 'In':
      case 'NotIn': {
        const values = many();
        if (values.length === 0) throw queryError(`'PropertyValues' must not be empty.`);
        const bound = values.map((v) => this.bind(this.coerceFunctionValue(attr, v)));
        return name === 'In' ? `(${column} IN (${bound.join(', ')}))` : `(${column} IS NULL OR ${column} NOT IN (${bound.join(', ')}))`;
      }
      case 'Between':
      case 'NotBetween': {
        const values = many();
        const [a, b] = values;
        if (values.length !== 2 || !a || !b) throw queryError(`'PropertyValues' for '${name}' must have two values.`);
        let cond: string;
        if (attr.type === 'DateTime') {
          const lo = startOfUtcDay(this.functionDate(a));
          const hi = addDays(startOfUtcDay(this.functionDate(b)), 1);
          cond = this.range(attr, column, lo, hi, false);
        } else {
          cond = `(${column} BETWEEN ${this.bind(this.coerceFunctionValue(attr, a))} AND ${this.bind(this.coerceFunctionValue(attr, b))})`;
        }
        return name === 'Between' ? cond : `(NOT COALESCE(${cond}, 0))`;
      }
      default:
        break;
    }

    if (attr.type !== 'DateTime') throw queryError(`The function 'Microsoft.Dynamics.CRM.${name}' requires a date and time property; '${prop.value}' is not one.`);
    const now = this.ctx.now;
    const sod = startOfUtcDay(now);
    const sow = addDays(sod, -sod.getUTCDay());
    const som = new Date(Date.UTC(sod.getUTCFullYear(), sod.getUTCMonth(), 1));
    const soy = new Date(Date.UTC(sod.getUTCFullYear(), 0, 1));
    const H = 3_600_000;
    const before = (d: Date): string => `(${column} < ${this.bind(this.columnTime(attr, d))})`;
    const since = (d: Date): string => `(${column} >= ${this.bind(this.columnTime(attr, d))})`;
    switch (name) {
      case 'LastXHours':
        return this.range(attr, column, new Date(now.getTime() - count() * H), now, true);
      case 'LastXDays':
        return this.range(attr, column, addDays(sod, -count()), now, true);
      case 'LastXWeeks':
        return this.range(attr, column, addDays(sod, -7 * count()), now, true);
      case 'LastXMonths':
        return this.range(attr, column, addMonths(sod, -count()), now, true);
      case 'LastXYears':
        return this.range(attr, column, addMonths(sod, -12 * count()), now, true);
      case 'NextXHours':
        return this.range(attr, column, now, new Date(now.getTime() + count() * H), true);
      case 'NextXDays':
        return this.range(attr, column, now, addDays(sod, count() + 1), false);
      case 'NextXWeeks':
        return this.range(attr, column, now, addDays(sod, 7 * count() + 1), false);
      case 'NextXMonths':
        return this.range(attr, column, now, addDays(addMonths(sod, count()), 1), false);
      case 'NextXYears':
        return this.range(attr, column, now, addDays(addMonths(sod, 12 * count()), 1), false);
      case 'OlderThanXMinutes':
        return before(new Date(now.getTime() - count() * 60_000));
      case 'OlderThanXHours':
        return before(new Date(now.getTime() - count() * H));
      case 'OlderThanXDays':
        return before(addDays(now, -count()));
      case 'OlderThanXWeeks':
        return before(addDays(now, -7 * count()));
      case 'OlderThanXMonths':
        return before(addMonths(now, -count()));
      case 'OlderThanXYears':
        return before(addMonths(now, -12 * count()));
      case 'Today':
        return this.range(attr, column, sod, addDays(sod, 1), false);
      case 'Yesterday':
        return this.range(attr, column, addDays(sod, -1), sod, false);
      case 'Tomorrow':
        return this.range(attr, column, addDays(sod, 1), addDays(sod, 2), false);
      case 'ThisWeek':
        return this.range(attr, column, sow, addDays(sow, 7), false);
      case 'LastWeek':
        return this.range(attr, column, addDays(sow, -7), sow, false);
      case 'NextWeek':
        return this.range(attr, column, addDays(sow, 7), addDays(sow, 14), false);
      case 'ThisMonth':
        return this.range(attr, column, som, addMonths(som, 1), false);
      case 'LastMonth':
        return this.range(attr, column, addMonths(som, -1), som, false);
      case 'NextMonth':
        return this.range(attr, column, addMonths(som, 1), addMonths(som, 2), false);
      case 'ThisYear':
        return this.range(attr, column, soy, addMonths(soy, 12), false);
      case 'LastYear':
        return this.range(attr, column, addMonths(soy, -12), soy, false);
      case 'NextYear':
        return this.range(attr, column, addMonths(soy, 12), addMonths(soy, 24), false);
      case 'On': {
        const d = startOfUtcDay(this.functionDate(single()));
        return this.range(attr, column, d, addDays(d, 1), false);
      }
      case 'NotOn': {
        const d = startOfUtcDay(this.functionDate(single()));
        return `(NOT COALESCE(${this.range(attr, column, d, addDays(d, 1), false)}, 0))`;
      }
      case 'OnOrAfter':
        return since(startOfUtcDay(this.functionDate(single())));
      case 'OnOrBefore':
        return before(addDays(startOfUtcDay(this.functionDate(single())), 1));
      default:
        throw queryError(
          `An unknown function with name 'Microsoft.Dynamics.CRM.${name}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`,
        );
    }
  }

  private functionAttribute(table: TableDef, name: string): AttributeDef {
    const m = /^_(.+)_value$/.exec(name);
    const a = this.ctx.model.attribute(table.logicalName, m?.[1] ?? name);
    if (!a) throw propertyNotFound(name, table.logicalName);
    return a;
  }

  private coerceFunctionValue(attr: AttributeDef, v: Literal): SqlValue {
    // Query function values are commonly sent as strings ('1', '2024-01-01'); convert to the column's type.
    if (v.type === 'string') {
      const edm = edmType(attr);
      if (edm === 'Edm.Int32' || edm === 'Edm.Int64' || edm === 'Edm.Decimal' || edm === 'Edm.Double') {
        const n = Number(v.value);
        if (v.value.trim() === '' || Number.isNaN(n)) throw queryError(`The value '${v.value}' is not valid for '${attr.logicalName}'.`);
        return n;
      }
      if (edm === 'Edm.Guid') {
        if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v.value)) throw queryError(`The value '${v.value}' is not a valid GUID.`);
        return v.value.toLowerCase();
      }
      if (edm === 'Edm.Boolean') return v.value === 'true' || v.value === '1' ? 1 : 0;
      if (edm === 'Edm.DateTimeOffset') return toIso(this.functionDate(v));
      if (edm === 'Edm.Date') return toDateOnly(this.functionDate(v));
      return v.value;
    }
    return literalToColumn(attr, v);
  }

  private functionDate(v: Literal): Date {
    if (v.type === 'string' || v.type === 'date' || v.type === 'datetime') return parseDate(v.value);
    throw queryError(`Expected a date value.`);
  }

  private columnTime(attr: AttributeDef, d: Date): string {
    return attr.format === 'DateOnly' ? toDateOnly(d) : toIso(d);
  }

  /** `lo <= column < hi` (or `<= hi` when inclusive). */
  private range(attr: AttributeDef, column: string, lo: Date, hi: Date, inclusive: boolean): string {
    const a = this.bind(this.columnTime(attr, lo));
    const b = this.bind(this.columnTime(attr, hi));
    return `(${column} >= ${a} AND ${column} ${inclusive ? '<=' : '<'} ${b})`;
  }
}
