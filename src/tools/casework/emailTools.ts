import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { toHtml } from '../../copilot/text.js';
import { and, eq, guid } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { bodyArg, createEmail, loadDraft, subjectArg } from '../email.js';
import { canonicalEmailText } from '../emailBody.js';
import { cursorArg, guidArg, label, lookup, orNotFound, PAGE_BYTES, pageWithCursor, pagingNote, previewText, str, topArg } from '../shared.js';
import { loadCaseRecipient } from '../service/caseFacts.js';
import { incidentIdArg } from './caseworkData.js';

const EMAIL_COLUMNS = ['activityid', 'subject', 'directioncode', 'statecode', 'statuscode', 'createdon', 'senton', 'sender', 'torecipients', '_regardingobjectid_value'] as const;

const EmailSummarySchema = z.object({
  emailId: z.string(),
  subject: z.string(),
  direction: z.enum(['incoming', 'outgoing']),
  state: z.string().describe('Draft (Open), Completed, Canceled… as Dataverse labels it'),
  status: z.string().describe('Draft, Sent, Pending Send, Received…'),
  isDraft: z.boolean(),
  from: z.string(),
  to: z.string(),
  createdOn: z.string(),
  sentOn: z.string().optional(),
  regarding: z.object({ id: z.string(), name: z.string(), table: z.string() }).optional(),
});
type EmailSummary = z.infer<typeof EmailSummarySchema>;

function toEmail(row: Row): EmailSummary {
  const regarding = lookup(row, 'regardingobjectid');
  return {
    emailId: str(row, 'activityid') ?? '',
    subject: str(row, 'subject') ?? '',
    direction: row['directioncode'] === true ? 'outgoing' : 'incoming',
    state: label(row, 'statecode') ?? '',
    status: label(row, 'statuscode') ?? '',
    isDraft: row['statecode'] === 0,
    from: str(row, 'sender') ?? '',
    to: str(row, 'torecipients') ?? '',
    createdOn: str(row, 'createdon') ?? '',
    ...(str(row, 'senton') && { sentOn: str(row, 'senton') }),
    ...(regarding && { regarding }),
  };
}

const emailLine = (e: EmailSummary) => `${e.createdOn.slice(0, 16).replace('T', ' ')} ${e.direction} "${e.subject}" — ${e.status}${e.to ? `, to ${e.to}` : ''} (emailId ${e.emailId})`;

/** `list_emails` (MCP tool reference): the emails of a case, newest first, drafts included. One request per page. */
export const listEmails = defineTool({
  name: 'list_emails',
  kind: 'read',
  title: 'List emails',
  description: 'Lists the emails regarding a case (incoming, sent and drafts), newest first; open one with view_email.',
  input: z.object({
    incidentId: incidentIdArg,
    only: z.enum(['all', 'drafts', 'incoming', 'outgoing']).default('all').describe('Which emails; default all.'),
    top: topArg,
    cursor: cursorArg,
  }),
  output: z.object({ emails: z.array(EmailSummarySchema), nextCursor: z.string().optional() }),
  async run(args, ctx) {
    const filter = and(
      eq('_regardingobjectid_value', guid(args.incidentId)),
      args.only === 'drafts' && eq('statecode', 0),
      args.only === 'incoming' && eq('directioncode', false),
      args.only === 'outgoing' && eq('directioncode', true),
    );
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () => ctx.dataverse.list('emails', { select: EMAIL_COLUMNS, filter, orderby: [{ property: 'createdon', descending: true }] }, { pageSize: args.top, maxRows: args.top, maxBytes: PAGE_BYTES }),
      args.top,
    );
    const emails = page.rows.map(toEmail);
    return {
      data: { emails, ...(page.nextCursor && { nextCursor: page.nextCursor }) },
      text: emails.length ? `${emails.length} email(s):\n${emails.map(emailLine).join('\n')}${pagingNote(emails.length, page.nextCursor, undefined)}` : 'No emails on this case.',
      records: [{ table: 'incident', id: args.incidentId }],
    };
  },
});

/** `view_email` (MCP tool reference): one email with its body as plain text, exactly as a reader sees it (links and images shown, hidden text revealed). */
export const viewEmail = defineTool({
  name: 'view_email',
  kind: 'read',
  title: 'View email',
  description: 'Shows one email: sender, recipients, subject, status and the body as plain text (links and images visible).',
  input: z.object({ emailId: guidArg('The email.') }),
  output: EmailSummarySchema.extend({ body: z.string().describe('Plain text, up to 20,000 characters') }),
  async run(args, ctx) {
    const row = await orNotFound('email', args.emailId, () => ctx.dataverse.get('emails', args.emailId, { select: [...EMAIL_COLUMNS, 'description'] }));
    const e = toEmail(row);
    const body = canonicalEmailText(str(row, 'description') ?? '').slice(0, 20_000);
    return {
      data: { ...e, body },
      text: [`${e.direction === 'incoming' ? 'From' : 'To'}: ${e.direction === 'incoming' ? e.from : e.to}`, `Subject: ${e.subject}`, `Status: ${e.status}`, '', body].join('\n'),
      records: [{ table: 'email', id: e.emailId, name: e.subject }, ...(e.regarding ? [{ table: e.regarding.table, id: e.regarding.id }] : [])],
    };
  },
});

