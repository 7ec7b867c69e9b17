import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import type { ToolContext } from '../defineTool.js';
import { optionValue } from '../optionSets.js';
import { contactName, guidArg } from '../shared.js';

/** The account fields AddAccount and UpdateAccount share. */
export const accountFields = {
  accountNumber: z.string().trim().max(20).optional().describe('Account number.'),
  phone: z.string().trim().max(50).optional().describe('Main phone number.'),
  email: z.string().trim().email().max(100).optional().describe('Main email address.'),
  website: z.string().trim().url().max(200).optional().describe('Website URL.'),
  city: z.string().trim().max(80).optional().describe('City of the main address.'),
  country: z.string().trim().max(80).optional().describe('Country or region of the main address.'),
  industry: z.string().trim().max(100).optional().describe('Industry label as configured in Dynamics (e.g. "Consulting").'),
  revenue: z.number().min(0).max(1e15).optional().describe('Annual revenue in the organisation currency.'),
  employees: z.number().int().min(0).max(10_000_000).optional().describe('Number of employees.'),
  primaryContactId: guidArg('Primary contact of the account.').optional(),
};

export const ACCOUNT_FIELD_NAMES: ReadonlyArray<'name' | keyof typeof accountFields> = ['name', ...(Object.keys(accountFields) as Array<keyof typeof accountFields>)];

type AccountArgs = { [K in keyof typeof accountFields]?: z.output<(typeof accountFields)[K]> } & { name?: string | undefined };

const COLUMNS: ReadonlyArray<[keyof AccountArgs, string]> = [
  ['name', 'name'],
  ['accountNumber', 'accountnumber'],
  ['phone', 'telephone1'],
  ['email', 'emailaddress1'],
  ['website', 'websiteurl'],
  ['city', 'address1_city'],
  ['country', 'address1_country'],
  ['revenue', 'revenue'],
  ['employees', 'numberofemployees'],
];

/**
 * An account write resolved once: the Web API body (the industry label as its option value from the
 * org's metadata, the primary contact bound under its metadata navigation name), what the preview
 * lists, and the privilege check (a primary contact also appends the account to the contact).
 */
export async function accountWrite(ctx: ToolContext, args: AccountArgs, op: 'Create' | 'Write'): Promise<{ body: Record<string, unknown>; details: Record<string, string> }> {
  const privileges: PrivilegeNeed[] = args.primaryContactId
    ? [
        { table: 'account', ops: [op, 'Append'] },
        { table: 'contact', ops: ['AppendTo'] },
      ]
    : [{ table: 'account', ops: [op] }];
  const [industry, contact, contactKey] = await Promise.all([
    args.industry ? optionValue(ctx, 'account', 'industrycode', args.industry) : undefined,
    args.primaryContactId ? contactName(ctx, args.primaryContactId) : undefined,
    args.primaryContactId ? ctx.metadata.bindKey('account', 'primarycontactid', 'contact') : undefined,
    ctx.privileges.require(...privileges),
  ]);
  const body: Record<string, unknown> = {};
  const details: Record<string, string> = {};
  for (const [arg, column] of COLUMNS) {
    const value = args[arg];
    if (value === undefined) continue;
    body[column] = value;
    details[arg] = String(value);
  }
  if (industry !== undefined) {
    body['industrycode'] = industry;
    details['industry'] = String(args.industry);
  }
  if (args.primaryContactId && contactKey) {
    body[contactKey] = bind('contacts', args.primaryContactId);
    details['primary contact'] = contact ?? args.primaryContactId;
  }
  return { body, details };
}
