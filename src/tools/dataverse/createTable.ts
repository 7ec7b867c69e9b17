import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { requireTable, TABLE_HEADER, tableNameArg } from './tableAccess.js';
import { addColumns, attributeMetadata, checkSpecs, columnOf, columnsArg, columnsSummary, label, PREFIXED, schemaName, titleCase } from './tableSchema.js';

export const createTable = defineTool({
  name: 'create_table',
  headers: TABLE_HEADER,
  kind: 'write',
  // Schema changes affect every user of the org: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Create table',
  description:
    'Creates a custom Dataverse table (user-owned, with a primary Name column) and adds the given columns. The name needs a publisher prefix, e.g. "new_project". Always asks the user to confirm first.',
  input: z.object({
    table_name: tableNameArg.refine((v) => PREFIXED.test(v), 'needs a publisher prefix, e.g. "new_project"'),
    display_name: z.string().trim().min(1).max(100).optional().describe('Display name; derived from the table name when omitted.'),
    columns: columnsArg('Columns besides the primary Name column.', 0).default([]),
  }),
  output: z.object({ table: z.string(), entitySetName: z.string(), columnsAdded: z.array(z.string()), columnsFailed: z.array(z.string()) }),
  auditTarget: (args) => `table:${args.table_name}`,
  async prepare(args, ctx) {
    requireTable(ctx, args.table_name);
    checkSpecs(args.table_name, args.columns);
    await ctx.privileges.requireNamed('prvCreateEntity', ...(args.columns.length ? ['prvCreateAttribute'] : []));
    const display = args.display_name ?? titleCase(args.table_name.split('_').slice(1).join('_'));
    return {
      preview: {
        summary: `Create the table ${args.table_name} ("${display}") with ${args.columns.length} column(s) besides Name.`,
        details: { columns: columnsSummary(args.table_name, args.columns) || '(only Name)' },
      },
      async run() {
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
        ctx.metadata.forget(args.table_name);
        // Just created: read its entity set past the service's metadata cache (one light read).
        const def = await ctx.dataverse.entityDefinition(args.table_name, ['LogicalName', 'EntitySetName'], undefined, { strong: true });
        const table = String(def['LogicalName'] ?? args.table_name);
        const entitySetName = String(def['EntitySetName'] ?? '');
        return {
          data: { table, entitySetName, columnsAdded: added, columnsFailed: failed },
          text: `Created table ${table} (entity set ${entitySetName}) with ${added.length} column(s) besides Name.${failed.length ? ` These columns could not be added: ${failed.join('; ')}` : ''}`,
          target: `table:${table}`,
          ...(failed.length && { partial: `columns not added: ${failed.map(columnOf).join(', ')}` }),
        };
      },
    };
  },
});
