import { DataverseError } from '../dataverse/errors.js';
import { type ToolContext, ToolError } from './defineTool.js';

/** Option values of a choice column, from the org's metadata (labels differ between orgs; cached per org). */
export async function optionSet(ctx: ToolContext, table: string, attribute: string): Promise<Array<{ value: number; label: string }>> {
  try {
    return [...((await ctx.metadata.table(table)).attributes.get(attribute)?.options ?? [])];
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`Table ${table} has no choice columns.`, 'not_found');
    throw err;
  }
}

/** Resolves a label (case-insensitive; a unique prefix is enough) to its option value. */
export async function optionValue(ctx: ToolContext, table: string, attribute: string, wanted: string): Promise<number> {
  const options = await optionSet(ctx, table, attribute);
  const w = wanted.trim().toLowerCase();
  const exact = options.find((o) => o.label.toLowerCase() === w || String(o.value) === w);
  if (exact) return exact.value;
  const prefixed = options.filter((o) => o.label.toLowerCase().startsWith(w));
  if (prefixed.length === 1) return prefixed[0]!.value;
  const valid = options.map((o) => o.label).join(', ');
  throw new ToolError(`"${wanted}" is not a valid ${attribute} for ${table}. Valid values: ${valid || '(none)'}.`, 'invalid_argument');
}
