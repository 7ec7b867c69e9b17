import { DataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { str } from '../shared.js';

export interface CustomerRef {
  table: 'account' | 'contact';
  id: string;
  name: string;
  email: string | undefined;
}

/** Finds the account or contact behind a customer id (cases may belong to either). */
export async function resolveCustomer(ctx: ToolContext, id: string, type?: 'account' | 'contact'): Promise<CustomerRef> {
  const tries: Array<'account' | 'contact'> = type ? [type] : ['account', 'contact'];
  for (const table of tries) {
    try {
      if (table === 'account') {
        const row = await ctx.dataverse.get('accounts', id, { select: ['accountid', 'name', 'emailaddress1'] });
        return { table, id: id.toLowerCase(), name: str(row, 'name') ?? '', email: str(row, 'emailaddress1') };
      }
      const row = await ctx.dataverse.get('contacts', id, { select: ['contactid', 'fullname', 'emailaddress1'] });
      return { table, id: id.toLowerCase(), name: str(row, 'fullname') ?? '', email: str(row, 'emailaddress1') };
    } catch (err) {
      if (!(err instanceof DataverseError && err.kind === 'not_found')) throw err;
    }
  }
  throw new ToolError(`No ${type ?? 'account or contact'} with id ${id}. Use D365_CustomerService_ListAccounts to find the customer.`, 'not_found');
}

export const ENTITY_SET = { account: 'accounts', contact: 'contacts' } as const;
