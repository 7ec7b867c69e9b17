import sqlParser from 'node-sql-parser/build/transactsql.js';
import { z } from 'zod';

import { DataverseError } from '../../dataverse/errors.js';
import { defineTool, ToolError } from '../defineTool.js';
import { entitySetOf, requireTable } from './tableAccess.js';

const { Parser } = sqlParser;
const parser = new Parser();
// Untrimmed, so the parser's error offsets are offsets into the caller's text.
const DIALECT = { database: 'transactsql', trimQuery: false };
/**
 * Rows one call returns at most: the page size asked for with `Prefer: odata.maxpagesize`. Dataverse's
 * Web API SQL takes no TOP (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/sql:
 * "TOP and OFFSET ... FETCH aren't supported in queries. Use Prefer: odata.maxpagesize"), so a TOP n
 * the caller writes is taken out of the SQL and sent as a smaller page size instead.
 */
export const MAX_ROWS = 500;
/** Rows beyond this much JSON are cut (the response must stay far below client caps such as 500 KB). */
const MAX_RESULT_BYTES = 250_000;
/** Longest piece of the caller's text a message repeats. */
const ECHO_LIMIT = 100;
const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
const COMPARISONS = new Set(['=', '!=', '<>', '<', '>', '<=', '>=']);
const LITERALS = new Set(['number', 'single_quote_string', 'string', 'natural_string', 'var_string', 'bool', 'null']);
/** Table logical names, as the client's metadata calls accept them. */
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

export interface CheckedQuery {
  /** The query Dataverse receives, without TOP. */
  sql: string;
  tables: string[];
  /** Rows to return at most: the caller's TOP n, or MAX_ROWS. */
  rowLimit: number;
  /** True when MAX_ROWS, not the caller's TOP, sets rowLimit: more matching rows then mean the result was cut. */
  capped: boolean;
}

type Node = Record<string, unknown>;

function refuse(message: string): never {
  throw new ToolError(message, 'invalid_argument');
}
const clip = (text: string): string => (text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text);
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLiteral = (n: unknown): boolean => isNode(n) && LITERALS.has(String(n['type']));
const isColumn = (n: unknown): n is Node => isNode(n) && n['type'] === 'column_ref';

/**
 * Parses and checks a query before anything is sent, against what Dataverse's Web API SQL supports
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/sql): exactly one
 * SELECT of named columns and aggregates, INNER/LEFT JOIN on a column equality, WHERE comparing
 * columns with literals, no UNION/CTE/subquery/HAVING/INTO/OFFSET. The query Dataverse receives is
 * re-serialised from the checked tree, not the caller's text.
 */
