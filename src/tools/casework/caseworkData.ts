import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, guid, ne } from '../../dataverse/odata.js';
import { DataverseError, describeDataverseError } from '../../dataverse/errors.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { guidArg, label, lookup, num, orNotFound, str } from '../shared.js';
import { CASE_COLUMNS, CASE_STATE, CaseSchema, type CaseView, toCase } from '../service/caseFields.js';

/**
 * Queues, SLA KPIs and the cases in them. Values as Dataverse stores them: slakpiinstance.status
 * 0 In Progress, 1 Noncompliant, 2 Nearing Noncompliance, 3 Paused, 4 Succeeded, 5 Canceled
 * (slakpiinstance table reference); queue items are active while statecode is 0 (queueitem reference).
 */
export const SLA_STATUS = { in_progress: 0, noncompliant: 1, nearing_noncompliance: 2, paused: 3, succeeded: 4, canceled: 5 } as const;
export type SlaStatusName = keyof typeof SLA_STATUS;
const SLA_NAME: Record<number, SlaStatusName> = Object.fromEntries(Object.entries(SLA_STATUS).map(([k, v]) => [v, k as SlaStatusName]));

export const incidentIdArg = guidArg('The case (incidentid).');

const KPI_COLUMNS = ['slakpiinstanceid', 'name', 'status', 'failuretime', 'warningtime', 'succeededon'] as const;
/** The case with both KPIs in one request ($expand of its two lookups). */
export const CASE_WITH_SLA = {
  select: CASE_COLUMNS,
  expand: [
    { nav: 'firstresponsebykpiid', select: KPI_COLUMNS },
    { nav: 'resolvebykpiid', select: KPI_COLUMNS },
  ],
} as const;

export const KpiSchema = z.object({
  kpi: z.enum(['first_response', 'resolve_by']),
  name: z.string(),
  status: z.string().describe('As Dataverse labels it, in your language'),
  state: z.enum(['in_progress', 'noncompliant', 'nearing_noncompliance', 'paused', 'succeeded', 'canceled', 'unknown']),
  failureTime: z.string().optional(),
  warningTime: z.string().optional(),
  succeededOn: z.string().optional(),
  minutesLeft: z.number().optional().describe('Until the failure time (negative: overdue); only while the KPI is running'),
  atRisk: z.boolean().describe('Noncompliant, nearing noncompliance, or running with its warning time passed'),
});
export type Kpi = z.infer<typeof KpiSchema>;

export function toKpi(row: Row, kpi: Kpi['kpi'], now: Date): Kpi {
  const status = num(row, 'status');
  const state = status === undefined ? 'unknown' : (SLA_NAME[status] ?? 'unknown');
  const failure = str(row, 'failuretime');
  const warning = str(row, 'warningtime');
  const running = state === 'in_progress' || state === 'nearing_noncompliance' || state === 'noncompliant';
  const minutesLeft = running && failure ? Math.round((Date.parse(failure) - now.getTime()) / 60_000) : undefined;
  const warned = running && warning !== undefined && Date.parse(warning) <= now.getTime();
  return {
    kpi,
    name: str(row, 'name') ?? kpi,
    status: label(row, 'status') ?? state,
    state,
    ...(failure && { failureTime: failure }),
    ...(warning && { warningTime: warning }),
    ...(str(row, 'succeededon') && { succeededOn: str(row, 'succeededon') }),
    ...(minutesLeft !== undefined && { minutesLeft }),
    atRisk: state === 'noncompliant' || state === 'nearing_noncompliance' || warned || (minutesLeft !== undefined && minutesLeft < 0),
  };
}

export const CaseSlaSchema = CaseSchema.extend({ sla: z.array(KpiSchema) });
export type CaseSla = z.infer<typeof CaseSlaSchema>;

