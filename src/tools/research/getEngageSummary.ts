import { z } from 'zod';

import { daysBetween } from '../../copilot/text.js';
import { defineTool } from '../defineTool.js';
import { str } from '../shared.js';
import { EvidenceSchema, LEAD_ALIASES, leadIdInput, researchText, startResearch, timeline } from './researchData.js';

export const getEngageSummary = defineTool({
  name: 'get_engage_summary',
  title: 'Engagement summary',
  description:
    'Summarises engagement with a lead: touchpoints by type and direction, first and last contact, cadence, whether they reply, open follow-ups and the recent timeline. Only CRM data you can read.',
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    touchpoints: z.number(),
    byType: z.record(z.string(), z.number()),
    emailsSent: z.number(),
    emailsReceived: z.number(),
    firstContact: z.string().optional(),
    lastContact: z.string().optional(),
    daysSinceLastContact: z.number().optional(),
    averageDaysBetweenTouches: z.number().optional(),
    openFollowUps: z.number().describe('Open tasks, calls and appointments'),
    recent: z.array(z.object({ type: z.string(), subject: z.string(), on: z.string(), direction: z.string() })),
    evidence: z.array(EvidenceSchema),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const { lead, ev, gaps } = await startResearch(ctx, args.leadId);
    const items = (await timeline(ctx, args.leadId, gaps)).sort((a, b) => (a.on < b.on ? 1 : -1));
    const byType: Record<string, number> = {};
    for (const i of items) byType[i.type] = (byType[i.type] ?? 0) + 1;
    const sent = items.filter((i) => i.direction === 'outgoing').length;
    const received = items.filter((i) => i.direction === 'incoming').length;
    const dates = items.map((i) => i.on).filter(Boolean).sort();
    const first = dates[0];
    const last = dates.at(-1);
    const now = ctx.now();
    const gapsBetween = dates.slice(1).map((d, i) => (new Date(d).getTime() - new Date(dates[i]!).getTime()) / 86_400_000);
    const avg = gapsBetween.length ? Math.round((gapsBetween.reduce((a, b) => a + b, 0) / gapsBetween.length) * 10) / 10 : undefined;
    const openFollowUps = items.filter((i) => i.open && i.type !== 'email').length;

    ev.add(`${items.length} touchpoint(s): ${Object.entries(byType).map(([t, n]) => `${n} ${t}`).join(', ') || 'none'}.`, ['activitypointer.activitytypecode']);
    ev.add(sent + received > 0 && `${sent} email(s) sent, ${received} received${received === 0 && sent > 0 ? ': no reply recorded yet' : ''}.`, ['email.directioncode']);
    ev.add(last && `Last contact ${last.slice(0, 10)} (${daysBetween(last, now)} days ago); first contact ${first?.slice(0, 10)}.`, ['activitypointer.actualend', 'activitypointer.createdon']);
    ev.add(avg !== undefined && `On average ${avg} days between touches.`, ['activitypointer.createdon']);
    ev.add(openFollowUps > 0 && `${openFollowUps} open follow-up(s) scheduled.`, ['activitypointer.statecode']);
    ev.add(items.length === 0 && `No activity is recorded since the lead was created on ${(str(lead, 'createdon') ?? '').slice(0, 10)}.`, ['lead.createdon']);

    const data = {
      leadId: args.leadId,
      touchpoints: items.length,
      byType,
      emailsSent: sent,
      emailsReceived: received,
      ...(first && { firstContact: first }),
      ...(last && { lastContact: last, daysSinceLastContact: daysBetween(last, now) }),
      ...(avg !== undefined && { averageDaysBetweenTouches: avg }),
      openFollowUps,
      recent: items.slice(0, 10).map((i) => ({ type: i.type, subject: i.subject, on: i.on, direction: i.direction ?? '' })),
      evidence: ev.items,
      gaps,
    };
    return { data, text: researchText(ev, gaps) };
  },
});
