import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { CaseSchema, caseLine } from '../service/caseFields.js';
import { claim, nextWaitingCase, PICK_PRIVILEGES, queueArgs, QueueSchema, resolveQueue } from './caseworkData.js';

/**
 * `pick_case_from_queue` (MCP tool reference): claims the oldest waiting case of a queue (or of any
 * queue the user can read) and assigns it to them. A write: it asks first, and re-checks at the
 * moment of picking that nobody else took the case meanwhile.
 */
export const pickCaseFromQueue = defineTool({
  name: 'pick_case_from_queue',
  kind: 'write',
  // Taking a case changes who owns it: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Pick case from queue',
  description:
    'Picks the next waiting case (oldest first) from a queue, or from any queue you can read, and assigns it to you. Tells you the case and the queue it came from. Always asks the user to confirm first.',
  input: z.object(queueArgs),
  output: z.object({ case: CaseSchema, queue: QueueSchema, queueItemId: z.string(), waitingSince: z.string(), assignedToYou: z.boolean() }),
  auditTarget: (args) => `queue:${args.queueId ?? args.queue ?? 'any'}`,
  async prepare(args, ctx) {
    const [queue] = await Promise.all([resolveQueue(ctx, args), ctx.privileges.require(...PICK_PRIVILEGES)]);
    const item = await nextWaitingCase(ctx, queue?.queueId);
    if (!item) throw new ToolError(`No case is waiting in ${queue ? `queue "${queue.name}"` : 'the queues you can read'}. Nothing was picked.`, 'not_found');
    return {
      preview: {
        summary: `Pick case ${item.case.ticketNumber} "${item.case.title}" from queue "${item.queue.name}" and assign it to you.`,
        details: { case: caseLine(item.case), queue: item.queue.name, waitingSince: item.enteredOn, owner: item.case.owner },
      },
      async run() {
        const { assigned } = await claim(ctx, item);
        return {
          data: { case: item.case, queue: item.queue, queueItemId: item.queueItemId, waitingSince: item.enteredOn, assignedToYou: true },
          text: `Picked ${caseLine(item.case)} from queue "${item.queue.name}" (waiting since ${item.enteredOn})${assigned ? '; it is now assigned to you' : '; it was already yours'}.`,
          target: `incident:${item.case.caseId}`,
          records: [{ table: 'incident', id: item.case.caseId, name: item.case.title }],
        };
      },
    };
  },
});
