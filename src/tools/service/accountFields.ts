import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import type { RecordRef } from '../defineTool.js';
import { label, lookup, num, str } from '../shared.js';

export const ACCOUNT_COLUMNS = [
  'accountid',
  'name',
  'accountnumber',
  'telephone1',
  'emailaddress1',
  'websiteurl',
  'address1_city',
  'address1_country',
  'industrycode',
  'revenue',
  'numberofemployees',
  '_primarycontactid_value',
  'statecode',
  'createdon',
] as const;

export const CONTACT_COLUMNS = ['contactid', 'fullname', 'emailaddress1', 'telephone1', 'jobtitle'] as const;

export const ContactSchema = z.object({
  contactId: z.string(),
  fullName: z.string(),
  email: z.string(),
  phone: z.string(),
  jobTitle: z.string(),
});

export const AccountSchema = z.object({
  accountId: z.string(),
  name: z.string(),
  accountNumber: z.string(),
  phone: z.string(),
  email: z.string(),
  website: z.string(),
  city: z.string(),
  country: z.string(),
  industry: z.string(),
  revenue: z.string().describe('Formatted annual revenue'),
  employees: z.number().optional(),
  state: z.string(),
  primaryContact: ContactSchema.optional(),
  contacts: z.array(ContactSchema).optional().describe('Present when includeContacts was requested (up to 25)'),
});
export type AccountView = z.infer<typeof AccountSchema>;

export function toContact(row: Row): z.infer<typeof ContactSchema> {
  return {
    contactId: str(row, 'contactid') ?? '',
    fullName: str(row, 'fullname') ?? '',
    email: str(row, 'emailaddress1') ?? '',
    phone: str(row, 'telephone1') ?? '',
    jobTitle: str(row, 'jobtitle') ?? '',
  };
}

export function toAccount(row: Row): AccountView {
  const primary = row['primarycontactid'];
  const contacts = row['contact_customer_accounts'];
  const employees = num(row, 'numberofemployees');
  const fallbackPrimary = lookup(row, 'primarycontactid');
  return {
    accountId: str(row, 'accountid') ?? '',
    name: str(row, 'name') ?? '',
    accountNumber: str(row, 'accountnumber') ?? '',
    phone: str(row, 'telephone1') ?? '',
    email: str(row, 'emailaddress1') ?? '',
    website: str(row, 'websiteurl') ?? '',
    city: str(row, 'address1_city') ?? '',
    country: str(row, 'address1_country') ?? '',
    industry: label(row, 'industrycode') ?? '',
    revenue: label(row, 'revenue') ?? '',
    ...(employees !== undefined && { employees }),
    state: label(row, 'statecode') ?? '',
    ...(primary && typeof primary === 'object'
      ? { primaryContact: toContact(primary as Row) }
      : fallbackPrimary && { primaryContact: { contactId: fallbackPrimary.id, fullName: fallbackPrimary.name, email: '', phone: '', jobTitle: '' } }),
    ...(Array.isArray(contacts) && { contacts: (contacts as Row[]).map(toContact) }),
  };
}

/** The accounts a result names, for resource links. */
export const accountRecords = (accounts: readonly AccountView[]): RecordRef[] => accounts.map((a) => ({ table: 'account', id: a.accountId, name: a.name }));

export function accountLine(a: AccountView): string {
  const where = [a.city, a.country].filter(Boolean).join(', ');
  const contact = a.primaryContact ? `; primary contact ${a.primaryContact.fullName}${a.primaryContact.email ? ` <${a.primaryContact.email}>` : ''}` : '';
  return `${a.name}${a.accountNumber ? ` (${a.accountNumber})` : ''}${where ? `, ${where}` : ''}${a.industry ? `, ${a.industry}` : ''}${contact} (id ${a.accountId})`;
}