export function checkQuery(sql: string): CheckedQuery {
  checkFirstWord(sql);
  let ast: unknown;
  let tableList: string[];
  try {
    ast = parser.astify(sql, DIALECT);
    tableList = parser.tableList(sql, DIALECT);
  } catch (err) {
    return refuse(syntaxMessage(sql, err));
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) refuse(`Send exactly one SELECT statement; this text holds ${ast.length}.`);
    ast = ast[0];
  }
  const root = ast as Node;
  if (root['type'] !== 'select') refuse(`Only SELECT queries are allowed; this is a ${String(root['type']).toUpperCase()}.`);
  if (root['_next'] || root['set_op']) refuse('UNION, INTERSECT and EXCEPT are not supported by Dataverse SQL.');
  if (root['with']) refuse('Common table expressions (WITH) are not supported by Dataverse SQL.');
  if (root['having']) refuse('HAVING is not supported by Dataverse SQL; filter in WHERE or post-process the grouped rows.');
  const into = root['into'] as Node | undefined;
  if (into && (into['expr'] || into['type'])) refuse('SELECT INTO is not allowed: read_query only reads.');
  const columns = root['columns'];
  if (columns === '*' || (Array.isArray(columns) && columns.some((c) => JSON.stringify((c as Node)['expr'] ?? {}).includes('"column":"*"')))) {
    refuse('Name the columns you need instead of *; describe_table lists them.');
  }
  const fromList = (root['from'] as Node[] | undefined) ?? [];
  for (const from of fromList) {
    const join = from['join'];
    if (typeof join === 'string' && !/^(INNER JOIN|LEFT JOIN|LEFT OUTER JOIN|JOIN)$/i.test(join)) {
      refuse(`${join} is not supported by Dataverse SQL; use INNER JOIN or LEFT JOIN.`);
    }
    if (from['expr']) refuse('Subqueries are not supported by Dataverse SQL.');
  }
  if (containsSubquery(root, true)) refuse('Subqueries are not supported by Dataverse SQL.');

  // Tables come from the parsed FROM/JOIN entries themselves (not the parser's flattened name list),
  // and only the default schema is allowed, so what is checked is exactly what is sent.
  const fromTables: string[] = [];
  for (const from of fromList) {
    const db = from['db'];
    if (db !== null && db !== undefined && String(db).toLowerCase() !== 'dbo') refuse(`Only tables of the default schema can be queried (not ${clip(String(db))}).`);
    if (typeof from['table'] === 'string') {
      const table = from['table'].toLowerCase();
      if (!TABLE_NAME.test(table)) refuse(`"${clip(from['table'])}" is not a table logical name; call list_tables to see the tables.`);
      fromTables.push(table);
    }
  }
  const tables = [...new Set(fromTables)];
  const listed = new Set(tableList.map((t) => (t.split('::').at(-1) ?? '').toLowerCase()));
  if (tables.length === 0 || [...listed].some((t) => !tables.includes(t))) refuse('The query must read named tables in FROM and JOIN only.');

  checkSelectList(columns);
  checkJoins(fromList);
  if (root['where'] !== null && root['where'] !== undefined) checkCondition(root['where'], 'WHERE');
  checkColumnsOnly(root['groupby'], 'GROUP BY');
  checkColumnsOnly(root['orderby'], 'ORDER BY');

  const limit = root['limit'] as Node | null | undefined;
  const top = root['top'] as { value?: unknown; percent?: unknown } | null | undefined;
  const asPageSize = `TOP is not supported by Dataverse's Web API SQL, so read_query sends a TOP n as the page size, capped at ${MAX_ROWS} rows`;
  if (limit && (limit['offset'] || limit['fetch'] || (Array.isArray(limit['value']) && limit['value'].length > 0))) {
    refuse(`OFFSET … FETCH is not supported by Dataverse's Web API SQL, and neither is TOP. The result is capped at ${MAX_ROWS} rows and truncated says when more match; narrow with WHERE to reach other rows.`);
  }
  if (top?.percent) refuse(`TOP … PERCENT cannot be sent: ${asPageSize}. Give a row count.`);
  let requested: number | undefined;
  if (top) {
    if (typeof top.value !== 'number' || !Number.isInteger(top.value) || top.value < 0) refuse(`TOP needs a whole number of rows: ${asPageSize}.`);
    requested = top.value as number;
  }
  // Dataverse refuses TOP, so it never reaches it: the row count travels as the page size.
  root['top'] = null;
  return {
    sql: parser.sqlify(root as never, DIALECT),
    tables,
    rowLimit: Math.min(requested ?? MAX_ROWS, MAX_ROWS),
    capped: requested === undefined || requested > MAX_ROWS,
  };
}

/** A query that does not start with SELECT gets a message about that, not about what the parser made of it. */
function checkFirstWord(sql: string): void {
  const m = /^(\s*)([A-Za-z_][\w@#$]*)/.exec(sql);
  const word = m?.[2];
  if (!m || !word) return;
  const upper = word.toUpperCase();
  if (upper === 'SELECT' || upper === 'WITH') return;
  if (OTHER_STATEMENTS.has(upper)) refuse(`Only SELECT queries are allowed; this is a ${upper} statement.`);
  // T-SQL would read `SELEC name FROM account` as variable assignments: say what is wrong instead.
  refuse(`Incorrect syntax near "${clip(word)}" at ${position(sql, m[1]?.length ?? 0)}: a query starts with SELECT.`);
}

const OTHER_STATEMENTS = new Set(
  'INSERT UPDATE DELETE MERGE DROP CREATE ALTER TRUNCATE EXEC EXECUTE DECLARE SET GRANT REVOKE DENY USE BEGIN COMMIT ROLLBACK SAVE BACKUP RESTORE DBCC KILL SHUTDOWN PRINT WAITFOR BULK OPEN CLOSE FETCH DEALLOCATE RAISERROR THROW IF WHILE GOTO RETURN REPLACE RENAME CALL SHOW DESCRIBE EXPLAIN LOCK UNLOCK'.split(' '),
);
const KEYWORDS = ['SELECT', 'FROM', 'WHERE', 'JOIN', 'INNER', 'LEFT', 'OUTER', 'GROUP', 'ORDER', 'BY', 'AND', 'OR', 'NOT', 'LIKE', 'IN', 'BETWEEN', 'IS', 'NULL', 'DISTINCT', 'AS', 'ON', 'ASC', 'DESC'];
// One token: a bracketed or quoted name, a string literal, a word, or one other character.
const TOKEN = /\[[^\]]*\]?|"[^"]*"?|'(?:[^']|'')*'?|[\w@#$]+|\S/g;

