import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import type { ConfirmationPreview, ToolContext } from '../defineTool.js';
import { ToolError } from '../defineTool.js';
import { normaliseColumns, toBody } from '../dataverse/recordData.js';
import type { TableInfo } from '../dataverse/tableAccess.js';

/** Rows per call: one CreateMultiple / UpdateMultiple request, well inside the service's time limit (bulk-operations). */
export const MAX_BULK_ROWS = 1000;
/** Rows the preview shows in full; every other row is listed by its label. */
export const ROWS_IN_FULL = 5;
/** Problems named one by one before the rest are counted. */
const PROBLEMS_SHOWN = 25;

export const rowDataArg = z
  .record(z.string(), z.unknown())
  .refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 200, 'give between 1 and 200 columns')
  .describe('Column logical name → value, as for create_record: choices by value or label, lookups by GUID (or "table:GUID"), dates in ISO 8601.');

/** Every row converted to a Web API body, or a refusal naming each bad row (nothing is sent). */
export async function bodiesOf(ctx: ToolContext, info: TableInfo, rows: readonly Record<string, unknown>[], mode: 'create' | 'update'): Promise<{ bodies: Row[]; boundTables: string[] }> {
  const bodies: Row[] = [];
  const bound = new Set<string>();
  const problems: string[] = [];
  for (const [i, row] of rows.entries()) {
    try {
      const { body, boundTables } = await toBody(ctx, info, row, mode);
      bodies.push(body);
      for (const t of boundTables) bound.add(t);
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      problems.push(`row ${i + 1}: ${err.message.replace(/^The record data is not valid for [a-z0-9_]+: /, '').replace(/\. describe_table lists the columns\.$/, '')}`);
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, PROBLEMS_SHOWN).join('; ');
    const rest = problems.length > PROBLEMS_SHOWN ? `; and ${problems.length - PROBLEMS_SHOWN} more` : '';
    throw new ToolError(`Nothing was ${mode === 'create' ? 'created' : 'updated'}: ${problems.length} of ${rows.length} rows are not valid for ${info.logicalName}: ${shown}${rest}. Fix those rows and call again.`, 'invalid_argument');
  }
  return { bodies, boundTables: [...bound] };
}

const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The preview of a bulk write: how many rows, the first rows in full, how many rows set each
 * column, and every other row by its label, so the user sees all of what they agree to.
 */
export function bulkPreview(summary: string, info: TableInfo, rows: readonly Record<string, unknown>[], label: (row: Map<string, unknown>, index: number) => string): ConfirmationPreview {
  const normalised = rows.map((r) => normaliseColumns(r));
  const details: Record<string, string | number> = { rows: rows.length };
  normalised.slice(0, ROWS_IN_FULL).forEach((r, i) => {
    details[`row ${i + 1}`] = [...r].map(([k, v]) => `${k}=${clipValue(valueText(v))}`).join(', ');
  });
  const counts = new Map<string, number>();
  for (const r of normalised) for (const k of r.keys()) counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const [k, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    const a = info.attributes.get(k);
    details[`column ${k}`] = `${n} of ${rows.length} rows${a?.displayName ? ` (${a.displayName})` : ''}`;
  }
  if (normalised.length > ROWS_IN_FULL) {
    details[`rows ${ROWS_IN_FULL + 1}-${rows.length}`] = normalised
      .slice(ROWS_IN_FULL)
      .map((r, i) => `${i + ROWS_IN_FULL + 1}. ${label(r, i + ROWS_IN_FULL)}`)
      .join('; ');
  }
  return { summary, details };
}

const clipValue = (t: string) => (t.length > 200 ? `${t.slice(0, 199)}… (${t.length} characters)` : t);

/** A row's label in the preview: its primary name, else the first two values given. */
export function rowLabel(info: TableInfo, row: Map<string, unknown>): string {
  const name = info.primaryName ? row.get(info.primaryName) : undefined;
  if (typeof name === 'string' && name) return clipValue(name);
  const parts = [...row.values()].slice(0, 2).map((v) => clipValue(valueText(v)));
  return parts.join(' ');
}

/**
 * A bulk message that failed: on standard tables nothing was applied (the request is one
 * transaction), so the tool says so; a request whose fate is unknown keeps its own sentence.
 */
export function bulkFailure(err: unknown, what: { action: string; verb: string; rows: number; replayed: boolean }): never {
  if (!(err instanceof DataverseError) || err.kind === 'unknown_outcome' || err.kind === 'throttled' || err.kind === 'unavailable' || err.kind === 'timeout') throw err;
  if (what.replayed && err.kind === 'duplicate') {
    throw new ToolError(`This confirmation was already carried out: the rows exist. Nothing more was ${what.verb}.`, 'conflict');
  }
  throw new ToolError(
    `Nothing was ${what.verb}: Dataverse refused the ${what.action} request (${err.message}). It applies all ${what.rows} rows or none, so no row was changed; fix the row it names and call again.`,
    err.kind === 'forbidden' ? 'forbidden' : err.kind === 'not_found' ? 'not_found' : 'failed',
  );
}
