import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { contains, eq, type Filter, ge, gt, guid, isGuid, le, type Literal, lt, ne, startsWith } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { allowedTable } from '../dataverse/recordData.js';
import type { AttributeInfo, TableInfo } from '../dataverse/tableAccess.js';
import { clip, guidArg, label, orNotFound } from '../shared.js';

/**
 * The generic record tools of the Dynamics 365 CX MCP Server (Customer Service and Sales): one
 * record by table and id, lists with typed filters, lookups, notes and activities. Arguments keep
 * Microsoft's names (`entityLogicalName`, `recordId`, as its stakeholder tools spell them,
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/get_stakeholder), and accept
 * the Dataverse MCP server's `table_name` / `record_id` as aliases.
 */
export const entityArg = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a table logical name such as "account" or "incident"')
  .describe('Table logical name, e.g. "account", "contact", "incident" (only the tables this agent allows).');

export const recordIdArg = (what: string) => guidArg(what);

export const RECORD_ALIASES = { table_name: 'entityLogicalName', entityName: 'entityLogicalName', record_id: 'recordId', id: 'recordId' } as const;

export const TABLE_HEADER = { entityLogicalName: 'Table' } as const;

/** Longest text a column value carries in a result; the rest is cut and the column named in `truncated`. */
export const MAX_VALUE_CHARS = 2000;

/** Column types whose values a read returns (not virtual name shadows, party lists or binary bodies). */
const READABLE = new Set(['String', 'Memo', 'Integer', 'BigInt', 'Decimal', 'Double', 'Money', 'Boolean', 'DateTime', 'Picklist', 'State', 'Status', 'Lookup', 'Customer', 'Owner', 'Uniqueidentifier']);
/** Large or binary columns left out unless asked for by name. */
const HEAVY = new Set(['documentbody', 'body', 'safedescription']);

export const isLookup = (a: AttributeInfo) => a.type === 'Lookup' || a.type === 'Customer' || a.type === 'Owner';

/** The name a column has in `$select` and in rows (`_x_value` for lookups). */
export const wireName = (a: AttributeInfo) => (isLookup(a) ? `_${a.name}_value` : a.name);

/** The table, if this agent allows it, with its (cached) definition. */
export async function recordTable(ctx: ToolContext, table: string): Promise<TableInfo> {
  return allowedTable(ctx, table);
}

/** The columns to read: those asked for (checked against the definition), else every readable, light column. */
export function columnsOf(info: TableInfo, requested: readonly string[] | undefined): AttributeInfo[] {
  if (requested?.length) {
    const out: AttributeInfo[] = [];
    const unknown: string[] = [];
    for (const raw of requested) {
      const name = raw.trim().toLowerCase().replace(/^_(.+)_value$/, '$1');
      const a = info.attributes.get(name);
      if (!a || !READABLE.has(a.type)) unknown.push(name);
      else if (!out.includes(a)) out.push(a);
    }
    if (unknown.length) throw new ToolError(`No such readable column on ${info.logicalName}: ${unknown.join(', ')}. describe_table (or describe) lists the columns.`, 'invalid_argument');
    const id = info.attributes.get(info.primaryId);
    return id && !out.includes(id) ? [id, ...out] : out;
  }
  return [...info.attributes.values()].filter((a) => READABLE.has(a.type) && !HEAVY.has(a.name));
}

export const columnsArg = z.array(z.string().trim().min(1).max(100)).max(100).optional().describe('Columns to return (logical names); default: every readable column.');

export const RecordSchema = z.object({
  table: z.string(),
  id: z.string(),
  name: z.string().describe('The primary name column'),
  fields: z.record(z.string(), z.unknown()).describe('Column → value; lookups as { id, name, table }'),
  labels: z.record(z.string(), z.string()).describe('Column → the label Dataverse shows (choices, money, dates, lookups)'),
  truncated: z.array(z.string()).optional().describe(`Columns cut at ${MAX_VALUE_CHARS} characters`),
});
export type RecordView = z.infer<typeof RecordSchema>;

