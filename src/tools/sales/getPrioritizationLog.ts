import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { cursorArg } from '../shared.js';
import { DECISION_KIND, DecisionPayloadSchema, LogEntrySchema } from './prioritizationLog.js';

export const getPrioritizationLog = defineTool({
  name: 'D365_Sales_GetPrioritizationLog',
  kind: 'read',
  title: 'Lead prioritisation log',
  description:
    'Your past lead rankings (D365_Sales_PrioritizeLeads) on this agent, newest first: when, the weights and filters used, the data timestamp, and the ranked lead ids with their totals and scores. Only your own entries; give decisionId for one.',
  input: z.object({
    decisionId: z.string().trim().max(40).optional().describe('One entry, by the decisionId a ranking returned.'),
    top: z.number().int().min(1).max(50).default(10).describe('Entries to return (1-50, default 10).'),
    cursor: cursorArg,
  }),
  output: z.object({ entries: z.array(LogEntrySchema), nextCursor: z.string().optional() }),
  async run(args, ctx) {
    const cursors = ctx.cursors.scoped(`top=${args.top}`);
    const stored = args.decisionId
      ? { entries: [await ctx.decisions.get(DECISION_KIND, args.decisionId)].filter((e) => e !== undefined), next: undefined }
      : await ctx.decisions.list(DECISION_KIND, { top: args.top, after: args.cursor ? cursors.open(args.cursor).next : undefined }).catch((err: unknown) => {
          ctx.log.error('decision log read failed', { error: err instanceof Error ? err.message : 'unknown' });
          throw new ToolError('Your decision log cannot be read right now (storage is unavailable); try again shortly.', 'unavailable');
        });
    if (args.decisionId && stored.entries.length === 0) throw new ToolError(`No entry ${args.decisionId.slice(0, 40)} in your prioritisation log on this agent.`, 'not_found');
    // Entries are checked on the way out: a row that is not a ranking record is skipped, not guessed at.
    const entries = stored.entries.flatMap((e) => {
      const payload = DecisionPayloadSchema.safeParse(e.payload);
      return payload.success ? [{ ...payload.data, decisionId: e.id, at: e.at, agentId: e.agentId, user: e.username }] : [];
    });
    const nextCursor = stored.next ? cursors.seal({ next: stored.next }) : undefined;
    const text = entries.length
      ? entries
          .map((e) => `${e.at} ${e.decisionId}: ${e.considered} leads ranked (${Object.entries(e.weights).filter(([, w]) => w > 0).map(([f, w]) => `${f} ${w}`).join(', ')}), top ${e.results.slice(0, 3).map((r) => `${r.leadId} ${r.total}`).join('; ')}`)
          .join('\n')
      : 'No lead rankings in your log on this agent yet.';
    return { data: { entries, ...(nextCursor && { nextCursor }) }, text: `${text}${nextCursor ? '\nMore: pass nextCursor.' : ''}` };
  },
});
