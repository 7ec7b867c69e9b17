import { z } from 'zod';

import { toHtml } from '../copilot/grounded.js';
import { bind, eq, guid } from '../dataverse/odata.js';
import { type ConfirmationPreview, type ToolContext, ToolError } from './defineTool.js';
import { str } from './shared.js';

export const subjectArg = z.string().trim().min(1).max(200).describe('Email subject (from the draft tool, edited if needed).');
export const bodyArg = z.string().trim().min(1).max(20_000).describe('Email body as plain text (from the draft tool, edited if needed).');

export const SentEmailSchema = z.object({
  emailId: z.string(),
  subject: z.string(),
  to: z.string().describe('Recipient name and address'),
  status: z.string(),
});

export interface Recipient {
  table: 'contact' | 'lead' | 'account';
  id: string;
  name: string;
  email: string;
}

export interface Sender {
  systemUserId: string;
  name: string;
  title: string | undefined;
}

/** The signed-in user as a Dataverse system user (the email's sender). */
export async function currentSender(ctx: ToolContext): Promise<Sender> {
  const me = await ctx.dataverse.whoAmI();
  const row = await ctx.dataverse.get('systemusers', me.UserId, { select: ['systemuserid', 'fullname', 'title'] });
  return { systemUserId: me.UserId, name: str(row, 'fullname') ?? ctx.principal.name ?? 'Your account team', title: str(row, 'title') };
}

/**
 * Creates the email activity (from the user, to the recipient, regarding the record) and sends it.
 * If sending fails after the record exists, the error says a draft was kept, so nothing is sent twice.
 */
export async function createAndSend(
  ctx: ToolContext,
  input: { regarding: { table: 'lead' | 'incident'; id: string }; recipient: Recipient; sender: Sender; subject: string; body: string },
): Promise<{ emailId: string; status: string }> {
  const sets = { lead: 'leads', incident: 'incidents', contact: 'contacts', account: 'accounts' } as const;
  const { id } = await ctx.dataverse.create('emails', {
    subject: input.subject,
    description: toHtml(input.body),
    directioncode: true,
    [`regardingobjectid_${input.regarding.table}_email@odata.bind`]: bind(sets[input.regarding.table], input.regarding.id),
    email_activity_parties: [
      { 'partyid_systemuser@odata.bind': bind('systemusers', input.sender.systemUserId), participationtypemask: 1 },
      { [`partyid_${input.recipient.table}@odata.bind`]: bind(sets[input.recipient.table], input.recipient.id), participationtypemask: 2 },
    ],
  });
  return { emailId: id, status: await sendExisting(ctx, id) };
}

