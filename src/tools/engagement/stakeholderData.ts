import { z } from 'zod';

import type { ToolContext } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';

/**
 * Stakeholders are connections from the host record (an opportunity or an account, `record1id`)
 * to a contact (`record2id`), with the contact's part as `record2roleid` (get_stakeholder /
 * update_stakeholder references; Connection entities,
 * https://learn.microsoft.com/power-apps/developer/data-platform/connection-entities). Only the
 * host's side is read, so the reciprocal connection Dataverse keeps is not listed twice.
 */
export const HOSTS = { opportunity: 'opportunities', account: 'accounts' } as const;
export type Host = keyof typeof HOSTS;

export const hostArg = z.enum(['opportunity', 'account']).default('opportunity').describe('The host record type: opportunity (default) or account.');

export const StakeholderSchema = z.object({
  connectionId: z.string(),
  contactId: z.string(),
  name: z.string(),
  role: z.string().optional(),
  email: z.string().optional(),
  jobTitle: z.string().optional(),
});

export function requireStakeholderTables(ctx: ToolContext, host: Host): void {
  for (const t of [host, 'contact', 'connection', 'connectionrole']) requireTable(ctx, t);
}

