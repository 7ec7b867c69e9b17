import { z } from 'zod';

import { and, type OrderBy } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { cursorArg, PAGE_BYTES, pageWithCursor, pagingNote, topArg } from '../shared.js';
import { columnsArg, columnsOf, conditionArg, conditionFilter, entityArg, RECORD_ALIASES, RecordSchema, recordTable, TABLE_HEADER, toRecord, wireName } from './recordsData.js';

/**
 * `list_entity_records` (list_entity_records reference): rows of an allowed table with typed
 * conditions (each checked against the column's type and sent as a literal), one ordering column,
 * and the row and byte budgets of every listing; more rows stay behind an opaque cursor.
 */
export const listEntityRecords = defineTool({
  name: 'list_entity_records',
  kind: 'read',
  title: 'List records',
  description: 'Lists records of an allowed Dataverse table, newest first or by a column, filtered by simple conditions (column, operator, value; all must hold). Returns up to top rows and a nextCursor for more.',
  input: z.object({
    entityLogicalName: entityArg,
    filters: z.array(conditionArg).max(10).optional().describe('Conditions that must all hold, e.g. [{ "column": "statecode", "value": "Active" }].'),
    columns: columnsArg,
    orderBy: z.string().trim().max(100).optional().describe('Column to sort by; default createdon (newest first).'),
    descending: z.boolean().optional().describe('Sort descending (default: true for createdon, false otherwise).'),
    top: topArg,
    cursor: cursorArg,
  }),
  aliases: RECORD_ALIASES,
  headers: TABLE_HEADER,
  output: z.object({ records: z.array(RecordSchema), count: z.number().optional(), nextCursor: z.string().optional() }),
  async run(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const columns = columnsOf(info, args.columns);
    const filter = and(...(args.filters ?? []).map((c) => conditionFilter(info, c)));
    const sortName = (args.orderBy ?? (info.attributes.has('createdon') ? 'createdon' : info.primaryName)).toLowerCase();
    const sortAttr = info.attributes.get(sortName);
    if (!sortAttr) throw new ToolError(`Cannot sort ${info.logicalName} by ${sortName}: no such column.`, 'invalid_argument');
    const orderby: OrderBy[] = [
      { property: wireName(sortAttr), descending: args.descending ?? sortName === 'createdon' },
      ...(sortAttr.name === info.primaryId ? [] : [{ property: info.primaryId }]),
    ];
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () => ctx.dataverse.list(info.entitySetName, { select: columns.map(wireName), filter, orderby, count: true }, { pageSize: args.top, maxRows: args.top, maxBytes: PAGE_BYTES }),
      args.top,
    );
    const records = page.rows.map((r) => toRecord(info, columns, r));
    return {
      data: { records, ...(page.count !== undefined && { count: page.count }), ...(page.nextCursor && { nextCursor: page.nextCursor }) },
      text: `${records.length} ${info.displayName || info.logicalName} record(s)${records.length ? `: ${records.slice(0, 10).map((r) => r.name || r.id).join(', ')}${records.length > 10 ? ', …' : ''}` : ''}.${pagingNote(records.length, page.nextCursor, page.count)}`,
      records: records.map((r) => ({ table: info.logicalName, id: r.id, name: r.name })),
    };
  },
});