/** `draft_email` (MCP tool reference): saves a draft reply to the case's contact; nothing is sent. */
export const draftEmail = defineTool({
  name: 'draft_email',
  kind: 'write',
  title: 'Draft email',
  description: "Saves a draft email about a case to the case's contact, with your subject and body. Nothing is sent: review it, edit it with edit_email_draft, send it with send_email. Asks the user to confirm first unless the agent confirms only destructive and outbound changes.",
  input: z.object({ incidentId: incidentIdArg, subject: subjectArg, body: bodyArg }),
  output: z.object({ emailId: z.string(), to: z.string(), subject: z.string(), incidentId: z.string() }),
  auditTarget: (args) => `incident:${args.incidentId} email`,
  async prepare(args, ctx) {
    const [recipient] = await Promise.all([loadCaseRecipient(ctx, args.incidentId), ctx.privileges.require({ table: 'email', ops: ['Create', 'Write'] }, { table: 'incident', ops: ['AppendTo'] })]);
    const to = `${recipient.name} <${recipient.email}>`;
    const body = canonicalEmailText(toHtml(args.body));
    return {
      preview: { summary: `Save a draft email to ${to} (not sent).`, details: { to, subject: args.subject, body: previewText(body) } },
      async run() {
        const emailId = await createEmail(ctx, { subject: args.subject, body, regarding: { table: 'incident', id: args.incidentId }, recipient, id: ctx.confirmedId('email') });
        return {
          data: { emailId, to, subject: args.subject, incidentId: args.incidentId },
          text: `Saved a draft to ${to}: "${args.subject}" (emailId ${emailId}). Nothing was sent; send it with send_email.`,
          target: `email:${emailId} regarding incident:${args.incidentId}`,
          records: [{ table: 'email', id: emailId, name: args.subject }, { table: 'incident', id: args.incidentId }],
        };
      },
    };
  },
});

/** `edit_email_draft` (MCP tool reference): changes the subject or body of a draft; a sent email is refused. */
export const editEmailDraft = defineTool({
  name: 'edit_email_draft',
  kind: 'write',
  title: 'Edit email draft',
  description: 'Changes the subject and/or body of a draft email about a case or lead (a sent email cannot be changed). Shows the old and new text and asks the user to confirm first.',
  input: z.object({ emailId: guidArg('The draft email.'), subject: subjectArg.optional(), body: bodyArg.optional() }),
  output: z.object({ emailId: z.string(), subject: z.string(), body: z.string() }),
  auditTarget: (args) => `email:${args.emailId}`,
  async prepare(args, ctx) {
    if (args.subject === undefined && args.body === undefined) throw new ToolError('Give a new subject, a new body, or both.', 'invalid_argument');
    const row = await orNotFound('draft email', args.emailId, () => ctx.dataverse.get('emails', args.emailId, { select: ['activityid', '_regardingobjectid_value'] }));
    const regarding = lookup(row, 'regardingobjectid');
    if (!regarding || (regarding.table !== 'incident' && regarding.table !== 'lead')) throw new ToolError(`Email ${args.emailId} is not regarding a case or lead.`, 'invalid_argument');
    const [draft] = await Promise.all([loadDraft(ctx, args.emailId, { table: regarding.table, id: regarding.id }), ctx.privileges.require({ table: 'email', ops: ['Write'] })]);
    const subject = args.subject ?? draft.subject;
    const body = args.body !== undefined ? canonicalEmailText(toHtml(args.body)) : draft.body;
    return {
      preview: {
        summary: `Change the draft "${draft.subject}" to ${draft.to}.`,
        details: { ...(args.subject !== undefined && { 'subject before': draft.subject, 'subject after': subject }), ...(args.body !== undefined && { 'body before': previewText(draft.body, 800), 'body after': previewText(body) }), 'draft version': draft.version },
      },
      async run() {
        await ctx.dataverse.update('emails', args.emailId, { ...(args.subject !== undefined && { subject }), ...(args.body !== undefined && { description: toHtml(body) }) });
        return { data: { emailId: args.emailId, subject, body }, text: `Updated the draft "${subject}" (emailId ${args.emailId}); it is not sent.`, target: `email:${args.emailId}`, records: [{ table: 'email', id: args.emailId, name: subject }] };
      },
    };
  },
});
