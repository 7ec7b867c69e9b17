import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { bodyArg, prepareSend, SentEmailSchema, sentText, subjectArg } from '../email.js';
import { guidArg } from '../shared.js';
import { loadCaseRecipient } from './caseFacts.js';

export const sendEmailResponse = defineTool({
  name: 'D365_CustomerService_SendEmailResponse',
  kind: 'outbound',
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
  auditTarget: (args) => `incident:${args.caseId} email`,
  async prepare(args, ctx) {
    const send = await prepareSend(ctx, args, { table: 'incident', id: args.caseId }, () => loadCaseRecipient(ctx, args.caseId));
    return {
      preview: send.preview,
      async run() {
        const sent = await send.send();
        return {
          data: { caseId: args.caseId, emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.outcome.status },
          text: sentText(sent.subject, sent.to, sent.outcome, 'case'),
          target: sent.target,
          records: [{ table: 'incident', id: args.caseId }, { table: 'email', id: sent.emailId, name: sent.subject }],
        };
      },
    };
  },
});
