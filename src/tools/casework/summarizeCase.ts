import { z } from 'zod';

import { type CaseSummaryFacts, factsUsed } from '../../copilot/facts.js';
import { defineTool } from '../defineTool.js';
import { GroundingSchema } from '../shared.js';
import { incidentIdArg } from './caseworkData.js';
import { loadCaseDetail } from './getCase.js';

/**
 * `summarize_case` (MCP tool reference): a short summary for the agent working the case, through
 * the agent's Copilot provider; every sentence names the fields it rests on, and the next step
 * comes from the grounded rules. One request for the facts.
 */
export const summarizeCase = defineTool({
  name: 'summarize_case',
  kind: 'read',
  title: 'Summarize case',
  description: 'Summarises a case for the agent working it: the problem, the customer, where it stands, its SLA, the latest note and emails, and a suggested next step. Each sentence says which fields it is based on.',
  input: z.object({ incidentId: incidentIdArg }),
  output: z.object({ incidentId: z.string(), summary: z.string(), nextStep: z.string(), grounding: GroundingSchema, factsUsed: z.array(z.string()), source: z.string(), notes: z.array(z.string()) }),
  async run(args, ctx) {
    const d = await loadCaseDetail(ctx, args.incidentId);
    const c = d.view;
    const facts: CaseSummaryFacts = {
      caseId: c.caseId,
      title: c.title || undefined,
      ticketNumber: c.ticketNumber || undefined,
      description: c.description || undefined,
      customerName: c.customer?.name,
      contactName: c.primaryContact?.name,
      priority: c.priority || undefined,
      status: c.state || undefined,
      statusReason: c.statusReason || undefined,
      resolved: d.row['statecode'] === 1,
      cancelled: d.row['statecode'] === 2,
      createdOn: c.createdOn || undefined,
      notes: d.notes.map((n) => ({ subject: n.subject, text: n.text, on: n.createdOn })),
      articles: [],
      sla: c.sla.map((k) => ({ kpi: k.kpi, name: k.name, status: k.status, succeeded: k.state === 'succeeded', atRisk: k.atRisk, minutesLeft: k.minutesLeft })),
      queue: d.queue && { name: d.queue.name, workedBy: d.queue.workedBy },
      emails: d.emails.map((e) => ({ subject: e.subject, direction: e.direction, on: e.createdOn, draft: e.isDraft })),
      // statuscode 3 Waiting for Details (incident reference), decided on the number.
      waitingForDetails: d.row['statuscode'] === 3,
    };
    const s = await ctx.copilot.summarise({ kind: 'case', facts });
    return {
      data: { incidentId: c.caseId, summary: s.text, nextStep: s.nextStep.text, grounding: s.sentences, factsUsed: factsUsed(s.sentences), source: s.source, notes: s.notes },
      text: [s.text, ...s.notes.map((n) => `(note) ${n}`)].join('\n'),
      records: [{ table: 'incident', id: c.caseId, name: c.title }],
    };
  },
});
