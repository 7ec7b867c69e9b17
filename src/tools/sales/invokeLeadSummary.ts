import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { GroundingSchema, guidArg } from '../shared.js';
import { loadLeadFacts } from './leadData.js';

export const invokeLeadSummary = defineTool({
  name: 'D365_Sales_InvokeLeadSummary',
  kind: 'read',
  title: 'Lead summary',
  description:
    "Summarises a lead: who they are, what they asked about, rating and predictive score, engagement so far, and a suggested next step. Grounded only in CRM data you can read; every sentence lists the fields it used (a summary written by the organisation's Copilot says so instead).",
  input: z.object({ leadId: guidArg('The lead to summarise.') }),
  output: z.object({
    leadId: z.string(),
    summary: z.string(),
    nextStep: z.string(),
    grounding: GroundingSchema,
    source: z.string().describe('Which generator wrote the summary'),
    notes: z.array(z.string()).describe('Why the summary came from another generator than configured, and what it could not use'),
  }),
  async run(args, ctx) {
    const { facts } = await loadLeadFacts(ctx, args.leadId);
    const summary = await ctx.copilot.summarise({ kind: 'lead', facts });
    return {
      data: { leadId: args.leadId, summary: summary.text, nextStep: summary.nextStep.text, grounding: summary.sentences, source: summary.source, notes: summary.notes },
      text: [summary.text, ...(summary.source === 'embedded-grounded-generator' ? [] : [`Suggested next step: ${summary.nextStep.text}`]), ...summary.notes.map((n) => `(note) ${n}`)].join('\n'),
      records: [{ table: 'lead', id: args.leadId, name: facts.fullName }],
    };
  },
});
