import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { recordLabel } from '../dataverse/recordData.js';
import { guidArg, lookup, orNotFound, str } from '../shared.js';
import { entityArg, RECORD_ALIASES, recordIdArg, recordTable, TABLE_HEADER } from './recordsData.js';

/**
 * `assign_entity` (assign_entity reference): gives a record a new owner, a user or a team. Changing
 * `ownerid` is the Assign message ("Assign: PATCH /<set>(<id>), update the ownerid property", the
 * Messages table of each table reference, e.g.
 * https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/connection) and
 * needs the table's Assign privilege besides Write; both are checked before the user is asked.
 */
export const assignEntity = defineTool({
  name: 'assign_entity',
  kind: 'write',
  idempotent: true,
  title: 'Assign record',
  description: 'Assigns a record (lead, opportunity, account, contact, case, activity, …) to another user or team. Shows the current and the new owner and asks the user to confirm first.',
  input: z.object({
    entityLogicalName: entityArg,
    recordId: recordIdArg('The record to assign.'),
    ownerId: guidArg('The new owner: a user (systemuserid) or, with ownerType team, a team.'),
    ownerType: z.enum(['systemuser', 'team']).default('systemuser').describe('systemuser (default) or team.'),
  }),
  aliases: { ...RECORD_ALIASES, assigneeId: 'ownerId', userId: 'ownerId' },
  headers: TABLE_HEADER,
  output: z.object({ table: z.string(), recordId: z.string(), owner: z.object({ id: z.string(), name: z.string(), table: z.string() }) }),
  auditTarget: (args) => `${args.entityLogicalName}:${args.recordId}`,
  async prepare(args, ctx) {
    const info = await recordTable(ctx, args.entityLogicalName);
    if (info.attributes.get('ownerid')?.type !== 'Owner') throw new ToolError(`${info.displayName || info.logicalName} records have no owner (the table is organisation-owned).`, 'invalid_argument');
    const ownerSet = args.ownerType === 'team' ? 'teams' : 'systemusers';
    const [row, owner, privileges] = await Promise.all([
      orNotFound(info.logicalName, args.recordId, () => ctx.dataverse.get(info.entitySetName, args.recordId, { select: [info.primaryId, ...(info.primaryName ? [info.primaryName] : []), '_ownerid_value'] })),
      orNotFound(args.ownerType === 'team' ? 'team' : 'user', args.ownerId, () => ctx.dataverse.get(ownerSet, args.ownerId, { select: args.ownerType === 'team' ? ['teamid', 'name'] : ['systemuserid', 'fullname', 'isdisabled'] })),
      ctx.metadata.privileges(info.logicalName),
    ]);
    const assign = privileges.get('Assign');
    await Promise.all([ctx.privileges.require({ table: info.logicalName, ops: ['Write'] }), assign ? ctx.privileges.requireNamed(assign) : undefined]);
    if (owner['isdisabled'] === true) throw new ToolError('That user is disabled and cannot own records.', 'conflict');
    const newName = str(owner, args.ownerType === 'team' ? 'name' : 'fullname') ?? args.ownerId;
    const current = lookup(row, 'ownerid');
    if (current?.id === args.ownerId.toLowerCase()) throw new ToolError(`${recordLabel(info, row, args.recordId)} is already owned by ${newName}.`, 'conflict');
    return {
      preview: { summary: `Assign ${recordLabel(info, row, args.recordId)} to ${newName}.`, details: { from: current?.name || current?.id || '(none)', to: newName } },
      async run() {
        await orNotFound(info.logicalName, args.recordId, () => ctx.dataverse.update(info.entitySetName, args.recordId, { 'ownerid@odata.bind': bind(ownerSet, args.ownerId) }));
        return {
          data: { table: info.logicalName, recordId: args.recordId, owner: { id: args.ownerId, name: newName, table: args.ownerType } },
          text: `Assigned ${recordLabel(info, row, args.recordId)} to ${newName}.`,
          target: `${info.logicalName}:${args.recordId}`,
          records: [{ table: info.logicalName, id: args.recordId }],
        };
      },
    };
  },
});