function position(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * One line for a parse failure: the token at the spot (or the end of an unfinished query) and its
 * line and column, never node-sql-parser's list of expected tokens.
 */
function syntaxMessage(sql: string, err: unknown): string {
  const start = (err as { location?: { start?: { offset?: unknown } } } | null)?.location?.start?.offset;
  if (typeof start !== 'number') return 'The query could not be parsed as T-SQL.';
  const at = start + (/^\s*/.exec(sql.slice(start))?.[0].length ?? 0);
  const before = sql.slice(0, at).match(TOKEN) ?? [];
  const previous = before.at(-1);
  if (at >= sql.length) {
    const quote = /'(?:[^']|'')*$/.exec(sql);
    if (quote && (sql.slice(0, quote.index).split("'").length - 1) % 2 === 0) return `The query is incomplete: the string that starts at ${position(sql, quote.index)} is not closed.`;
    return previous ? `The query is incomplete: it ends after "${clip(previous)}" at ${position(sql, sql.length)}.` : 'The query is empty.';
  }
  const token = new RegExp(TOKEN.source, 'y').exec(sql.slice(at))?.[0] ?? sql.charAt(at);
  const hint = [previous, token].map((w) => (w ? misspeltKeyword(w) : undefined)).find((h) => h !== undefined);
  return `Incorrect syntax near "${clip(token)}" at ${position(sql, at)}${hint ? ` (is "${clip(hint[0])}" meant to be ${hint[1]}?)` : ''}.`;
}

/** [word, keyword] when a word that is no keyword is one or two edits from one (FRUM → FROM). */
function misspeltKeyword(word: string): [string, string] | undefined {
  const upper = word.toUpperCase();
  if (!/^[A-Z]{3,}$/.test(upper) || KEYWORDS.includes(upper)) return undefined;
  const keyword = KEYWORDS.find((k) => k.length >= 4 && editDistance(upper, k) <= (k.length >= 5 ? 2 : 1));
  return keyword ? [word, keyword] : undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length] ?? 0;
}

/** SQL doc: named columns and COUNT/SUM/AVG/MIN/MAX only; no literals, expressions or other functions. */
function checkSelectList(columns: unknown): void {
  if (!Array.isArray(columns)) return;
  columns.forEach((c: unknown, i: number) => {
    const expr = isNode(c) ? c['expr'] : undefined;
    if (isColumn(expr)) return;
    if (isNode(expr) && expr['type'] === 'aggr_func' && AGGREGATES.has(String(expr['name']).toUpperCase()) && !expr['over']) {
      const arg = isNode(expr['args']) ? expr['args']['expr'] : undefined;
      if (isColumn(arg) || (isNode(arg) && arg['type'] === 'star' && String(expr['name']).toUpperCase() === 'COUNT')) return;
      refuse(`Item ${i + 1} of the select list: ${String(expr['name']).toUpperCase()} takes a column name (COUNT also takes *) in Dataverse SQL.`);
    }
    refuse(`Item ${i + 1} of the select list is ${describe(expr)}: Dataverse SQL selects column names and COUNT, SUM, AVG, MIN or MAX of a column only (no literals, expressions or other functions).`);
  });
}

function describe(expr: unknown): string {
  if (isLiteral(expr)) return 'a literal';
  if (isNode(expr) && (expr['type'] === 'function' || expr['type'] === 'aggr_func')) return `the function ${clip(functionName(expr))}`;
  return 'an expression';
}

/** Upper-case name of a parsed call: `aggr_func` names are strings, `function` names `{ name: [{ value }] }`. */
function functionName(expr: Node): string {
  const name = expr['name'];
  const parts = isNode(name) && Array.isArray(name['name']) ? (name['name'] as unknown[]) : undefined;
  return (parts ? parts.map((p) => (isNode(p) ? String(p['value']) : '')).join('.') : String(name ?? '')).toUpperCase();
}

/**
 * SQL doc: a JOIN's ON is one `=` between a column of the joined table and a column of an earlier
 * table; further AND conditions may only filter the joined table. Unqualified columns cannot be
 * placed without metadata and are left to Dataverse.
 */
