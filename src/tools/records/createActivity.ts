import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { existingRow, recordLabel } from '../dataverse/recordData.js';
import { requireTable } from '../dataverse/tableAccess.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import { dateArg } from '../pipeline/pipelineData.js';
import { createConfirmed, previewText } from '../shared.js';
import { entityArg, recordIdArg, recordTable } from './recordsData.js';

const TYPES = { task: { set: 'tasks', label: 'task' }, phonecall: { set: 'phonecalls', label: 'phone call' } } as const;
const PRIORITY = { low: 0, normal: 1, high: 2 } as const;

/**
 * `create_activity` (create_activity reference): a task or a phone call, optionally regarding a
 * record (its `regardingobjectid_<table>_<activity>` navigation comes from the org's metadata).
 * Meetings are schedule_meeting; e-mail goes through the e-mail tools, which confirm the send.
 */
export const createActivity = defineTool({
  name: 'create_activity',
  kind: 'write',
  title: 'Create activity',
  description: 'Logs a task or a phone call, optionally regarding a record (account, contact, lead, opportunity, case), with a due date and priority. Asks the user to confirm first. For meetings use schedule_meeting.',
  input: z.object({
    activityType: z.enum(['task', 'phonecall']).describe('task or phonecall.'),
    subject: z.string().trim().min(1).max(200).describe('Subject of the activity.'),
    description: z.string().trim().max(2000).optional().describe('Details.'),
    regardingEntityLogicalName: entityArg.optional().describe('Table of the record the activity is about, e.g. "opportunity".'),
    regardingRecordId: recordIdArg('The record the activity is about.').optional(),
    dueDate: dateArg('When it is due (ISO 8601).').optional(),
    priority: z.enum(['low', 'normal', 'high']).default('normal').describe('low, normal (default) or high.'),
    phoneNumber: z.string().trim().max(50).optional().describe('Phone calls: the number called.'),
    direction: z.enum(['outgoing', 'incoming']).default('outgoing').describe('Phone calls: outgoing (default) or incoming.'),
  }),
  aliases: { type: 'activityType', entityLogicalName: 'regardingEntityLogicalName', recordId: 'regardingRecordId', regardingId: 'regardingRecordId', scheduledend: 'dueDate' },
  output: z.object({ activityId: z.string(), activityType: z.string(), regarding: z.object({ table: z.string(), id: z.string() }).optional() }),
  auditTarget: (args) => `${args.activityType}:new`,
  async prepare(args, ctx) {
    if ((args.regardingEntityLogicalName === undefined) !== (args.regardingRecordId === undefined)) {
      throw new ToolError('Give both regardingEntityLogicalName and regardingRecordId, or neither.', 'invalid_argument');
    }
    if (args.activityType !== 'phonecall' && args.phoneNumber) throw new ToolError('phoneNumber is for phone calls only.', 'invalid_argument');
    requireTable(ctx, args.activityType);
    const type = TYPES[args.activityType];
    const needs: PrivilegeNeed[] = [{ table: args.activityType, ops: args.regardingEntityLogicalName ? ['Create', 'Append'] : ['Create'] }];
    let regarding: { info: Awaited<ReturnType<typeof recordTable>>; row: Row; key: string } | undefined;
    if (args.regardingEntityLogicalName && args.regardingRecordId) {
      const info = await recordTable(ctx, args.regardingEntityLogicalName);
      needs.push({ table: info.logicalName, ops: ['AppendTo'] });
      const [row, key] = await Promise.all([
        existingRow(ctx, info, args.regardingRecordId),
        ctx.metadata.bindKey(args.activityType, 'regardingobjectid', info.logicalName).catch(() => {
          throw new ToolError(`A ${type.label} cannot be regarding a ${info.logicalName} record in this organisation.`, 'invalid_argument');
        }),
        ctx.privileges.require(...needs),
      ]);
      regarding = { info, row, key };
    } else {
      await ctx.privileges.require(...needs);
    }
    const body: Row = {
      subject: args.subject,
      prioritycode: PRIORITY[args.priority],
      ...(args.description && { description: args.description }),
      ...(args.dueDate && { scheduledend: args.dueDate }),
      ...(args.activityType === 'phonecall' && { directioncode: args.direction === 'outgoing', ...(args.phoneNumber && { phonenumber: args.phoneNumber }) }),
      ...(regarding && { [regarding.key]: bind(regarding.info.entitySetName, args.regardingRecordId!) }),
    };
    const about = regarding ? recordLabel(regarding.info, regarding.row, args.regardingRecordId!) : undefined;
    return {
      preview: {
        summary: `Create a ${type.label} "${args.subject}"${about ? ` regarding ${about}` : ''}.`,
        details: {
          priority: args.priority,
          ...(args.dueDate && { due: args.dueDate }),
          ...(args.description && { description: previewText(args.description) }),
          ...(args.activityType === 'phonecall' && { direction: args.direction, ...(args.phoneNumber && { phoneNumber: args.phoneNumber }) }),
        },
      },
      async run() {
        const { id } = await createConfirmed(ctx, { table: args.activityType, entitySet: type.set, primaryId: 'activityid' }, body);
        return {
          data: { activityId: id, activityType: args.activityType, ...(regarding && { regarding: { table: regarding.info.logicalName, id: args.regardingRecordId! } }) },
          text: `Created ${type.label} "${args.subject}" (${id})${about ? ` regarding ${about}` : ''}.`,
          target: `${args.activityType}:${id}`,
          records: [{ table: args.activityType, id, name: args.subject }],
        };
      },
    };
  },
});
