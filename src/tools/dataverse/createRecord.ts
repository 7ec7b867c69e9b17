import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { article, createConfirmed } from '../shared.js';
import { allowedTable, describeData, recordDataArg, recordLabel, toBody, writePrivileges } from './recordData.js';
import { TABLE_HEADER, tableNameArg } from './tableAccess.js';

export const createRecord = defineTool({
  name: 'create_record',
  headers: TABLE_HEADER,
  kind: 'write',
  title: 'Create record',
  description: 'Inserts a row into a Dataverse table and returns its id. Column values are checked against the table definition first.',
  input: z.object({ table_name: tableNameArg, record_data: recordDataArg('The new row') }),
  output: z.object({ table: z.string(), recordId: z.string(), record: z.record(z.string(), z.unknown()) }),
  auditTarget: (args) => `${args.table_name}:new`,
  async prepare(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { body, boundTables } = await toBody(ctx, info, args.record_data, 'create');
    await ctx.privileges.require(...writePrivileges(info.logicalName, 'Create', boundTables));
    const name = info.displayName || info.logicalName;
    return {
      preview: { summary: `Create ${article(name)} ${name} record.`, details: describeData(args.record_data) },
      async run() {
        const select = [info.primaryId, ...(info.primaryName ? [info.primaryName] : []), ...Object.keys(body).filter((k) => !k.includes('@'))];
        const { id, row } = await createConfirmed(ctx, { table: info.logicalName, entitySet: info.entitySetName, primaryId: info.primaryId }, body, { select: [...new Set(select)] });
        const record = Object.fromEntries(Object.entries(row ?? {}).filter(([k]) => !k.includes('@')));
        return { data: { table: info.logicalName, recordId: id, record }, text: `Created ${recordLabel(info, row ?? {}, id)}.`, target: `${info.logicalName}:${id}`, records: [{ table: info.logicalName, id }] };
      },
    };
  },
});