function checkJoins(fromList: Node[]): void {
  const aliases: string[] = [];
  for (const from of fromList) {
    const alias = String(from['as'] || from['table'] || '').toLowerCase();
    if (from['join']) {
      const on = from['on'];
      const rule = `The ON of the JOIN of ${clip(alias)} must be one = between a column of ${clip(alias)} and a column of an earlier table (Dataverse SQL joins on column equality).`;
      if (!isNode(on)) refuse(rule);
      const conjuncts: Node[] = [];
      const flatten = (n: Node): void => {
        if (n['type'] === 'binary_expr' && String(n['operator']).toUpperCase() === 'AND' && isNode(n['left']) && isNode(n['right'])) {
          flatten(n['left']);
          flatten(n['right']);
        } else conjuncts.push(n);
      };
      flatten(on as Node);
      const pairs = conjuncts.filter((c) => c['type'] === 'binary_expr' && isColumn(c['left']) && isColumn(c['right']));
      const pair = pairs[0];
      if (pairs.length !== 1 || !pair || pair['operator'] !== '=') refuse(rule);
      const sides = [qualifier(pair['left']), qualifier(pair['right'])];
      if (sides.every((q) => q !== undefined) && !(sides.includes(alias) && sides.some((q) => q !== alias && aliases.includes(q ?? '')))) refuse(rule);
      for (const c of conjuncts) if (c !== pair) checkCondition(c, 'ON', alias);
    }
    aliases.push(alias);
  }
}

function qualifier(column: unknown): string | undefined {
  const table = isNode(column) ? column['table'] : undefined;
  return typeof table === 'string' && table ? table.toLowerCase() : undefined;
}

/**
 * SQL doc: conditions compare a column with a literal (= != <> < > <= >=, [NOT] LIKE, [NOT] IN,
 * BETWEEN, IS [NOT] NULL), joined by AND, OR and parentheses; no column-to-column or
 * literal-to-literal comparisons, expressions, functions, subqueries or EXISTS. In a JOIN's ON they
 * may only use the joined table (`onlyAlias`).
 */
function checkCondition(node: unknown, clause: 'WHERE' | 'ON', onlyAlias?: string): void {
  const rule = `Conditions in ${clause} must compare a column with a literal value in Dataverse SQL`;
  if (!isNode(node)) return refuse(`${rule}.`);
  const op = String(node['operator'] ?? '').toUpperCase();
  // NOT appears only inside the listed operators; `NOT (…)` parses as a function named NOT.
  if ((node['type'] === 'unary_expr' && op === 'NOT') || (node['type'] === 'function' && functionName(node) === 'NOT')) {
    refuse('NOT before a condition is not supported by Dataverse SQL; use <>, NOT LIKE, NOT IN or IS NOT NULL.');
  }
  if (node['type'] !== 'binary_expr') return refuse(`${rule} (functions, expressions and EXISTS are not supported).`);
  const { left, right } = node;
  if (op === 'AND' || op === 'OR') {
    checkCondition(left, clause, onlyAlias);
    checkCondition(right, clause, onlyAlias);
    return;
  }
  const column = (c: unknown): void => {
    if (!isColumn(c)) refuse(`${rule} (functions and expressions are not supported).`);
    const q = qualifier(c);
    if (onlyAlias !== undefined && q !== undefined && q !== onlyAlias) {
      refuse(`Further ON conditions of the JOIN of ${clip(onlyAlias)} may only use columns of the joined table ${clip(onlyAlias)} in Dataverse SQL; filter ${clip(q)} in WHERE.`);
    }
  };
  const literals = (list: unknown, count?: number): void => {
    const values = isNode(list) && list['type'] === 'expr_list' && Array.isArray(list['value']) ? (list['value'] as unknown[]) : undefined;
    if (!values || values.length === 0 || (count !== undefined && values.length !== count) || !values.every(isLiteral)) refuse(`${op} needs ${count === 2 ? 'two literal values' : 'a list of literal values'} in Dataverse SQL.`);
  };
  if (COMPARISONS.has(op)) {
    if (isColumn(left) && isColumn(right)) refuse(`${rule}; comparing two columns is not supported (join on them instead).`);
    if (isLiteral(left) && isLiteral(right)) refuse(`${rule}; comparing two literals (such as 1 = 1) is not supported.`);
    if (isColumn(left) && isLiteral(right)) return column(left);
    if (isLiteral(left) && isColumn(right)) return column(right);
    return refuse(`${rule} (functions and expressions are not supported).`);
  }
  if (op === 'LIKE' || op === 'NOT LIKE') {
    if (!isNode(right) || !['single_quote_string', 'string', 'natural_string', 'var_string'].includes(String(right['type']))) refuse(`${op} needs a string pattern in Dataverse SQL.`);
    return column(left);
  }
  if (op === 'IN' || op === 'NOT IN') {
    literals(right);
    return column(left);
  }
  if (op === 'BETWEEN' || op === 'NOT BETWEEN') {
    literals(right, 2);
    return column(left);
  }
  if (op === 'IS' || op === 'IS NOT') {
    if (!isNode(right) || right['type'] !== 'null') refuse(`${op} must be followed by NULL.`);
    return column(left);
  }
  refuse(`The operator ${clip(op)} is not supported by Dataverse SQL.`);
}

