import { z } from 'zod';

import { draftCaseReply } from '../../copilot/grounded.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { bodyArg, currentSender, performSend, previewSend, type Recipient, SentEmailSchema, subjectArg } from '../email.js';
import { guidArg } from '../shared.js';
import { loadCaseFacts, loadCaseRecipient } from './caseFacts.js';

const GroundingSchema = z.array(z.object({ text: z.string(), fields: z.array(z.string()) })).describe('Each sentence with the CRM fields it is based on');

export const draftEmailResponse = defineTool({
  name: 'D365_CustomerService_DraftEmailResponse',
  toolset: 'service',
  title: 'Draft email response',
  description:
    "Drafts a reply to the customer about a case, grounded only in the case, its notes and published knowledge articles you can read. Nothing is saved or sent: review it, then send with D365_CustomerService_SendEmailResponse.",
  input: z.object({
    caseId: guidArg('The case to reply about.'),
    instructions: z.string().trim().max(1000).optional().describe('Extra points to include, in your words (e.g. "offer a callback tomorrow").'),
  }),
  output: z.object({
    caseId: z.string(),
    to: z.string().describe('Who the reply would go to, or empty when the case has no contact with an email address'),
    subject: z.string(),
    body: z.string(),
    grounding: GroundingSchema,
    source: z.string().describe('Which generator wrote the draft'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const [{ facts, recipient }, sender] = await Promise.all([loadCaseFacts(ctx, args.caseId), currentSender(ctx)]);
    const draft = draftCaseReply(facts, sender, args.instructions);
    const to = recipient ? `${recipient.name} <${recipient.email}>` : '';
    return {
      data: { caseId: args.caseId, to, subject: draft.subject, body: draft.body, grounding: draft.sentences, source: 'embedded-grounded-generator' },
      text: `Draft reply${to ? ` to ${to}` : ' (no contact with an email address on this case)'}:\nSubject: ${draft.subject}\n\n${draft.body}\n\nTo send it, call D365_CustomerService_SendEmailResponse with caseId, subject and body.`,
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
    return previewSend(ctx, args, { table: 'incident', id: args.caseId }, () => caseRecipient(args, ctx));
  },
  async handler(args, ctx) {
    const sent = await performSend(ctx, args, { table: 'incident', id: args.caseId }, () => caseRecipient(args, ctx));
    return {
      data: { caseId: args.caseId, emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.status },
      text: `Sent "${sent.subject}" to ${sent.to}; it is recorded on the case.`,
      target: sent.target,
    };
  },
});

async function caseRecipient(args: { caseId: string; subject?: string | undefined; body?: string | undefined }, ctx: ToolContext): Promise<Recipient> {
  if (!args.subject || !args.body) {
    throw new ToolError('Give subject and body (draft them with D365_CustomerService_DraftEmailResponse), or draftId of a draft email on the case.', 'invalid_argument');
  }
  const recipient = await loadCaseRecipient(ctx, args.caseId);
  if (!recipient) {
    throw new ToolError('This case has no contact with an email address. Set a primary contact with D365_CustomerService_UpdateCase first.', 'invalid_argument');
  }
  return recipient;
}
