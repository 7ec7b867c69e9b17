import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { bind, isGuid } from '../../dataverse/odata.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import { article, clip, createConfirmed, guidArg, orNotFound, str } from '../shared.js';
import { type AttributeInfo, describe, requireTable, type TableInfo, tableNameArg } from './tableAccess.js';

const recordDataArg = (what: string) =>
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
async function toBody(ctx: ToolContext, info: TableInfo, data: Record<string, unknown>, mode: 'create' | 'update'): Promise<{ body: Row; boundTables: string[] }> {
  const body: Row = {};
  const problems: string[] = [];
  const setNames = new Map<string, string>();
  const boundTables = new Set<string>();
  const entitySetOf = async (table: string) => {
    boundTables.add(table);
    if (!setNames.has(table)) setNames.set(table, String((await ctx.dataverse.entityDefinition(table, ['EntitySetName']))['EntitySetName']));
    return setNames.get(table)!;
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
      await convert(attr, value, body, entitySetOf, (target) => ctx.metadata.bindKey(info.logicalName, attr.name, target));
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
function writePrivileges(table: string, op: 'Create' | 'Write', boundTables: readonly string[]): PrivilegeNeed[] {
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

async function allowedTable(ctx: ToolContext, table: string): Promise<TableInfo> {
  requireTable(ctx, table);
  return describe(ctx, table);
}

/** A row's id and primary name (for previews), or a clear "no such record". */
async function existingRow(ctx: ToolContext, info: TableInfo, id: string): Promise<Row> {
  return orNotFound(info.logicalName, id, () => ctx.dataverse.get(info.entitySetName, id, { select: [info.primaryId, ...(info.primaryName ? [info.primaryName] : [])] }));
}

function recordLabel(info: TableInfo, row: Row, id: string): string {
  const name = info.primaryName ? str(row, info.primaryName) : undefined;
  return `${info.displayName || info.logicalName} ${name ? `"${name}" ` : ''}(${id})`;
}

/** Every column the write will set, with its value (long text shown in full up to 2,000 characters, then its length). */
const describeData = (data: Record<string, unknown>) =>
  Object.fromEntries(
    [...normaliseColumns(data)].map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return [k, text.length > 2000 ? `${clip(text, 2000)} (${text.length} characters)` : text];
    }),
  );

export const createRecord = defineTool({
  name: 'create_record',
  toolset: 'dataverse',
  title: 'Create record',
  description: 'Inserts a row into a Dataverse table and returns its id. Column values are checked against the table definition first.',
  input: z.object({ table_name: tableNameArg, record_data: recordDataArg('The new row') }),
  output: z.object({ table: z.string(), recordId: z.string(), record: z.record(z.string(), z.unknown()) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  auditTarget: (args) => `${args.table_name}:new`,
  async confirm(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { boundTables } = await toBody(ctx, info, args.record_data, 'create');
    await ctx.privileges.require(...writePrivileges(info.logicalName, 'Create', boundTables));
    const name = info.displayName || info.logicalName;
    return { summary: `Create ${article(name)} ${name} record.`, details: describeData(args.record_data) };
  },
  async handler(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { body } = await toBody(ctx, info, args.record_data, 'create');
    const select = [info.primaryId, ...(info.primaryName ? [info.primaryName] : []), ...Object.keys(body).filter((k) => !k.includes('@'))];
    const { id, row } = await createConfirmed(ctx, { table: info.logicalName, entitySet: info.entitySetName, primaryId: info.primaryId }, body, { select: [...new Set(select)] });
    const record = Object.fromEntries(Object.entries(row ?? {}).filter(([k]) => !k.includes('@')));
    return { data: { table: info.logicalName, recordId: id, record }, text: `Created ${recordLabel(info, row ?? {}, id)}.`, target: `${info.logicalName}:${id}` };
  },
});

export const updateRecord = defineTool({
  name: 'update_record',
  toolset: 'dataverse',
  title: 'Update record',
  description: 'Updates columns of an existing Dataverse row (never creates one). Column values are checked against the table definition first.',
  input: z.object({ table_name: tableNameArg, record_id: guidArg('The row to update.'), update_data: recordDataArg('Columns to change') }),
  output: z.object({ table: z.string(), recordId: z.string(), record: z.record(z.string(), z.unknown()) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  auditTarget: (args) => `${args.table_name}:${args.record_id}`,
  async confirm(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { boundTables } = await toBody(ctx, info, args.update_data, 'update');
    const [row] = await Promise.all([existingRow(ctx, info, args.record_id), ctx.privileges.require(...writePrivileges(info.logicalName, 'Write', boundTables))]);
    return { summary: `Update ${recordLabel(info, row, args.record_id)}.`, details: describeData(args.update_data) };
  },
  async handler(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { body } = await toBody(ctx, info, args.update_data, 'update');
    const select = [...new Set([info.primaryId, ...(info.primaryName ? [info.primaryName] : []), ...Object.keys(body).filter((k) => !k.includes('@'))])];
    const row = await orNotFound(info.logicalName, args.record_id, () => ctx.dataverse.update(info.entitySetName, args.record_id, body, { select }));
    const record = Object.fromEntries(Object.entries(row ?? {}).filter(([k]) => !k.includes('@')));
    return { data: { table: info.logicalName, recordId: args.record_id, record }, text: `Updated ${recordLabel(info, row ?? {}, args.record_id)}.`, target: `${info.logicalName}:${args.record_id}` };
  },
});

export const deleteRecord = defineTool({
  name: 'delete_record',
  toolset: 'dataverse',
  title: 'Delete record',
  description: 'Deletes a Dataverse row (and, as Dataverse does, rows that cascade from it). Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg, record_id: guidArg('The row to delete.') }),
  output: z.object({ table: z.string(), recordId: z.string(), deleted: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  confirmation: 'always',
  auditTarget: (args) => `${args.table_name}:${args.record_id}`,
  async confirm(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const [row] = await Promise.all([existingRow(ctx, info, args.record_id), ctx.privileges.require({ table: info.logicalName, ops: ['Delete'] })]);
    return { summary: `Permanently delete ${recordLabel(info, row, args.record_id)}. This cannot be undone.`, details: { table: info.logicalName, id: args.record_id } };
  },
  async handler(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    await orNotFound(info.logicalName, args.record_id, () => ctx.dataverse.delete(info.entitySetName, args.record_id));
    return { data: { table: info.logicalName, recordId: args.record_id, deleted: true }, text: `Deleted ${info.logicalName} ${args.record_id}.`, target: `${info.logicalName}:${args.record_id}` };
  },
});
