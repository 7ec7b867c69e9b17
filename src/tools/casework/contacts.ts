import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, contains, eq, guid, or } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { cursorArg, guidArg, label, lookup, LookupSchema, orNotFound, PAGE_BYTES, pageWithCursor, pagingNote, rowsOf, searchArg, str, topArg } from '../shared.js';
import { ACCOUNT_COLUMNS, AccountSchema, accountLine, CONTACT_COLUMNS as ACCOUNT_CONTACT_COLUMNS, toAccount } from '../service/accountFields.js';
import { CASE_COLUMNS, CASE_STATE, CaseSchema, caseLine, toCase } from '../service/caseFields.js';

const COLUMNS = ['contactid', 'fullname', 'firstname', 'lastname', 'emailaddress1', 'telephone1', 'mobilephone', 'jobtitle', '_parentcustomerid_value', 'donotemail', 'preferredcontactmethodcode', 'statecode'] as const;

const ContactSchema = z.object({
  contactId: z.string(),
  fullName: z.string(),
  email: z.string(),
  phone: z.string(),
  mobile: z.string(),
  jobTitle: z.string(),
  company: LookupSchema.optional().describe('The account or contact this contact belongs to'),
  doNotEmail: z.boolean(),
  preferredContactMethod: z.string(),
  state: z.string(),
});
type ContactView = z.infer<typeof ContactSchema>;

function toContact(row: Row): ContactView {
  const company = lookup(row, 'parentcustomerid');
  return {
    contactId: str(row, 'contactid') ?? '',
    fullName: str(row, 'fullname') ?? '',
    email: str(row, 'emailaddress1') ?? '',
    phone: str(row, 'telephone1') ?? '',
    mobile: str(row, 'mobilephone') ?? '',
    jobTitle: str(row, 'jobtitle') ?? '',
    ...(company && { company }),
    doNotEmail: row['donotemail'] === true,
    preferredContactMethod: label(row, 'preferredcontactmethodcode') ?? '',
    state: label(row, 'statecode') ?? '',
  };
}
const contactLine = (c: ContactView) => `${c.fullName}${c.jobTitle ? `, ${c.jobTitle}` : ''}${c.company ? ` at ${c.company.name}` : ''}${c.email ? ` <${c.email}>` : ''}${c.doNotEmail ? ' (does not allow email)' : ''} (id ${c.contactId})`;

/** `list_contacts` (MCP tool reference): contacts by name, email or phone, or of one account. One request per page. */
export const listContacts = defineTool({
  name: 'list_contacts',
  kind: 'read',
  title: 'List contacts',
  description: "Finds contacts by text in their name, email or phone, or the contacts of one account. Says which ones do not allow email.",
  input: z.object({
    search: searchArg('Text to find in the name, email or phone.'),
    accountId: guidArg('Only contacts of this account.').optional(),
    includeInactive: z.boolean().default(false).describe('Include inactive contacts.'),
    top: topArg,
    cursor: cursorArg,
  }),
  output: z.object({ contacts: z.array(ContactSchema), nextCursor: z.string().optional(), totalCount: z.number().optional() }),
  async run(args, ctx) {
    const filter = and(
      !args.includeInactive && eq('statecode', 0),
      args.accountId && eq('_parentcustomerid_value', guid(args.accountId)),
      args.search && or(contains('fullname', args.search), contains('emailaddress1', args.search), contains('telephone1', args.search)),
    );
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () => ctx.dataverse.list('contacts', { select: COLUMNS, filter, orderby: [{ property: 'fullname' }], count: true }, { pageSize: args.top, maxRows: args.top, maxBytes: PAGE_BYTES }),
      args.top,
    );
    const contacts = page.rows.map(toContact);
    return {
      data: { contacts, ...(page.nextCursor && { nextCursor: page.nextCursor }), ...(page.count !== undefined && { totalCount: page.count }) },
      text: contacts.length ? `${contacts.length} contact(s):\n${contacts.map(contactLine).join('\n')}${pagingNote(contacts.length, page.nextCursor, page.count)}` : 'No contacts match.',
      records: contacts.map((c) => ({ table: 'contact', id: c.contactId, name: c.fullName })),
    };
  },
});

/** `get_contact` (MCP tool reference): one contact with their open cases (one request: the cases are an $expand). */
export const getContact = defineTool({
  name: 'get_contact',
  kind: 'read',
  title: 'Get contact',
  description: 'Gets one contact with their company, how they like to be contacted, and their active cases.',
  input: z.object({ contactId: guidArg('The contact.') }),
  output: z.object({ contact: ContactSchema, activeCases: z.array(CaseSchema) }),
  async run(args, ctx) {
    const row = await orNotFound('contact', args.contactId, () =>
      ctx.dataverse.get('contacts', args.contactId, {
        select: COLUMNS,
        expand: [{ nav: 'incident_customer_contacts', select: CASE_COLUMNS, filter: eq('statecode', CASE_STATE.active), orderby: [{ property: 'createdon', descending: true }], top: 10 }],
      }),
    );
    const contact = toContact(row);
    const activeCases = rowsOf(row, 'incident_customer_contacts').map(toCase);
    return {
      data: { contact, activeCases },
      text: [contactLine(contact), activeCases.length ? `Active cases:\n${activeCases.map(caseLine).join('\n')}` : 'No active cases as customer.'].join('\n'),
      records: [{ table: 'contact', id: contact.contactId, name: contact.fullName }, ...activeCases.map((c) => ({ table: 'incident', id: c.caseId, name: c.title }))],
    };
  },
});

/** `get_account` (MCP tool reference): one account with its primary contact, its contacts and its active cases (one request: all $expand). */
export const getAccount = defineTool({
  name: 'get_account',
  kind: 'read',
  title: 'Get account',
  description: 'Gets one account with its primary contact, up to 25 contacts and its active cases (newest first).',
  input: z.object({ accountId: guidArg('The account.') }),
  output: z.object({ account: AccountSchema, activeCases: z.array(CaseSchema) }),
  async run(args, ctx) {
    const row = await orNotFound('account', args.accountId, () =>
      ctx.dataverse.get('accounts', args.accountId, {
        select: ACCOUNT_COLUMNS,
        expand: [
          { nav: 'primarycontactid', select: ACCOUNT_CONTACT_COLUMNS },
          { nav: 'contact_customer_accounts', select: ACCOUNT_CONTACT_COLUMNS, orderby: [{ property: 'fullname' }], top: 25 },
          { nav: 'incident_customer_accounts', select: CASE_COLUMNS, filter: eq('statecode', CASE_STATE.active), orderby: [{ property: 'createdon', descending: true }], top: 10 },
        ],
      }),
    );
    const account = toAccount(row);
    const activeCases = rowsOf(row, 'incident_customer_accounts').map(toCase);
    return {
      data: { account, activeCases },
      text: [accountLine(account), `Contacts: ${(account.contacts ?? []).map((c) => c.fullName).join(', ') || 'none'}`, activeCases.length ? `Active cases:\n${activeCases.map(caseLine).join('\n')}` : 'No active cases.'].join('\n'),
      records: [{ table: 'account', id: account.accountId, name: account.name }, ...activeCases.map((c) => ({ table: 'incident', id: c.caseId, name: c.title }))],
    };
  },
});
