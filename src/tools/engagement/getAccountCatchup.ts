import { z } from 'zod';

import { ge } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound, str } from '../shared.js';
import { brief, BriefFields, rowsOf } from './accountData.js';
import { byNewest, Change, changeSentences, recentTimeline, sinceDate, sinceDaysArg } from './catchupData.js';

/**
 * `get_account_catchup` (get_account_catchup reference: `accountId`; Microsoft's tool calls
 * msdyn_SalesAccountCatchup): what changed on an account in the last days, from the CRM itself:
 * the account's own edits, opportunities and contacts created or changed, activities and notes
 * logged. Three requests at once.
 */
export const getAccountCatchup = defineTool({
  name: 'get_account_catchup',
  kind: 'read',
  title: 'Account catch-up',
  description: 'Catches a seller up on an account: what changed in the last days (the account, its opportunities and contacts, activities and notes), newest first.',
  input: z.object({ accountId: guidArg('The account (its GUID).'), sinceDays: sinceDaysArg }),
  aliases: { AccountId: 'accountId', msdyn_AccountId: 'accountId', recordId: 'accountId' },
  output: z.object({ accountId: z.string(), name: z.string(), since: z.string(), changes: z.array(Change), ...BriefFields }),
  async run(args, ctx) {
    requireTable(ctx, 'account');
    const since = sinceDate(ctx.now(), args.sinceDays);
    const recent = ge('modifiedon', since);
    const [row, timeline] = await Promise.all([
      orNotFound('account', args.accountId, () =>
        ctx.dataverse.get('accounts', args.accountId, {
          select: ['accountid', 'name', 'modifiedon', 'createdon'],
          expand: [
            ...(tableAllowed(ctx, 'opportunity') ? [{ nav: 'opportunity_customer_accounts', select: ['opportunityid', 'name', 'createdon', 'modifiedon'], filter: recent, orderby: [{ property: 'modifiedon', descending: true }], top: 25 }] : []),
            ...(tableAllowed(ctx, 'contact') ? [{ nav: 'contact_customer_accounts', select: ['contactid', 'fullname', 'createdon', 'modifiedon'], filter: recent, orderby: [{ property: 'modifiedon', descending: true }], top: 25 }] : []),
          ],
        }),
      ),
      recentTimeline(ctx, args.accountId, since),
    ]);
    const name = str(row, 'name') ?? '';
    const touched = (table: string, id: string, label: string) => (r: Record<string, unknown>) => {
      const created = (str(r, 'createdon') ?? '') >= since.toISOString();
      return { table, id: str(r, id) ?? '', name: str(r, label) ?? '', what: created ? `${table} created` : `${table} changed`, on: (created ? str(r, 'createdon') : str(r, 'modifiedon')) ?? '' };
    };
    const changes = [
      ...((str(row, 'modifiedon') ?? '') >= since.toISOString() ? [touched('account', 'accountid', 'name')(row)] : []),
      ...rowsOf(row, 'opportunity_customer_accounts').map(touched('opportunity', 'opportunityid', 'name')),
      ...rowsOf(row, 'contact_customer_accounts').map(touched('contact', 'contactid', 'fullname')),
      ...timeline,
    ].sort(byNewest);
    const { text, ...written } = await brief(ctx, { table: 'account', recordId: args.accountId, name, purpose: 'catchup', sentences: changeSentences(name, changes, args.sinceDays) });
    return {
      data: { accountId: args.accountId, name, since: since.toISOString(), changes, ...written },
      text,
      records: [{ table: 'account', id: args.accountId, name }, ...changes.filter((c) => c.table !== 'account').map((c) => ({ table: c.table, id: c.id, name: c.name }))],
    };
  },
});
