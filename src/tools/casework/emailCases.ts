import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { bind } from '../../dataverse/odata.js';
import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { canonicalEmailText } from '../emailBody.js';
import { createConfirmed, guidArg, lookup, orNotFound, previewText, rowsOf, str } from '../shared.js';
import { activeCase, CASE_COLUMNS, CaseSchema, caseLine, ORIGIN, PRIORITY, toCase } from '../service/caseFields.js';
import { ENTITY_SET, resolveCustomer } from '../service/customers.js';
import { incidentIdArg } from './caseworkData.js';

interface Received {
  row: Row;
  subject: string;
  body: string;
  regarding: { id: string; name: string; table: string } | undefined;
  /** The From party when it is a contact or account of this org. */
  sender: { id: string; table: 'contact' | 'account'; name: string } | undefined;
  senderAddress: string | undefined;
}

/** An email with its From party (activityparty participationtypemask 1, email table reference). */
async function loadEmail(ctx: ToolContext, emailId: string): Promise<Received> {
  const row = await orNotFound('email', emailId, () =>
    ctx.dataverse.get('emails', emailId, {
      select: ['activityid', 'subject', 'description', 'directioncode', '_regardingobjectid_value', 'sender'],
      expand: [{ nav: 'email_activity_parties', select: ['participationtypemask', 'addressused', '_partyid_value'] }],
    }),
  );
  const parties = rowsOf(row, 'email_activity_parties');
  const from = parties.find((p) => p['participationtypemask'] === 1);
  const party = from && lookup(from, 'partyid');
  const table: 'contact' | 'account' | undefined = party?.table === 'contact' ? 'contact' : party?.table === 'account' ? 'account' : undefined;
  const sender = party && table ? { id: party.id, table, name: party.name } : undefined;
  return { row, subject: str(row, 'subject') ?? '', body: canonicalEmailText(str(row, 'description') ?? ''), regarding: lookup(row, 'regardingobjectid'), sender, senderAddress: (from && str(from, 'addressused')) ?? str(row, 'sender') };
}

const cleanSubject = (s: string) => s.replace(/^\s*((re|fw|fwd|aw|wg)\s*:\s*)+/i, '').trim();

/**
 * `create_case_from_email` (MCP tool reference): opens a case from a customer's email (title from
 * the subject, description from the body, the sender as customer) and files the email on it.
 */
