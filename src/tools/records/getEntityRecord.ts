import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { columnsArg, columnsOf, entityArg, readRecord, RECORD_ALIASES, recordIdArg, RecordSchema, recordTable, TABLE_HEADER, toRecord } from './recordsData.js';

/**
 * `get_entity_record` (Dynamics 365 CX MCP Server, get_entity_record reference): one row of any
 * allowed table by id, with labels beside values. One request on a warm metadata cache.
 */
export const getEntityRecord = defineTool({
  name: 'get_entity_record',
  kind: 'read',
  title: 'Get record',
  description: 'Opens one Dataverse record of an allowed table by its id: every readable column (or the ones named), lookups with their names, choice labels beside values, long text cut at 2,000 characters.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record (its GUID).'), columns: columnsArg }),
  aliases: RECORD_ALIASES,
  headers: TABLE_HEADER,
  output: z.object({ record: RecordSchema }),
  async run(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const columns = columnsOf(info, args.columns);
    const record = toRecord(info, columns, await readRecord(ctx, info, args.recordId, columns));
    const shown = Object.entries(record.fields).filter(([, v]) => v !== null && v !== '').length;
    return {
      data: { record },
      text: `${info.displayName || info.logicalName} ${record.name ? `"${record.name}" ` : ''}(${record.id}): ${shown} column(s) with values.${record.truncated ? ` Cut: ${record.truncated.join(', ')}.` : ''}`,
      records: [{ table: info.logicalName, id: args.recordId, name: record.name }],
    };
  },
});