/** SQL doc: GROUP BY and ORDER BY take columns only. */
function checkColumnsOnly(clause: unknown, name: 'GROUP BY' | 'ORDER BY'): void {
  const items = isNode(clause) ? clause['columns'] : clause;
  if (!Array.isArray(items)) return;
  for (const item of items) {
    const expr = name === 'ORDER BY' && isNode(item) ? item['expr'] : item;
    if (!isColumn(expr)) refuse(`${name} takes column names only in Dataverse SQL.`);
  }
}

function containsSubquery(node: unknown, isRoot = false): boolean {
  if (Array.isArray(node)) return node.some((n) => containsSubquery(n));
  if (!node || typeof node !== 'object') return false;
  const obj = node as Node;
  if (!isRoot && (obj['type'] === 'select' || (obj['ast'] && typeof obj['ast'] === 'object'))) return true;
  return Object.entries(obj).some(([k, v]) => k !== 'loc' && containsSubquery(v));
}

export const readQuery = defineTool({
  name: 'read_query',
  title: 'Read query (SQL)',
  description:
    'Runs one read-only Dataverse SQL SELECT (T-SQL subset: named columns and COUNT/SUM/AVG/MIN/MAX of a column, DISTINCT, WHERE comparing columns with literals, INNER/LEFT JOIN on a column equality, GROUP BY, ORDER BY). Use logical names from list_tables and describe_table; lookups are GUID columns. Returns at most 500 rows (TOP n returns fewer; OFFSET/FETCH is not supported); truncated says when more rows match.',
  input: z.object({ sql_query: z.string().trim().min(1).max(8000).describe('A single SELECT statement.') }),
  output: z.object({
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.unknown())),
    rowCount: z.number(),
    truncated: z.boolean().describe('True when more rows match than the 500-row cap, or the size budget cut rows'),
    executedSql: z.string().describe('The checked query as sent to Dataverse (a TOP n is sent as the page size instead)'),
  }),
  kind: 'read',
  async run(args, ctx) {
    const checked = checkQuery(args.sql_query);
    for (const t of checked.tables) requireTable(ctx, t);
    const first = checked.tables[0]!;
    const entitySet = await entitySetOf(ctx, first);
    // One page only: the page size is the row limit (TOP 0 still asks for a page of one).
    const page = await ctx.dataverse.sql(entitySet, checked.sql, { pageSize: Math.max(1, checked.rowLimit) });
    const rows = page.rows.slice(0, checked.rowLimit).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('@'))));
    // More rows than the limit mean more match: a next page, or a server that ignored the page size.
    const more = page.more || page.rows.length > checked.rowLimit;
    let kept = rows;
    let bytes = JSON.stringify(rows).length;
    while (bytes > MAX_RESULT_BYTES && kept.length > 1) {
      kept = kept.slice(0, Math.floor(kept.length / 2));
      bytes = JSON.stringify(kept).length;
    }
    // A TOP n the caller asked for is met, not cut, when more rows exist.
    const truncated = kept.length < rows.length || (checked.capped && more);
    const columns = kept[0] ? Object.keys(kept[0]) : [];
    const preview = kept.slice(0, 20).map((r) => columns.map((c) => String(r[c] ?? '')).join(' | '));
    return {
      data: { columns, rows: kept, rowCount: kept.length, truncated, executedSql: checked.sql },
      text: `${kept.length} row(s)${truncated ? ' (truncated: more rows match; add filters or aggregate)' : ''}.\n${columns.join(' | ')}\n${preview.join('\n')}${kept.length > 20 ? '\n…' : ''}`,
    };
  },
});
