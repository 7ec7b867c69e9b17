import { z } from 'zod';

import type { Page, Row } from '../dataverse/client.js';
import { DataverseError } from '../dataverse/errors.js';
import { formatted, GUID } from '../dataverse/odata.js';
import { type ToolContext, ToolError } from './defineTool.js';

/** Rows per call unless the caller asks for fewer; the hard cap keeps results far below client limits. */
export const DEFAULT_TOP = 25;
export const MAX_TOP = 100;
/** Budget for one page of Dataverse JSON; results stay well under Copilot Studio's 500 KB cap. */
export const PAGE_BYTES = 300_000;

export const guidArg = (description: string) =>
  z.string().trim().regex(GUID, 'must be a GUID like 00000000-0000-0000-0000-000000000000').describe(description);

export const topArg = z.number().int().min(1).max(MAX_TOP).default(DEFAULT_TOP).describe(`Rows to return (1-${MAX_TOP}, default ${DEFAULT_TOP}).`);
export const cursorArg = z.string().max(4096).optional().describe('nextCursor from a previous call, to get the next page with the same filters.');
export const searchArg = (what: string) => z.string().trim().min(1).max(200).optional().describe(what);

export const str = (row: Row, field: string): string | undefined => {
  const v = row[field];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

export const num = (row: Row, field: string): number | undefined => {
  const v = row[field];
  return typeof v === 'number' ? v : undefined;
};

/** The label of an option set / lookup / money value, falling back to the raw value. */
export const label = (row: Row, field: string): string | undefined => {
  const f = formatted(row, field);
  if (f !== undefined) return f;
  const v = row[field];
  return v === null || v === undefined ? undefined : String(v);
};

/** A lookup as `{ id, name, table }` from `_x_value` and its annotations. */
export function lookup(row: Row, attribute: string): { id: string; name: string; table: string } | undefined {
  const key = `_${attribute}_value`;
  const id = str(row, key);
  if (!id) return undefined;
  return {
    id,
    name: formatted(row, key) ?? '',
    table: typeof row[`${key}@Microsoft.Dynamics.CRM.lookuplogicalname`] === 'string' ? (row[`${key}@Microsoft.Dynamics.CRM.lookuplogicalname`] as string) : '',
  };
}

export const LookupSchema = z.object({ id: z.string(), name: z.string(), table: z.string() });

export function clip(text: string | undefined, max: number): string | undefined {
  if (text === undefined) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The rows of a collection-valued `$expand` (an empty list when Dataverse left it out). */
export const rowsOf = (row: Row, key: string): Row[] => (Array.isArray(row[key]) ? (row[key] as Row[]) : []);

/** Turns "not found" on a specific record into the sentence the model should see. */
export async function orNotFound<T>(what: string, id: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'not_found') throw new ToolError(`No ${what} with id ${id}.`, 'not_found');
    throw err;
  }
}

/** Reads a page from a fresh query or from a cursor, and seals the continuation into a new cursor. */
export async function pageWithCursor<T extends Row>(
  ctx: ToolContext,
  cursor: string | undefined,
  first: () => Promise<Page<T>>,
  top: number,
): Promise<{ rows: T[]; count: number | undefined; nextCursor: string | undefined }> {
  const page = cursor
    ? await ctx.dataverse.continue<T>(ctx.cursors.open(cursor).next, { pageSize: top, maxRows: top, maxBytes: PAGE_BYTES })
    : await first();
  return { rows: page.rows, count: page.count, nextCursor: page.next ? ctx.cursors.seal({ next: page.next }) : undefined };
}

/** Requires at least one of the given optional fields (for update tools). */
export function atLeastOne<T extends Record<string, unknown>>(args: T, fields: readonly (keyof T)[], hint: string): void {
  if (!fields.some((f) => args[f] !== undefined)) throw new ToolError(`Nothing to change: give at least one of ${hint}.`, 'invalid_argument');
}

export const pagingNote = (shown: number, nextCursor: string | undefined, count: number | undefined) =>
  nextCursor ? ` Showing ${shown}${count !== undefined ? ` of ${count >= 5000 ? '5000+' : count}` : ''}; pass nextCursor for more.` : '';

/** Text for a confirmation preview: in full up to `max` characters, else clipped with its length. */
export function previewText(text: string, max = 2000): string {
  return text.length <= max ? text : `${clip(text, max)} (${text.length} characters in all)`;
}

/** A contact's display name for previews (falls back to the id when it cannot be read). */
export async function contactName(ctx: ToolContext, id: string): Promise<string> {
  const row = await orNotFound('contact', id, () => ctx.dataverse.get('contacts', id, { select: ['contactid', 'fullname', 'emailaddress1'] }));
  const name = str(row, 'fullname') ?? id;
  const email = str(row, 'emailaddress1');
  return email ? `${name} <${email}>` : name;
}

/** "a" or "an" before a word, by its first sound as far as the spelling tells ("an Account", "a User"). */
export function article(word: string): string {
  return /^(?:[aeio]|u(?!ni|s[eu]|ti))/i.test(word.trim()) ? 'an' : 'a';
}

/** Ends a sentence once: a name that already ends in a full stop ("Contoso Ltd.") gets no second one. */
export function sentence(text: string): string {
  const t = text.trimEnd();
  return /[.!?]["')\]]?$/.test(t) ? t : `${t}.`;
}

/**
 * Creates a row whose id is derived from the confirmation being carried out (when there is one), so
 * the same confirmation applied twice meets Dataverse's duplicate-key refusal instead of making a
 * second record. A primary key the caller chose stays theirs.
 */
export async function createConfirmed(
  ctx: ToolContext,
  what: { table: string; entitySet: string; primaryId: string },
  body: Row,
  options: { select?: readonly string[] } = {},
): Promise<{ id: string; row: Row | undefined }> {
  const id = body[what.primaryId] === undefined ? ctx.confirmedId(what.table) : undefined;
  try {
    return await ctx.dataverse.create(what.entitySet, id ? { [what.primaryId]: id, ...body } : body, { ...options, primaryId: what.primaryId });
  } catch (err) {
    if (id && err instanceof DataverseError && err.kind === 'duplicate') {
      throw new ToolError(`This confirmation was already carried out: ${what.table} ${id} exists. Nothing more was created.`, 'conflict');
    }
    throw err;
  }
}

export const GroundingSchema = z.array(z.object({ text: z.string(), fields: z.array(z.string()) })).describe('Each sentence with the CRM fields it is based on');
