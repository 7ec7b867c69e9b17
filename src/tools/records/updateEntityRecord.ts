import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { describeData, existingRow, recordDataArg, recordLabel, toBody, writePrivileges } from '../dataverse/recordData.js';
import { orNotFound } from '../shared.js';
import { entityArg, recordIdArg, recordTable, TABLE_HEADER } from './recordsData.js';

/**
 * `update_entity_record` (update_entity_record reference: "the general-purpose fallback for all
 * other entities"): changes columns of one existing row, each value checked against the table's
 * definition before the user is asked; PATCH with If-Match: * never creates a row.
 */
export const updateEntityRecord = defineTool({
  name: 'update_entity_record',
  kind: 'write',
  idempotent: true,
  title: 'Update record',
  description: 'Changes one or more columns of an existing record of an allowed table (choices by value or label, lookups by GUID or "table:GUID", dates in ISO 8601). Asks the user to confirm first; never creates a record.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record to change.'), fields: recordDataArg('Columns to change') }),
  aliases: { table_name: 'entityLogicalName', entityName: 'entityLogicalName', record_id: 'recordId', update_data: 'fields', data: 'fields' },
  headers: TABLE_HEADER,
  output: z.object({ table: z.string(), recordId: z.string(), record: z.record(z.string(), z.unknown()) }),
  auditTarget: (args) => `${args.entityLogicalName}:${args.recordId}`,
  async prepare(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const { body, boundTables } = await toBody(ctx, info, args.fields, 'update');
    const [row] = await Promise.all([existingRow(ctx, info, args.recordId), ctx.privileges.require(...writePrivileges(info.logicalName, 'Write', boundTables))]);
    return {
      preview: { summary: `Update ${recordLabel(info, row, args.recordId)}.`, details: describeData(args.fields) },
      async run() {
        const select = [...new Set([info.primaryId, ...(info.primaryName ? [info.primaryName] : []), ...Object.keys(body).filter((k) => !k.includes('@'))])];
        const updated = await orNotFound(info.logicalName, args.recordId, () => ctx.dataverse.update(info.entitySetName, args.recordId, body, { select }));
        const record = Object.fromEntries(Object.entries(updated ?? {}).filter(([k]) => !k.includes('@')));
        return { data: { table: info.logicalName, recordId: args.recordId, record }, text: `Updated ${recordLabel(info, updated ?? {}, args.recordId)}.`, target: `${info.logicalName}:${args.recordId}`, records: [{ table: info.logicalName, id: args.recordId }] };
      },
    };
  },
});
