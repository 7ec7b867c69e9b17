import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { existingRow } from '../dataverse/recordData.js';
import { cursorArg, topArg } from '../shared.js';
import { entityArg, RECORD_ALIASES, recordIdArg, recordTable, TABLE_HEADER } from './recordsData.js';
import { includeArg, readTimeline, TimelineItemSchema, type TimelinePosition } from './timelineData.js';

/**
 * `get_activity_timeline` (get_activity_timeline reference): the record's activities and notes,
 * newest first, as the timeline of its form shows them. Three requests for the first page (the
 * record, its activities, its notes, at once); two for each next page.
 */
export const getActivityTimeline = defineTool({
  name: 'get_activity_timeline',
  kind: 'read',
  title: 'Activity timeline',
  description: 'Lists the activities (emails, phone calls, tasks, appointments) and notes of a record, newest first, with their state and due dates. Returns a nextCursor for older entries.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record whose timeline to show.'), include: includeArg, top: topArg, cursor: cursorArg }),
  aliases: RECORD_ALIASES,
  headers: TABLE_HEADER,
  output: z.object({ record: z.object({ table: z.string(), id: z.string(), name: z.string() }), items: z.array(TimelineItemSchema), nextCursor: z.string().optional(), notes: z.array(z.string()).optional().describe('What could not be included, and why') }),
  async run(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const extra = args.cursor ? ctx.cursors.open(args.cursor).extra : undefined;
    const position: TimelinePosition = extra ? { activities: String(extra['a'] ?? 'done'), notes: String(extra['n'] ?? 'done') } : { activities: 'start', notes: 'start' };
    const include = { activities: args.include !== 'notes', notes: args.include !== 'activities' };
    const [row, page] = await Promise.all([
      args.cursor ? undefined : existingRow(ctx, info, args.recordId),
      readTimeline(ctx, { id: args.recordId }, args.top, position, include),
    ]);
    const name = row && info.primaryName && typeof row[info.primaryName] === 'string' ? (row[info.primaryName] as string) : '';
    const nextCursor = page.next ? ctx.cursors.seal({ next: 'timeline', extra: { a: page.next.activities, n: page.next.notes } }) : undefined;
    const lines = page.items.slice(0, 10).map((it) => `${it.createdOn.slice(0, 10)} ${it.table} "${it.subject}"${it.state ? ` (${it.state})` : ''}`);
    return {
      data: { record: { table: info.logicalName, id: args.recordId, name }, items: page.items, ...(nextCursor && { nextCursor }), ...(page.notes.length && { notes: page.notes }) },
      text: page.items.length ? `${page.items.length} timeline entr${page.items.length === 1 ? 'y' : 'ies'}${name ? ` for ${name}` : ''}: ${lines.join('; ')}${page.items.length > 10 ? '; …' : ''}.${nextCursor ? ' Pass nextCursor for older entries.' : ''}` : `No activities or notes${name ? ` on ${name}` : ''}.`,
      records: [{ table: info.logicalName, id: args.recordId, name }, ...page.items.map((it) => ({ table: it.table, id: it.id, name: it.subject }))],
    };
  },
});
