import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { bind, isGuid } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import { clip, orNotFound, str } from '../shared.js';
import { type AttributeInfo, describe, entitySetOf, requireTable, type TableInfo, tableNameArg } from './tableAccess.js';

export const recordDataArg = (what: string) =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 200, 'give between 1 and 200 columns')
    .describe(
      `${what}: column logical name → value. Choice columns take the value or its label; lookups take a GUID (or "table:GUID" when the column can point to several tables); dates take ISO 8601.`,
    );

/** Column names as Dataverse spells them (trimmed, lower case, `_x_value` → `x`); a name given twice is refused. */
export function normaliseColumns(data: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const twice: string[] = [];
  for (const [rawKey, value] of Object.entries(data)) {
    const key = rawKey.trim().toLowerCase().replace(/^_(.+)_value$/, '$1');
    if (out.has(key)) twice.push(key);
    out.set(key, value);
  }
  if (twice.length) throw new ToolError(`These columns are given more than once (names are not case-sensitive): ${[...new Set(twice)].join(', ')}.`, 'invalid_argument');
  return out;
}

/** Turns user-friendly column values into a Web API body, checking every column against metadata. */
export async function toBody(ctx: ToolContext, info: TableInfo, data: Record<string, unknown>, mode: 'create' | 'update'): Promise<{ body: Row; boundTables: string[] }> {
  const body: Row = {};
  const problems: string[] = [];
  const boundTables = new Set<string>();
  const setOf = (table: string) => {
    boundTables.add(table);
    return entitySetOf(ctx, table);
  };
  for (const [key, value] of normaliseColumns(data)) {
    const attr = info.attributes.get(key);
    if (!attr) {
      problems.push(`${key}: no such column on ${info.logicalName}`);
      continue;
    }
    if ((mode === 'create' && !attr.isValidForCreate) || (mode === 'update' && !attr.isValidForUpdate)) {
      problems.push(`${key}: cannot be set on ${mode}`);
      continue;
    }
    try {
      await convert(attr, value, body, setOf, (target) => ctx.metadata.bindKey(info.logicalName, attr.name, target));
    } catch (err) {
      problems.push(`${key}: ${(err as Error).message}`);
    }
  }
  if (mode === 'create') {
    const missing = [...info.attributes.values()].filter(
      (a) =>
        a.required === 'ApplicationRequired' &&
        a.name !== info.primaryId &&
        a.isValidForCreate &&
        !(a.name in body) &&
        !Object.keys(body).some((k) => k.startsWith(`${a.name}@`) || k.startsWith(`${a.name}_`)),
    );
    for (const a of missing) problems.push(`${a.name}: required`);
  }
  if (problems.length) throw new ToolError(`The record data is not valid for ${info.logicalName}: ${problems.join('; ')}. describe_table lists the columns.`, 'invalid_argument');
  return { body, boundTables: [...boundTables] };
}

/** A write needs its own privilege, and each lookup it sets appends the row to the target (Append/AppendTo). */
export function writePrivileges(table: string, op: 'Create' | 'Write', boundTables: readonly string[]): PrivilegeNeed[] {
  // Pointing at a user (owner, party) needs no Append privileges.
  const targets = boundTables.filter((t) => t !== 'systemuser');
  return [{ table, ops: targets.length ? [op, 'Append'] : [op] }, ...targets.map((t) => ({ table: t, ops: ['AppendTo'] as const }))];
}

async function convert(
  attr: AttributeInfo,
  value: unknown,
  body: Row,
  entitySetOf: (t: string) => Promise<string>,
  bindKeyOf: (target: string) => Promise<string>,
): Promise<void> {
  if (value === null) {
    if (['Lookup', 'Customer', 'Owner'].includes(attr.type)) throw new Error('clear lookups in Dynamics; setting null is not supported here');
    body[attr.name] = null;
    return;
  }
  switch (attr.type) {
    case 'String':
    case 'Memo': {
      if (typeof value !== 'string') throw new Error('must be text');
      if (attr.maxLength !== undefined && value.length > attr.maxLength) throw new Error(`longer than ${attr.maxLength} characters`);
      body[attr.name] = value;
      return;
    }
    case 'Integer':
    case 'BigInt': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error('must be a whole number');
      body[attr.name] = value;
      return;
    }
    case 'Decimal':
    case 'Double':
    case 'Money': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error('must be a number');
      body[attr.name] = value;
      return;
    }
    case 'Boolean': {
      const b = typeof value === 'boolean' ? value : typeof value === 'string' ? ({ true: true, yes: true, false: false, no: false } as Record<string, boolean>)[value.toLowerCase()] : undefined;
      if (b === undefined) throw new Error('must be true or false');
      body[attr.name] = b;
      return;
    }
    case 'DateTime': {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw new Error('must be an ISO 8601 date');
      body[attr.name] = value;
      return;
    }
    case 'Picklist':
    case 'State':
    case 'Status': {
      const options = attr.options ?? [];
      const match = options.find((o) => o.value === value || (typeof value === 'string' && (o.label.toLowerCase() === value.toLowerCase() || String(o.value) === value)));
      if (!match) throw new Error(`must be one of ${options.map((o) => `${o.value} (${o.label})`).join(', ')}`);
      body[attr.name] = match.value;
      return;
    }
    case 'Lookup':
    case 'Customer':
    case 'Owner': {
      const targets = attr.targets ?? [];
      let table: string | undefined;
      let id: string | undefined;
      if (typeof value === 'string' && value.includes(':')) [table, id] = value.split(':', 2) as [string, string];
      else if (typeof value === 'string') id = value;
      else if (value && typeof value === 'object') ({ table, id } = value as { table?: string; id?: string });
      if (!id || !isGuid(id)) throw new Error('must be a GUID');
      table ??= targets.length === 1 ? targets[0] : undefined;
      if (!table || !targets.includes(table)) throw new Error(`say which table it points to: one of ${targets.join(', ')} (e.g. "${targets[0] ?? 'account'}:${id}")`);
      // The navigation name comes from the org's metadata: custom lookups keep their schema name's case.
      body[await bindKeyOf(table)] = bind(await entitySetOf(table), id);
      return;
    }
    case 'Uniqueidentifier': {
      if (typeof value !== 'string' || !isGuid(value)) throw new Error('must be a GUID');
      body[attr.name] = value;
      return;
    }
    default:
      throw new Error(`columns of type ${attr.type} cannot be set with this tool`);
  }
}

export async function allowedTable(ctx: ToolContext, table: string): Promise<TableInfo> {
  requireTable(ctx, table);
  return describe(ctx, table);
}

/** A row's id and primary name (for previews), or a clear "no such record". */
export async function existingRow(ctx: ToolContext, info: TableInfo, id: string): Promise<Row> {
  return orNotFound(info.logicalName, id, () => ctx.dataverse.get(info.entitySetName, id, { select: [info.primaryId, ...(info.primaryName ? [info.primaryName] : [])] }));
}

export function recordLabel(info: TableInfo, row: Row, id: string): string {
  const name = info.primaryName ? str(row, info.primaryName) : undefined;
  return `${info.displayName || info.logicalName} ${name ? `"${name}" ` : ''}(${id})`;
}

/** Every column the write will set, with its value (long text shown in full up to 2,000 characters, then its length). */
export const describeData = (data: Record<string, unknown>) =>
  Object.fromEntries(
    [...normaliseColumns(data)].map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return [k, text.length > 2000 ? `${clip(text, 2000)} (${text.length} characters)` : text];
    }),
  );