/** Sends an existing draft email; a failure names the draft so the user can finish in Dynamics. */
export async function sendExisting(ctx: ToolContext, emailId: string): Promise<string> {
  try {
    await ctx.dataverse.boundAction('emails', emailId, 'SendEmail', { IssueSend: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ToolError(`The email was saved as draft ${emailId} but could not be sent: ${reason} Do not call send again blindly; check the draft in Dynamics.`, 'failed');
  }
  const row = await ctx.dataverse.get('emails', emailId, { select: ['activityid', 'statuscode'] });
  const status = row['statuscode@OData.Community.Display.V1.FormattedValue'];
  return typeof status === 'string' ? status : 'Sent';
}

export interface Draft {
  subject: string;
  to: string;
  cc: string;
  bcc: string;
  /** The body as plain text, exactly as it would be sent. */
  body: string;
  /** Changes whenever the draft is edited; part of what the user confirms. */
  version: string;
}

/** A draft email regarding the given record, ready to send: checks its state and reads every recipient. */
export async function loadDraft(ctx: ToolContext, draftId: string, regarding: { table: 'lead' | 'incident'; id: string }): Promise<Draft> {
  const row = await ctx.dataverse.get('emails', draftId, {
    select: ['activityid', 'subject', 'description', 'statecode', 'modifiedon', '_regardingobjectid_value'],
    expand: [{ nav: 'email_activity_parties', select: ['participationtypemask', 'addressused', '_partyid_value'] }],
  });
  if (str(row, '_regardingobjectid_value')?.toLowerCase() !== guidText(regarding.id)) {
    throw new ToolError(`Email ${draftId} is not regarding this ${regarding.table === 'incident' ? 'case' : 'lead'}.`, 'invalid_argument');
  }
  if (row['statecode'] !== 0) throw new ToolError(`Email ${draftId} is not a draft (it was already sent or cancelled).`, 'conflict');
  const parties = Array.isArray(row['email_activity_parties']) ? (row['email_activity_parties'] as Array<Record<string, unknown>>) : [];
  // A party bound to a record may not carry the address yet; the preview must show where it goes.
  const described = await Promise.all(
    parties.map(async (p) => {
      const name = str(p, '_partyid_value@OData.Community.Display.V1.FormattedValue');
      const address = str(p, 'addressused') ?? (await partyAddress(ctx, p));
      return { mask: p['participationtypemask'], text: name && address ? `${name} <${address}>` : (address ?? name ?? '') };
    }),
  );
  const list = (mask: number) =>
    described
      .filter((p) => p.mask === mask && p.text)
      .map((p) => p.text)
      .sort()
      .join(', ');
  const to = list(2);
  if (!to) throw new ToolError(`Draft ${draftId} has no recipient; add one in Dynamics first.`, 'invalid_argument');
  return { subject: str(row, 'subject') ?? '', to, cc: list(3), bcc: list(4), body: htmlToText(str(row, 'description') ?? ''), version: str(row, 'modifiedon') ?? '' };
}

const PARTY_EMAIL: Record<string, { set: string; column: string }> = {
  contact: { set: 'contacts', column: 'emailaddress1' },
  lead: { set: 'leads', column: 'emailaddress1' },
  account: { set: 'accounts', column: 'emailaddress1' },
  systemuser: { set: 'systemusers', column: 'internalemailaddress' },
};

async function partyAddress(ctx: ToolContext, party: Record<string, unknown>): Promise<string | undefined> {
  const id = str(party, '_partyid_value');
  const table = str(party, '_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname');
  const target = table ? PARTY_EMAIL[table] : undefined;
  if (!id || !target) return undefined;
  const row = await ctx.dataverse.get(target.set, id, { select: [target.column] }).catch(() => undefined);
  return row ? str(row, target.column) : undefined;
}

/** Email HTML → the text a reader sees (for previews; the message itself is sent unchanged). */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6])>/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function guidText(id: string): string {
  guid(id);
  return id.toLowerCase();
}

export interface SendArgs {
  subject?: string | undefined;
  body?: string | undefined;
  draftId?: string | undefined;
}

export interface Regarding {
  table: 'lead' | 'incident';
  id: string;
}

/**
 * What a send tool shows before anything leaves: every recipient (To, Cc, Bcc) and the whole body,
 * because the confirmation covers exactly this preview.
 */
export async function previewSend(ctx: ToolContext, args: SendArgs, regarding: Regarding, recipientOf: () => Promise<Recipient>): Promise<ConfirmationPreview> {
  if (args.draftId) {
    const d = await loadDraft(ctx, args.draftId, regarding);
    return {
      summary: `Send the draft email "${d.subject}" to ${d.to}${d.cc ? `, cc ${d.cc}` : ''}${d.bcc ? `, bcc ${d.bcc}` : ''}.`,
      details: { to: d.to, ...(d.cc && { cc: d.cc }), ...(d.bcc && { bcc: d.bcc }), subject: d.subject, body: d.body, 'draft version': d.version },
    };
  }
  const r = await recipientOf();
  return {
    summary: `Send an email to ${r.name} <${r.email}>.`,
    details: { to: `${r.name} <${r.email}>`, subject: args.subject ?? '', body: args.body ?? '' },
  };
}

/** Sends the draft, or creates the email from subject and body and sends it; recorded on the record. */
export async function performSend(
  ctx: ToolContext,
  args: SendArgs,
  regarding: Regarding,
  recipientOf: () => Promise<Recipient>,
): Promise<{ emailId: string; subject: string; to: string; status: string; target: string }> {
  if (args.draftId) {
    const draft = await loadDraft(ctx, args.draftId, regarding);
    const status = await sendExisting(ctx, args.draftId);
    return { emailId: args.draftId, subject: draft.subject, to: draft.to, status, target: `email:${args.draftId} regarding ${regarding.table}:${regarding.id}` };
  }
  const recipient = await recipientOf();
  const sender = await currentSender(ctx);
  const sent = await createAndSend(ctx, { regarding, recipient, sender, subject: args.subject!, body: args.body! });
  return {
    emailId: sent.emailId,
    subject: args.subject!,
    to: `${recipient.name} <${recipient.email}>`,
    status: sent.status,
    target: `email:${sent.emailId} regarding ${regarding.table}:${regarding.id}`,
  };
}
