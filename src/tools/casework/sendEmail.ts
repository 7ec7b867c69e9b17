import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { prepareSend, SentEmailSchema, sentText } from '../email.js';
import { guidArg, lookup, orNotFound } from '../shared.js';

/**
 * `send_email` (MCP tool reference): sends a draft email regarding a case or lead, exactly as the
 * confirmation shows it (recipients, subject, plain-text body). Microsoft marks its tool read-only
 * and leaves consent to the host; this one always asks.
 */
export const sendEmail = defineTool({
  name: 'send_email',
  kind: 'outbound',
  title: 'Send email',
  description: 'Sends a draft email (e.g. from apply_email_template) regarding a case or lead, after showing its recipients, subject and body. Always asks the user to confirm first.',
  input: z.object({ emailId: guidArg('The draft email to send.') }),
  output: SentEmailSchema,
  auditTarget: (args) => `email:${args.emailId}`,
  async prepare(args, ctx) {
    const row = await orNotFound('draft email', args.emailId, () => ctx.dataverse.get('emails', args.emailId, { select: ['activityid', '_regardingobjectid_value'] }));
    const regarding = lookup(row, 'regardingobjectid');
    if (!regarding || (regarding.table !== 'incident' && regarding.table !== 'lead')) {
      throw new ToolError(`Email ${args.emailId} is not regarding a case or lead; this tool sends only those drafts.`, 'invalid_argument');
    }
    const send = await prepareSend(ctx, { draftId: args.emailId }, { table: regarding.table, id: regarding.id }, () => Promise.reject(new Error('unreachable: a draft has its recipients')));
    return {
      preview: send.preview,
      async run() {
        const sent = await send.send();
        return {
          data: { emailId: sent.emailId, subject: sent.subject, to: sent.to, status: sent.outcome.status },
          text: sentText(sent.subject, sent.to, sent.outcome, regarding.table === 'incident' ? 'case' : 'lead'),
          target: sent.target,
          records: [{ table: regarding.table, id: regarding.id }, { table: 'email', id: sent.emailId, name: sent.subject }],
        };
      },
    };
  },
});
