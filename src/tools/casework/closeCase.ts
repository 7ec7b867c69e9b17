import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { orNotFound, previewText } from '../shared.js';
import { activeCase, CASE_COLUMNS, CaseSchema, caseLine, RESOLVED_STATUS, toCase } from '../service/caseFields.js';
import { incidentIdArg } from './caseworkData.js';

/** incident statecode 2 Cancelled, statuscode 6 Cancelled (incident table reference). */
const CANCELLED = { statecode: 2, statuscode: 6 } as const;

/**
 * `close_case` (MCP tool reference): ends an active case, resolved (CloseIncident with a case
 * resolution, as Dynamics does) or cancelled (its state set to Cancelled). Its inputs are not the
 * classic close tool's (which only resolves), so it is a tool of its own rather than a second name.
 */
export const closeCase = defineTool({
  name: 'close_case',
  kind: 'write',
  alwaysConfirm: true,
  title: 'Close case',
  description: 'Closes an active case: resolved (with a resolution, as problem solved or information provided) or cancelled (e.g. a duplicate or a withdrawn request). Always asks the user to confirm first.',
  input: z.object({
    incidentId: incidentIdArg,
    closeAs: z.enum(['resolved', 'cancelled']).default('resolved'),
    resolution: z.string().trim().min(1).max(500).optional().describe('How it was resolved (required to resolve; the resolution subject).'),
    statusReason: z.enum(['problem_solved', 'information_provided']).default('problem_solved').describe('For a resolved case.'),
  }),
  output: z.object({ case: CaseSchema }),
  auditTarget: (args) => `incident:${args.incidentId}`,
  async prepare(args, ctx) {
    if (args.closeAs === 'resolved' && !args.resolution) throw new ToolError('resolution: say how the case was resolved (or closeAs "cancelled").', 'invalid_argument');
    const [row, caseKey] = await Promise.all([
      orNotFound('case', args.incidentId, () => ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS })),
      ctx.metadata.bindKey('incidentresolution', 'incidentid', 'incident'),
      args.closeAs === 'resolved'
        ? ctx.privileges.require({ table: 'incident', ops: ['Write', 'AppendTo'] }, { table: 'incidentresolution', ops: ['Create', 'Read', 'Write', 'Append'] })
        : ctx.privileges.require({ table: 'incident', ops: ['Write'] }),
    ]);
    const c = activeCase(row, args.closeAs);
    return {
      preview: {
        summary: args.closeAs === 'resolved' ? `Resolve case ${c.ticketNumber} "${c.title}" as ${args.statusReason.replace(/_/g, ' ')}.` : `Cancel case ${c.ticketNumber} "${c.title}".`,
        details: { case: caseLine(c), ...(args.resolution && { resolution: previewText(args.resolution) }) },
      },
      async run() {
        if (args.closeAs === 'resolved') {
          await ctx.dataverse.action('CloseIncident', {
            IncidentResolution: { '@odata.type': 'Microsoft.Dynamics.CRM.incidentresolution', subject: args.resolution, [caseKey]: bind('incidents', args.incidentId) },
            Status: RESOLVED_STATUS[args.statusReason],
          });
        } else {
          await ctx.dataverse.update('incidents', args.incidentId, { ...CANCELLED });
        }
        const after = toCase(await ctx.dataverse.get('incidents', args.incidentId, { select: CASE_COLUMNS }));
        return { data: { case: after }, text: `${args.closeAs === 'resolved' ? 'Resolved' : 'Cancelled'} ${caseLine(after)}.`, target: `incident:${args.incidentId}`, records: [{ table: 'incident', id: args.incidentId, name: after.title }] };
      },
    };
  },
});
