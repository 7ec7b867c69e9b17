import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { atLeastOne, contactName, guidArg, orNotFound, previewText } from '../shared.js';
import { ACTIVE_STATUS, ACTIVE_STATUS_LABEL, activeCase, CASE_COLUMNS, CaseSchema, caseLine, PRIORITY, PRIORITY_LABEL, toCase } from './caseFields.js';

export const updateCase = defineTool({
  name: 'D365_CustomerService_UpdateCase',
  kind: 'write',
  idempotent: true,
  title: 'Update case',
  description:
    'Updates an active case: title, description, priority, status reason (in progress, on hold, waiting for details, researching) or primary contact. To resolve a case use D365_CustomerService_CloseCase.',
  input: z.object({
    caseId: guidArg('The case to update.'),
    title: z.string().trim().min(1).max(200).optional().describe('New case title.'),
    description: z.string().trim().max(10_000).optional().describe('New description (replaces the old one; an empty string clears it).'),
    priority: z.enum(['high', 'normal', 'low']).optional(),
    statusReason: z.enum(['in_progress', 'on_hold', 'waiting_for_details', 'researching']).optional().describe('Status reason of an active case.'),
    primaryContactId: guidArg('Contact to work with on this case.').optional(),
  }),
  output: z.object({ case: CaseSchema }),
  auditTarget: (args) => `incident:${args.caseId}`,
  async prepare(args, ctx) {
    atLeastOne(args, ['title', 'description', 'priority', 'statusReason', 'primaryContactId'], 'title, description, priority, statusReason or primaryContactId');
    const [row, contact, contactKey] = await Promise.all([
      orNotFound('case', args.caseId, () => ctx.dataverse.get('incidents', args.caseId, { select: CASE_COLUMNS })),
      args.primaryContactId ? contactName(ctx, args.primaryContactId) : undefined,
      args.primaryContactId ? ctx.metadata.bindKey('incident', 'primarycontactid', 'contact') : undefined,
      ctx.privileges.require(
        { table: 'incident', ops: args.primaryContactId ? ['Write', 'Append'] : ['Write'] },
        ...(args.primaryContactId ? [{ table: 'contact', ops: ['AppendTo'] as const }] : []),
      ),
    ]);
    const current = activeCase(row, 'updated');
    const details: Record<string, string> = {};
    const body: Record<string, unknown> = {};
    if (args.title !== undefined) {
      details['title'] = `${current.title} → ${args.title}`;
      body['title'] = args.title;
    }
    if (args.description !== undefined) {
      details['description'] = args.description ? previewText(args.description) : '(cleared)';
      body['description'] = args.description;
    }
    if (args.priority !== undefined) {
      details['priority'] = `${current.priority} → ${PRIORITY_LABEL[args.priority]}`;
      body['prioritycode'] = PRIORITY[args.priority];
    }
    if (args.statusReason !== undefined) {
      details['status reason'] = `${current.statusReason} → ${ACTIVE_STATUS_LABEL[args.statusReason]}`;
      body['statuscode'] = ACTIVE_STATUS[args.statusReason];
    }
    if (args.primaryContactId !== undefined && contactKey) {
      details['primary contact'] = `${current.primaryContact?.name ?? '(none)'} → ${contact ?? args.primaryContactId}`;
      body[contactKey] = bind('contacts', args.primaryContactId);
    }
    return {
      preview: { summary: `Update case ${current.ticketNumber} "${current.title}".`, details },
      async run() {
        const updated = toCase((await orNotFound('case', args.caseId, () => ctx.dataverse.update('incidents', args.caseId, body, { select: CASE_COLUMNS }))) ?? {});
        return { data: { case: updated }, text: `Updated ${caseLine(updated)}.`, target: `incident:${args.caseId}`, records: [{ table: 'incident', id: args.caseId, name: updated.title }] };
      },
    };
  },
});
