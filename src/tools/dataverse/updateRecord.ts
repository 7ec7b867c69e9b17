import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { guidArg, orNotFound } from '../shared.js';
import { allowedTable, describeData, existingRow, recordDataArg, recordLabel, toBody, writePrivileges } from './recordData.js';
import { TABLE_HEADER, tableNameArg } from './tableAccess.js';

export const updateRecord = defineTool({
  name: 'update_record',
  headers: TABLE_HEADER,
  kind: 'write',
  idempotent: true,
  title: 'Update record',
  description: 'Updates columns of an existing Dataverse row (never creates one). Column values are checked against the table definition first.',
  input: z.object({ table_name: tableNameArg, record_id: guidArg('The row to update.'), update_data: recordDataArg('Columns to change') }),
  output: z.object({ table: z.string(), recordId: z.string(), record: z.record(z.string(), z.unknown()) }),
  auditTarget: (args) => `${args.table_name}:${args.record_id}`,
  async prepare(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { body, boundTables } = await toBody(ctx, info, args.update_data, 'update');
    const [row] = await Promise.all([existingRow(ctx, info, args.record_id), ctx.privileges.require(...writePrivileges(info.logicalName, 'Write', boundTables))]);
    return {
      preview: { summary: `Update ${recordLabel(info, row, args.record_id)}.`, details: describeData(args.update_data) },
      async run() {
        const select = [...new Set([info.primaryId, ...(info.primaryName ? [info.primaryName] : []), ...Object.keys(body).filter((k) => !k.includes('@'))])];
        const updated = await orNotFound(info.logicalName, args.record_id, () => ctx.dataverse.update(info.entitySetName, args.record_id, body, { select }));
        const record = Object.fromEntries(Object.entries(updated ?? {}).filter(([k]) => !k.includes('@')));
        return { data: { table: info.logicalName, recordId: args.record_id, record }, text: `Updated ${recordLabel(info, updated ?? {}, args.record_id)}.`, target: `${info.logicalName}:${args.record_id}`, records: [{ table: info.logicalName, id: args.record_id }] };
      },
    };
  },
});
