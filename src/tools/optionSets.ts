import { DataverseError } from '../dataverse/errors.js';
import { type ToolContext, ToolError } from './defineTool.js';

interface OptionMetadata {
  Value: number;
  Label?: { UserLocalizedLabel?: { Label?: string } | null };
}

/** Option values of a choice column, read from the org's metadata (labels differ between orgs). */
export async function optionSet(ctx: ToolContext, table: string, attribute: string): Promise<Array<{ value: number; label: string }>> {
  let rows: Array<{ LogicalName?: string; OptionSet?: { Options?: OptionMetadata[] } }>;
  try {
    rows = await ctx.dataverse.attributes(table, ['LogicalName'], 'PicklistAttributeMetadata', 'OptionSet($select=Options)');
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`Table ${table} has no choice columns.`, 'not_found');
    throw err;
  }
  const column = rows.find((r) => r.LogicalName === attribute);
  return (column?.OptionSet?.Options ?? []).map((o) => ({ value: o.Value, label: o.Label?.UserLocalizedLabel?.Label ?? String(o.Value) }));
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
