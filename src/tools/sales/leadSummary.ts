import { z } from 'zod';

import { draftLeadOutreach, summarizeLead } from '../../copilot/grounded.js';
import { defineTool } from '../defineTool.js';
import { bodyArg, currentSender, loadRecipient, performSend, previewSend, SentEmailSchema, sentText, subjectArg } from '../email.js';
import { guidArg, str } from '../shared.js';
import { loadLeadFacts } from './leadData.js';

const GroundingSchema = z.array(z.object({ text: z.string(), fields: z.array(z.string()) })).describe('Each sentence with the CRM fields it is based on');

export const invokeLeadSummary = defineTool({
  name: 'D365_Sales_InvokeLeadSummary',
  toolset: 'sales',
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
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const { facts } = await loadLeadFacts(ctx, args.leadId);
    const summary = summarizeLead(facts, ctx.now());
    return {
      data: { leadId: args.leadId, summary: summary.text, nextStep: summary.nextStep.text, grounding: summary.sentences, source: 'embedded-grounded-generator' },
      text: summary.text,
    };
  },
});

export const draftOutreachEmail = defineTool({
  name: 'D365_Sales_DraftOutreachEmail',
  toolset: 'sales',
  title: 'Draft outreach email',
  description:
    "Drafts an outreach email to a lead from the lead's enquiry and history (grounded in CRM data you can read). Nothing is saved or sent: review it, then send with D365_Sales_SendOutreachEmail.",
  input: z.object({ leadId: guidArg('The lead to write to.') }),
  output: z.object({ leadId: z.string(), to: z.string(), subject: z.string(), body: z.string(), grounding: GroundingSchema, source: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, ctx) {
    const [{ row, facts }, sender] = await Promise.all([loadLeadFacts(ctx, args.leadId), currentSender(ctx)]);
    const email = str(row, 'emailaddress1');
    const draft = draftLeadOutreach(facts, sender, ctx.now());
    const to = email ? `${facts.fullName ?? ''} <${email}>` : '';
    return {
      data: { leadId: args.leadId, to, subject: draft.subject, body: draft.body, grounding: draft.sentences, source: 'embedded-grounded-generator' },
      text: `Draft${to ? ` to ${to}` : ' (the lead has no email address)'}:\nSubject: ${draft.subject}\n\n${draft.body}\n\nTo send it, call D365_Sales_SendOutreachEmail with leadId, subject and body.`,
    };
  },
});

export const sendOutreachEmail = defineTool({
  name: 'D365_Sales_SendOutreachEmail',
  toolset: 'sales',
  title: 'Send outreach email',
  description:
    'Sends an outreach email to a lead and records it on the lead: give subject and body (e.g. from D365_Sales_DraftOutreachEmail), or draftId of a draft email regarding the lead. Always asks the user to confirm first.',
  input: z.object({
    leadId: guidArg('The lead to email.'),
    subject: subjectArg.optional(),
    body: bodyArg.optional(),
    draftId: guidArg('Send this existing draft email (regarding the lead) instead of subject and body.').optional(),
  }),
  output: SentEmailSchema.extend({ leadId: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  confirmation: 'always',
  auditTarget: (args) => `lead:${args.leadId} email`,
  async confirm(args, ctx) {
    return previewSend(ctx, args, { table: 'lead', id: args.leadId }, () => loadRecipient(ctx, 'lead', args.leadId));
  },
  async handler(args, ctx) {
    const sent = await performSend(ctx, args, { table: 'lead', id: args.leadId }, () => loadRecipient(ctx, 'lead', args.leadId));
    return {
      data: { leadId: args.leadId, emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.outcome.status },
      text: sentText(sent.subject, sent.to, sent.outcome, 'lead'),
      target: sent.target,
    };
  },
});
