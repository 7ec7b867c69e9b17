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
import { canReadColumn } from '../security/fieldSecurity.js';
import { quoteIdent } from '../store/store.js';
import { clip, firstWord, syntaxErrorMessage } from './sqlSyntax.js';

/**
 * The Web API `?sql=` query option: one T-SQL SELECT, parsed with node-sql-parser, checked against a
 * whitelist, and rebuilt as SQLite from validated identifiers and bound literals. Nothing the caller
 * typed is pasted into the SQL that runs. The rules are those of "Use SQL to query data by using the
 * Dataverse Web API", https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/sql
 * (the SQL doc below), as of its 2026-03 version: DATEADD/GETUTCDATE over literals, which the 2026-06
 * version allows in WHERE and ON, are refused here like any other function.
 */

const parser = new transactsql.Parser();

type Node = Record<string, unknown>;

function refuse(message: string): never {
  throw new DataverseError(400, ErrorCode.InvalidArgument, message);
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The upper-case name of a parsed function call (`{ name: { name: [{ value }] } }`). */
function functionName(node: Node): string {
  const parts = isNode(node.name) && Array.isArray(node.name.name) ? (node.name.name as unknown[]) : [];
  return parts.map((p) => (isNode(p) ? String(p.value) : '')).join('.').toUpperCase();
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
  /** The table (alias) the column belongs to. */
  alias: string;
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
  /** While translating the extra conditions of a JOIN's ON: the joined table, the only one they may use. */
  private onlyAlias: string | undefined;

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
    if (from.db !== null && from.db !== undefined && String(from.db).toLowerCase() !== 'dbo') refuse(`Database or schema '${clip(String(from.db))}' is not supported.`);
    const name = from.table.toLowerCase();
    const table = this.ctx.model.table(name);
    if (!table) refuse(`Invalid object name '${clip(from.table)}'.`);
    this.ctx.access.require('Read', table);
    const alias = typeof from.as === 'string' && from.as ? from.as.toLowerCase() : name;
    if (this.tables.some((t) => t.alias === alias)) refuse(`The correlation name '${clip(alias)}' is specified multiple times.`);
    const joined: TableRef = { alias, table };
    this.tables.push(joined);
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
    return `${kind} ${quoteIdent(table.logicalName)} ${sqlAlias} ON ${this.joinCondition(from.on, joined)}`;
  }

  /**
   * SQL doc: a JOIN's ON is one `=` between a column of the joined table and a column of a table
   * before it; further AND conditions may only filter the joined table (column against literal).
   */
  private joinCondition(on: Node, joined: TableRef): string {
    const conjuncts: Node[] = [];
    const flatten = (n: Node): void => {
      if (n.type === 'binary_expr' && String(n.operator).toUpperCase() === 'AND' && isNode(n.left) && isNode(n.right)) {
        flatten(n.left);
        flatten(n.right);
      } else conjuncts.push(n);
    };
    flatten(on);
    const pairRule = `The ON condition of a JOIN must compare a column of '${clip(joined.alias)}' with a column of a table before it, using =.`;
    let equality: string | undefined;
    const filters: string[] = [];
    for (const c of conjuncts) {
      if (c.type === 'binary_expr' && isNode(c.left) && isNode(c.right) && c.left.type === 'column_ref' && c.right.type === 'column_ref') {
        if (c.operator !== '=' || equality !== undefined) refuse(pairRule);
        const left = this.column(c.left);
        const right = this.column(c.right);
        if ((left.alias === joined.alias) === (right.alias === joined.alias)) refuse(pairRule);
        equality = `(${left.sql} = ${right.sql})`;
        continue;
      }
      this.onlyAlias = joined.alias;
      try {
        filters.push(this.condition(c));
      } finally {
        this.onlyAlias = undefined;
      }
    }
    if (equality === undefined) refuse(pairRule);
    return [equality, ...filters].join(' AND ');
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
    if (qualifier && candidates.length === 0) refuse(`The multi-part identifier '${clip(qualifier)}.${clip(column)}' could not be bound.`);
    const hits: Resolved[] = [];
    for (const t of candidates) {
      const r = this.columnIn(t, column);
      if (r) hits.push(r);
    }
    if (hits.length === 0) refuse(`Invalid column name '${clip(column)}'.`);
    if (hits.length > 1) refuse(`Ambiguous column name '${clip(column)}'.`);
    const hit = hits[0];
    if (!hit) refuse(`Invalid column name '${clip(column)}'.`);
    if (this.onlyAlias !== undefined && hit.alias !== this.onlyAlias) {
      refuse(`Further conditions in the ON clause of a JOIN may only use columns of the joined table '${clip(this.onlyAlias)}'; filter '${clip(hit.alias)}' in WHERE.`);
    }
    return hit;
  }

  private columnIn(t: TableRef, column: string): Resolved | undefined {
    const alias = quoteIdent(`a_${t.alias}`);
    const a = this.ctx.model.attribute(t.table.logicalName, column);
    // A secured column the caller may not read is empty wherever it appears (column-level security).
    if (a) return { sql: canReadColumn(this.ctx.principal, a) ? `${alias}.${quoteIdent(a.logicalName)}` : 'NULL', alias: t.alias, attr: a, name: a.logicalName };
    if (column.endsWith('name')) {
      const base = this.ctx.model.attribute(t.table.logicalName, column.slice(0, -4));
      if (base && isLookupType(base.type)) return { sql: `dv_name(${alias}.${quoteIdent(base.logicalName)})`, alias: t.alias, name: column };
      if (base && (isChoiceType(base.type) || base.type === 'Boolean')) {
        // Label columns are the localized labels, in the caller's language like formatted values.
        return { sql: `dv_label(${this.bind(t.table.logicalName)}, ${this.bind(base.logicalName)}, ${alias}.${quoteIdent(base.logicalName)}, ${this.bind(this.ctx.principal.uiLanguageId)})`, alias: t.alias, name: column };
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

  isLiteral(n: unknown): boolean {
    return isNode(n) && ['number', 'single_quote_string', 'string', 'natural_string', 'var_string', 'bool', 'null'].includes(String(n.type));
  }

  /**
   * WHERE conditions, and the filters of a JOIN's ON. SQL doc: each comparison is between a column
   * and a literal (no column-to-column or literal-to-literal, no expressions, functions, subqueries
   * or EXISTS), combined with AND, OR and parentheses.
   */
  condition(node: Node): string {
    const unary = node.type === 'unary_expr' ? String(node.operator).toUpperCase() : '';
    const fn = node.type === 'function' ? functionName(node) : '';
    if (unary === 'NOT EXISTS' || fn === 'EXISTS') refuse('EXISTS and subqueries are not supported in SQL queries.');
    // The SQL doc lists NOT only inside NOT LIKE, NOT IN and IS NOT NULL; `NOT (…)` parses as a function named NOT.
    if (unary === 'NOT' || fn === 'NOT') refuse('NOT is supported only as part of NOT LIKE, NOT IN and IS NOT NULL; use <> or those operators.');
    if (node.type !== 'binary_expr') refuse(`Unsupported expression in condition: ${String(node.type)}. Compare a column with a literal value.`);
    const op = String(node.operator).toUpperCase();
    const left = node.left;
    const right = node.right;
    if (!isNode(left)) refuse('Invalid condition.');
    if (op === 'AND' || op === 'OR') {
      if (!isNode(right)) refuse('Invalid condition.');
      return `(${this.condition(left)} ${op} ${this.condition(right)})`;
    }
    if (['=', '!=', '<>', '<', '>', '<=', '>='].includes(op)) {
      if (!isNode(right)) refuse('Invalid condition.');
      const sqlOp = op === '!=' ? '<>' : op;
      if (left.type === 'column_ref' && right.type === 'column_ref') refuse('Comparisons must be between a column and a literal value; comparing two columns is not supported.');
      if (this.isLiteral(left) && this.isLiteral(right)) refuse('Comparisons must be between a column and a literal value; comparing two literals (such as 1 = 1) is not supported.');
      if (left.type === 'column_ref' && this.isLiteral(right)) {
        const c = this.column(left);
        return `(${c.sql} ${sqlOp} ${this.literal(right, c.attr)})`;
      }
      if (right.type === 'column_ref' && this.isLiteral(left)) {
        const c = this.column(right);
        const flipped: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
        return `(${c.sql} ${flipped[sqlOp] ?? sqlOp} ${this.literal(left, c.attr)})`;
      }
      refuse('Comparisons must be between a column and a literal value (expressions, functions and subqueries are not supported).');
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
  // SQL doc: "Each command must contain a single SELECT statement."
  const first = firstWord(sql);
  if (first === 'other') refuse('Only SELECT statements are supported.');
  if (first !== 'select') refuse(first.message);
  let ast: unknown;
  try {
    // Untrimmed, so the parser's offsets are offsets into the caller's text.
    ast = parser.astify(sql, { database: 'transactsql', trimQuery: false });
  } catch (e) {
    refuse(syntaxErrorMessage(sql, e));
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
  // SQL doc: "TOP and OFFSET ... FETCH aren't supported in queries. Use Prefer: odata.maxpagesize".
  const limit = isNode(ast.limit) ? ast.limit : undefined;
  if ((ast.top !== null && ast.top !== undefined) || limit?.offset || limit?.fetch) {
    refuse('TOP and OFFSET ... FETCH are not supported in SQL queries. Limit the rows with the Prefer: odata.maxpagesize header and follow @odata.nextLink for more.');
  }
  if (Array.isArray(limit?.value) && limit.value.length > 0) refuse('LIMIT is not supported in SQL queries. Limit the rows with the Prefer: odata.maxpagesize header.');

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
      if (!AGGREGATES.has(fn)) refuse(`The aggregate function '${clip(fn)}' is not supported.`);
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
    // SQL doc: literals, expressions and functions other than the aggregates are not supported here.
    const what = expr.type === 'function' ? 'a function' : expr.type === 'binary_expr' || expr.type === 'unary_expr' || expr.type === 'case' || expr.type === 'cast' ? 'an expression' : tr.isLiteral(expr) ? 'a literal' : `a ${String(expr.type)}`;
    refuse(`Unsupported expression in the select list (${what}). Use column names and COUNT, SUM, AVG, MIN or MAX.`);
  });

  const whereParams = tr.section();
  let where = '';
  if (ast.where !== null && ast.where !== undefined) {
    if (!isNode(ast.where)) refuse('Invalid WHERE clause.');
    where = ` WHERE ${tr.condition(ast.where)}`;
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

  const distinct = ast.distinct ? 'DISTINCT ' : '';
  // Plain row queries also return the base row's key and version, as Dataverse does.
  const rowQuery = !aggregate && !distinct;
  const baseAlias = quoteIdent(`a_${base.alias}`);
  if (rowQuery) {
    selects.push(`${baseAlias}.${quoteIdent(base.table.primaryIdAttribute)} AS "__id"`, `${baseAlias}.versionnumber AS "__v"`);
  }
  // Paging is the only row limit (Prefer: odata.maxpagesize, at most 5000 a page); one extra row says whether a next page exists.
  const take = Math.max(1, Math.min(page.pageSize, MAX_PAGE));
  const finalSql = `SELECT ${distinct}${selects.join(', ')} FROM ${fromSql.join(' ')}${where}${groupBy}${orderBy} LIMIT ? OFFSET ?`;
  const params = [...selectParams, ...fromParams, ...whereParams, ...groupParams, ...orderParams];
  const rows = ctx.store.all(finalSql, [...params, take + 1, page.offset]);
  const hasMore = rows.length > take;
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
          const f = isLookupType(o.attr.type) ? (typeof v === 'string' ? ctx.store.names.get(v)?.name : undefined) : formattedValue(o.attr, v, ctx.principal.uiLanguageId);
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
