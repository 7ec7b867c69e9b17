import { z } from 'zod';

import { defineTool, type ToolContext } from '../defineTool.js';
import { type AttributeInfo, describe, requireTable, TABLE_HEADER, tableNameArg } from './tableAccess.js';

const ColumnSchema = z.object({
  name: z.string(),
  type: z.string(),
  displayName: z.string(),
  requiredLevel: z.string(),
  maxLength: z.number().optional(),
  lookupTargets: z.array(z.string()).optional(),
  options: z.array(z.object({ value: z.number(), label: z.string() })).optional(),
});

const SQL_TYPES: Record<string, (a: AttributeInfo) => string> = {
  String: (a) => `nvarchar(${a.maxLength ?? 4000})`,
  Memo: () => 'nvarchar(max)',
  Integer: () => 'int',
  BigInt: () => 'bigint',
  Decimal: () => 'decimal(23,10)',
  Double: () => 'float',
  Money: () => 'money',
  Boolean: () => 'bit',
  DateTime: () => 'datetime',
  Uniqueidentifier: () => 'uniqueidentifier',
  Lookup: () => 'uniqueidentifier',
  Customer: () => 'uniqueidentifier',
  Owner: () => 'uniqueidentifier',
  Picklist: () => 'int',
  State: () => 'int',
  Status: () => 'int',
};

const DescriptionSchema = z.object({
  table: z.string(),
  displayName: z.string(),
  entitySetName: z.string(),
  primaryId: z.string(),
  primaryName: z.string(),
  columns: z.array(ColumnSchema),
  tsql: z.string().describe('CREATE TABLE rendering of the columns'),
});

export const describeTable = defineTool({
  name: 'describe_table',
  title: 'Describe table',
  description:
    'Describes a Dataverse table as a T-SQL schema (for read_query) and as structured columns: types, required level, lengths, lookup targets and choice values.',
  input: z.object({ table_name: tableNameArg }),
  output: DescriptionSchema,
  headers: TABLE_HEADER,
  kind: 'read',
  async run(args, ctx) {
    requireTable(ctx, args.table_name);
    const data = await tableDescription(ctx, args.table_name);
    return { data, text: data.tsql };
  },
});

export type TableDescription = z.output<typeof DescriptionSchema>;

/** A table's columns, structured and as a T-SQL schema (describe_table and the table resources). */
export async function tableDescription(ctx: ToolContext, table: string): Promise<TableDescription> {
  const info = await describe(ctx, table);
  const columns = [...info.attributes.values()]
    .sort((a, b) => (a.name === info.primaryId ? -1 : b.name === info.primaryId ? 1 : a.name.localeCompare(b.name)))
    .map((a) => ({
      name: a.name,
      type: a.type,
      displayName: a.displayName,
      requiredLevel: a.required,
      ...(a.maxLength !== undefined && { maxLength: a.maxLength }),
      ...(a.targets && { lookupTargets: a.targets }),
      ...(a.options && { options: a.options }),
    }));
  const lines = [...info.attributes.values()].map((a) => {
    const type = (SQL_TYPES[a.type] ?? (() => 'nvarchar(max)'))(a);
    const notes = [
      a.name === info.primaryId && 'PRIMARY KEY',
      (a.required === 'ApplicationRequired' || a.required === 'SystemRequired') && a.name !== info.primaryId && 'NOT NULL',
      a.targets && `-- lookup to ${a.targets.join(' | ')}`,
      a.options?.length && `-- ${a.options.map((o) => `${o.value}=${o.label}`).join(', ')}`,
    ].filter(Boolean);
    return `  ${a.name} ${type}${notes.length ? ` ${notes.join(' ')}` : ''}`;
  });
  const tsql = `CREATE TABLE ${info.logicalName} (\n${lines.join(',\n')}\n)`;
  return { table: info.logicalName, displayName: info.displayName, entitySetName: info.entitySetName, primaryId: info.primaryId, primaryName: info.primaryName, columns, tsql };
}
