import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { entityPath, guid, inList } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { guidArg } from '../shared.js';
import { allowedTable, writePrivileges } from '../dataverse/recordData.js';
import { TABLE_HEADER, tableNameArg } from '../dataverse/tableAccess.js';
import { bodiesOf, bulkFailure, bulkPreview, MAX_BULK_ROWS, rowDataArg } from './bulkRows.js';

/** Ids per existence query: keeps each URL far below Dataverse's URL length limit. */
const IDS_PER_QUERY = 100;

/**
 * `update_records`: changes to up to 1,000 existing rows of one table in one request, after one
 * confirmation that shows every row. Rows must exist and appear once. The request is UpdateMultiple
 * where the org offers it on the table (one transaction on a standard table, bulk-operations), else
 * one $batch change set of PATCHes with `If-Match: *`, so none creates a row and all apply or none.
 */
export const updateRecords = defineTool({
  name: 'update_records',
  headers: TABLE_HEADER,
  kind: 'write',
  idempotent: true,
  title: 'Update records in bulk',
  description: `Updates up to ${MAX_BULK_ROWS} existing rows of one Dataverse table in a single request (UpdateMultiple, or a $batch change set where the table has no UpdateMultiple), never creating any. Every row is checked first; the changes are applied all together or not at all, and the result lists each row.`,
  input: z.object({
    table_name: tableNameArg,
    records: z
      .array(z.object({ record_id: guidArg('The row to update.'), update_data: rowDataArg }))
      .min(1)
      .max(MAX_BULK_ROWS)
      .describe(`The rows to change (1-${MAX_BULK_ROWS}): each its id and the columns to set.`),
  }),
  output: z.object({
    table: z.string(),
    updated: z.number(),
    results: z.array(z.object({ row: z.number().describe('Position in records, from 1'), recordId: z.string(), name: z.string().optional(), status: z.enum(['updated']) })),
  }),
  auditTarget: (args) => `${args.table_name}:×${args.records.length}`,
  async prepare(args, ctx) {
    const info = await allowedTable(ctx, args.table_name);
    const ids = args.records.map((r) => r.record_id.toLowerCase());
    const twice = ids.map((id, i) => (ids.indexOf(id) !== i ? `row ${i + 1} (${id})` : undefined)).filter(Boolean);
    if (twice.length) throw new ToolError(`Nothing was updated: each row may appear once, and these repeat an earlier row: ${twice.slice(0, 25).join(', ')}. Merge their changes.`, 'invalid_argument');
    const { bodies, boundTables } = await bodiesOf(
      ctx,
      info,
      args.records.map((r) => r.update_data),
      'update',
    );
    const [existing, messages] = await Promise.all([existingRows(ctx, info, ids), ctx.metadata.bulkMessages(info.logicalName), ctx.privileges.require(...writePrivileges(info.logicalName, 'Write', boundTables))]);
    const viaBulk = messages.has('UpdateMultiple');
    const missing = ids.map((id, i) => (existing.has(id) ? undefined : `row ${i + 1} (${id})`)).filter(Boolean);
    if (missing.length) throw new ToolError(`Nothing was updated: no ${info.logicalName} you can read has the id of ${missing.slice(0, 25).join(', ')}${missing.length > 25 ? ` and ${missing.length - 25} more` : ''}.`, 'not_found');
    const name = info.displayName || info.logicalName;
    const n = ids.length;
    const nameOf = (i: number) => existing.get(ids[i]!) ?? '';
    const preview = bulkPreview(
      `Update ${n} ${name} record${n === 1 ? '' : 's'} in one request: all of them or none.`,
      info,
      args.records.map((r, i) => ({ [info.primaryId]: ids[i], ...r.update_data })),
      (r, i) => `${nameOf(i) ? `"${nameOf(i)}" ` : ''}${[...r.entries()].filter(([k]) => k !== info.primaryId).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}`,
    );
    return {
      preview,
      async run() {
        const targets = bodies.map((b, i) => ({ '@odata.type': `Microsoft.Dynamics.CRM.${info.logicalName}`, ...b, [info.primaryId]: ids[i] }));
        try {
          if (viaBulk) await ctx.dataverse.collectionAction(info.entitySetName, 'UpdateMultiple', { Targets: targets });
          else await ctx.dataverse.changeSet(bodies.map((body, i) => ({ method: 'PATCH' as const, path: entityPath(info.entitySetName, ids[i]!), body, ifMatch: '*' })));
        } catch (err) {
          bulkFailure(err, { action: viaBulk ? 'UpdateMultiple' : '$batch change set', verb: 'updated', rows: n, replayed: false });
        }
        const results = ids.map((recordId, i) => ({ row: i + 1, recordId, ...(nameOf(i) && { name: nameOf(i) }), status: 'updated' as const }));
        return {
          data: { table: info.logicalName, updated: n, results },
          text: `Updated ${n} ${name} record(s).`,
          target: `${info.logicalName}:×${n}`,
          records: results.slice(0, 50).map((r) => ({ table: info.logicalName, id: r.recordId, name: r.name })),
        };
      },
    };
  },
});

/** The rows that exist and the user may read, id → primary name; one query per hundred ids. */
async function existingRows(ctx: Parameters<typeof allowedTable>[0], info: Awaited<ReturnType<typeof allowedTable>>, ids: readonly string[]): Promise<Map<string, string>> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) chunks.push(ids.slice(i, i + IDS_PER_QUERY));
  const select = [info.primaryId, ...(info.primaryName ? [info.primaryName] : [])];
  const pages = await Promise.all(chunks.map((c) => ctx.dataverse.list<Row>(info.entitySetName, { select, filter: inList(info.primaryId, c.map(guid)), top: c.length })));
  const out = new Map<string, string>();
  for (const p of pages) for (const r of p.rows) out.set(String(r[info.primaryId]).toLowerCase(), info.primaryName && typeof r[info.primaryName] === 'string' ? (r[info.primaryName] as string) : '');
  return out;
}
