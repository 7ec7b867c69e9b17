import type { CaseFacts } from '../../copilot/grounded.js';
import { DataverseError } from '../../dataverse/errors.js';
import { and, contains, eq, guid, or } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import type { Recipient } from '../email.js';
import { orNotFound, str } from '../shared.js';
import { CASE_COLUMNS, toCase } from './caseFields.js';

const STOP = new Set(['about', 'after', 'again', 'cannot', 'could', 'error', 'issue', 'other', 'please', 'there', 'their', 'these', 'which', 'would', 'with', 'from', 'this', 'that', 'when', 'does', 'have']);

/** Everything the reply drafter may use, read as the user (missing privileges just shrink the facts). */
export async function loadCaseFacts(ctx: ToolContext, caseId: string): Promise<{ facts: CaseFacts; recipient: Recipient | undefined }> {
  const row = await orNotFound('case', caseId, () => ctx.dataverse.get('incidents', caseId, { select: CASE_COLUMNS }));
  const c = toCase(row);
  const notes = await optional(() =>
    ctx.dataverse.list('annotations', {
      select: ['annotationid', 'subject', 'notetext', 'createdon'],
      filter: eq('_objectid_value', guid(caseId)),
      orderby: [{ property: 'createdon', descending: true }],
      top: 5,
    }),
  );
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
  const recipient = await findRecipient(ctx, c.primaryContact?.id, c.customer);
  return {
    facts: {
      caseId,
      title: c.title,
      ticketNumber: c.ticketNumber,
      description: c.description,
      customerName: c.customer?.name,
      contactName: recipient?.name,
      contactFirstName: recipient?.name.split(' ')[0],
      priority: c.priority,
      status: c.state,
      statusReason: c.statusReason,
      createdOn: c.createdOn,
      notes: (notes?.rows ?? []).map((n) => ({ subject: str(n, 'subject') ?? '', text: str(n, 'notetext') ?? '', on: str(n, 'createdon') ?? '' })),
      articles: (articles?.rows ?? []).map((a) => ({ number: str(a, 'articlepublicnumber') ?? '', title: str(a, 'title') ?? '' })),
    },
    recipient,
  };
}

/** Who a reply about the case goes to, reading only the case and its contacts (no notes or articles). */
export async function loadCaseRecipient(ctx: ToolContext, caseId: string): Promise<Recipient | undefined> {
  const c = toCase(await orNotFound('case', caseId, () => ctx.dataverse.get('incidents', caseId, { select: CASE_COLUMNS })));
  return findRecipient(ctx, c.primaryContact?.id, c.customer);
}

/** The case's primary contact, else the customer contact, else the customer account's primary contact. */
async function findRecipient(ctx: ToolContext, primaryContactId: string | undefined, customer: { id: string; table: string } | undefined): Promise<Recipient | undefined> {
  const contactIds = [primaryContactId, customer?.table === 'contact' ? customer.id : undefined].filter((v): v is string => Boolean(v));
  if (customer?.table === 'account') {
    const account = await optional(() => ctx.dataverse.get('accounts', customer.id, { select: ['accountid', '_primarycontactid_value'] }));
    const pc = account && str(account, '_primarycontactid_value');
    if (pc) contactIds.push(pc);
  }
  for (const id of contactIds) {
    const contact = await optional(() => ctx.dataverse.get('contacts', id, { select: ['contactid', 'fullname', 'emailaddress1'] }));
    const email = contact && str(contact, 'emailaddress1');
    if (contact && email) return { table: 'contact', id, name: str(contact, 'fullname') ?? email, email };
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
