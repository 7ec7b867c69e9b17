import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, ge, guid } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import { tableAllowed } from '../dataverse/tableAccess.js';
import { str } from '../shared.js';
import type { GroundedLine } from './accountData.js';

export const sinceDaysArg = z.number().int().min(1).max(90).default(7).describe('How many days back to look (1-90, default 7).');

export const Change = z.object({ table: z.string(), id: z.string(), name: z.string(), what: z.string().describe('created, modified, or the activity type'), on: z.string() });
export type ChangeView = z.infer<typeof Change>;

/** Activities and notes regarding a record since a date (two requests at once; either is skipped where the agent or the role does not allow it). */
export async function recentTimeline(ctx: ToolContext, id: string, since: Date): Promise<ChangeView[]> {
  const activities = ['activitypointer', 'email', 'task', 'phonecall', 'appointment'].some((t) => tableAllowed(ctx, t));
  const notes = tableAllowed(ctx, 'annotation');
  const [a, n] = await Promise.all([
    activities && (await ctx.privileges.allows({ table: 'activitypointer', ops: ['Read'] }))
      ? ctx.dataverse.list('activitypointers', { select: ['activityid', 'subject', 'activitytypecode', 'createdon'], filter: and(eq('_regardingobjectid_value', guid(id)), ge('createdon', since)), orderby: [{ property: 'createdon', descending: true }], top: 25 })
      : undefined,
    notes && (await ctx.privileges.allows({ table: 'annotation', ops: ['Read'] }))
      ? ctx.dataverse.list('annotations', { select: ['annotationid', 'subject', 'createdon'], filter: and(eq('_objectid_value', guid(id)), ge('createdon', since)), orderby: [{ property: 'createdon', descending: true }], top: 25 })
      : undefined,
  ]);
  return [
    ...(a?.rows ?? []).map((r: Row) => ({ table: str(r, 'activitytypecode') ?? 'activitypointer', id: str(r, 'activityid') ?? '', name: str(r, 'subject') ?? '', what: `${str(r, 'activitytypecode') ?? 'activity'} logged`, on: str(r, 'createdon') ?? '' })),
    ...(n?.rows ?? []).map((r: Row) => ({ table: 'annotation', id: str(r, 'annotationid') ?? '', name: str(r, 'subject') ?? '', what: 'note added', on: str(r, 'createdon') ?? '' })),
  ];
}

export function sinceDate(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

export const byNewest = (x: ChangeView, y: ChangeView) => y.on.localeCompare(x.on);

/** Sentences a catch-up is written from: how much changed, then each change (newest first, at most 12), each with the fields it comes from. */
export function changeSentences(name: string, changes: readonly ChangeView[], sinceDays: number, head: readonly GroundedLine[] = []): GroundedLine[] {
  const span = `in the last ${sinceDays} day(s)`;
  if (changes.length === 0) return [...head, { text: `Nothing changed on ${name} ${span}.`, fields: ['modifiedon', 'activitypointer.createdon', 'annotation.createdon'] }];
  const shown = changes.slice(0, 12);
  return [
    ...head,
    { text: `${changes.length} change(s) on ${name} ${span}.`, fields: ['modifiedon', 'createdon'] },
    ...shown.map((c) => ({
      text: `${c.on.slice(0, 10)}: ${c.what}${c.name ? ` "${c.name}"` : ''}.`,
      fields: [`${c.table}.${/created|logged|added/.test(c.what) ? 'createdon' : 'modifiedon'}`, `${c.table}:${c.id}`],
    })),
    ...(changes.length > shown.length ? [{ text: `${changes.length - shown.length} older change(s) are in the list.`, fields: ['createdon'] }] : []),
  ];
}
