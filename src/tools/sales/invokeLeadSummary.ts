import { z } from 'zod';

import { summarizeLead } from '../../copilot/grounded.js';
import { defineTool } from '../defineTool.js';
import { GroundingSchema, guidArg } from '../shared.js';
import { loadLeadFacts } from './leadData.js';

export const invokeLeadSummary = defineTool({
  name: 'D365_Sales_InvokeLeadSummary',
  kind: 'read',
  title: 'Lead summary',
  description:
    'Summarises a lead: who they are, what they asked about, rating and predictive score, engagement so far, and a suggested next step. Grounded only in CRM data you can read; every sentence lists the fields it used.',
  input: z.object({ leadId: guidArg('The lead to summarise.') }),
  output: z.object({
    leadId: z.string(),
    summary: z.string(),
    nextStep: z.string(),
    grounding: GroundingSchema,
    source: z.string().describe('Which generator wrote the summary'),
  }),
  async run(args, ctx) {
    const { facts } = await loadLeadFacts(ctx, args.leadId);
    const summary = summarizeLead(facts, ctx.now());
    return {
      data: { leadId: args.leadId, summary: summary.text, nextStep: summary.nextStep.text, grounding: summary.sentences, source: 'embedded-grounded-generator' },
      text: summary.text,
      records: [{ table: 'lead', id: args.leadId, name: facts.fullName }],
    };
  },
});
