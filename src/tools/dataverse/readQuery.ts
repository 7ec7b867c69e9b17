import sqlParser from 'node-sql-parser/build/transactsql.js';
import { z } from 'zod';

import { DataverseError } from '../../dataverse/errors.js';
import { defineTool, ToolError } from '../defineTool.js';
import { requireTable } from './tableAccess.js';

const { Parser } = sqlParser;
const parser = new Parser();
const DIALECT = { database: 'transactsql' };
/** Rows a query may return through this tool; queries without TOP get DEFAULT_TOP. */
export const MAX_ROWS = 500;
export const DEFAULT_TOP = 100;
/** Rows beyond this much JSON are cut (the response must stay far below client caps such as 500 KB). */
const MAX_RESULT_BYTES = 250_000;

export interface CheckedQuery {
  sql: string;
  tables: string[];
  top: number;
  capped: boolean;
}

type Node = Record<string, unknown>;

/**
 * Parses and checks a query before anything is sent: exactly one SELECT, named columns, only the
 * joins Dataverse SQL supports, no UNION/CTE/subquery/HAVING/INTO, and a TOP no larger than the cap.
 * The query Dataverse receives is re-serialised from the checked tree, not the caller's text.
 */
export function checkQuery(sql: string): CheckedQuery {
  let ast: unknown;
  let tableList: string[];
  try {
    ast = parser.astify(sql, DIALECT);
    tableList = parser.tableList(sql, DIALECT);
  } catch (err) {
    throw new ToolError(`The query could not be parsed as T-SQL: ${(err as Error).message.split('\n')[0]?.slice(0, 200)}`, 'invalid_argument');
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw new ToolError('Send exactly one SELECT statement (no ";" separated statements).', 'invalid_argument');
    ast = ast[0];
  }
  const root = ast as Node;
  if (root['type'] !== 'select') throw new ToolError(`Only SELECT queries are allowed; this is a ${String(root['type']).toUpperCase()}.`, 'invalid_argument');
  if (root['_next'] || root['set_op']) throw new ToolError('UNION, INTERSECT and EXCEPT are not supported by Dataverse SQL.', 'invalid_argument');
  if (root['with']) throw new ToolError('Common table expressions (WITH) are not supported by Dataverse SQL.', 'invalid_argument');
  if (root['having']) throw new ToolError('HAVING is not supported by Dataverse SQL; filter in WHERE or post-process the grouped rows.', 'invalid_argument');
  const into = root['into'] as Node | undefined;
  if (into && (into['expr'] || into['type'])) throw new ToolError('SELECT INTO is not allowed: read_query only reads.', 'invalid_argument');
  const columns = root['columns'];
  if (columns === '*' || (Array.isArray(columns) && columns.some((c) => JSON.stringify((c as Node)['expr'] ?? {}).includes('"column":"*"')))) {
    throw new ToolError('Name the columns you need instead of *; describe_table lists them.', 'invalid_argument');
  }
  for (const from of (root['from'] as Node[] | undefined) ?? []) {
    const join = from['join'];
    if (typeof join === 'string' && !/^(INNER JOIN|LEFT JOIN|LEFT OUTER JOIN|JOIN)$/i.test(join)) {
      throw new ToolError(`${join} is not supported by Dataverse SQL; use INNER JOIN or LEFT JOIN.`, 'invalid_argument');
    }
    if (from['expr']) throw new ToolError('Subqueries are not supported by Dataverse SQL.', 'invalid_argument');
  }
  if (containsSubquery(root, true)) throw new ToolError('Subqueries are not supported by Dataverse SQL.', 'invalid_argument');

  // Tables come from the parsed FROM/JOIN entries themselves (not the parser's flattened name list),
  // and only the default schema is allowed, so what is checked is exactly what is sent.
  const fromTables: string[] = [];
  for (const from of (root['from'] as Node[] | undefined) ?? []) {
    const db = from['db'];
    if (db !== null && db !== undefined && String(db).toLowerCase() !== 'dbo') {
      throw new ToolError(`Only tables of the default schema can be queried (not ${String(db)}).`, 'invalid_argument');
    }
    if (typeof from['table'] === 'string') fromTables.push(from['table'].toLowerCase());
  }
  const tables = [...new Set(fromTables)];
  const listed = new Set(tableList.map((t) => (t.split('::').at(-1) ?? '').toLowerCase()));
  if (tables.length === 0 || [...listed].some((t) => !tables.includes(t))) throw new ToolError('The query must read named tables in FROM and JOIN only.', 'invalid_argument');

  const top = root['top'] as { value?: unknown; percent?: unknown } | null | undefined;
  if (top?.percent) throw new ToolError('TOP … PERCENT is not supported; give a row count.', 'invalid_argument');
  const requested = typeof top?.value === 'number' ? top.value : undefined;
  const effective = Math.min(requested ?? DEFAULT_TOP, MAX_ROWS);
  root['top'] = { value: effective, percent: null };
  return { sql: parser.sqlify(root as never, DIALECT), tables, top: effective, capped: requested === undefined || requested > MAX_ROWS };
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
  toolset: 'dataverse',
  title: 'Read query (SQL)',
  description:
    'Runs one read-only Dataverse SQL SELECT (T-SQL subset: named columns, TOP, WHERE, INNER/LEFT JOIN, GROUP BY, ORDER BY, aggregates). Use logical names from list_tables and describe_table; lookups are GUID columns. Without TOP at most 100 rows are returned, never more than 500.',
  input: z.object({ sql_query: z.string().trim().min(1).max(8000).describe('A single SELECT statement.') }),
  output: z.object({
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.unknown())),
    rowCount: z.number(),
    truncated: z.boolean().describe('True when the row cap or size budget cut the result'),
    executedSql: z.string().describe('The checked query that was sent to Dataverse'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const checked = checkQuery(args.sql_query);
    for (const t of checked.tables) requireTable(ctx, t);
    const first = checked.tables[0]!;
    let entitySet: string;
    try {
      entitySet = String((await ctx.dataverse.entityDefinition(first, ['EntitySetName']))['EntitySetName'] ?? '');
    } catch (err) {
      if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`There is no table named "${first}". Call list_tables to see the tables.`, 'not_found');
      throw err;
    }
    const raw = await ctx.dataverse.sql(entitySet, checked.sql);
    const rows = raw.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('@'))));
    let kept = rows;
    let bytes = JSON.stringify(rows).length;
    while (bytes > MAX_RESULT_BYTES && kept.length > 1) {
      kept = kept.slice(0, Math.floor(kept.length / 2));
      bytes = JSON.stringify(kept).length;
    }
    const truncated = kept.length < rows.length || (checked.capped && rows.length >= checked.top);
    const columns = kept[0] ? Object.keys(kept[0]) : [];
    const preview = kept.slice(0, 20).map((r) => columns.map((c) => String(r[c] ?? '')).join(' | '));
    return {
      data: { columns, rows: kept, rowCount: kept.length, truncated, executedSql: checked.sql },
      text: `${kept.length} row(s)${truncated ? ' (truncated: add TOP/filters or aggregate)' : ''}.\n${columns.join(' | ')}\n${preview.join('\n')}${kept.length > 20 ? '\n…' : ''}`,
    };
  },
});
