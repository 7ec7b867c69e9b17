import { z } from 'zod';

import { and, contains, eq, type Expand, or } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { cursorArg, guidArg, orNotFound, PAGE_BYTES, pageWithCursor, pagingNote, searchArg, topArg } from '../shared.js';
import { ACCOUNT_COLUMNS, AccountSchema, accountLine, accountRecords, CONTACT_COLUMNS, toAccount } from './accountFields.js';

export const listAccounts = defineTool({
  name: 'D365_CustomerService_ListAccounts',
  title: 'List accounts',
  description:
    "Gets accounts with their primary contact: one by accountId, or a list filtered by name, account number, email or city. Set includeContacts to expand each account's contacts.",
  input: z.object({
    accountId: guidArg('Fetch this one account.').optional(),
    search: searchArg('Text to find in the account name, number or email.'),
    city: z.string().trim().min(1).max(100).optional().describe('Only accounts in this city.'),
    includeInactive: z.boolean().default(false).describe('Include inactive accounts.'),
    includeContacts: z.boolean().default(false).describe("Also return each account's contacts (up to 25)."),
    top: topArg,
    cursor: cursorArg,
  }),
  output: z.object({ accounts: z.array(AccountSchema), nextCursor: z.string().optional(), totalCount: z.number().optional() }),
  kind: 'read',
  async run(args, ctx) {
    const expand: Expand[] = [{ nav: 'primarycontactid', select: CONTACT_COLUMNS }];
    if (args.includeContacts) expand.push({ nav: 'contact_customer_accounts', select: CONTACT_COLUMNS, orderby: [{ property: 'fullname' }], top: 25 });
    if (args.accountId) {
      const row = await orNotFound('account', args.accountId, () => ctx.dataverse.get('accounts', args.accountId!, { select: ACCOUNT_COLUMNS, expand }));
      const account = toAccount(row);
      return { data: { accounts: [account] }, text: accountLine(account), records: accountRecords([account]) };
    }
    const filter = and(
      !args.includeInactive && eq('statecode', 0),
      args.search && or(contains('name', args.search), contains('accountnumber', args.search), contains('emailaddress1', args.search)),
      args.city && eq('address1_city', args.city),
    );
    const page = await pageWithCursor(
      ctx,
      args.cursor,
      () =>
        ctx.dataverse.list('accounts', { select: ACCOUNT_COLUMNS, filter, expand, orderby: [{ property: 'name' }], count: true }, {
          pageSize: args.top,
          maxRows: args.top,
          maxBytes: PAGE_BYTES,
        }),
      args.top,
    );
    const accounts = page.rows.map(toAccount);
    return {
      data: { accounts, ...(page.nextCursor && { nextCursor: page.nextCursor }), ...(page.count !== undefined && { totalCount: page.count }) },
      text: accounts.length ? `${accounts.length} account(s):\n${accounts.map(accountLine).join('\n')}${pagingNote(accounts.length, page.nextCursor, page.count)}` : 'No accounts match.',
      records: accountRecords(accounts),
    };
  },
});
