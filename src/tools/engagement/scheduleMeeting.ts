import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { bind, guid, inList } from '../../dataverse/odata.js';
import type { PrivilegeNeed } from '../../dataverse/privileges.js';
import { defineTool, ToolError } from '../defineTool.js';
import { existingRow, recordLabel } from '../dataverse/recordData.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { dateArg } from '../pipeline/pipelineData.js';
import { createConfirmed, guidArg, previewText, str } from '../shared.js';
import { entityArg, recordTable } from '../records/recordsData.js';

/** Participation types of activity parties (activityparty reference): required attendee, organizer. */
const REQUIRED_ATTENDEE = 5;
const ORGANIZER = 7;
const MAX_ATTENDEES = 50;

/**
 * `schedule_meeting` (schedule_meeting reference): an appointment with its attendees as activity
 * parties (`appointment_activity_parties`: required attendees 5, the organizer 7, the signed-in
 * user), optionally regarding a record. Attendees, the regarding record and the organizer are
 * resolved before the user is asked; the appointment is created Scheduled/Busy, as the form saves it.
 */
export const scheduleMeeting = defineTool({
  name: 'schedule_meeting',
  kind: 'write',
  title: 'Schedule meeting',
  description: 'Schedules a meeting (appointment) with contacts and colleagues, optionally regarding an opportunity, account, contact or lead: subject, start, end or duration, location, agenda. Asks the user to confirm first.',
  input: z.object({
    subject: z.string().trim().min(1).max(200).describe('Title of the meeting.'),
    startTime: dateArg('Start (ISO 8601 date-time with offset, e.g. 2026-12-08T15:00:00Z).'),
    endTime: dateArg('End (ISO 8601); or give durationMinutes.').optional(),
    durationMinutes: z.number().int().min(5).max(1440).optional().describe('Length in minutes when no endTime is given (default 30).'),
    location: z.string().trim().max(200).optional().describe('Where: a room, an address or "Teams meeting".'),
    description: z.string().trim().max(2000).optional().describe('Agenda or notes.'),
    contactIds: z.array(guidArg('A contact')).max(MAX_ATTENDEES).optional().describe('Contacts to invite (required attendees).'),
    userIds: z.array(guidArg('A user')).max(MAX_ATTENDEES).optional().describe('Colleagues to invite (systemuser ids).'),
    regardingEntityLogicalName: entityArg.optional().describe('Table of the record the meeting is about, e.g. "opportunity".'),
    regardingRecordId: guidArg('The record the meeting is about.').optional(),
  }),
  aliases: { title: 'subject', start: 'startTime', scheduledstart: 'startTime', end: 'endTime', scheduledend: 'endTime', entityLogicalName: 'regardingEntityLogicalName', recordId: 'regardingRecordId', attendeeContactIds: 'contactIds', attendeeUserIds: 'userIds' },
  output: z.object({ appointmentId: z.string(), start: z.string(), end: z.string(), attendees: z.array(z.object({ table: z.string(), id: z.string(), name: z.string() })) }),
  auditTarget: () => 'appointment:new',
  async prepare(args, ctx) {
    requireTable(ctx, 'appointment');
    if ((args.regardingEntityLogicalName === undefined) !== (args.regardingRecordId === undefined)) throw new ToolError('Give both regardingEntityLogicalName and regardingRecordId, or neither.', 'invalid_argument');
    if (args.endTime && args.durationMinutes) throw new ToolError('Give endTime or durationMinutes, not both.', 'invalid_argument');
    if (!/T\d{2}:\d{2}/.test(args.startTime)) throw new ToolError('startTime needs a time of day, e.g. 2026-12-08T15:00:00Z.', 'invalid_argument');
    const start = new Date(args.startTime);
    const end = args.endTime ? new Date(args.endTime) : new Date(start.getTime() + (args.durationMinutes ?? 30) * 60_000);
    if (!(end.getTime() > start.getTime())) throw new ToolError('The meeting must end after it starts.', 'invalid_argument');
    if (end.getTime() - start.getTime() > 14 * 86_400_000) throw new ToolError('A meeting cannot last more than 14 days.', 'invalid_argument');
    const contactIds = [...new Set((args.contactIds ?? []).map((i) => i.toLowerCase()))];
    const userIds = [...new Set((args.userIds ?? []).map((i) => i.toLowerCase()))];
    if (contactIds.length) requireTable(ctx, 'contact');
    const needs: PrivilegeNeed[] = [{ table: 'appointment', ops: ['Create', 'Append'] }, ...(contactIds.length ? [{ table: 'contact', ops: ['AppendTo'] as const }] : [])];
    const regardingInfo = args.regardingEntityLogicalName ? await recordTable(ctx, args.regardingEntityLogicalName) : undefined;
    if (regardingInfo) needs.push({ table: regardingInfo.logicalName, ops: ['AppendTo'] });
    const [me, regardingRow, regardingKey, contacts, users, contactKey, userKey] = await Promise.all([
      ctx.user(),
      regardingInfo ? existingRow(ctx, regardingInfo, args.regardingRecordId!) : undefined,
      regardingInfo
        ? ctx.metadata.bindKey('appointment', 'regardingobjectid', regardingInfo.logicalName).catch(() => {
            throw new ToolError(`A meeting cannot be regarding a ${regardingInfo.logicalName} record in this organisation.`, 'invalid_argument');
          })
        : undefined,
      contactIds.length ? ctx.dataverse.list('contacts', { select: ['contactid', 'fullname', 'emailaddress1'], filter: inList('contactid', contactIds.map((i) => guid(i))), top: MAX_ATTENDEES }) : undefined,
      userIds.length ? ctx.dataverse.list('systemusers', { select: ['systemuserid', 'fullname', 'isdisabled'], filter: inList('systemuserid', userIds.map((i) => guid(i))), top: MAX_ATTENDEES }) : undefined,
      contactIds.length ? ctx.metadata.bindKey('activityparty', 'partyid', 'contact') : undefined,
      ctx.metadata.bindKey('activityparty', 'partyid', 'systemuser'),
      ctx.privileges.require(...needs),
    ]);
    const found = (rows: Row[] | undefined, key: string) => new Map((rows ?? []).map((r) => [String(r[key]), r]));
    const contactRows = found(contacts?.rows, 'contactid');
    const userRows = found(users?.rows, 'systemuserid');
    const missing = [...contactIds.filter((i) => !contactRows.has(i)).map((i) => `contact ${i}`), ...userIds.filter((i) => !userRows.has(i)).map((i) => `user ${i}`)];
    if (missing.length) throw new ToolError(`These attendees were not found (or you cannot read them): ${missing.join(', ')}.`, 'not_found');
    const disabled = [...userRows.values()].filter((u) => u['isdisabled'] === true).map((u) => str(u, 'fullname'));
    if (disabled.length) throw new ToolError(`These users are disabled and cannot be invited: ${disabled.join(', ')}.`, 'invalid_argument');
    const attendees = [
      ...contactIds.map((id) => ({ table: 'contact', id, name: str(contactRows.get(id)!, 'fullname') ?? id })),
      ...userIds.map((id) => ({ table: 'systemuser', id, name: str(userRows.get(id)!, 'fullname') ?? id })),
    ];
    const parties = [
      { [userKey]: bind('systemusers', me.systemUserId), participationtypemask: ORGANIZER },
      ...contactIds.map((id) => ({ [contactKey!]: bind('contacts', id), participationtypemask: REQUIRED_ATTENDEE })),
      ...userIds.map((id) => ({ [userKey]: bind('systemusers', id), participationtypemask: REQUIRED_ATTENDEE })),
    ];
    const body: Row = {
      subject: args.subject,
      scheduledstart: start.toISOString(),
      scheduledend: end.toISOString(),
      scheduleddurationminutes: Math.round((end.getTime() - start.getTime()) / 60_000),
      statecode: 3,
      statuscode: 5,
      ...(args.location && { location: args.location }),
      ...(args.description && { description: args.description }),
      ...(regardingInfo && regardingKey && { [regardingKey]: bind(regardingInfo.entitySetName, args.regardingRecordId!) }),
      appointment_activity_parties: parties,
    };
    const about = regardingInfo && regardingRow ? recordLabel(regardingInfo, regardingRow, args.regardingRecordId!) : undefined;
    return {
      preview: {
        summary: `Schedule "${args.subject}" on ${start.toISOString().replace('T', ' ').slice(0, 16)} UTC for ${body['scheduleddurationminutes'] as number} minutes${about ? `, regarding ${about}` : ''}.`,
        details: {
          start: start.toISOString(),
          end: end.toISOString(),
          organizer: me.fullName ?? me.systemUserId,
          attendees: attendees.map((a) => a.name).join(', ') || '(none)',
          ...(args.location && { location: args.location }),
          ...(args.description && { agenda: previewText(args.description) }),
        },
      },
      async run() {
        const { id } = await createConfirmed(ctx, { table: 'appointment', entitySet: 'appointments', primaryId: 'activityid' }, body);
        return {
          data: { appointmentId: id, start: start.toISOString(), end: end.toISOString(), attendees },
          text: `Scheduled "${args.subject}" (${id}) on ${start.toISOString()} with ${attendees.length} attendee(s).`,
          target: `appointment:${id}`,
          records: [{ table: 'appointment', id, name: args.subject }, ...attendees.map((a) => ({ table: a.table, id: a.id, name: a.name }))],
        };
      },
    };
  },
});
