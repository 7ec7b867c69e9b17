import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, type Filter, guid, lt, or } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import { tableAllowed } from '../dataverse/tableAccess.js';
import { clip, label, lookup, num, str } from '../shared.js';
import { ACTIVITY_TABLES, NOTE_TABLE } from './recordsData.js';

export const TimelineItemSchema = z.object({
  kind: z.enum(['activity', 'note']),
  table: z.string().describe('email, task, phonecall, appointment, … or annotation'),
  id: z.string(),
  subject: z.string(),
  text: z.string().optional().describe('Description or note text, cut at 500 characters'),
  createdOn: z.string(),
  state: z.string().optional().describe('Open, Completed, Canceled, Scheduled (activities)'),
  open: z.boolean().optional(),
  dueOn: z.string().optional(),
  completedOn: z.string().optional(),
  owner: z.string().optional(),
});
export type TimelineItem = z.infer<typeof TimelineItemSchema>;

/** Where each source stands: `start`, `done`, or the last item shown (`createdon|id`): keyset paging that survives equal timestamps. */
export interface TimelinePosition {
  activities: string;
  notes: string;
}

const ACTIVITY_COLUMNS = ['activityid', 'subject', 'description', 'activitytypecode', 'statecode', 'scheduledend', 'actualend', 'createdon', '_ownerid_value'];
const NOTE_COLUMNS = ['annotationid', 'subject', 'notetext', 'createdon', '_ownerid_value', 'isdocument', 'filename'];

function after(position: string, idColumn: string): Filter | undefined {
  if (position === 'start') return undefined;
  const [at, id] = position.split('|') as [string, string];
  return or(lt('createdon', new Date(at)), and(eq('createdon', new Date(at)), lt(idColumn, guid(id))));
}

function toActivity(r: Row): TimelineItem {
  const state = num(r, 'statecode');
  const optional = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    kind: 'activity',
    table: str(r, 'activitytypecode') ?? 'activitypointer',
    id: str(r, 'activityid') ?? '',
    subject: str(r, 'subject') ?? '',
    ...optional('text', clip(str(r, 'description'), 500)),
    createdOn: str(r, 'createdon') ?? '',
    ...optional('state', label(r, 'statecode')),
    ...(state !== undefined && { open: state === 0 || state === 3 }),
    ...optional('dueOn', str(r, 'scheduledend')),
    ...optional('completedOn', state === 1 ? str(r, 'actualend') : undefined),
    ...optional('owner', lookup(r, 'ownerid')?.name || undefined),
  };
}

function toNote(r: Row): TimelineItem {
  const text = str(r, 'notetext');
  const file = r['isdocument'] === true ? str(r, 'filename') : undefined;
  return {
    kind: 'note',
    table: NOTE_TABLE,
    id: str(r, 'annotationid') ?? '',
    subject: str(r, 'subject') ?? '',
    ...((text || file) && { text: clip([text, file && `(attachment ${file})`].filter(Boolean).join(' '), 500)! }),
    createdOn: str(r, 'createdon') ?? '',
    ...(lookup(r, 'ownerid')?.name && { owner: lookup(r, 'ownerid')!.name }),
  };
}

/**
 * One page of a record's timeline, newest first: its activities (activitypointer, regarding the
 * record) and its notes (annotation, objectid), two requests read at once and merged by creation
 * time. Each source keeps its own position, so nothing read but not shown is lost.
 */
export async function readTimeline(
  ctx: ToolContext,
  record: { id: string },
  top: number,
  position: TimelinePosition,
  include: { activities: boolean; notes: boolean },
): Promise<{ items: TimelineItem[]; next: TimelinePosition | undefined; notes: string[] }> {
  // Activities are read through activitypointer when the agent allows it or any activity table; each row is then shown only if its own table is allowed.
  const activityAllowed = (table: string) => tableAllowed(ctx, 'activitypointer') || tableAllowed(ctx, table);
  const notes: string[] = [];
  // A source the user's role cannot read is left out and said so, rather than failing the timeline.
  const readable = async (table: string, what: string) => {
    if (await ctx.privileges.allows({ table, ops: ['Read'] })) return true;
    notes.push(`${what} are not included: your security role cannot read them.`);
    return false;
  };
  const wantActivities = include.activities && position.activities !== 'done' && (ACTIVITY_TABLES as readonly string[]).some(activityAllowed) && (await readable('activitypointer', 'Activities'));
  const wantNotes = include.notes && position.notes !== 'done' && tableAllowed(ctx, NOTE_TABLE) && (await readable(NOTE_TABLE, 'Notes'));
  const order = (id: string) => [{ property: 'createdon', descending: true }, { property: id, descending: true }];
  const [activities, noteRows] = await Promise.all([
    wantActivities
      ? ctx.dataverse.list('activitypointers', { select: ACTIVITY_COLUMNS, filter: and(eq('_regardingobjectid_value', guid(record.id)), after(position.activities, 'activityid')), orderby: order('activityid'), top })
      : undefined,
    wantNotes ? ctx.dataverse.list('annotations', { select: NOTE_COLUMNS, filter: and(eq('_objectid_value', guid(record.id)), after(position.notes, 'annotationid')), orderby: order('annotationid'), top }) : undefined,
  ]);
  const a = (activities?.rows ?? []).map(toActivity);
  const n = (noteRows?.rows ?? []).map(toNote);
  // A merge that keeps each source's own order: what is shown of a source is always a prefix of what it returned.
  const items: TimelineItem[] = [];
  let i = 0;
  let j = 0;
  while (items.length < top && (i < a.length || j < n.length)) {
    if (j >= n.length || (i < a.length && a[i]!.createdOn >= n[j]!.createdOn)) items.push(a[i++]!);
    else items.push(n[j++]!);
  }
  const nextOf = (source: TimelineItem[], used: number, wanted: boolean, current: string) => {
    if (!wanted) return 'done';
    if (used === 0) return source.length === 0 ? 'done' : current;
    const last = source[used - 1]!;
    return used === source.length && source.length < top ? 'done' : `${last.createdOn}|${last.id}`;
  };
  const next = { activities: nextOf(a, i, wantActivities, position.activities), notes: nextOf(n, j, wantNotes, position.notes) };
  return { items: items.filter((it) => it.kind === 'note' || activityAllowed(it.table)), next: next.activities === 'done' && next.notes === 'done' ? undefined : next, notes };
}

export const includeArg = z.enum(['all', 'activities', 'notes']).default('all').describe('What the timeline shows: activities and notes (default), activities only, or notes only.');
