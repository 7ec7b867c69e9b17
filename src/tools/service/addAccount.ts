import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { createConfirmed } from '../shared.js';
import { accountFields, accountWrite } from './accountBody.js';
import { ACCOUNT_COLUMNS, AccountSchema, accountLine, toAccount } from './accountFields.js';

export const addAccount = defineTool({
  name: 'D365_CustomerService_AddAccount',
  kind: 'write',
  title: 'Add account',
  description: 'Creates an account (a customer organisation) with contact details, address, industry and size.',
  input: z.object({ name: z.string().trim().min(1).max(160).describe('Account name.'), ...accountFields }),
  output: z.object({ account: AccountSchema }),
  auditTarget: (args) => `account:new(${args.name})`,
  async prepare(args, ctx) {
    const { body, details } = await accountWrite(ctx, args, 'Create');
    return {
      preview: { summary: `Create the account "${args.name}".`, details },
      async run() {
        const { id, row } = await createConfirmed(ctx, { table: 'account', entitySet: 'accounts', primaryId: 'accountid' }, body, { select: ACCOUNT_COLUMNS });
        const account = toAccount(row ?? { accountid: id, name: args.name });
        return { data: { account }, text: `Created account ${accountLine(account)}.`, target: `account:${id}`, records: [{ table: 'account', id, name: account.name }] };
      },
    };
  },
});
