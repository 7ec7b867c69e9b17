import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, bind, eq, guid } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { createConfirmed, guidArg, lookup, orNotFound, str } from '../shared.js';
import { HOSTS, hostArg, requireStakeholderTables } from './stakeholderData.js';

/**
 * `update_stakeholder` (update_stakeholder reference: `recordId`, `contactId`,
 * `entityLogicalName`, `role`): adds a contact as a stakeholder of an opportunity or account (a
 * connection), or changes the role of an existing one. A role name is resolved to an active
 * connection role; one that does not resolve is reported and the connection is kept without it,
 * as the reference describes.
 */
export const updateStakeholder = defineTool({
  name: 'update_stakeholder',
  kind: 'write',
  title: 'Add or update stakeholder',
  description: 'Adds a contact as a stakeholder of an opportunity or account, or changes their role (e.g. Decision Maker, Influencer, Technical Buyer). Asks the user to confirm first.',
  input: z.object({
    recordId: guidArg('The opportunity or account (its GUID).'),
    contactId: guidArg('The contact (its GUID).'),
    entityLogicalName: hostArg,
    role: z.string().trim().min(1).max(100).optional().describe('Connection role name, e.g. "Decision Maker" or "Stakeholder".'),
  }),
  aliases: { opportunityId: 'recordId', accountId: 'recordId', roleName: 'role' },
  output: z.object({ connectionId: z.string(), created: z.boolean(), role: z.string().optional(), notes: z.array(z.string()) }),
  auditTarget: (args) => `${args.entityLogicalName}:${args.recordId}`,
  async prepare(args, ctx) {
    requireStakeholderTables(ctx, args.entityLogicalName);
    const set = HOSTS[args.entityLogicalName];
    const [host, contact, existing, roles, hostKey, contactKey] = await Promise.all([
      orNotFound(args.entityLogicalName, args.recordId, () => ctx.dataverse.get(set, args.recordId, { select: ['name'] })),
      orNotFound('contact', args.contactId, () => ctx.dataverse.get('contacts', args.contactId, { select: ['contactid', 'fullname'] })),
      ctx.dataverse.list('connections', { select: ['connectionid', '_record2roleid_value'], filter: and(eq('_record1id_value', guid(args.recordId)), eq('_record2id_value', guid(args.contactId)), eq('statecode', 0)), top: 1 }),
      args.role ? ctx.dataverse.list('connectionroles', { select: ['connectionroleid', 'name'], filter: and(eq('name', args.role), eq('statecode', 0)), top: 2 }) : undefined,
      ctx.metadata.bindKey('connection', 'record1id', args.entityLogicalName),
      ctx.metadata.bindKey('connection', 'record2id', 'contact'),
      ctx.privileges.require({ table: 'connection', ops: ['Create', 'Write', 'Append'] }, { table: args.entityLogicalName, ops: ['AppendTo'] }, { table: 'contact', ops: ['AppendTo'] }, { table: 'connectionrole', ops: ['AppendTo'] }),
    ]);
    const current: Row | undefined = existing.rows[0];
    const role = roles?.rows[0];
    const notes = args.role && !role ? [`No active connection role is named "${args.role}"; the stakeholder is kept without a role.`] : [];
    const hostName = str(host, 'name') ?? args.recordId;
    const contactName = str(contact, 'fullname') ?? args.contactId;
    const roleName = role ? (str(role, 'name') ?? args.role) : undefined;
    const currentRole = current ? lookup(current, 'record2roleid')?.name : undefined;
    if (current && !role) throw new ToolError(`${contactName} is already a stakeholder of ${hostName}${currentRole ? ` (${currentRole})` : ''}.${notes.length ? ` ${notes[0]}` : ' Give a role to change it.'}`, 'conflict');
    return {
      preview: {
        summary: current ? `Change ${contactName}'s role on ${hostName}${currentRole ? ` from ${currentRole}` : ''} to ${roleName ?? '(no role)'}.` : `Add ${contactName} as a stakeholder of ${hostName}${roleName ? ` (${roleName})` : ''}.`,
        details: { host: `${args.entityLogicalName} ${hostName}`, contact: contactName, role: roleName ?? '(none)', ...(notes.length && { note: notes[0]! }) },
      },
      async run() {
        const roleBind = role ? { 'record2roleid@odata.bind': bind('connectionroles', str(role, 'connectionroleid')!) } : {};
        if (current) {
          const id = str(current, 'connectionid')!;
          await ctx.dataverse.update('connections', id, roleBind);
          return { data: { connectionId: id, created: false, ...(roleName && { role: roleName }), notes }, text: `${contactName} is now ${roleName ?? 'a stakeholder'} on ${hostName}.${notes.length ? ` ${notes[0]}` : ''}`, target: `connection:${id}`, records: [{ table: 'contact', id: args.contactId, name: contactName }] };
        }
        const { id } = await createConfirmed(ctx, { table: 'connection', entitySet: 'connections', primaryId: 'connectionid' }, { [hostKey]: bind(set, args.recordId), [contactKey]: bind('contacts', args.contactId), ...roleBind });
        return { data: { connectionId: id, created: true, ...(roleName && { role: roleName }), notes }, text: `Added ${contactName} as ${roleName ?? 'a stakeholder'} on ${hostName}.${notes.length ? ` ${notes[0]}` : ''}`, target: `connection:${id}`, records: [{ table: 'contact', id: args.contactId, name: contactName }, { table: args.entityLogicalName, id: args.recordId, name: hostName }] };
      },
    };
  },
});
