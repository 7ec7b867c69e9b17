import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import type { TableSummary } from '../../dataverse/metadata.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { describe, requireTable, tableNameArg } from './tableAccess.js';

export const PREFIXED = /^[a-z][a-z0-9]{1,7}_[a-z][a-z0-9_]{0,40}$/;

const columnSpec = z.object({
  name: z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_]{0,40}$/, 'letters, digits and underscores').describe('Column name; the table\'s publisher prefix is added when missing.'),
  type: z.enum(['string', 'memo', 'integer', 'decimal', 'money', 'boolean', 'datetime', 'date', 'choice']),
  display_name: z.string().trim().min(1).max(100).optional().describe('Display name; derived from the column name when omitted.'),
  required: z.boolean().default(false),
  max_length: z.number().int().min(1).max(4000).optional().describe('For string columns (default 100).'),
  options: z.array(z.string().trim().min(1).max(100)).max(100).optional().describe('Labels of a choice column, in order.'),
});
type ColumnSpec = z.output<typeof columnSpec>;

export const columnsArg = (what: string, min = 1) => z.array(columnSpec).min(min).max(50).describe(what);

export const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [{ '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 }],
});

export const titleCase = (name: string) => name.split('_').filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');

export function schemaName(logical: string): string {
  const [prefix, ...rest] = logical.split('_');
  return `${prefix}_${rest.map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join('')}`;
}

function prefixOf(table: string): string {
  return table.includes('_') ? table.split('_')[0]! : 'new';
}

export function columnName(table: string, column: string): string {
  const prefix = prefixOf(table);
  return column.startsWith(`${prefix}_`) ? column : `${prefix}_${column}`;
}

/** Web API attribute metadata for one column spec. */
export function attributeMetadata(table: string, spec: ColumnSpec): Row {
  const logical = columnName(table, spec.name);
  const base: Row = {
    SchemaName: schemaName(logical),
    DisplayName: label(spec.display_name ?? titleCase(spec.name)),
    RequiredLevel: { Value: spec.required ? 'ApplicationRequired' : 'None', CanBeChanged: true, ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings' },
  };
  switch (spec.type) {
    case 'string':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata', AttributeType: 'String', MaxLength: spec.max_length ?? 100, FormatName: { Value: 'Text' } };
    case 'memo':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.MemoAttributeMetadata', AttributeType: 'Memo', MaxLength: spec.max_length ?? 2000, Format: 'TextArea' };
    case 'integer':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.IntegerAttributeMetadata', AttributeType: 'Integer', MinValue: -2147483648, MaxValue: 2147483647, Format: 'None' };
    case 'decimal':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.DecimalAttributeMetadata', AttributeType: 'Decimal', Precision: 2, MinValue: -100000000000, MaxValue: 100000000000 };
    case 'money':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.MoneyAttributeMetadata', AttributeType: 'Money', Precision: 2, PrecisionSource: 2 };
    case 'boolean':
      return {
        ...base,
        '@odata.type': 'Microsoft.Dynamics.CRM.BooleanAttributeMetadata',
        AttributeType: 'Boolean',
        OptionSet: { '@odata.type': 'Microsoft.Dynamics.CRM.BooleanOptionSetMetadata', OptionSetType: 'Boolean', TrueOption: { Value: 1, Label: label('Yes') }, FalseOption: { Value: 0, Label: label('No') } },
      };
    case 'datetime':
    case 'date':
      return { ...base, '@odata.type': 'Microsoft.Dynamics.CRM.DateTimeAttributeMetadata', AttributeType: 'DateTime', Format: spec.type === 'date' ? 'DateOnly' : 'DateAndTime' };
    case 'choice': {
      if (!spec.options?.length) throw new ToolError(`Column ${spec.name}: a choice column needs options.`, 'invalid_argument');
      return {
        ...base,
        '@odata.type': 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
        AttributeType: 'Picklist',
        OptionSet: {
          '@odata.type': 'Microsoft.Dynamics.CRM.OptionSetMetadata',
          IsGlobal: false,
          OptionSetType: 'Picklist',
          Options: spec.options.map((o, i) => ({ Value: 100_000_000 + i, Label: label(o) })),
        },
      };
    }
  }
}

/** Adds columns one by one (the Web API creates them individually) and reports exactly which landed. */
export async function addColumns(ctx: ToolContext, table: string, specs: ColumnSpec[]): Promise<{ added: string[]; failed: string[] }> {
  const added: string[] = [];
  const failed: string[] = [];
  for (const spec of specs) {
    const name = columnName(table, spec.name);
    try {
      await ctx.dataverse.createColumn(table, attributeMetadata(table, spec));
      added.push(name);
    } catch (err) {
      if (!(err instanceof DataverseError)) throw err;
      failed.push(`${name}: ${describeDataverseError(err, 'add column')}`);
    }
  }
  return { added, failed };
}

/** The column name of an addColumns failure line ("name: reason"). */
export const columnOf = (failure: string) => failure.split(':', 1)[0] ?? failure;

export function checkSpecs(table: string, specs: ColumnSpec[]): void {
  const names = specs.map((s) => columnName(table, s.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ToolError(`Column ${dup} is listed twice.`, 'invalid_argument');
  for (const s of specs) attributeMetadata(table, s);
}

/** A table on the allowlist that does not have any of these columns yet. */
export async function extendable(ctx: ToolContext, table: string, specs: ColumnSpec[]) {
  requireTable(ctx, table);
  const info = await describe(ctx, table);
  checkSpecs(table, specs);
  const existing = specs.map((s) => columnName(table, s.name)).filter((n) => info.attributes.has(n));
  if (existing.length) throw new ToolError(`Already on ${table}: ${existing.join(', ')}.`, 'conflict');
  return info;
}

/** A custom table on the allowlist (standard tables are never deleted), from the cached table list. */
export async function deletable(ctx: ToolContext, table: string): Promise<TableSummary> {
  requireTable(ctx, table);
  const info = (await ctx.metadata.tables()).find((t) => t.logicalName === table);
  if (!info) throw new ToolError(`There is no table named "${table}". Call list_tables to see the tables.`, 'not_found');
  if (!info.isCustom) throw new ToolError(`${info.logicalName} is a standard table and cannot be deleted.`, 'forbidden');
  return info;
}

export const columnsSummary = (table: string, specs: ColumnSpec[]) =>
  specs.map((s) => `${columnName(table, s.name)} (${s.type}${s.required ? ', required' : ''}${s.options ? `: ${s.options.join('/')}` : ''})`).join(', ');

