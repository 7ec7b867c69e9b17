import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, ge, guid } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import { tableAllowed } from '../dataverse/tableAccess.js';
import { str } from '../shared.js';

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
