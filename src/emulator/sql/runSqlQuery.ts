import transactsql from 'node-sql-parser/build/transactsql.js';
import { toIso } from '../clock.js';
import { DataverseError, ErrorCode } from '../dataverseError.js';
import { isGuid } from '../ids.js';
import type { AttributeDef, TableDef } from '../metadata/types.js';
import { isChoiceType, isLookupType } from '../metadata/types.js';
import type { EngineContext, JsonRecord } from '../odata/queryEngine.js';
import { MAX_PAGE } from '../odata/queryEngine.js';
import { FORMATTED, formattedValue, toJsonValue } from '../odata/values.js';
import type { SqlValue } from '../store/store.js';
import { quoteIdent } from '../store/store.js';

/**
 * The Web API `?sql=` query option: one T-SQL SELECT, parsed with node-sql-parser, checked against a
 * whitelist, and rebuilt as SQLite from validated identifiers and bound literals. Nothing the caller
 * typed is pasted into the SQL that runs.
 */

const parser = new transactsql.Parser();

type Node = Record<string, unknown>;

function refuse(message: string): never {
  throw new DataverseError(400, ErrorCode.InvalidArgument, message);
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds `;` and comments outside string literals and bracketed identifiers. */
function lexicalChecks(sql: string): void {
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (c === "'") {
      i++;
      while (i < sql.length) {
        if (sql.charAt(i) === "'") {
          if (sql.charAt(i + 1) === "'") i += 2;
          else break;
        } else i++;
      }
      if (i >= sql.length) refuse('Unclosed quotation mark after the character string.');
      i++;
      continue;
    }
    if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      const end = sql.indexOf(close, i + 1);
      if (end === -1) refuse('Unclosed identifier.');
      i = end + 1;
      continue;
    }
    if (c === ';') refuse('Only a single SELECT statement is supported; remove the semicolon and any further statements.');
    if ((c === '-' && sql.charAt(i + 1) === '-') || (c === '/' && sql.charAt(i + 1) === '*')) refuse('Comments are not supported in SQL queries.');
    i++;
  }
}

interface TableRef {
  alias: string;
  table: TableDef;
}

interface Resolved {
  sql: string;
  attr?: AttributeDef;
  /** Column name as it should appear in the output. */
  name: string;
}

interface OutputColumn {
  key: string;
  name: string;
  attr?: AttributeDef;
  /** The underlying attribute name, reported when aliased. */
  attributeName?: string;
}

interface SqlPage {
  offset: number;
  pageSize: number;
}

export interface SqlResult {
  columns: string[];
  records: JsonRecord[];
  hasMore: boolean;
}

class Translator {
  /** Bound values go to the clause being translated; clauses are concatenated in SQL order later. */
  params: SqlValue[] = [];
  readonly tables: TableRef[] = [];

  constructor(private readonly ctx: EngineContext) {}

  bind(v: SqlValue): string {
    this.params.push(v);
    return '?';
  }

  section(): SqlValue[] {
    this.params = [];
    return this.params;
  }

  addTable(from: Node, first: boolean): string {
    if (from.expr !== undefined || typeof from.table !== 'string') refuse('Derived tables and subqueries are not supported.');
    if (from.db !== null && from.db !== undefined && String(from.db).toLowerCase() !== 'dbo') refuse(`Database or schema '${String(from.db)}' is not supported.`);
    const name = from.table.toLowerCase();
    const table = this.ctx.model.table(name);
    if (!table) refuse(`Invalid object name '${from.table}'.`);
    this.ctx.access.require('Read', table);
    const alias = typeof from.as === 'string' && from.as ? from.as.toLowerCase() : name;
    if (this.tables.some((t) => t.alias === alias)) refuse(`The correlation name '${alias}' is specified multiple times.`);
    this.tables.push({ alias, table });
    const sqlAlias = quoteIdent(`a_${alias}`);
    if (first) {
      if (from.join) refuse('The first table cannot be a join.');
      return `${quoteIdent(table.logicalName)} ${sqlAlias}`;
    }
    const join = typeof from.join === 'string' ? from.join.toUpperCase() : '';
    const kind = join === 'INNER JOIN' || join === 'JOIN' ? 'INNER JOIN' : join === 'LEFT JOIN' || join === 'LEFT OUTER JOIN' ? 'LEFT JOIN' : '';
    if (!kind) refuse(join ? `${join} is not supported; use INNER JOIN or LEFT JOIN.` : 'Comma-separated tables (cross joins) are not supported; use INNER JOIN or LEFT JOIN.');
    if (!isNode(from.on)) refuse('A JOIN needs an ON condition.');
    if (from.using) refuse('JOIN ... USING is not supported.');
    return `${kind} ${quoteIdent(table.logicalName)} ${sqlAlias} ON ${this.condition(from.on, true)}`;
  }

