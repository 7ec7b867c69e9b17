import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { bodyArg, loadRecipient, prepareSend, SentEmailSchema, sentText, subjectArg } from '../email.js';
import { guidArg } from '../shared.js';

export const sendOutreachEmail = defineTool({
  name: 'D365_Sales_SendOutreachEmail',
  kind: 'outbound',
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
  auditTarget: (args) => `lead:${args.leadId} email`,
  async prepare(args, ctx) {
    const send = await prepareSend(ctx, args, { table: 'lead', id: args.leadId }, () => loadRecipient(ctx, 'lead', args.leadId));
    return {
      preview: send.preview,
      async run() {
        const sent = await send.send();
        return {
          data: { leadId: args.leadId, emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.outcome.status },
          text: sentText(sent.subject, sent.to, sent.outcome, 'lead'),
          target: sent.target,
          records: [{ table: 'lead', id: args.leadId }, { table: 'email', id: sent.emailId, name: sent.subject }],
        };
      },
    };
  },
});
