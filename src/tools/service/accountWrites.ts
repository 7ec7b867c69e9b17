import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { optionValue } from '../optionSets.js';
import { atLeastOne, contactName, createConfirmed, guidArg, orNotFound } from '../shared.js';
import { ACCOUNT_COLUMNS, AccountSchema, accountLine, toAccount } from './accountFields.js';

const accountFields = {
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

type AccountArgs = { [K in keyof typeof accountFields]?: z.output<(typeof accountFields)[K]> } & { name?: string };

async function toBody(args: AccountArgs, ctx: ToolContext): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  if (args.name) body['name'] = args.name;
  if (args.accountNumber !== undefined) body['accountnumber'] = args.accountNumber;
  if (args.phone !== undefined) body['telephone1'] = args.phone;
  if (args.email !== undefined) body['emailaddress1'] = args.email;
  if (args.website !== undefined) body['websiteurl'] = args.website;
  if (args.city !== undefined) body['address1_city'] = args.city;
  if (args.country !== undefined) body['address1_country'] = args.country;
  if (args.revenue !== undefined) body['revenue'] = args.revenue;
  if (args.employees !== undefined) body['numberofemployees'] = args.employees;
  if (args.industry) body['industrycode'] = await optionValue(ctx, 'account', 'industrycode', args.industry);
  if (args.primaryContactId) {
    await orNotFound('contact', args.primaryContactId, () => ctx.dataverse.get('contacts', args.primaryContactId!, { select: ['contactid'] }));
    body[await ctx.metadata.bindKey('account', 'primarycontactid', 'contact')] = bind('contacts', args.primaryContactId);
  }
  return body;
}

/** Writing an account; pointing it at a primary contact also appends the account to the contact. */
function accountPrivileges(op: 'Create' | 'Write', args: AccountArgs): PrivilegeNeed[] {
  return args.primaryContactId
    ? [
        { table: 'account', ops: [op, 'Append'] },
        { table: 'contact', ops: ['AppendTo'] },
      ]
    : [{ table: 'account', ops: [op] }];
}

async function describeChanges(args: AccountArgs, ctx: ToolContext): Promise<Record<string, string>> {
  const out: Record<string, string> = Object.fromEntries(
    Object.entries(args)
      .filter(([k, v]) => v !== undefined && k !== 'accountId' && k !== 'primaryContactId')
      .map(([k, v]) => [k, String(v)]),
  );
  if (args.primaryContactId) out['primary contact'] = await contactName(ctx, args.primaryContactId);
  return out;
}

export const addAccount = defineTool({
  name: 'D365_CustomerService_AddAccount',
  toolset: 'service',
  title: 'Add account',
  description: 'Creates an account (a customer organisation) with contact details, address, industry and size.',
  input: z.object({ name: z.string().trim().min(1).max(160).describe('Account name.'), ...accountFields }),
  output: z.object({ account: AccountSchema }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  auditTarget: (args) => `account:new(${args.name})`,
  async confirm(args, ctx) {
    const [details] = await Promise.all([describeChanges(args, ctx), ctx.privileges.require(...accountPrivileges('Create', args))]);
    return { summary: `Create the account "${args.name}".`, details };
  },
  async handler(args, ctx) {
    const { id, row } = await createConfirmed(ctx, { table: 'account', entitySet: 'accounts', primaryId: 'accountid' }, await toBody(args, ctx), { select: ACCOUNT_COLUMNS });
    const account = toAccount(row ?? { accountid: id, name: args.name });
    return { data: { account }, text: `Created account ${accountLine(account)}.`, target: `account:${id}` };
  },
});

export const updateAccount = defineTool({
  name: 'D365_CustomerService_UpdateAccount',
  toolset: 'service',
  title: 'Update account',
  description: "Updates an account's name, contact details, address, industry, size or primary contact.",
  input: z.object({ accountId: guidArg('The account to update.'), name: z.string().trim().min(1).max(160).optional().describe('New account name.'), ...accountFields }),
  output: z.object({ account: AccountSchema }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  auditTarget: (args) => `account:${args.accountId}`,
  async confirm(args, ctx) {
    atLeastOne(args, ['name', ...(Object.keys(accountFields) as Array<keyof typeof accountFields>)], 'a field to change');
    const [row, details] = await Promise.all([
      orNotFound('account', args.accountId, () => ctx.dataverse.get('accounts', args.accountId, { select: ACCOUNT_COLUMNS })),
      describeChanges(args, ctx),
      ctx.privileges.require(...accountPrivileges('Write', args)),
    ]);
    return { summary: `Update account "${toAccount(row).name}".`, details };
  },
  async handler(args, ctx) {
    atLeastOne(args, ['name', ...(Object.keys(accountFields) as Array<keyof typeof accountFields>)], 'a field to change');
    const body = await toBody(args, ctx);
    const row = await orNotFound('account', args.accountId, () => ctx.dataverse.update('accounts', args.accountId, body, { select: ACCOUNT_COLUMNS }));
    const account = toAccount(row ?? {});
    return { data: { account }, text: `Updated account ${accountLine(account)}.`, target: `account:${args.accountId}` };
  },
});
