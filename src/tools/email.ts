import { z } from 'zod';

import { toHtml } from '../copilot/text.js';
import type { Row } from '../dataverse/client.js';
import { DataverseError } from '../dataverse/errors.js';
import { bind, guid } from '../dataverse/odata.js';
import type { PrivilegeNeed } from '../dataverse/privileges.js';
import { type ConfirmationPreview, type ToolContext, ToolError } from './defineTool.js';
import { canonicalEmailText } from './emailBody.js';
import { orNotFound, rowsOf, str } from './shared.js';

export const subjectArg = z.string().trim().min(1).max(200).describe('Email subject (from the draft tool, edited if needed).');
export const bodyArg = z.string().trim().min(1).max(20_000).describe('Email body as plain text (from the draft tool, edited if needed).');

export const SentEmailSchema = z.object({
  emailId: z.string(),
  subject: z.string(),
  to: z.string().describe('Recipient name and address'),
  status: z.string().describe('As Dataverse reports it: "Sent", or "Pending Send" until the mailbox hands it over'),
});

export type RecipientTable = 'contact' | 'lead' | 'account';

export interface Recipient {
  table: RecipientTable;
  id: string;
  name: string;
  email: string;
}

/** What the recipient policy reads of each kind of record. */
export const RECIPIENT_SOURCES: Record<RecipientTable, { set: string; id: string; name: string; select: readonly string[] }> = {
  lead: { set: 'leads', id: 'leadid', name: 'fullname', select: ['leadid', 'fullname', 'emailaddress1', 'donotemail'] },
  contact: { set: 'contacts', id: 'contactid', name: 'fullname', select: ['contactid', 'fullname', 'emailaddress1', 'donotemail'] },
  account: { set: 'accounts', id: 'accountid', name: 'name', select: ['accountid', 'name', 'emailaddress1', 'donotemail'] },
};

/**
 * The one recipient policy every send applies (subject and body, or a draft; lead, contact or
 * account): the record has an email address and does not have "Do not allow Emails" set.
 */
export function recipientFrom(table: RecipientTable, row: Row): Recipient {
  const source = RECIPIENT_SOURCES[table];
  const email = str(row, 'emailaddress1');
  const name = str(row, source.name) ?? email ?? `${table} ${str(row, source.id) ?? ''}`.trim();
  if (row['donotemail'] === true) {
    throw new ToolError(`${name} (${table}) does not allow emails ("Do not allow Emails" is set in Dynamics), so nothing can be sent to them.`, 'forbidden');
  }
  if (!email) throw new ToolError(`${name} (${table}) has no email address. Add one in Dynamics first.`, 'invalid_argument');
  return { table, id: String(str(row, source.id) ?? '').toLowerCase(), name, email };
}

/** Reads a recipient record and applies the policy. */
export async function loadRecipient(ctx: ToolContext, table: RecipientTable, id: string): Promise<Recipient> {
  const source = RECIPIENT_SOURCES[table];
  return recipientFrom(table, await orNotFound(table, id, () => ctx.dataverse.get(source.set, id, { select: source.select })));
}

export interface Sender {
  systemUserId: string;
  name: string;
  title: string | undefined;
}

/** The signed-in user as a Dataverse system user (the email's sender). */
export async function currentSender(ctx: ToolContext): Promise<Sender> {
  const me = await ctx.user();
  return { systemUserId: me.systemUserId, name: me.fullName ?? ctx.principal.name ?? 'Your account team', title: me.title };
}

export interface Regarding {
  table: 'lead' | 'incident';
  id: string;
}

const REGARDING_SETS = { lead: 'leads', incident: 'incidents' } as const;

/** Email statuscode 3: handed to the mailbox. Until then a sent email is usually 6, Pending Send (email table reference). */
const EMAIL_SENT = 3;

export interface SendOutcome {
  /** The status as Dataverse labels it for the user ("Sent", "Pending Send"; localised). */
  status: string;
  /** Already handed to the mailbox (statuscode 3), decided on the number. */
  delivered: boolean;
}

/** The sentence a send tool answers with: what Dataverse reported, not what we hoped. */
export function sentText(subject: string, to: string, outcome: SendOutcome, where: string): string {
  return outcome.delivered
    ? `Sent "${subject}" to ${to}; it is recorded on the ${where}.`
    : `"${subject}" to ${to} is submitted for sending (Dataverse reports ${outcome.status}: the mailbox sends it shortly); it is recorded on the ${where}.`;
}

