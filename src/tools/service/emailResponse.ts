import { z } from 'zod';

import { draftCaseReply, factsUsed } from '../../copilot/grounded.js';
import { defineTool } from '../defineTool.js';
import { bodyArg, currentSender, performSend, previewSend, SentEmailSchema, sentText, subjectArg } from '../email.js';
import { guidArg } from '../shared.js';
import { loadCaseFacts, loadCaseRecipient } from './caseFacts.js';

const GroundingSchema = z.array(z.object({ text: z.string(), fields: z.array(z.string()) })).describe('Each sentence with the CRM fields it is based on');

export const draftEmailResponse = defineTool({
  name: 'D365_CustomerService_DraftEmailResponse',
  toolset: 'service',
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
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const [{ facts, recipient, recipientProblem }, sender] = await Promise.all([loadCaseFacts(ctx, args.caseId), currentSender(ctx)]);
    const draft = draftCaseReply(facts, sender, args.instructions);
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
        source: 'embedded-grounded-generator',
      },
      text: [
        `Draft reply${to ? ` to ${to}` : ` (no recipient: ${recipientProblem ?? 'no contact with an email address'})`}:`,
        `Subject: ${draft.subject}`,
        '',
        draft.body,
        '',
        `Based on: ${used.join(', ')}.${withheld.length ? ` Left out: ${withheld.join('; ')}.` : ''}`,
        'To send it, call D365_CustomerService_SendEmailResponse with caseId, subject and body.',
      ].join('\n'),
    };
  },
});

export const sendEmailResponse = defineTool({
  name: 'D365_CustomerService_SendEmailResponse',
  toolset: 'service',
  title: 'Send email response',
  description:
    "Sends an email to the case's contact, recorded on the case timeline: give subject and body (e.g. from D365_CustomerService_DraftEmailResponse), or draftId of a draft email on the case. Always asks the user to confirm first.",
  input: z.object({
    caseId: guidArg('The case the email is about.'),
    subject: subjectArg.optional(),
    body: bodyArg.optional(),
    draftId: guidArg('Send this existing draft email (regarding the case) instead of subject and body.').optional(),
  }),
  output: SentEmailSchema.extend({ caseId: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  confirmation: 'always',
  auditTarget: (args) => `incident:${args.caseId} email`,
  async confirm(args, ctx) {
    return previewSend(ctx, args, { table: 'incident', id: args.caseId }, () => loadCaseRecipient(ctx, args.caseId));
  },
  async handler(args, ctx) {
    const sent = await performSend(ctx, args, { table: 'incident', id: args.caseId }, () => loadCaseRecipient(ctx, args.caseId));
    return {
      data: { caseId: args.caseId, emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.outcome.status },
      text: sentText(sent.subject, sent.to, sent.outcome, 'case'),
      target: sent.target,
    };
  },
});
