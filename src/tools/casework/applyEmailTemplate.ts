import { z } from 'zod';

import { guidArg, previewText } from '../shared.js';
import { defineTool } from '../defineTool.js';
import { createEmail } from '../email.js';
import { loadCaseRecipient } from '../service/caseFacts.js';
import { incidentIdArg } from './caseworkData.js';
import { instantiate } from './templates.js';

/**
 * `apply_email_template` (MCP tool reference): fills a template for the case (InstantiateTemplate)
 * and saves the result as a draft email to the case's contact. Nothing is sent: review the draft,
 * then send it with send_email. Saving the draft is a write, so it asks first.
 */
export const applyEmailTemplate = defineTool({
  name: 'apply_email_template',
  kind: 'write',
  title: 'Apply email template',
  description:
    "Fills an email template with the case's data (number, title, contact, your name) and saves it as a draft email to the case's contact. Nothing is sent: send it with send_email. Asks the user to confirm first unless the agent confirms only destructive and outbound changes.",
  input: z.object({ incidentId: incidentIdArg, templateId: guidArg('The template (from recommend_email_templates).') }),
  output: z.object({ emailId: z.string(), to: z.string(), subject: z.string(), body: z.string(), incidentId: z.string() }),
  auditTarget: (args) => `incident:${args.incidentId} template:${args.templateId}`,
  async prepare(args, ctx) {
    const [filled, recipient] = await Promise.all([
      instantiate(ctx, args.templateId, args.incidentId),
      loadCaseRecipient(ctx, args.incidentId),
      ctx.privileges.require({ table: 'template', ops: ['Read'] }, { table: 'email', ops: ['Create', 'Write'] }, { table: 'incident', ops: ['AppendTo'] }),
    ]);
    const to = `${recipient.name} <${recipient.email}>`;
    return {
      preview: { summary: `Save a draft email to ${to} from the template (not sent).`, details: { to, subject: filled.subject, body: previewText(filled.body) } },
      async run() {
        const emailId = await createEmail(ctx, { subject: filled.subject, body: filled.body, regarding: { table: 'incident', id: args.incidentId }, recipient, id: ctx.confirmedId('email') });
        return {
          data: { emailId, to, subject: filled.subject, body: filled.body, incidentId: args.incidentId },
          text: `Saved a draft to ${to}: "${filled.subject}" (emailId ${emailId}). Nothing was sent; to send it, call send_email with emailId ${emailId}.`,
          target: `email:${emailId} regarding incident:${args.incidentId}`,
          records: [{ table: 'email', id: emailId, name: filled.subject }, { table: 'incident', id: args.incidentId }],
        };
      },
    };
  },
});