/** Sends an existing email; a failure names it so the user can finish in Dynamics. Returns the status Dataverse reports. */
async function sendExisting(ctx: ToolContext, emailId: string, saved: 'draft' | 'created'): Promise<SendOutcome> {
  try {
    await ctx.dataverse.boundAction('emails', emailId, 'SendEmail', { IssueSend: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ToolError(`${saved === 'draft' ? 'The draft' : 'The email was saved as draft'} ${emailId} ${saved === 'draft' ? 'was' : 'but'} not sent: ${reason} Do not call send again blindly; check the draft in Dynamics.`, 'failed');
  }
  const row = await ctx.dataverse.get('emails', emailId, { select: ['activityid', 'statuscode'] });
  const label = row['statuscode@OData.Community.Display.V1.FormattedValue'];
  return { status: typeof label === 'string' ? label : String(row['statuscode'] ?? ''), delivered: row['statuscode'] === EMAIL_SENT };
}

export interface Draft {
  subject: string;
  to: string;
  cc: string;
  bcc: string;
  /** The body in its canonical plain-text form: exactly what the preview shows and what is sent. */
  body: string;
  /** Changes whenever the draft is edited; part of what the user confirms. */
  version: string;
}

const PARTY_TABLES = new Set<string>(['contact', 'lead', 'account']);

/**
 * A draft email regarding the given record, ready to send: checks its state, reads every recipient
 * (To, Cc, Bcc) and applies the recipient policy to each one bound to a contact, lead or account.
 */
export async function loadDraft(ctx: ToolContext, draftId: string, regarding: Regarding): Promise<Draft> {
  const row = await orNotFound('draft email', draftId, () =>
    ctx.dataverse.get('emails', draftId, {
      select: ['activityid', 'subject', 'description', 'statecode', 'modifiedon', '_regardingobjectid_value'],
      expand: [{ nav: 'email_activity_parties', select: ['participationtypemask', 'addressused', '_partyid_value'] }],
    }),
  );
  if (str(row, '_regardingobjectid_value')?.toLowerCase() !== guidText(regarding.id)) {
    throw new ToolError(`Email ${draftId} is not regarding this ${regarding.table === 'incident' ? 'case' : 'lead'}.`, 'invalid_argument');
  }
  if (row['statecode'] !== 0) throw new ToolError(`Email ${draftId} is not a draft (it was already sent or cancelled).`, 'conflict');
  const parties = rowsOf(row, 'email_activity_parties');
  const recipients = parties.filter((p) => p['participationtypemask'] === 2 || p['participationtypemask'] === 3 || p['participationtypemask'] === 4);
  const refused: string[] = [];
  const described = await Promise.all(
    recipients.map(async (p) => {
      const table = str(p, '_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname');
      const id = str(p, '_partyid_value');
      let name = str(p, '_partyid_value@OData.Community.Display.V1.FormattedValue');
      let address = str(p, 'addressused');
      if (table && id && PARTY_TABLES.has(table)) {
        try {
          const r = await loadRecipient(ctx, table as RecipientTable, id);
          name = r.name;
          address ??= r.email;
        } catch (err) {
          if (!(err instanceof ToolError)) throw err;
          refused.push(err.message);
        }
      } else if (table === 'systemuser' && id && !address) {
        const user = await ctx.dataverse.get('systemusers', id, { select: ['internalemailaddress'] }).catch(() => undefined);
        address = user ? str(user, 'internalemailaddress') : undefined;
      }
      if (!address) refused.push(`${name ?? 'A recipient'} has no email address.`);
      return { mask: p['participationtypemask'], text: name && address ? `${name} <${address}>` : (address ?? name ?? '') };
    }),
  );
  if (refused.length) throw new ToolError(`Draft ${draftId} cannot be sent: ${refused.join(' ')}`, 'forbidden');
  const list = (mask: number) =>
    described
      .filter((p) => p.mask === mask && p.text)
      .map((p) => p.text)
      .sort()
      .join(', ');
  const to = list(2);
  if (!to) throw new ToolError(`Draft ${draftId} has no recipient; add one in Dynamics first.`, 'invalid_argument');
  return { subject: str(row, 'subject') ?? '', to, cc: list(3), bcc: list(4), body: canonicalEmailText(str(row, 'description') ?? ''), version: str(row, 'modifiedon') ?? '' };
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

/** What a send needs of the user's roles (SendEmail: prvReadActivity, prvReadUser, prvWriteActivity). */
function sendPrivileges(args: SendArgs, regarding: Regarding): PrivilegeNeed[] {
  return args.draftId
    ? [{ table: 'email', ops: ['Read', 'Write'] }, { table: 'systemuser', ops: ['Read'] }]
    : [
        { table: 'email', ops: ['Create', 'Read', 'Write', 'Append'] },
        { table: regarding.table, ops: ['AppendTo'] },
        { table: 'systemuser', ops: ['Read'] },
      ];
}

export interface SendResult {
  emailId: string;
  subject: string;
  to: string;
  outcome: SendOutcome;
  /** For the audit row. */
  target: string;
}

/**
 * Resolves a send once: the privilege check, then the draft (every recipient and the body in the
 * form it will be sent) or the recipient of a new email, into the preview the user confirms and
 * the send itself. A draft is sent in its canonical form (the preview's text, written back to the
 * draft first), so hidden content never leaves. A new email gets the id derived from the
 * confirmation: carried out twice, the second create meets a duplicate key and nothing is sent again.
 */
export async function prepareSend(
  ctx: ToolContext,
  args: SendArgs,
  regarding: Regarding,
  recipientOf: () => Promise<Recipient>,
): Promise<{ preview: ConfirmationPreview; send(): Promise<SendResult> }> {
  if (!args.draftId && (!args.subject || !args.body)) {
    throw new ToolError('Give subject and body (from the draft tool), or draftId of a draft email regarding the record.', 'invalid_argument');
  }
  const [, draft, recipient] = await Promise.all([
    ctx.privileges.require(...sendPrivileges(args, regarding)),
    args.draftId ? loadDraft(ctx, args.draftId, regarding) : undefined,
    args.draftId ? undefined : recipientOf(),
  ]);
  const target = (emailId: string) => `email:${emailId} regarding ${regarding.table}:${regarding.id}`;
  if (draft && args.draftId) {
    const draftId = args.draftId;
    return {
      preview: {
        summary: `Send the draft email "${draft.subject}" to ${draft.to}${draft.cc ? `, cc ${draft.cc}` : ''}${draft.bcc ? `, bcc ${draft.bcc}` : ''}.`,
        details: { to: draft.to, ...(draft.cc && { cc: draft.cc }), ...(draft.bcc && { bcc: draft.bcc }), subject: draft.subject, body: draft.body, 'draft version': draft.version },
      },
      async send() {
        await ctx.dataverse.update('emails', draftId, { description: toHtml(draft.body) });
        return { emailId: draftId, subject: draft.subject, to: draft.to, outcome: await sendExisting(ctx, draftId, 'draft'), target: target(draftId) };
      },
    };
  }
  const r = recipient!;
  const to = `${r.name} <${r.email}>`;
  const subject = args.subject ?? '';
  const body = args.body ?? '';
  return {
    preview: { summary: `Send an email to ${to}.`, details: { to, subject, body } },
    async send() {
      const created = await createEmail(ctx, { subject, body, regarding, recipient: r, id: ctx.confirmedId('email') });
      return { emailId: created, subject, to, outcome: await sendExisting(ctx, created, 'created'), target: target(created) };
    },
  };
}

/**
 * Creates an email from the signed-in user to the recipient, regarding the record, as a draft
 * (state Open). With `id` (from the confirmation), a replay meets a duplicate key instead of
 * making a second email, and says so.
 */
export async function createEmail(ctx: ToolContext, e: { subject: string; body: string; regarding: Regarding; recipient: Recipient; id: string | undefined }): Promise<string> {
  const r = e.recipient;
  // Bind names come from the org's metadata (regardingobjectid_lead_email, partyid_contact…), never string rules.
  const [sender, regardingKey, fromKey, toKey] = await Promise.all([
    currentSender(ctx),
    ctx.metadata.bindKey('email', 'regardingobjectid', e.regarding.table),
    ctx.metadata.bindKey('activityparty', 'partyid', 'systemuser'),
    ctx.metadata.bindKey('activityparty', 'partyid', r.table),
  ]);
  try {
    const { id } = await ctx.dataverse.create('emails', {
      ...(e.id && { activityid: e.id }),
      subject: e.subject,
      description: toHtml(e.body),
      directioncode: true,
      [regardingKey]: bind(REGARDING_SETS[e.regarding.table], e.regarding.id),
      email_activity_parties: [
        { [fromKey]: bind('systemusers', sender.systemUserId), participationtypemask: 1 },
        { [toKey]: bind(RECIPIENT_SOURCES[r.table].set, r.id), participationtypemask: 2 },
      ],
    });
    return id;
  } catch (err) {
    if (e.id && err instanceof DataverseError && err.kind === 'duplicate') {
      throw new ToolError(`This confirmed email was already created (email ${e.id}); nothing was sent again. Check it in Dynamics.`, 'conflict');
    }
    throw err;
  }
}
