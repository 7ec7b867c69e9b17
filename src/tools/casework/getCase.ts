import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { eq } from '../../dataverse/odata.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { clip, label, lookup, orNotFound, rowsOf, str } from '../shared.js';
import { CASE_COLUMNS, caseLine } from '../service/caseFields.js';
import { CASE_WITH_SLA, type CaseSla, CaseSlaSchema, incidentIdArg, slaLine, toCaseSla } from './caseworkData.js';

const RECENT = 5;

/**
 * `get_case` (MCP tool reference): one case with what an agent looks at first: its SLA, the queue it
 * waits in and who works it, the latest notes and emails. One request: every part is an $expand of
 * the case.
 */
export const getCase = defineTool({
  name: 'get_case',
  kind: 'read',
  title: 'Get case',
  description: 'Gets one case with its SLA KPIs, the queue it is in and who works on it, and its latest notes and emails (newest first).',
  input: z.object({ incidentId: incidentIdArg }),
  output: z.object({
    case: CaseSlaSchema,
    queue: z.object({ name: z.string(), workedBy: z.string().optional(), enteredOn: z.string() }).optional().describe('The active queue item of the case, if it is in a queue'),
    notes: z.array(z.object({ subject: z.string(), text: z.string(), createdOn: z.string() })),
    emails: z.array(z.object({ emailId: z.string(), subject: z.string(), direction: z.enum(['incoming', 'outgoing']), state: z.string(), isDraft: z.boolean(), createdOn: z.string() })),
  }),
  async run(args, ctx) {
    const { view, queue, notes, emails } = await loadCaseDetail(ctx, args.incidentId);
    const text = [
      caseLine(view),
      ...view.sla.map((k) => `SLA — ${slaLine(k)}`),
      queue ? `Queue: ${queue.name}${queue.workedBy ? `, worked by ${queue.workedBy}` : ', waiting to be picked'} (since ${queue.enteredOn})` : 'Not in a queue.',
      `Notes (${notes.length}): ${notes.map((n) => `${n.createdOn.slice(0, 10)} ${n.subject}`).join('; ') || 'none'}`,
      `Emails (${emails.length}): ${emails.map((e) => `${e.createdOn.slice(0, 10)} ${e.direction} "${e.subject}" (${e.state}, emailId ${e.emailId})`).join('; ') || 'none'}`,
    ].join('\n');
    return { data: { case: view, ...(queue && { queue }), notes, emails }, text, records: [{ table: 'incident', id: view.caseId, name: view.title }] };
  },
});

export interface CaseDetail {
  row: Row;
  view: CaseSla;
  queue: { name: string; workedBy?: string; enteredOn: string } | undefined;
  notes: Array<{ subject: string; text: string; createdOn: string }>;
  emails: Array<{ emailId: string; subject: string; direction: 'incoming' | 'outgoing'; state: string; isDraft: boolean; createdOn: string }>;
}

/** The case with its SLA, active queue item, latest notes and emails: one request, every part an $expand. */
export async function loadCaseDetail(ctx: ToolContext, incidentId: string): Promise<CaseDetail> {
  await ctx.privileges.require({ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }, { table: 'queueitem', ops: ['Read'] });
  const row = await orNotFound('case', incidentId, () =>
    ctx.dataverse.get('incidents', incidentId, {
    select: CASE_COLUMNS,
    expand: [
      ...CASE_WITH_SLA.expand,
      { nav: 'Incident_QueueItem', select: ['queueitemid', 'enteredon', '_queueid_value', '_workerid_value'], filter: eq('statecode', 0), top: 1 },
      { nav: 'Incident_Annotation', select: ['subject', 'notetext', 'createdon'], orderby: [{ property: 'createdon', descending: true }], top: RECENT },
      { nav: 'Incident_Emails', select: ['activityid', 'subject', 'directioncode', 'statecode', 'createdon'], orderby: [{ property: 'createdon', descending: true }], top: RECENT },
    ],
    }),
  );
  const view = toCaseSla(row, ctx.now());
  const item = rowsOf(row, 'Incident_QueueItem')[0];
  const worker = item && lookup(item, 'workerid');
  const queue = item && { name: lookup(item, 'queueid')?.name ?? '', ...(worker && { workedBy: worker.name }), enteredOn: str(item, 'enteredon') ?? '' };
  const notes = rowsOf(row, 'Incident_Annotation').map((n) => ({ subject: str(n, 'subject') ?? '', text: clip(str(n, 'notetext'), 500) ?? '', createdOn: str(n, 'createdon') ?? '' }));
  const emails = rowsOf(row, 'Incident_Emails').map((e) => ({
    emailId: str(e, 'activityid') ?? '',
    subject: str(e, 'subject') ?? '',
    direction: e['directioncode'] === true ? ('outgoing' as const) : ('incoming' as const),
    state: label(e, 'statecode') ?? '',
    isDraft: e['statecode'] === 0,
    createdOn: str(e, 'createdon') ?? '',
  }));
  return { row, view, queue, notes, emails };
}
