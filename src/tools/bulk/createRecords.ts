import { z } from 'zod';

import { recordIdOf } from '../../dataverse/client.js';
import { defineTool } from '../defineTool.js';
import { article } from '../shared.js';
import { allowedTable, writePrivileges } from '../dataverse/recordData.js';
import { TABLE_HEADER, tableNameArg } from '../dataverse/tableAccess.js';
import { bodiesOf, bulkFailure, bulkPreview, MAX_BULK_ROWS, rowDataArg, rowLabel } from './bulkRows.js';

/**
 * `create_records`: up to 1,000 rows of one table in one request, after one confirmation that
 * shows every row. Every row is checked first and a bad row refuses the call naming it. Where the
 * org offers CreateMultiple on the table (sdkmessagefilter) that is the request, one transaction on
 * a standard table (bulk-operations, https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations);
 * elsewhere one $batch change set of creates, atomic too (execute-batch-operations-using-web-api).
 * Either way the rows are created all together or not at all.
 */
export const createRecords = defineTool({
  name: 'create_records',
  headers: TABLE_HEADER,
  kind: 'write',
  title: 'Create records in bulk',
  description: `Creates up to ${MAX_BULK_ROWS} rows of one Dataverse table in a single request (CreateMultiple, or a $batch change set where the table has no CreateMultiple), e.g. importing event attendees as leads. Every row is checked against the table definition first; the rows are created all together or not at all, and the result lists each row's new id.`,
  input: z.object({
    table_name: tableNameArg,
    records: z.array(rowDataArg).min(1).max(MAX_BULK_ROWS).describe(`The new rows (1-${MAX_BULK_ROWS}), each column logical name → value.`),
  }),
  output: z.object({
    table: z.string(),
    created: z.number(),
    results: z.array(z.object({ row: z.number().describe('Position in records, from 1'), recordId: z.string(), status: z.enum(['created']) })),
  }),
  auditTarget: (args) => `${args.table_name}:new×${args.records.length}`,
  async prepare(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const { bodies, boundTables } = await bodiesOf(ctx, info, args.records, 'create');
    const [messages] = await Promise.all([ctx.metadata.bulkMessages(info.logicalName), ctx.privileges.require(...writePrivileges(info.logicalName, 'Create', boundTables))]);
    const viaBulk = messages.has('CreateMultiple');
    const name = info.displayName || info.logicalName;
    const n = args.records.length;
    const summary = `Create ${n === 1 ? `${article(name)} ${name} record` : `${n} ${name} records`} in one request: all of them or none.`;
    return {
      preview: bulkPreview(summary, info, args.records, (r) => rowLabel(info, r)),
      async run() {
        const ids = bodies.map((_, i) => ctx.confirmedId(`${info.logicalName}:${i}`));
        const targets = bodies.map((b, i) => ({ '@odata.type': `Microsoft.Dynamics.CRM.${info.logicalName}`, ...(ids[i] && b[info.primaryId] === undefined && { [info.primaryId]: ids[i] }), ...b }));
        let created: string[];
        try {
          if (viaBulk) {
            const res = await ctx.dataverse.collectionAction<{ Ids?: unknown }>(info.entitySetName, 'CreateMultiple', { Targets: targets });
            created = Array.isArray(res?.Ids) ? res.Ids.map((id) => String(id).toLowerCase()) : [];
          } else {
            const answers = await ctx.dataverse.changeSet(targets.map(({ '@odata.type': _type, ...body }) => ({ method: 'POST' as const, path: info.entitySetName, body })));
            created = answers.flatMap((a) => recordIdOf(a.headers.get('odata-entityid'))?.toLowerCase() ?? []);
          }
        } catch (err) {
          bulkFailure(err, { action: viaBulk ? 'CreateMultiple' : '$batch change set', verb: 'created', rows: n, replayed: ids.some(Boolean) });
        }
        const results = created.map((recordId, i) => ({ row: i + 1, recordId, status: 'created' as const }));
        const text = `Created ${results.length} ${name} record(s).${results.length < n ? ` Dataverse returned ${results.length} ids for ${n} rows: check the table before trying again.` : ''}`;
        return {
          data: { table: info.logicalName, created: results.length, results },
          text,
          target: `${info.logicalName}:new×${results.length}`,
          ...(results.length < n && { partial: `${n - results.length} of ${n} rows returned no id` }),
          records: results.slice(0, 50).map((r) => ({ table: info.logicalName, id: r.recordId })),
        };
      },
    };
  },
});
