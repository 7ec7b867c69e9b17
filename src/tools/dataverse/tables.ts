import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { describe, requireTable, tableNameArg } from './tableAccess.js';

const PREFIXED = /^[a-z][a-z0-9]{1,7}_[a-z][a-z0-9_]{0,40}$/;

const columnSpec = z.object({
  name: z.string().trim().toLowerCase().regex(/^[a-z][a-z0-9_]{0,40}$/, 'letters, digits and underscores').describe('Column name; the table\'s publisher prefix is added when missing.'),
  type: z.enum(['string', 'memo', 'integer', 'decimal', 'money', 'boolean', 'datetime', 'date', 'choice']),
  display_name: z.string().trim().min(1).max(100).optional().describe('Display name; derived from the column name when omitted.'),
  required: z.boolean().default(false),
  max_length: z.number().int().min(1).max(4000).optional().describe('For string columns (default 100).'),
  options: z.array(z.string().trim().min(1).max(100)).max(100).optional().describe('Labels of a choice column, in order.'),
});
type ColumnSpec = z.output<typeof columnSpec>;

const columnsArg = (what: string, min = 1) => z.array(columnSpec).min(min).max(50).describe(what);

const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [{ '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 }],
});

const titleCase = (name: string) => name.split('_').filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');

function schemaName(logical: string): string {
  const [prefix, ...rest] = logical.split('_');
  return `${prefix}_${rest.map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : '')).join('')}`;
}

function prefixOf(table: string): string {
  return table.includes('_') ? table.split('_')[0]! : 'new';
}

