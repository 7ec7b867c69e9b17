import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { caseLine } from '../service/caseFields.js';
import { CaseSlaSchema, incidentIdArg, loadCaseSla, slaLine } from './caseworkData.js';

/** `get_case_sla_status` (MCP tool reference): the case's first-response and resolve-by KPIs, with the time left. One request. */
export const getCaseSlaStatus = defineTool({
  name: 'get_case_sla_status',
  kind: 'read',
  title: 'Get case SLA status',
  description: "Shows a case's SLA: its first-response and resolve-by KPIs, their status (in progress, nearing noncompliance, noncompliant, succeeded…), due times and the time left or overdue.",
  input: z.object({ incidentId: incidentIdArg }),
  output: z.object({ case: CaseSlaSchema, atRisk: z.boolean() }),
  async run(args, ctx) {
    const { view } = await loadCaseSla(ctx, args.incidentId);
    const atRisk = view.sla.some((k) => k.atRisk);
    const lines = view.sla.length ? view.sla.map((k) => `- ${slaLine(k)}`) : ['- No SLA applies to this case.'];
    return {
      data: { case: view, atRisk },
      text: [`${caseLine(view)}${atRisk ? ' — SLA AT RISK' : ''}`, ...lines].join('\n'),
      records: [{ table: 'incident', id: view.caseId, name: view.title }],
    };
  },
});
