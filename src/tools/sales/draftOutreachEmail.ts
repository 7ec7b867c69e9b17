import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { currentSender } from '../email.js';
import { GroundingSchema, guidArg, str } from '../shared.js';
import { loadLeadFacts } from './leadData.js';

export const draftOutreachEmail = defineTool({
  name: 'D365_Sales_DraftOutreachEmail',
  kind: 'read',
  title: 'Draft outreach email',
  description:
    "Drafts an outreach email to a lead from the lead's enquiry and history (grounded in CRM data you can read). Nothing is saved or sent: review it, then send with D365_Sales_SendOutreachEmail.",
  input: z.object({ leadId: guidArg('The lead to write to.') }),
  output: z.object({
    leadId: z.string(),
    to: z.string(),
    subject: z.string(),
    body: z.string(),
    grounding: GroundingSchema,
    source: z.string(),
    notes: z.array(z.string()).describe('Why the draft came from another generator than configured'),
  }),
  async run(args, ctx) {
    const [{ row, facts }, sender] = await Promise.all([loadLeadFacts(ctx, args.leadId), currentSender(ctx)]);
    const email = str(row, 'emailaddress1');
    const draft = await ctx.copilot.draftEmail({ kind: 'lead-outreach', facts, sender });
    const to = email ? `${facts.fullName ?? ''} <${email}>` : '';
    return {
      data: { leadId: args.leadId, to, subject: draft.subject, body: draft.body, grounding: draft.sentences, source: draft.source, notes: draft.notes },
      text: `Draft${to ? ` to ${to}` : ' (the lead has no email address)'}:\nSubject: ${draft.subject}\n\n${draft.body}\n\nTo send it, call D365_Sales_SendOutreachEmail with leadId, subject and body.${draft.notes.map((n) => `\n(note) ${n}`).join('')}`,
      records: [{ table: 'lead', id: args.leadId, name: facts.fullName }],
    };
  },
});
