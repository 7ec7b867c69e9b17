import { z } from 'zod';

import type { RecordSummaryRequest } from '../../copilot/provider.js';
import type { Row } from '../../dataverse/client.js';
import { and, eq, guid } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import { tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, label, lookup, num, str } from '../shared.js';

/** Microsoft's Sales summaries take `appId` (the model-driven app of the SalesRecordSummary custom API); accepted, and unused by the grounded path. */
export const appIdArg = guidArg('Model-driven app id for the org\'s Copilot summary (optional; accepted for compatibility).').optional();

export const Sentence = z.object({ text: z.string(), fields: z.array(z.string()) });
export type GroundedLine = z.infer<typeof Sentence>;

/** What every brief and catch-up returns besides its records: the text, its grounding, and who wrote it. */
export const BriefFields = {
  summary: z.string(),
  sentences: z.array(Sentence).describe('Each sentence with the CRM fields it rests on (empty where the org\'s Copilot wrote it: it does not say).'),
  source: z.string().describe('embedded-grounded-generator, dataverse-copilot or chat-completions'),
  notes: z.array(z.string()),
};

/**
 * The grounded sentences, written up by the agent's Copilot provider (ctx.copilot), which may only
 * rephrase what they say; `notes` are the provider's and the tool's own.
 */
export async function brief(ctx: ToolContext, request: RecordSummaryRequest, toolNotes: readonly string[] = []): Promise<{ summary: string; sentences: GroundedLine[]; source: string; notes: string[]; text: string }> {
  const r = await ctx.copilot.summariseRecord(request);
  const notes = [...r.notes, ...toolNotes];
  return { summary: r.text, sentences: r.sentences, source: r.source, notes, text: [r.text, ...notes.map((n) => `(note) ${n}`)].join('\n') };
}

export { rowsOf } from '../shared.js';

/** The newest activity regarding a record, if the agent may see activities and the user may read them (one request). */
export async function lastActivity(ctx: ToolContext, id: string): Promise<Row | undefined> {
  if (!['activitypointer', 'email', 'task', 'phonecall', 'appointment'].some((t) => tableAllowed(ctx, t))) return undefined;
  if (!(await ctx.privileges.allows({ table: 'activitypointer', ops: ['Read'] }))) return undefined;
  const page = await ctx.dataverse.list('activitypointers', {
    select: ['activityid', 'subject', 'activitytypecode', 'createdon', 'statecode'],
    filter: and(eq('_regardingobjectid_value', guid(id))),
    orderby: [{ property: 'createdon', descending: true }],
    top: 1,
  });
  return page.rows[0];
}

export function activitySentence(a: Row | undefined): GroundedLine {
  return a
    ? { text: `Last activity: ${str(a, 'activitytypecode') ?? 'activity'} "${str(a, 'subject') ?? ''}" on ${(str(a, 'createdon') ?? '').slice(0, 10)}.`, fields: ['activitypointer.createdon', 'activitypointer.subject', `activitypointer:${str(a, 'activityid') ?? ''}`] }
    : { text: 'No activities recorded yet.', fields: ['activitypointer.regardingobjectid'] };
}

export const OpenOpportunity = z.object({ opportunityId: z.string(), name: z.string(), estimatedRevenue: z.number().optional(), estimatedCloseDate: z.string().optional() });

export function toOpenOpportunity(r: Row): z.infer<typeof OpenOpportunity> {
  const value = num(r, 'estimatedvalue');
  const close = str(r, 'estimatedclosedate');
  return { opportunityId: str(r, 'opportunityid') ?? '', name: str(r, 'name') ?? '', ...(value !== undefined && { estimatedRevenue: value }), ...(close && { estimatedCloseDate: close }) };
}

export const OPEN_OPPORTUNITY_COLUMNS = ['opportunityid', 'name', 'estimatedvalue', 'estimatedclosedate', 'statecode'];

export const money = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));

export { label, lookup, num, str };
