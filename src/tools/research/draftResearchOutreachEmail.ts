import { z } from 'zod';

import type { GroundedSentence } from '../../copilot/facts.js';
import { defineTool } from '../defineTool.js';
import { currentSender } from '../email.js';
import { label, num, str } from '../shared.js';
import { loadLeadFacts } from '../sales/leadData.js';
import { findAccount, LEAD_ALIASES, leadIdInput } from './researchData.js';

export const draftResearchOutreachEmail = defineTool({
  name: 'draft_outreach_email',
  title: 'Draft personalised outreach email',
  description:
    "Drafts a personalised outreach email for a lead, using its enquiry, engagement and company context from CRM. Nothing is saved or sent; send it with D365_Sales_SendOutreachEmail after the user reviews it.",
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    to: z.string(),
    subject: z.string(),
    body: z.string(),
    grounding: z.array(z.object({ text: z.string(), fields: z.array(z.string()) })),
    gaps: z.array(z.string()),
    source: z.string().describe('Which generator wrote the draft'),
    notes: z.array(z.string()).describe('Why the draft came from another generator than configured'),
  }),
  kind: 'read',
  async run(args, ctx) {
    const [{ row, facts }, sender] = await Promise.all([loadLeadFacts(ctx, args.leadId), currentSender(ctx)]);
    const gaps: string[] = [...(facts.gaps ?? [])];
    const account = await findAccount(ctx, row, gaps);
    const context: GroundedSentence[] = [];
    const industry = label(account ?? row, 'industrycode');
    const employees = num(account ?? row, 'numberofemployees');
    if (account && str(account, 'name')) {
      context.push({ text: `It is good to hear from ${str(account, 'name')} again.`, fields: ['account.name'] });
    } else if (industry) {
      context.push({
        text: `We work with ${employees && employees >= 1000 ? 'large ' : ''}${industry.toLowerCase()} organisations on projects like this.`,
        fields: [account ? 'account.industrycode' : 'lead.industrycode', account ? 'account.numberofemployees' : 'lead.numberofemployees'],
      });
    }
    const draft = await ctx.copilot.draftEmail({ kind: 'lead-outreach', facts, sender, context });
    const email = str(row, 'emailaddress1');
    const to = email ? `${facts.fullName ?? ''} <${email}>` : '';
    return {
      data: { leadId: args.leadId, to, subject: draft.subject, body: draft.body, grounding: draft.sentences, gaps, source: draft.source, notes: draft.notes },
      text: `Draft${to ? ` to ${to}` : ' (the lead has no email address)'}:\nSubject: ${draft.subject}\n\n${draft.body}\n\nSend it with D365_Sales_SendOutreachEmail (leadId, subject, body) once the user has reviewed it.${draft.notes.map((n) => `\n(note) ${n}`).join('')}`,
    };
  },
});
