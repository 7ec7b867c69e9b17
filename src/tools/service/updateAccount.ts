import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { atLeastOne, guidArg, orNotFound } from '../shared.js';
import { ACCOUNT_FIELD_NAMES, accountFields, accountWrite } from './accountBody.js';
import { ACCOUNT_COLUMNS, AccountSchema, accountLine, toAccount } from './accountFields.js';

export const updateAccount = defineTool({
  name: 'D365_CustomerService_UpdateAccount',
  kind: 'write',
  idempotent: true,
  title: 'Update account',
  description: "Updates an account's name, contact details, address, industry, size or primary contact.",
  input: z.object({ accountId: guidArg('The account to update.'), name: z.string().trim().min(1).max(160).optional().describe('New account name.'), ...accountFields }),
  output: z.object({ account: AccountSchema }),
  auditTarget: (args) => `account:${args.accountId}`,
  async prepare(args, ctx) {
    atLeastOne(args, ACCOUNT_FIELD_NAMES, 'a field to change');
    const [row, { body, details }] = await Promise.all([
      orNotFound('account', args.accountId, () => ctx.dataverse.get('accounts', args.accountId, { select: ['accountid', 'name'] })),
      accountWrite(ctx, args, 'Write'),
    ]);
    return {
      preview: { summary: `Update account "${toAccount(row).name}".`, details },
      async run() {
        const account = toAccount((await orNotFound('account', args.accountId, () => ctx.dataverse.update('accounts', args.accountId, body, { select: ACCOUNT_COLUMNS }))) ?? {});
        return { data: { account }, text: `Updated account ${accountLine(account)}.`, target: `account:${args.accountId}`, records: [{ table: 'account', id: args.accountId, name: account.name }] };
      },
    };
  },
});
