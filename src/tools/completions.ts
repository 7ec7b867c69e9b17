import type { Row } from '../dataverse/client.js';
import { and, contains, eq, type Filter, guid, isGuid, or, startsWith } from '../dataverse/odata.js';
import { ToolError } from './defineTool.js';
import { clip } from './shared.js';
import { type Completer, COMPLETION_LIMIT, type SurfaceContext } from './surface.js';

/** One kind of record a prompt argument names, looked up by its name as the user types it. */
export interface NamedRecords {
  /** What the user calls it, for messages ("account", "case"). */
  noun: string;
  entitySet: string;
  idField: string;
  nameField: string;
  /** Only these are offered and resolved (e.g. active records). */
  scope?: Filter;
  /** Further columns the prompt needs once it has the record. */
  select?: readonly string[];
}

const typedText = (value: string) => value.trim().slice(0, 100);

/**
 * Names that start with what was typed (one Dataverse request as the user, so their security
 * roles decide what is offered), most common spelling once each.
 */
export function completeNames(records: NamedRecords): Completer {
  return async (value, ctx) => {
    const typed = typedText(value);
    const page = await ctx.dataverse.list(
      records.entitySet,
      { select: [records.nameField], filter: and(records.scope, typed && startsWith(records.nameField, typed)), orderby: [{ property: records.nameField }], top: COMPLETION_LIMIT },
      { maxRows: COMPLETION_LIMIT },
    );
    return unique(page.rows.map((r) => r[records.nameField]));
  };
}

function unique(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
}

/**
 * The record an argument names: its id, or its exact name (case-insensitive, as Dataverse
 * compares), or failing that the one record whose name starts with it. Several matches are an
 * error that lists them, so the user can say which.
 */
export async function resolveNamed(ctx: SurfaceContext, records: NamedRecords, value: string): Promise<Row> {
  const typed = typedText(value);
  if (!typed) throw new ToolError(`Say which ${records.noun}: give its name or id.`, 'invalid_argument');
  const select = [records.idField, records.nameField, ...(records.select ?? [])];
  const find = async (filter: Filter | undefined) =>
    (await ctx.dataverse.list(records.entitySet, { select, filter: and(records.scope, filter), orderby: [{ property: records.nameField }], top: 6 }, { maxRows: 6 })).rows;
  let rows = await find(isGuid(typed) ? eq(records.idField, guid(typed)) : eq(records.nameField, typed));
  if (rows.length === 0 && !isGuid(typed)) rows = await find(or(startsWith(records.nameField, typed), contains(records.nameField, typed)));
  if (rows.length === 1) return rows[0]!;
  if (rows.length === 0) throw new ToolError(`No ${records.noun} named "${clip(typed, 60)}" that you can see. Check the spelling, or use completion to pick one.`, 'not_found');
  const names = rows.slice(0, 5).map((r) => `"${String(r[records.nameField] ?? '')}" (${String(r[records.idField])})`);
  throw new ToolError(`Several ${records.noun}s match "${clip(typed, 60)}": ${names.join(', ')}${rows.length > 5 ? ', …' : ''}. Give the id of the one you mean.`, 'invalid_argument');
}
