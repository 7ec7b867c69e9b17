import { z } from 'zod';

import type { MetadataRead } from '../../dataverse/client.js';
import type { TableInfo } from '../../dataverse/metadata.js';
import { DataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';

export const tableNameArg = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a table logical name such as "account" or "new_project"')
  .describe('Table logical name, e.g. "account" (see list_tables).');

/** `table_name` is mirrored into `Mcp-Param-Table` (SEP-2243): a gateway can police tables without reading bodies. */
export const TABLE_HEADER = { table_name: 'Table' } as const;

/** Allowlist entries are logical names or prefixes with `*` (e.g. `new_*` for the tables this agent creates). */
export function tableAllowed(ctx: ToolContext, table: string): boolean {
  return ctx.agent.tables.some((t) => (t.endsWith('*') ? table.startsWith(t.slice(0, -1)) : t === table));
}

export function requireTable(ctx: ToolContext, table: string): void {
  if (!tableAllowed(ctx, table)) {
    throw new ToolError(`Table "${table}" is not available on this agent. Tables you can use: ${ctx.agent.tables.join(', ')}.`, 'forbidden');
  }
}

export type { AttributeInfo, TableInfo } from '../../dataverse/metadata.js';

/** A table's definition (cached per org), or a clear "no such table". `strong`: right after a schema change. */
export async function describe(ctx: ToolContext, table: string, read: MetadataRead = {}): Promise<TableInfo> {
  try {
    return await ctx.metadata.table(table, read);
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`There is no table named "${table}". Call list_tables to see the tables.`, 'not_found');
    throw err;
  }
}

/** A table's entity set (from the cached table list), or a clear "no such table". */
export async function entitySetOf(ctx: ToolContext, table: string): Promise<string> {
  try {
    return await ctx.metadata.entitySet(table);
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`There is no table named "${table.slice(0, 100)}". Call list_tables to see the tables.`, 'not_found');
    throw err;
  }
}