export function toCaseSla(row: Row, now: Date): CaseSla {
  const sla: Kpi[] = [];
  const first = row['firstresponsebykpiid'];
  const resolve = row['resolvebykpiid'];
  if (first && typeof first === 'object') sla.push(toKpi(first as Row, 'first_response', now));
  if (resolve && typeof resolve === 'object') sla.push(toKpi(resolve as Row, 'resolve_by', now));
  return { ...toCase(row), sla };
}

export function slaLine(k: Kpi): string {
  const left = k.minutesLeft === undefined ? '' : k.minutesLeft >= 0 ? `, ${duration(k.minutesLeft)} left` : `, ${duration(-k.minutesLeft)} overdue`;
  return `${k.name}: ${k.status}${left}${k.failureTime && k.minutesLeft !== undefined ? ` (due ${k.failureTime})` : ''}`;
}

export function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`;
  return `${Math.round(minutes / 1440)} days`;
}

/** Reads a case with its SLA; the KPIs need prvReadSLAKPIInstance, checked first so the refusal says what is missing. */
export async function loadCaseSla(ctx: ToolContext, incidentId: string): Promise<{ row: Row; view: CaseSla }> {
  await ctx.privileges.require({ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] });
  const row = await orNotFound('case', incidentId, () => ctx.dataverse.get('incidents', incidentId, CASE_WITH_SLA));
  return { row, view: toCaseSla(row, ctx.now()) };
}

// ---- queues --------------------------------------------------------------------------------------

export const QueueSchema = z.object({ queueId: z.string(), name: z.string() });
export const QueueItemSchema = z.object({
  queueItemId: z.string(),
  queue: QueueSchema,
  enteredOn: z.string(),
  workedBy: z.string().optional().describe('Who works on it; absent while it waits to be picked'),
});

export const queueArgs = {
  queueId: guidArg('Pick only from this queue.').optional(),
  queue: z.string().trim().min(1).max(200).optional().describe('Pick only from the queue with this name (e.g. "Tier 1 Support"); default: any queue you can read.'),
};

/** A queue by id or exact name (names are not unique keys: two matches are refused). */
export async function resolveQueue(ctx: ToolContext, args: { queueId?: string | undefined; queue?: string | undefined }): Promise<{ queueId: string; name: string } | undefined> {
  if (args.queueId) {
    const queueId = args.queueId;
    const row = await orNotFound('queue', queueId, () => ctx.dataverse.get('queues', queueId, { select: ['queueid', 'name', 'statecode'] }));
    if (row['statecode'] !== 0) throw new ToolError(`Queue "${str(row, 'name') ?? args.queueId}" is inactive.`, 'conflict');
    return { queueId: args.queueId, name: str(row, 'name') ?? args.queueId };
  }
  if (!args.queue) return undefined;
  const page = await ctx.dataverse.list('queues', { select: ['queueid', 'name'], filter: and(eq('name', args.queue), eq('statecode', 0)), top: 2 }, { maxRows: 2 });
  if (page.rows.length === 0) throw new ToolError(`No active queue named "${args.queue}" that you can read. Give queueId, or leave the queue out to pick from any queue.`, 'not_found');
  if (page.rows.length > 1) throw new ToolError(`Two or more queues are named "${args.queue}": give queueId instead.`, 'invalid_argument');
  return { queueId: str(page.rows[0]!, 'queueid') ?? '', name: str(page.rows[0]!, 'name') ?? args.queue };
}

export interface NextItem {
  queueItemId: string;
  queue: { queueId: string; name: string };
  enteredOn: string;
  case: CaseView;
}

/**
 * The oldest waiting case: an active queue item nobody works on whose case is active, first in,
 * first out. One request (the case and the queue expanded).
 */
export async function nextWaitingCase(ctx: ToolContext, queueId: string | undefined, except?: string): Promise<NextItem | undefined> {
  const page = await ctx.dataverse.list(
    'queueitems',
    {
      select: ['queueitemid', 'enteredon', '_queueid_value', '_objectid_value'],
      filter: and(eq('statecode', 0), eq('_workerid_value', null), eq('objectid_incident/statecode', CASE_STATE.active), queueId && eq('_queueid_value', guid(queueId)), except && ne('_objectid_value', guid(except))),
      orderby: [{ property: 'enteredon' }, { property: 'queueitemid' }],
      expand: [
        { nav: 'objectid_incident', select: CASE_COLUMNS },
        { nav: 'queueid', select: ['queueid', 'name'] },
      ],
      top: 1,
    },
    { maxRows: 1 },
  );
  const row = page.rows[0];
  if (!row) return undefined;
  const c = row['objectid_incident'];
  const q = row['queueid'];
  if (!c || typeof c !== 'object') return undefined;
  return {
    queueItemId: str(row, 'queueitemid') ?? '',
    queue: { queueId: (q && typeof q === 'object' ? str(q as Row, 'queueid') : undefined) ?? str(row, '_queueid_value') ?? '', name: (q && typeof q === 'object' ? str(q as Row, 'name') : undefined) ?? '' },
    enteredOn: str(row, 'enteredon') ?? '',
    case: toCase(c as Row),
  };
}

export const PICK_PRIVILEGES = [
  { table: 'queueitem', ops: ['Read', 'Write'] },
  { table: 'queue', ops: ['Read'] },
  // Taking the case over changes its owner: prvAssignIncident (incident reference, Messages: Assign).
  { table: 'incident', ops: ['Read', 'Write', 'Assign'] },
] as const;

/**
 * Claims the item for the signed-in user and assigns the case to them. The claim is one conditional
 * write: the item is re-read and its worker set only if the row is unchanged since (If-Match on its
 * ETag), so two agents confirming at once cannot both take it; the one who loses gets a 412 and
 * nothing of theirs is changed. (PickFromQueue sets the worker unconditionally, so it is not used.)
 */
export async function claim(ctx: ToolContext, item: NextItem): Promise<{ assigned: boolean }> {
  const me = await ctx.user();
  const taken = (by: string | undefined) =>
    new ToolError(`Case ${item.case.ticketNumber} was picked by ${by ?? 'someone else'} or left its queue since you were asked; nothing was changed. Call the tool again for the next case.`, 'conflict');
  const current = await ctx.dataverse.get('queueitems', item.queueItemId, { select: ['queueitemid', 'statecode', '_workerid_value'] });
  const worker = lookup(current, 'workerid');
  const mine = worker?.id.toLowerCase() === me.systemUserId.toLowerCase();
  if (current['statecode'] !== 0 || (worker && !mine)) throw taken(worker?.name);
  if (!mine) {
    const etag = current['@odata.etag'];
    if (typeof etag !== 'string') throw new ToolError('The queue item came back without its version (ETag), so it cannot be claimed safely; nothing was changed.', 'failed');
    try {
      await ctx.dataverse.update('queueitems', item.queueItemId, { 'workerid_systemuser@odata.bind': `/systemusers(${me.systemUserId})` }, { ifMatch: etag });
    } catch (err) {
      if (err instanceof DataverseError && err.kind === 'conflict') throw taken(undefined);
      throw err;
    }
  }
  const owner = await ctx.dataverse.get('incidents', item.case.caseId, { select: ['incidentid', '_ownerid_value'] });
  if (str(owner, '_ownerid_value')?.toLowerCase() === me.systemUserId.toLowerCase()) return { assigned: false };
  try {
    await ctx.dataverse.update('incidents', item.case.caseId, { 'ownerid@odata.bind': `/systemusers(${me.systemUserId})` });
  } catch (err) {
    const why = err instanceof DataverseError ? describeDataverseError(err, 'assigning it') : 'assigning it failed unexpectedly';
    throw new ToolError(`You now work case ${item.case.ticketNumber} in its queue, but it could not be assigned to you (${why}). Assign it in Dynamics, or ask its owner.`, 'failed');
  }
  return { assigned: true };
}