function columnName(table: string, column: string): string {
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
async function addColumns(ctx: ToolContext, table: string, specs: ColumnSpec[]): Promise<{ added: string[]; failed: string[] }> {
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
const columnOf = (failure: string) => failure.split(':', 1)[0] ?? failure;

function checkSpecs(table: string, specs: ColumnSpec[]): void {
  const names = specs.map((s) => columnName(table, s.name));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ToolError(`Column ${dup} is listed twice.`, 'invalid_argument');
  for (const s of specs) attributeMetadata(table, s);
}

/** A table on the allowlist that does not have any of these columns yet. */
async function extendable(ctx: ToolContext, table: string, specs: ColumnSpec[]) {
  requireTable(ctx, table);
  const info = await describe(ctx, table);
  checkSpecs(table, specs);
  const existing = specs.map((s) => columnName(table, s.name)).filter((n) => info.attributes.has(n));
  if (existing.length) throw new ToolError(`Already on ${table}: ${existing.join(', ')}.`, 'conflict');
  return info;
}

/** A custom table on the allowlist (standard tables are never deleted). */
async function deletable(ctx: ToolContext, table: string) {
  requireTable(ctx, table);
  const info = await describe(ctx, table);
  if (!info.isCustom) throw new ToolError(`${info.logicalName} is a standard table and cannot be deleted.`, 'forbidden');
  return info;
}

const columnsSummary = (table: string, specs: ColumnSpec[]) =>
  specs.map((s) => `${columnName(table, s.name)} (${s.type}${s.required ? ', required' : ''}${s.options ? `: ${s.options.join('/')}` : ''})`).join(', ');

export const createTable = defineTool({
  name: 'create_table',
  toolset: 'dataverse',
  title: 'Create table',
  description:
    'Creates a custom Dataverse table (user-owned, with a primary Name column) and adds the given columns. The name needs a publisher prefix, e.g. "new_project". Always asks the user to confirm first.',
  input: z.object({
    table_name: tableNameArg.refine((v) => PREFIXED.test(v), 'needs a publisher prefix, e.g. "new_project"'),
    display_name: z.string().trim().min(1).max(100).optional().describe('Display name; derived from the table name when omitted.'),
    columns: columnsArg('Columns besides the primary Name column.', 0).default([]),
  }),
  output: z.object({ table: z.string(), entitySetName: z.string(), columnsAdded: z.array(z.string()), columnsFailed: z.array(z.string()) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  confirmation: 'always',
  auditTarget: (args) => `table:${args.table_name}`,
  async confirm(args, ctx) {
    requireTable(ctx, args.table_name);
    checkSpecs(args.table_name, args.columns);
    await ctx.privileges.requireNamed('prvCreateEntity', ...(args.columns.length ? ['prvCreateAttribute'] : []));
    return {
      summary: `Create the table ${args.table_name} ("${args.display_name ?? titleCase(args.table_name.split('_').slice(1).join('_'))}") with ${args.columns.length} column(s) besides Name.`,
      details: { columns: columnsSummary(args.table_name, args.columns) || '(only Name)' },
    };
  },
  async handler(args, ctx) {
    requireTable(ctx, args.table_name);
    checkSpecs(args.table_name, args.columns);
    const display = args.display_name ?? titleCase(args.table_name.split('_').slice(1).join('_'));
    await ctx.dataverse.createTable({
      '@odata.type': 'Microsoft.Dynamics.CRM.EntityMetadata',
      SchemaName: schemaName(args.table_name),
      DisplayName: label(display),
      DisplayCollectionName: label(`${display}s`),
      Description: label(`${display} (created through MCP)`),
      OwnershipType: 'UserOwned',
      IsActivity: false,
      HasActivities: false,
      HasNotes: false,
      Attributes: [
        {
          ...attributeMetadata(args.table_name, { name: 'name', type: 'string', display_name: 'Name', required: true, max_length: 100 }),
          IsPrimaryName: true,
        },
      ],
    });
    const { added, failed } = await addColumns(ctx, args.table_name, args.columns);
    // Just created: read it past the service's metadata cache.
    const info = await describe(ctx, args.table_name, { strong: true });
    return {
      data: { table: info.logicalName, entitySetName: info.entitySetName, columnsAdded: added, columnsFailed: failed },
      text: `Created table ${info.logicalName} (entity set ${info.entitySetName}) with ${added.length} column(s) besides Name.${failed.length ? ` These columns could not be added: ${failed.join('; ')}` : ''}`,
      target: `table:${info.logicalName}`,
      ...(failed.length && { partial: `columns not added: ${failed.map(columnOf).join(', ')}` }),
    };
  },
});

export const updateTable = defineTool({
  name: 'update_table',
  toolset: 'dataverse',
  title: 'Update table',
  description: 'Adds columns to a Dataverse table. Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg, new_columns: columnsArg('Columns to add.') }),
  output: z.object({ table: z.string(), columnsAdded: z.array(z.string()), columnsFailed: z.array(z.string()) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  confirmation: 'always',
  auditTarget: (args) => `table:${args.table_name}`,
  async confirm(args, ctx) {
    const [info] = await Promise.all([extendable(ctx, args.table_name, args.new_columns), ctx.privileges.requireNamed('prvCreateAttribute')]);
    return { summary: `Add ${args.new_columns.length} column(s) to ${info.logicalName}.`, details: { columns: columnsSummary(args.table_name, args.new_columns) } };
  },
  async handler(args, ctx) {
    const info = await extendable(ctx, args.table_name, args.new_columns);
    const { added, failed } = await addColumns(ctx, args.table_name, args.new_columns);
    // Nothing added is a failure the caller must see (and the audit records), not a success with an empty list.
    if (added.length === 0) throw new ToolError(`No column was added to ${info.logicalName}: ${failed.join('; ')}`, 'failed');
    return {
      data: { table: info.logicalName, columnsAdded: added, columnsFailed: failed },
      text: `Added ${added.length} column(s) to ${info.logicalName}: ${added.join(', ')}.${failed.length ? ` Not added: ${failed.join('; ')}` : ''}`,
      target: `table:${info.logicalName}`,
      ...(failed.length && { partial: `columns not added: ${failed.map(columnOf).join(', ')}` }),
    };
  },
});

export const deleteTable = defineTool({
  name: 'delete_table',
  toolset: 'dataverse',
  title: 'Delete table',
  description: 'Deletes a custom Dataverse table and all its rows. Standard tables cannot be deleted. Always asks the user to confirm first.',
  input: z.object({ table_name: tableNameArg }),
  output: z.object({ table: z.string(), deleted: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  confirmation: 'always',
  auditTarget: (args) => `table:${args.table_name}`,
  async confirm(args, ctx) {
    const [info] = await Promise.all([deletable(ctx, args.table_name), ctx.privileges.requireNamed('prvDeleteEntity')]);
    return { summary: `Permanently delete the table ${info.logicalName} ("${info.displayName}") and every row in it. This cannot be undone.`, details: { table: info.logicalName } };
  },
  async handler(args, ctx) {
    const info = await deletable(ctx, args.table_name);
    await ctx.dataverse.deleteTable(info.logicalName);
    return { data: { table: info.logicalName, deleted: true }, text: `Deleted table ${info.logicalName}.`, target: `table:${info.logicalName}` };
  },
});