/** A row as the tools return it: plain values, lookups as references, labels beside them, long text cut. */
export function toRecord(info: TableInfo, columns: readonly AttributeInfo[], row: Row): RecordView {
  const fields: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const truncated: string[] = [];
  for (const a of columns) {
    const key = wireName(a);
    const value = row[key];
    if (isLookup(a)) {
      fields[a.name] = typeof value === 'string' ? { id: value, name: label(row, key) ?? '', table: typeof row[`${key}@Microsoft.Dynamics.CRM.lookuplogicalname`] === 'string' ? row[`${key}@Microsoft.Dynamics.CRM.lookuplogicalname`] : '' } : null;
    } else if (typeof value === 'string' && value.length > MAX_VALUE_CHARS) {
      fields[a.name] = clip(value, MAX_VALUE_CHARS);
      truncated.push(a.name);
    } else {
      fields[a.name] = value === undefined ? null : value;
    }
    const f = row[`${key}@OData.Community.Display.V1.FormattedValue`];
    if (typeof f === 'string') labels[a.name] = f;
  }
  const id = typeof row[info.primaryId] === 'string' ? (row[info.primaryId] as string) : '';
  const name = info.primaryName && typeof row[info.primaryName] === 'string' ? (row[info.primaryName] as string) : '';
  return { table: info.logicalName, id, name, fields, labels, ...(truncated.length && { truncated }) };
}

export async function readRecord(ctx: ToolContext, info: TableInfo, id: string, columns: readonly AttributeInfo[]): Promise<Row> {
  return orNotFound(info.displayName || info.logicalName, id, () => ctx.dataverse.get(info.entitySetName, id, { select: columns.map(wireName) }));
}

export const OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startswith', 'null', 'notnull'] as const;

export const conditionArg = z.object({
  column: z.string().trim().min(1).max(100).describe('Column logical name'),
  operator: z.enum(OPERATORS).default('eq').describe('eq, ne, gt, ge, lt, le, contains, startswith (text), null, notnull'),
  value: z.string().max(500).optional().describe('The value as text: a number, true/false, an ISO date, a choice value or label, or a GUID for lookups. Not used with null / notnull.'),
});
export type Condition = z.infer<typeof conditionArg>;

/** Builds one `$filter` term from a condition, checked against the column's type; values are literals, never query text. */
export function conditionFilter(info: TableInfo, c: Condition): Filter {
  const name = c.column.trim().toLowerCase().replace(/^_(.+)_value$/, '$1');
  const a = info.attributes.get(name);
  if (!a || !READABLE.has(a.type)) throw new ToolError(`No such column to filter on ${info.logicalName}: ${name}.`, 'invalid_argument');
  const property = wireName(a);
  if (c.operator === 'null') return eq(property, null);
  if (c.operator === 'notnull') return ne(property, null);
  if (c.value === undefined) throw new ToolError(`Give a value to compare ${name} with (operator ${c.operator}).`, 'invalid_argument');
  const text = c.value;
  const bad = (what: string) => new ToolError(`${name}: "${clip(text, 60)}" is not ${what}.`, 'invalid_argument');
  if (c.operator === 'contains' || c.operator === 'startswith') {
    if (a.type !== 'String' && a.type !== 'Memo') throw new ToolError(`${name}: ${c.operator} works on text columns only.`, 'invalid_argument');
    return c.operator === 'contains' ? contains(property, text) : startsWith(property, text);
  }
  let value: Literal;
  switch (a.type) {
    case 'String':
    case 'Memo':
      value = text;
      break;
    case 'Integer':
    case 'BigInt':
    case 'Decimal':
    case 'Double':
    case 'Money': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      value = n;
      break;
    }
    case 'Boolean': {
      const b = { true: true, yes: true, '1': true, false: false, no: false, '0': false }[text.trim().toLowerCase()];
      if (b === undefined) throw bad('true or false');
      value = b;
      break;
    }
    case 'DateTime': {
      const d = new Date(text);
      if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) throw bad('an ISO 8601 date');
      value = d;
      break;
    }
    case 'Picklist':
    case 'State':
    case 'Status': {
      const option = (a.options ?? []).find((o) => String(o.value) === text.trim() || o.label.toLowerCase() === text.trim().toLowerCase());
      if (!option) throw new ToolError(`${name}: must be one of ${(a.options ?? []).map((o) => `${o.value} (${o.label})`).join(', ')}.`, 'invalid_argument');
      value = option.value;
      break;
    }
    default: {
      if (!isGuid(text.trim())) throw bad('a GUID');
      value = guid(text.trim());
    }
  }
  const op = { eq, ne, gt, ge, lt, le }[c.operator];
  return op(property, value);
}

/**
 * Activity tables (activity entities share `prv…Activity`) and notes: what Microsoft's
 * delete_entity_record is meant for ("a note, email, task, or other entity",
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/delete_entity_record), and
 * all that an agent with `recordDeletes: notes-and-activities` may delete.
 */
export const ACTIVITY_TABLES = ['email', 'task', 'phonecall', 'appointment', 'letter', 'fax', 'recurringappointmentmaster', 'serviceappointment', 'socialactivity'] as const;
export const NOTE_TABLE = 'annotation';

export function isNoteOrActivity(table: string): boolean {
  return table === NOTE_TABLE || (ACTIVITY_TABLES as readonly string[]).includes(table);
}
