import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { defineTool, ToolError } from '../defineTool.js';
import { orNotFound, previewText } from '../shared.js';
import { activeCase, CASE_COLUMNS, CaseSchema, caseLine, RESOLVED_STATUS, toCase } from '../service/caseFields.js';
import { claim, incidentIdArg, nextWaitingCase, PICK_PRIVILEGES, queueArgs, QueueSchema, resolveQueue } from './caseworkData.js';

/**
 * `resolve_case_and_pick_next` (MCP tool reference): resolves the case as Problem Solved and picks
 * the next waiting case, in one confirmation that names both. The resolution is applied first; if
 * picking then fails, the result says the case was resolved and why nothing was picked.
 */
export const resolveCaseAndPickNext = defineTool({
  name: 'resolve_case_and_pick_next',
  kind: 'write',
  alwaysConfirm: true,
  title: 'Resolve case and pick next',
  description:
    'Resolves an active case as Problem Solved with a resolution, then picks the next waiting case (oldest first) from a queue or any queue you can read and assigns it to you. Always asks the user to confirm first.',
  input: z.object({
    incidentId: incidentIdArg,
    resolution: z.string().trim().min(1).max(500).describe('How the case was resolved (the resolution subject).'),
    ...queueArgs,
  }),
  output: z.object({
    resolved: CaseSchema,
    next: z.object({ case: CaseSchema, queue: QueueSchema, queueItemId: z.string(), waitingSince: z.string() }).optional(),
    nextProblem: z.string().optional().describe('Why no next case was picked'),
  }),
  auditTarget: (args) => `incident:${args.incidentId}`,
  async prepare(args, ctx) {
    const [row, caseKey, queue] = await Promise.all([
      orNotFound('case', args.incidentId, () => ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS })),
      ctx.metadata.bindKey('incidentresolution', 'incidentid', 'incident'),
      resolveQueue(ctx, args),
      ctx.privileges.require({ table: 'incident', ops: ['Write', 'AppendTo'] }, { table: 'incidentresolution', ops: ['Create', 'Read', 'Write', 'Append'] }, ...PICK_PRIVILEGES),
    ]);
    const c = activeCase(row, 'resolved');
    const next = await nextWaitingCase(ctx, queue?.queueId, args.incidentId);
    const where = queue ? `queue "${queue.name}"` : 'the queues you can read';
    return {
      preview: {
        summary: `Resolve case ${c.ticketNumber} "${c.title}" as problem solved, then ${next ? `pick case ${next.case.ticketNumber} "${next.case.title}" from queue "${next.queue.name}" and assign it to you` : `pick nothing: no case is waiting in ${where}`}.`,
        details: { resolve: caseLine(c), resolution: previewText(args.resolution), next: next ? caseLine(next.case) : `none waiting in ${where}` },
      },
      async run() {
        await ctx.dataverse.action('CloseIncident', {
          IncidentResolution: { '@odata.type': 'Microsoft.Dynamics.CRM.incidentresolution', subject: args.resolution, [caseKey]: bind('incidents', args.incidentId) },
          Status: RESOLVED_STATUS.problem_solved,
        });
        const resolved = toCase(await ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS }));
        const records = [{ table: 'incident', id: resolved.caseId, name: resolved.title }];
        if (!next) {
          const nextProblem = `No case is waiting in ${where}.`;
          return { data: { resolved, nextProblem }, text: `Resolved ${caseLine(resolved)}. ${nextProblem}`, target: `incident:${args.incidentId}`, records };
        }
        try {
          await claim(ctx, next);
        } catch (err) {
          // The case is resolved either way: say so, and why no next case was taken (never raw error text).
          if (!(err instanceof ToolError) && !(err instanceof DataverseError)) ctx.log.warn('picking the next case failed', { error: err instanceof Error ? err.name : 'unknown' });
          const nextProblem = err instanceof ToolError ? err.message : err instanceof DataverseError ? describeDataverseError(err, 'Picking the next case') : 'Picking the next case failed unexpectedly; pick it with pick_case_from_queue.';
          return { data: { resolved, nextProblem }, text: `Resolved ${caseLine(resolved)}. The next case was not picked: ${nextProblem}`, target: `incident:${args.incidentId}`, partial: 'next case not picked', records };
        }
        return {
          data: { resolved, next: { case: next.case, queue: next.queue, queueItemId: next.queueItemId, waitingSince: next.enteredOn } },
          text: `Resolved ${caseLine(resolved)}.\nPicked ${caseLine(next.case)} from queue "${next.queue.name}"; it is now assigned to you.`,
          target: `incident:${args.incidentId}`,
          records: [...records, { table: 'incident', id: next.case.caseId, name: next.case.title }],
        };
      },
    };
  },
});
