import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { guidArg, orNotFound, previewText } from '../shared.js';
import { activeCase, CASE_COLUMNS, CaseSchema, caseLine, RESOLVED_STATUS, toCase } from './caseFields.js';

export const closeCase = defineTool({
  name: 'D365_CustomerService_CloseCase',
  kind: 'write',
  // Resolving ends the case's working life: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Close case',
  description: 'Resolves an active case with a resolution (records a case resolution, as Dynamics does). Always asks the user to confirm first.',
  input: z.object({
    caseId: guidArg('The case to resolve.'),
    resolution: z.string().trim().min(1).max(500).describe('How the case was resolved (the resolution subject).'),
    details: z.string().trim().max(10_000).optional().describe('Longer resolution description.'),
    statusReason: z.enum(['problem_solved', 'information_provided']).default('problem_solved'),
  }),
  output: z.object({ case: CaseSchema, resolution: z.string() }),
  auditTarget: (args) => `incident:${args.caseId}`,
  async prepare(args, ctx) {
    const [row, caseKey] = await Promise.all([
      orNotFound('case', args.caseId, () => ctx.dataverse.get('incidents', args.caseId, { select: CASE_COLUMNS })),
      ctx.metadata.bindKey('incidentresolution', 'incidentid', 'incident'),
      // CloseIncident: the resolution is an activity appended to the case, and the case is written.
      ctx.privileges.require({ table: 'incident', ops: ['Write', 'AppendTo'] }, { table: 'incidentresolution', ops: ['Create', 'Read', 'Write', 'Append'] }),
    ]);
    const c = activeCase(row, 'resolved');
    return {
      preview: {
        summary: `Resolve case ${c.ticketNumber} "${c.title}" as ${args.statusReason.replace(/_/g, ' ')}.`,
        details: { customer: c.customer?.name ?? '', resolution: args.resolution, ...(args.details && { details: previewText(args.details) }) },
      },
      async run() {
        await ctx.dataverse.action('CloseIncident', {
          IncidentResolution: {
            '@odata.type': 'Microsoft.Dynamics.CRM.incidentresolution',
            subject: args.resolution,
            ...(args.details && { description: args.details }),
            [caseKey]: bind('incidents', args.caseId),
          },
          Status: RESOLVED_STATUS[args.statusReason],
        });
        // Read back for the state and status labels in the user's own language.
        const after = toCase(await ctx.dataverse.get('incidents', args.caseId, { select: CASE_COLUMNS }));
        return { data: { case: after, resolution: args.resolution }, text: `Resolved ${caseLine(after)}: ${args.resolution}.`, target: `incident:${args.caseId}`, records: [{ table: 'incident', id: args.caseId, name: after.title }] };
      },
    };
  },
});
