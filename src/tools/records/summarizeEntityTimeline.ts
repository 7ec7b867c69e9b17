import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { existingRow, recordLabel } from '../dataverse/recordData.js';
import { brief, BriefFields } from '../engagement/accountData.js';
import { entityArg, RECORD_ALIASES, recordIdArg, recordTable, TABLE_HEADER } from './recordsData.js';
import { readTimeline, type TimelineItem } from './timelineData.js';

/** Entries the summary reads (the newest ones): enough for a brief, one request per source. */
const WINDOW = 50;

/**
 * `summarize_entity_timeline` (summarize_entity_timeline reference): a short brief of a record's
 * recent activities and notes. Written by the grounded rules: every sentence names the timeline
 * entries and fields it comes from; the agent's Copilot provider writes them up (a chat model may
 * only rephrase them; the org's Copilot has no timeline API, so there the grounded text is the
 * summary and `notes` says so).
 */
export const summarizeEntityTimeline = defineTool({
  name: 'summarize_entity_timeline',
  kind: 'read',
  title: 'Summarise timeline',
  description: 'Summarises the recent activities and notes of a record (counts by type, the last interaction, open and overdue items, the latest note), each sentence with the timeline entries it is based on.',
  input: z.object({ entityLogicalName: entityArg, recordId: recordIdArg('The record whose timeline to summarise.') }),
  aliases: RECORD_ALIASES,
  headers: TABLE_HEADER,
  output: z.object({ ...BriefFields, entries: z.number() }),
  async run(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    const [row, page] = await Promise.all([existingRow(ctx, info, args.recordId), readTimeline(ctx, { id: args.recordId }, WINDOW, { activities: 'start', notes: 'start' }, { activities: true, notes: true })]);
    const what = recordLabel(info, row, args.recordId);
    const sentences = timelineSentences(page.items, ctx.now());
    if (!sentences.length) sentences.push({ text: `${what} has no activities or notes yet.`, fields: ['activitypointer.regardingobjectid', 'annotation.objectid'] });
    const { text, ...written } = await brief(ctx, { table: info.logicalName, recordId: args.recordId, name: what, purpose: 'timeline', sentences }, [...page.notes, ...(page.next ? [`Only the newest ${WINDOW} entries were read.`] : [])]);
    return {
      data: { ...written, entries: page.items.length },
      text: `${what}: ${text}`,
      records: [{ table: info.logicalName, id: args.recordId }, ...page.items.slice(0, 10).map((it) => ({ table: it.table, id: it.id, name: it.subject }))],
    };
  },
});

/** Sentences about a timeline, each with the entries (table:id) and fields it rests on. Pure, so tests pin the clock. */
export function timelineSentences(items: readonly TimelineItem[], now: Date): Array<{ text: string; fields: string[] }> {
  const out: Array<{ text: string; fields: string[] }> = [];
  if (!items.length) return out;
  const ref = (it: TimelineItem) => `${it.table}:${it.id}`;
  const activities = items.filter((i) => i.kind === 'activity');
  const notes = items.filter((i) => i.kind === 'note');
  const byType = new Map<string, number>();
  for (const a of activities) byType.set(a.table, (byType.get(a.table) ?? 0) + 1);
  out.push({
    text: `${activities.length} activit${activities.length === 1 ? 'y' : 'ies'}${byType.size ? ` (${[...byType].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([t, n]) => `${n} ${t}`).join(', ')})` : ''} and ${notes.length} note(s) on the timeline.`,
    fields: ['activitytypecode', ...items.map(ref)],
  });
  const last = items[0]!;
  out.push({ text: `Latest: ${last.table} "${last.subject}" on ${last.createdOn.slice(0, 10)}${last.owner ? ` by ${last.owner}` : ''}.`, fields: ['createdon', 'subject', ref(last)] });
  const open = activities.filter((a) => a.open);
  if (open.length) {
    const overdue = open.filter((a) => a.dueOn && new Date(a.dueOn).getTime() < now.getTime());
    const next = [...open].filter((a) => a.dueOn && !overdue.includes(a)).sort((x, y) => x.dueOn!.localeCompare(y.dueOn!))[0];
    out.push({
      text: `${open.length} open activit${open.length === 1 ? 'y' : 'ies'}${overdue.length ? `, ${overdue.length} overdue (${overdue.slice(0, 3).map((o) => `"${o.subject}"`).join(', ')})` : ''}${next ? `; next due: "${next.subject}" on ${next.dueOn!.slice(0, 10)}` : ''}.`,
      fields: ['statecode', 'scheduledend', ...open.map(ref)],
    });
  }
  const note = notes[0];
  if (note) out.push({ text: `Latest note "${note.subject}"${note.text ? `: ${note.text.slice(0, 160)}${note.text.length > 160 ? '…' : ''}` : ''}.`, fields: ['annotation.subject', 'annotation.notetext', ref(note)] });
  return out;
}