export const createCaseFromEmail = defineTool({
  name: 'create_case_from_email',
  kind: 'write',
  title: 'Create case from email',
  description: "Opens a case from a customer's email: the subject becomes the title, the body the description, the sender (a contact or account) the customer, and the email is filed on the new case. Asks the user to confirm first unless the agent confirms only destructive and outbound changes.",
  input: z.object({
    emailId: guidArg('The received email.'),
    title: z.string().trim().min(1).max(200).optional().describe('Case title; default: the subject without RE:/FW:.'),
    customerId: guidArg('The account or contact the case is for, when the sender is not one.').optional(),
    priority: z.enum(['high', 'normal', 'low']).default('normal'),
  }),
  output: z.object({ case: CaseSchema, emailId: z.string() }),
  auditTarget: (args) => `email:${args.emailId} → incident:new`,
  async prepare(args, ctx) {
    const email = await loadEmail(ctx, args.emailId);
    if (email.regarding?.table === 'incident') throw new ToolError(`Email ${args.emailId} is already filed on case ${email.regarding.name}; open that case, or move the email with link_email_to_case.`, 'conflict');
    if (email.row['directioncode'] === true) throw new ToolError(`Email ${args.emailId} was sent by your organisation, not received: open a case from the customer's email.`, 'invalid_argument');
    const customer = args.customerId ? await resolveCustomer(ctx, args.customerId, undefined) : email.sender;
    if (!customer) throw new ToolError(`The sender${email.senderAddress ? ` (${email.senderAddress})` : ''} is not a contact or account in Dynamics; give customerId.`, 'invalid_argument');
    const [customerKey, regardingKey] = await Promise.all([
      ctx.metadata.bindKey('incident', 'customerid', customer.table),
      ctx.metadata.bindKey('email', 'regardingobjectid', 'incident'),
      ctx.privileges.require({ table: 'incident', ops: ['Create', 'Append', 'AppendTo'] }, { table: customer.table, ops: ['AppendTo'] }, { table: 'email', ops: ['Write', 'Append'] }),
    ]);
    const title = args.title ?? (cleanSubject(email.subject).slice(0, 200) || 'Case from email');
    const description = email.body.slice(0, 2000);
    return {
      preview: {
        summary: `Open a ${args.priority}-priority case "${title}" for ${customer.table} ${customer.name} from the email "${email.subject}", and file the email on it.`,
        details: { customer: `${customer.name} (${customer.table})`, title, description: previewText(description, 800) },
      },
      async run() {
        const { id, row } = await createConfirmed(
          ctx,
          { table: 'incident', entitySet: 'incidents', primaryId: 'incidentid' },
          { title, description, prioritycode: PRIORITY[args.priority], caseorigincode: ORIGIN.email, [customerKey]: bind(ENTITY_SET[customer.table], customer.id) },
          { select: CASE_COLUMNS },
        );
        const created = toCase(row ?? { incidentid: id, title });
        try {
          await ctx.dataverse.update('emails', args.emailId, { [regardingKey]: bind('incidents', id) });
        } catch (err) {
          // The case exists: say so, and how to finish, rather than leave a retry to fail as "already done".
          const why = err instanceof DataverseError ? describeDataverseError(err, 'Filing the email') : 'Filing the email failed unexpectedly.';
          return {
            data: { case: created, emailId: args.emailId },
            text: `Opened case ${caseLine(created)}, but the email was not filed on it: ${why} File it with link_email_to_case.`,
            target: `incident:${id} from email:${args.emailId}`,
            partial: 'email not filed on the case',
            records: [{ table: 'incident', id, name: created.title }],
          };
        }
        return {
          data: { case: created, emailId: args.emailId },
          text: `Opened case ${caseLine(created)} and filed the email on it.`,
          target: `incident:${id} from email:${args.emailId}`,
          records: [{ table: 'incident', id, name: created.title }, { table: 'email', id: args.emailId, name: email.subject }],
        };
      },
    };
  },
});

/** `link_email_to_case` (MCP tool reference): files an email on an active case (its Regarding), moving it from wherever it was. */
export const linkEmailToCase = defineTool({
  name: 'link_email_to_case',
  kind: 'write',
  title: 'Link email to case',
  description: 'Files an email on an active case (sets its Regarding), moving it from the record it was on. Asks the user to confirm first unless the agent confirms only destructive and outbound changes.',
  input: z.object({ emailId: guidArg('The email.'), incidentId: incidentIdArg }),
  output: z.object({ emailId: z.string(), case: CaseSchema }),
  auditTarget: (args) => `email:${args.emailId} → incident:${args.incidentId}`,
  async prepare(args, ctx) {
    const [email, row, regardingKey] = await Promise.all([
      loadEmail(ctx, args.emailId),
      orNotFound('case', args.incidentId, () => ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS })),
      ctx.metadata.bindKey('email', 'regardingobjectid', 'incident'),
      ctx.privileges.require({ table: 'email', ops: ['Write', 'Append'] }, { table: 'incident', ops: ['AppendTo'] }),
    ]);
    const c = activeCase(row, 'given emails');
    if (email.regarding?.id.toLowerCase() === args.incidentId.toLowerCase()) throw new ToolError(`Email "${email.subject}" is already filed on case ${c.ticketNumber}.`, 'conflict');
    return {
      preview: {
        summary: `File the email "${email.subject}" on case ${c.ticketNumber} "${c.title}"${email.regarding ? `, moving it from ${email.regarding.table} ${email.regarding.name}` : ''}.`,
        details: { email: email.subject, case: caseLine(c), ...(email.regarding && { 'currently on': `${email.regarding.name} (${email.regarding.table})` }) },
      },
      async run() {
        await ctx.dataverse.update('emails', args.emailId, { [regardingKey]: bind('incidents', args.incidentId) });
        return {
          data: { emailId: args.emailId, case: c },
          text: `Filed the email "${email.subject}" on ${caseLine(c)}.`,
          target: `email:${args.emailId} → incident:${args.incidentId}`,
          records: [{ table: 'incident', id: c.caseId, name: c.title }, { table: 'email', id: args.emailId, name: email.subject }],
        };
      },
    };
  },
});
