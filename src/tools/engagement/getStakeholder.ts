import { z } from 'zod';

import { and, eq, guid, inList } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { guidArg, lookup, orNotFound, str } from '../shared.js';
import { HOSTS, hostArg, requireStakeholderTables, StakeholderSchema } from './stakeholderData.js';

/**
 * `get_stakeholder` (get_stakeholder reference: `recordId`, `entityLogicalName`): the contacts
 * connected to an opportunity or account, with their connection role, e-mail and job title.
 * Three requests: the host and its active connections at once, then the contacts' details.
 */
export const getStakeholder = defineTool({
  name: 'get_stakeholder',
  kind: 'read',
  title: 'Stakeholders',
  description: 'Lists the stakeholders of an opportunity or account: the connected contacts with their role (decision maker, influencer, …), e-mail and job title.',
  input: z.object({ recordId: guidArg('The opportunity or account (its GUID).'), entityLogicalName: hostArg }),
  aliases: { opportunityId: 'recordId', accountId: 'recordId' },
  output: z.object({ host: z.object({ table: z.string(), id: z.string(), name: z.string() }), stakeholders: z.array(StakeholderSchema) }),
  async run(args, ctx) {
    requireStakeholderTables(ctx, args.entityLogicalName);
    const set = HOSTS[args.entityLogicalName];
    const nameCol = 'name';
    const [host, page] = await Promise.all([
      orNotFound(args.entityLogicalName, args.recordId, () => ctx.dataverse.get(set, args.recordId, { select: [args.entityLogicalName === 'opportunity' ? 'opportunityid' : 'accountid', nameCol] })),
      ctx.dataverse.list('connections', { select: ['connectionid', '_record2id_value', '_record2roleid_value'], filter: and(eq('_record1id_value', guid(args.recordId)), eq('statecode', 0)), top: 100 }),
    ]);
    const links = page.rows.map((r) => ({ connectionId: str(r, 'connectionid') ?? '', other: lookup(r, 'record2id'), role: lookup(r, 'record2roleid')?.name })).filter((l) => l.other && (l.other.table === 'contact' || l.other.table === ''));
    const contacts = links.length
      ? (await ctx.dataverse.list('contacts', { select: ['contactid', 'fullname', 'emailaddress1', 'jobtitle'], filter: inList('contactid', links.map((l) => guid(l.other!.id))), top: 100 })).rows
      : [];
    const byId = new Map(contacts.map((c) => [str(c, 'contactid') ?? '', c]));
    const stakeholders = links.flatMap((l) => {
      const c = byId.get(l.other!.id);
      if (!c) return [];
      const email = str(c, 'emailaddress1');
      const jobTitle = str(c, 'jobtitle');
      return [{ connectionId: l.connectionId, contactId: l.other!.id, name: str(c, 'fullname') ?? l.other!.name, ...(l.role && { role: l.role }), ...(email && { email }), ...(jobTitle && { jobTitle }) }];
    });
    const name = str(host, nameCol) ?? '';
    return {
      data: { host: { table: args.entityLogicalName, id: args.recordId, name }, stakeholders },
      text: stakeholders.length ? `Stakeholders of ${name}: ${stakeholders.map((s) => `${s.name}${s.role ? ` (${s.role})` : ''}`).join('; ')}.` : `${name} has no stakeholders yet; add one with update_stakeholder.`,
      records: [{ table: args.entityLogicalName, id: args.recordId, name }, ...stakeholders.map((s) => ({ table: 'contact', id: s.contactId, name: s.name }))],
    };
  },
});
