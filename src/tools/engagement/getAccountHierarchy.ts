import { z } from 'zod';

import { guid, inList } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { guidArg, lookup, orNotFound, str } from '../shared.js';

/** How far up and down the tree is read, and how many accounts at most. */
const MAX_UP = 5;
const MAX_DOWN = 3;
const MAX_NODES = 100;

const Node = z.object({ accountId: z.string(), name: z.string(), parentAccountId: z.string().optional(), level: z.number().describe('0 for the top of the tree') });

/**
 * `get_account_hierarchy` (get_account_hierarchy reference): the account's parent chain up to the
 * top (parentaccountid) and the accounts below the top, level by level (one request per level, with
 * `In` over the level's ids), within fixed depth and size caps that the result reports.
 */
export const getAccountHierarchy = defineTool({
  name: 'get_account_hierarchy',
  kind: 'read',
  title: 'Account hierarchy',
  description: 'Shows where an account sits in its corporate family: the parent accounts up to the top, and the subsidiaries below the top (up to 3 levels, 100 accounts).',
  input: z.object({ accountId: guidArg('The account (its GUID).') }),
  aliases: { AccountId: 'accountId', recordId: 'accountId' },
  output: z.object({ top: z.string().describe('Id of the top account'), accounts: z.array(Node), truncated: z.boolean() }),
  async run(args, ctx) {
    requireTable(ctx, 'account');
    const select = ['accountid', 'name', '_parentaccountid_value'];
    // Up: one request per ancestor.
    const chain = [await orNotFound('account', args.accountId, () => ctx.dataverse.get('accounts', args.accountId, { select }))];
    while (chain.length <= MAX_UP) {
      const parent = lookup(chain[0]!, 'parentaccountid');
      if (!parent || chain.some((r) => str(r, 'accountid') === parent.id)) break;
      chain.unshift(await orNotFound('account', parent.id, () => ctx.dataverse.get('accounts', parent.id, { select })));
    }
    const topId = str(chain[0]!, 'accountid')!;
    const nodes = new Map<string, z.infer<typeof Node>>();
    const add = (r: Record<string, unknown>, level: number) => {
      const id = str(r, 'accountid')!;
      const parentId = lookup(r, 'parentaccountid')?.id;
      if (!nodes.has(id)) nodes.set(id, { accountId: id, name: str(r, 'name') ?? '', ...(parentId && level > 0 && { parentAccountId: parentId }), level });
    };
    add(chain[0]!, 0);
    // Down from the top: one request per level.
    let level = [topId];
    // Capped on the way up when the highest account read still has a parent.
    let truncated = lookup(chain[0]!, 'parentaccountid') !== undefined;
    for (let depth = 1; depth <= MAX_DOWN && level.length; depth++) {
      const page = await ctx.dataverse.list('accounts', { select, filter: inList('_parentaccountid_value', level.map((id) => guid(id))), orderby: [{ property: 'name' }], top: MAX_NODES - nodes.size + 1 });
      const fresh = page.rows.filter((r) => !nodes.has(str(r, 'accountid')!));
      for (const r of fresh.slice(0, MAX_NODES - nodes.size)) add(r, depth);
      if (nodes.size >= MAX_NODES) {
        truncated = truncated || fresh.length > 0;
        break;
      }
      level = fresh.map((r) => str(r, 'accountid')!);
      if (depth === MAX_DOWN && level.length) truncated = true;
    }
    // The asked-for account is always shown, even past the caps.
    for (const [i, r] of chain.entries()) add(r, i);
    const accounts = [...nodes.values()];
    const lines = accounts.slice(0, 30).map((n) => `${'  '.repeat(n.level)}${n.name}${n.accountId === args.accountId ? ' ←' : ''}`);
    return {
      data: { top: topId, accounts, truncated },
      text: `${lines.join('\n')}${accounts.length > 30 || truncated ? '\n(more accounts not shown)' : ''}`,
      records: accounts.map((n) => ({ table: 'account', id: n.accountId, name: n.name })),
    };
  },
});
