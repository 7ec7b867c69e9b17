import type { CaseFacts } from '../../copilot/facts.js';
import { DataverseError } from '../../dataverse/errors.js';
import { and, contains, eq, guid, or } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { RECIPIENT_SOURCES, type Recipient, recipientFrom } from '../email.js';
import { orNotFound, str } from '../shared.js';
import { CASE_COLUMNS, CASE_STATE, toCase } from './caseFields.js';

const STOP = new Set(['about', 'after', 'again', 'cannot', 'could', 'error', 'issue', 'other', 'please', 'there', 'their', 'these', 'which', 'would', 'with', 'from', 'this', 'that', 'when', 'does', 'have']);

export interface CaseReplyFacts {
  facts: CaseFacts;
  /** Who the reply goes to, when the case has a contact the recipient policy allows. */
  recipient: Recipient | undefined;
  /** Why there is no recipient (no contact with an address, or "Do not allow Emails"). */
  recipientProblem: string | undefined;
}

/**
 * Everything the reply drafter may use, read as the user (missing privileges just shrink the
 * facts). Case notes are internal: they are read only when the agent lets replies quote them.
 */
export async function loadCaseFacts(ctx: ToolContext, caseId: string): Promise<CaseReplyFacts> {
  const row = await orNotFound('case', caseId, () => ctx.dataverse.get('incidents', caseId, { select: CASE_COLUMNS }));
  const c = toCase(row);
  const notes = ctx.agent.quoteCaseNotes
    ? await optional(() =>
        ctx.dataverse.list('annotations', {
          select: ['annotationid', 'subject', 'notetext', 'createdon'],
          filter: eq('_objectid_value', guid(caseId)),
          orderby: [{ property: 'createdon', descending: true }],
          top: 5,
        }),
      )
    : undefined;
  const words = (c.title.match(/[A-Za-z][A-Za-z-]{4,}/g) ?? []).map((w) => w.toLowerCase()).filter((w) => !STOP.has(w)).slice(0, 3);
  const articles = words.length
    ? await optional(() =>
        ctx.dataverse.list('knowledgearticles', {
          select: ['knowledgearticleid', 'title', 'articlepublicnumber'],
          filter: and(eq('statecode', 3), or(...words.flatMap((w) => [contains('title', w), contains('keywords', w)]))),
          top: 3,
        }),
      )
    : undefined;
  const found = await findRecipient(ctx, c.primaryContact?.id, c.customer);
  const recipient = found && 'recipient' in found ? found.recipient : undefined;
  return {
    facts: {
      caseId,
      title: c.title,
      ticketNumber: c.ticketNumber,
      description: c.description,
      customerName: c.customer?.name,
      contactName: found?.name,
      contactFirstName: found?.name.split(' ')[0],
      priority: c.priority,
      status: c.state,
      resolved: row['statecode'] === CASE_STATE.resolved,
      statusReason: c.statusReason,
      createdOn: c.createdOn,
      notes: (notes?.rows ?? []).map((n) => ({ subject: str(n, 'subject') ?? '', text: str(n, 'notetext') ?? '', on: str(n, 'createdon') ?? '' })),
      notesWithheld: !ctx.agent.quoteCaseNotes,
      articles: (articles?.rows ?? []).map((a) => ({ number: str(a, 'articlepublicnumber') ?? '', title: str(a, 'title') ?? '' })),
    },
    recipient,
    recipientProblem: found ? ('problem' in found ? found.problem : undefined) : 'This case has no contact with an email address. Set a primary contact with D365_CustomerService_UpdateCase first.',
  };
}

/** Who a reply about the case goes to, reading only the case and its contacts (no notes or articles); refused by the recipient policy. */
export async function loadCaseRecipient(ctx: ToolContext, caseId: string): Promise<Recipient> {
  const c = toCase(await orNotFound('case', caseId, () => ctx.dataverse.get('incidents', caseId, { select: CASE_COLUMNS })));
  const found = await findRecipient(ctx, c.primaryContact?.id, c.customer);
  if (!found) throw new ToolError('This case has no contact with an email address. Set a primary contact with D365_CustomerService_UpdateCase first.', 'invalid_argument');
  if ('problem' in found) throw new ToolError(found.problem, 'forbidden');
  return found.recipient;
}

/**
 * The case's primary contact, else the customer contact, else the customer account's primary
 * contact: the first of them with an email address, judged by the recipient policy (a contact who
 * does not allow emails is not silently swapped for another one).
 */
async function findRecipient(
  ctx: ToolContext,
  primaryContactId: string | undefined,
  customer: { id: string; table: string } | undefined,
): Promise<{ name: string; recipient: Recipient } | { name: string; problem: string } | undefined> {
  const contactIds = [primaryContactId, customer?.table === 'contact' ? customer.id : undefined].filter((v): v is string => Boolean(v));
  if (customer?.table === 'account') {
    const account = await optional(() => ctx.dataverse.get('accounts', customer.id, { select: ['accountid', '_primarycontactid_value'] }));
    const pc = account && str(account, '_primarycontactid_value');
    if (pc) contactIds.push(pc);
  }
  for (const id of contactIds) {
    const contact = await optional(() => ctx.dataverse.get('contacts', id, { select: RECIPIENT_SOURCES.contact.select }));
    if (!contact || !str(contact, 'emailaddress1')) continue;
    const name = str(contact, 'fullname') ?? str(contact, 'emailaddress1')!;
    try {
      return { name, recipient: recipientFrom('contact', contact) };
    } catch (err) {
      if (err instanceof ToolError) return { name, problem: err.message };
      throw err;
    }
  }
  return undefined;
}

/** Reads that may be refused by the user's roles: missing privilege or data yields undefined. */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof DataverseError && (err.kind === 'forbidden' || err.kind === 'not_found')) return undefined;
    throw err;
  }
}