  /** A column reference: logical attribute name, or a `<lookup>name` / `<choice>name` label column. */
  column(ref: Node): Resolved {
    if (ref.type !== 'column_ref') refuse('Expected a column name.');
    let colName = ref.column;
    if (isNode(colName) && isNode(colName.expr)) colName = colName.expr.value;
    if (typeof colName !== 'string') refuse('Expected a column name.');
    if (colName === '*') refuse('SELECT * is not supported. List the columns you need.');
    const column = colName.toLowerCase();
    const qualifier = typeof ref.table === 'string' && ref.table ? ref.table.toLowerCase() : undefined;
    const candidates = qualifier ? this.tables.filter((t) => t.alias === qualifier) : this.tables;
    if (qualifier && candidates.length === 0) refuse(`The multi-part identifier '${qualifier}.${column}' could not be bound.`);
    const hits: Resolved[] = [];
    for (const t of candidates) {
      const r = this.columnIn(t, column);
      if (r) hits.push(r);
    }
    if (hits.length === 0) refuse(`Invalid column name '${column}'.`);
    if (hits.length > 1) refuse(`Ambiguous column name '${column}'.`);
    const hit = hits[0];
    if (!hit) refuse(`Invalid column name '${column}'.`);
    return hit;
  }

  private columnIn(t: TableRef, column: string): Resolved | undefined {
    const alias = quoteIdent(`a_${t.alias}`);
    const a = this.ctx.model.attribute(t.table.logicalName, column);
    if (a) return { sql: `${alias}.${quoteIdent(a.logicalName)}`, attr: a, name: a.logicalName };
    if (column.endsWith('name')) {
      const base = this.ctx.model.attribute(t.table.logicalName, column.slice(0, -4));
      if (base && isLookupType(base.type)) return { sql: `dv_name(${alias}.${quoteIdent(base.logicalName)})`, name: column };
      if (base && (isChoiceType(base.type) || base.type === 'Boolean')) {
        return { sql: `dv_label(${this.bind(t.table.logicalName)}, ${this.bind(base.logicalName)}, ${alias}.${quoteIdent(base.logicalName)})`, name: column };
      }
    }
    return undefined;
  }

