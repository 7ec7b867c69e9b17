import { z } from 'zod';

import { factsUsed } from '../../copilot/facts.js';
import { defineTool } from '../defineTool.js';
import { currentSender } from '../email.js';
import { GroundingSchema, guidArg } from '../shared.js';
import { loadCaseFacts } from './caseFacts.js';

export const draftEmailResponse = defineTool({
  name: 'D365_CustomerService_DraftEmailResponse',
  kind: 'read',
  title: 'Draft email response',
  description:
    "Drafts a reply to the customer about a case, grounded only in the case and published knowledge articles you can read (internal case notes are quoted only where the agent allows it). Says which facts it used. Nothing is saved or sent: review it, then send with D365_CustomerService_SendEmailResponse.",
  input: z.object({
    caseId: guidArg('The case to reply about.'),
    instructions: z.string().trim().max(1000).optional().describe('Extra points to include, in your words (e.g. "offer a callback tomorrow").'),
  }),
  output: z.object({
    caseId: z.string(),
    to: z.string().describe('Who the reply would go to, or empty when no contact may be emailed (see recipientProblem)'),
    recipientProblem: z.string().optional().describe('Why the reply has no recipient'),
    subject: z.string(),
    body: z.string(),
    grounding: GroundingSchema,
    factsUsed: z.array(z.string()).describe('Every CRM field the draft is based on'),
    withheld: z.array(z.string()).describe('Facts deliberately left out of a customer-facing draft'),
    source: z.string().describe('Which generator wrote the draft'),
    notes: z.array(z.string()).describe('Why the draft came from another generator than configured'),
  }),
  async run(args, ctx) {
    const [{ facts, recipient, recipientProblem }, sender] = await Promise.all([loadCaseFacts(ctx, args.caseId), currentSender(ctx)]);
    const draft = await ctx.copilot.draftEmail({ kind: 'case-reply', facts, sender }, args.instructions);
    const to = recipient ? `${recipient.name} <${recipient.email}>` : '';
    const withheld = facts.notesWithheld ? ["The case's internal notes (this agent does not quote them to customers)"] : [];
    const used = factsUsed(draft.sentences);
    return {
      data: {
        caseId: args.caseId,
        to,
        ...(recipientProblem && !recipient && { recipientProblem }),
        subject: draft.subject,
        body: draft.body,
        grounding: draft.sentences,
        factsUsed: used,
        withheld,
        source: draft.source,
        notes: draft.notes,
      },
      text: [
        `Draft reply${to ? ` to ${to}` : ` (no recipient: ${recipientProblem ?? 'no contact with an email address'})`}:`,
        `Subject: ${draft.subject}`,
        '',
        draft.body,
        '',
        `Based on: ${used.join(', ')}.${withheld.length ? ` Left out: ${withheld.join('; ')}.` : ''}`,
        'To send it, call D365_CustomerService_SendEmailResponse with caseId, subject and body.',
        ...draft.notes.map((n) => `(note) ${n}`),
      ].join('\n'),
      records: [{ table: 'incident', id: args.caseId }],
    };
  },
});