  literal(node: Node, attr: AttributeDef | undefined): string {
    let v: SqlValue;
    switch (node.type) {
      case 'number':
        if (typeof node.value !== 'number') refuse('Invalid number literal.');
        v = node.value;
        break;
      case 'single_quote_string':
      case 'string':
      case 'natural_string':
      case 'var_string': {
        const s = node.value;
        if (typeof s !== 'string') refuse('Invalid string literal.');
        v = s;
        if (attr && (attr.type === 'Uniqueidentifier' || isLookupType(attr.type)) && isGuid(s)) v = s.toLowerCase();
        else if (attr?.type === 'DateTime' && /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s))) {
          v = attr.format === 'DateOnly' ? s.slice(0, 10) : toIso(new Date(s.length === 10 ? `${s}T00:00:00Z` : s));
        }
        break;
      }
      case 'bool':
        v = node.value === true ? 1 : 0;
        break;
      case 'null':
        v = null;
        break;
      default:
        refuse(`Unsupported value in SQL query: ${String(node.type)}. Comparisons must be between a column and a literal value.`);
    }
    return this.bind(v);
  }

  private isLiteral(n: unknown): boolean {
    return isNode(n) && ['number', 'single_quote_string', 'string', 'natural_string', 'var_string', 'bool', 'null'].includes(String(n.type));
  }

  /** WHERE and ON conditions. In WHERE a comparison is column-to-literal; ON also allows column-to-column. */
  condition(node: Node, allowColumnPairs: boolean): string {
    if (node.type === 'unary_expr' && String(node.operator).toUpperCase() === 'NOT' && isNode(node.expr)) return `(NOT ${this.condition(node.expr, allowColumnPairs)})`;
    if (node.type !== 'binary_expr') refuse(`Unsupported expression in condition: ${String(node.type)}.`);
    const op = String(node.operator).toUpperCase();
    const left = node.left;
    const right = node.right;
    if (!isNode(left)) refuse('Invalid condition.');
    if (op === 'AND' || op === 'OR') {
      if (!isNode(right)) refuse('Invalid condition.');
      return `(${this.condition(left, allowColumnPairs)} ${op} ${this.condition(right, allowColumnPairs)})`;
    }
    if (['=', '!=', '<>', '<', '>', '<=', '>='].includes(op)) {
      if (!isNode(right)) refuse('Invalid condition.');
      const sqlOp = op === '!=' ? '<>' : op;
      if (left.type === 'column_ref' && right.type === 'column_ref') {
        if (!allowColumnPairs) refuse('Comparisons in WHERE must be between a column and a literal value.');
        return `(${this.column(left).sql} ${sqlOp} ${this.column(right).sql})`;
      }
      if (left.type === 'column_ref' && this.isLiteral(right)) {
        const c = this.column(left);
        return `(${c.sql} ${sqlOp} ${this.literal(right, c.attr)})`;
      }
      if (right.type === 'column_ref' && this.isLiteral(left)) {
        const c = this.column(right);
        const flipped: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
        return `(${c.sql} ${flipped[sqlOp] ?? sqlOp} ${this.literal(left, c.attr)})`;
      }
      refuse('Comparisons must be between a column and a literal value (expressions, functions, subqueries and literal-to-literal comparisons are not supported).');
    }
    if (op === 'LIKE' || op === 'NOT LIKE') {
      if (!isNode(right) || !['single_quote_string', 'string', 'natural_string'].includes(String(right.type)) || typeof right.value !== 'string') refuse('LIKE needs a string pattern.');
      const c = this.column(left);
      // T-SQL bracket wildcards ([%], [_]) become SQLite escapes.
      const pattern = right.value.replace(/\\/g, '\\\\').replace(/\[([%_[])\]/g, '\\$1');
      return `(${c.sql} ${op} ${this.bind(pattern)} ESCAPE '\\')`;
    }
    if (op === 'IN' || op === 'NOT IN') {
      if (!isNode(right) || right.type !== 'expr_list' || !Array.isArray(right.value)) refuse('IN needs a list of literal values.');
      const c = this.column(left);
      const items = right.value.map((v: unknown) => {
        if (!isNode(v) || !this.isLiteral(v)) refuse('Subqueries are not supported; IN needs a list of literal values.');
        return this.literal(v, c.attr);
      });
      if (items.length === 0) refuse('IN needs at least one value.');
      return `(${c.sql} ${op} (${items.join(', ')}))`;
    }
    if (op === 'BETWEEN' || op === 'NOT BETWEEN') {
      if (!isNode(right) || right.type !== 'expr_list' || !Array.isArray(right.value) || right.value.length !== 2) refuse('BETWEEN needs two literal values.');
      const c = this.column(left);
      const [lo, hi] = right.value as unknown[];
      if (!isNode(lo) || !isNode(hi) || !this.isLiteral(lo) || !this.isLiteral(hi)) refuse('BETWEEN needs two literal values.');
      return `(${c.sql} ${op} ${this.literal(lo, c.attr)} AND ${this.literal(hi, c.attr)})`;
    }
    if (op === 'IS' || op === 'IS NOT') {
      if (!isNode(right) || right.type !== 'null') refuse(`${op} must be followed by NULL.`);
      return `(${this.column(left).sql} ${op} NULL)`;
    }
    refuse(`The operator '${op}' is not supported.`);
  }
}

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
const ALLOWED_KEYS = new Set(['with', 'type', 'options', 'distinct', 'columns', 'into', 'from', 'for', 'where', 'groupby', 'having', 'top', 'orderby', 'limit', 'collate', 'window', 'qualify', 'loc']);

export function runSqlQuery(ctx: EngineContext, entitySet: TableDef, sql: string, page: SqlPage): SqlResult {
  if (sql.trim() === '') refuse('The sql query option is empty.');
  if (sql.length > 20000) refuse('The SQL query is too long.');
  lexicalChecks(sql);
  let ast: unknown;
  try {
    ast = parser.astify(sql, { database: 'transactsql' });
  } catch (e) {
    refuse(`Incorrect syntax in SQL query: ${e instanceof Error ? e.message.split('\n')[0] : 'parse error'}`);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) refuse('Only a single SELECT statement is supported.');
    ast = ast[0];
  }
  if (!isNode(ast) || ast.type !== 'select') refuse('Only SELECT statements are supported.');
  if (ast._next || ast.set_op) refuse('UNION, INTERSECT and EXCEPT are not supported.');
  for (const key of Object.keys(ast)) {
    if (!ALLOWED_KEYS.has(key) && ast[key] !== null && ast[key] !== undefined) refuse(`Unsupported SQL clause: ${key}.`);
  }
  if (ast.with) refuse('Common table expressions (WITH) are not supported.');
  if (ast.having) refuse('HAVING is not supported. Filter with WHERE before aggregating.');
  if (ast.for) refuse('FOR XML / FOR JSON is not supported.');
  if (ast.window || ast.qualify) refuse('Window functions are not supported.');
  if (isNode(ast.into) && (ast.into.position || ast.into.expr)) refuse('SELECT ... INTO is not supported.');
  if (ast.options) refuse('Query options and hints are not supported.');

  const tr = new Translator(ctx);
  const from = ast.from;
  if (!Array.isArray(from) || from.length === 0) refuse('A FROM clause is required.');
  const fromParams = tr.section();
  const fromSql: string[] = [];
  from.forEach((f: unknown, i: number) => {
    if (!isNode(f)) refuse('Invalid FROM clause.');
    fromSql.push(tr.addTable(f, i === 0));
  });
  const base = tr.tables[0];
  if (!base) refuse('A FROM clause is required.');
  if (base.table.logicalName !== entitySet.logicalName) {
    refuse(`The first table in the FROM clause ('${base.table.logicalName}') must match the entity set of the request ('${entitySet.entitySetName}' is '${entitySet.logicalName}').`);
  }

  // Columns.
  const selectParams = tr.section();
  const columns = ast.columns;
  if (!Array.isArray(columns) || columns.length === 0) refuse('SELECT * is not supported. List the columns you need.');
  const selects: string[] = [];
  const outputs: OutputColumn[] = [];
  const used = new Set<string>();
  const uniqueName = (n: string): string => {
    let name = n;
    for (let k = 1; used.has(name); k++) name = `${n}${k}`;
    used.add(name);
    return name;
  };
  let aggregate = false;
  columns.forEach((c: unknown, i: number) => {
    if (!isNode(c) || !isNode(c.expr)) refuse('Invalid select list.');
    const expr = c.expr;
    const alias = typeof c.as === 'string' && c.as ? c.as : undefined;
    const key = `c${i}`;
    if (expr.type === 'column_ref') {
      const r = tr.column(expr);
      const name = uniqueName(alias ?? r.name);
      selects.push(`${r.sql} AS ${quoteIdent(key)}`);
      outputs.push({ key, name, ...(r.attr ? { attr: r.attr } : {}), ...(alias ? { attributeName: r.name } : {}) });
      return;
    }
    if (expr.type === 'aggr_func') {
      const fn = String(expr.name).toUpperCase();
      if (!AGGREGATES.has(fn)) refuse(`The aggregate function '${fn}' is not supported.`);
      if (expr.over) refuse('Window functions are not supported.');
      const args = isNode(expr.args) ? expr.args : undefined;
      const argExpr = args && isNode(args.expr) ? args.expr : undefined;
      let argSql: string;
      let argName = 'all';
      if (argExpr?.type === 'star') {
        if (fn !== 'COUNT') refuse(`${fn}(*) is not supported.`);
        argSql = '*';
      } else if (argExpr?.type === 'column_ref') {
        const r = tr.column(argExpr);
        argSql = r.sql;
        argName = r.name;
      } else refuse('Aggregate functions take a column name (or * for COUNT).');
      const distinct = args?.distinct ? 'DISTINCT ' : '';
      aggregate = true;
      selects.push(`${fn}(${distinct}${argSql}) AS ${quoteIdent(key)}`);
      outputs.push({ key, name: uniqueName(alias ?? `${fn.toLowerCase()}_${argName}`) });
      return;
    }
    refuse(`Unsupported expression in the select list (${String(expr.type)}). Use column names and COUNT, SUM, AVG, MIN or MAX.`);
  });

  const whereParams = tr.section();
  let where = '';
  if (ast.where !== null && ast.where !== undefined) {
    if (!isNode(ast.where)) refuse('Invalid WHERE clause.');
    where = ` WHERE ${tr.condition(ast.where, false)}`;
  }

  const groupParams = tr.section();
  let groupBy = '';
  if (ast.groupby !== null && ast.groupby !== undefined) {
    const g = isNode(ast.groupby) ? ast.groupby.columns : ast.groupby;
    if (!Array.isArray(g)) refuse('Invalid GROUP BY clause.');
    groupBy = ` GROUP BY ${g.map((x: unknown) => (isNode(x) ? tr.column(x).sql : refuse('GROUP BY supports column names only.'))).join(', ')}`;
    aggregate = true;
  }

  const orderParams = tr.section();
  let orderBy = '';
  if (Array.isArray(ast.orderby) && ast.orderby.length > 0) {
    orderBy = ` ORDER BY ${ast.orderby
      .map((o: unknown) => {
        if (!isNode(o) || !isNode(o.expr) || o.expr.type !== 'column_ref') refuse('ORDER BY supports column names only.');
        const dir = String(o.type ?? 'ASC').toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
        const colName = typeof o.expr.column === 'string' ? o.expr.column : '';
        const byAlias = !o.expr.table ? outputs.find((x) => x.name.toLowerCase() === colName.toLowerCase()) : undefined;
        return `${byAlias ? quoteIdent(byAlias.key) : tr.column(o.expr).sql} ${dir}`;
      })
      .join(', ')}`;
  }

  let maxRows = MAX_PAGE;
  if (ast.top !== null && ast.top !== undefined) {
    if (!isNode(ast.top) || ast.top.percent) refuse('TOP PERCENT is not supported.');
    const n = ast.top.value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_PAGE) refuse(`TOP must be an integer literal between 0 and ${MAX_PAGE}.`);
    maxRows = n;
  }
  let baseOffset = 0;
  if (ast.limit !== null && ast.limit !== undefined) {
    const lim = ast.limit;
    if (!isNode(lim)) refuse('Invalid OFFSET/FETCH clause.');
    const value = (x: unknown): number => {
      const v = isNode(x) && isNode(x.value) ? x.value.value : undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) refuse('OFFSET and FETCH need non-negative integer literals.');
      return v;
    };
    if (isNode(lim.offset)) baseOffset = value(lim.offset);
    if (isNode(lim.fetch)) maxRows = Math.min(maxRows, value(lim.fetch));
    if (Array.isArray(lim.value) && lim.value.length > 0) refuse('LIMIT is not T-SQL; use TOP or OFFSET ... FETCH.');
  }

  const distinct = ast.distinct ? 'DISTINCT ' : '';
  // Plain row queries also return the base row's key and version, as Dataverse does.
  const rowQuery = !aggregate && !distinct;
  const baseAlias = quoteIdent(`a_${base.alias}`);
  if (rowQuery) {
    selects.push(`${baseAlias}.${quoteIdent(base.table.primaryIdAttribute)} AS "__id"`, `${baseAlias}.versionnumber AS "__v"`);
  }
  const remaining = Math.max(0, maxRows - page.offset);
  const take = Math.min(page.pageSize, remaining);
  const hasMoreAllowed = page.offset + take < maxRows;
  const finalSql = `SELECT ${distinct}${selects.join(', ')} FROM ${fromSql.join(' ')}${where}${groupBy}${orderBy} LIMIT ? OFFSET ?`;
  const params = [...selectParams, ...fromParams, ...whereParams, ...groupParams, ...orderParams];
  const rows = ctx.store.all(finalSql, [...params, take + (hasMoreAllowed ? 1 : 0), baseOffset + page.offset]);
  const hasMore = hasMoreAllowed && rows.length > take;
  if (hasMore) rows.pop();

  const wantFormatted = ctx.annotations.any && ctx.annotations.includes(FORMATTED);
  const wantAttrNames = ctx.annotations.any && ctx.annotations.includes('OData.Community.Display.V1.AttributeName');
  const pk = base.table.primaryIdAttribute;
  const records = rows.map((r) => {
    const out: JsonRecord = {};
    if (rowQuery) {
      out['@odata.etag'] = `W/"${String(r.__v)}"`;
      if (!outputs.some((o) => o.name === pk)) out[pk] = r.__id ?? null;
    }
    for (const o of outputs) {
      const v = r[o.key];
      if (wantAttrNames && o.attributeName && o.attributeName !== o.name) out[`${o.name}@OData.Community.Display.V1.AttributeName`] = o.attributeName;
      if (o.attr) {
        if (wantFormatted) {
          const f = isLookupType(o.attr.type) ? (typeof v === 'string' ? ctx.store.names.get(v)?.name : undefined) : formattedValue(o.attr, v);
          if (f !== undefined && f !== null) out[`${o.name}@${FORMATTED}`] = f;
        }
        out[o.name] = toJsonValue(o.attr, v);
      } else {
        out[o.name] = v ?? null;
      }
    }
    return out;
  });
  const names = outputs.map((o) => o.name);
  if (rowQuery && !names.includes(pk)) names.push(pk);
  return { columns: names, records, hasMore };
}
