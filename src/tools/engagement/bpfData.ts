import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, guid } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { DataverseError } from '../../dataverse/errors.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { label, lookup, num, str } from '../shared.js';

/**
 * The two out-of-the-box sales flows. The Lead to Opportunity Sales Process: one instance per lead
 * (`bpf_leadid`), joined by the opportunity it is qualified into (`bpf_opportunityid`). The
 * Opportunity Sales Process: one instance per opportunity created without a lead. An instance's
 * `activestageid` is one of its process's `processstage` rows and `traversedpath` lists the stage
 * ids walked through ("Work with business process flows using code",
 * https://learn.microsoft.com/power-automate/developer/business-process-flows-code).
 */
export interface Flow {
  table: string;
  set: string;
  columns: readonly string[];
}

const COMMON_COLUMNS = ['businessprocessflowinstanceid', 'name', '_activestageid_value', 'activestagestartedon', 'traversedpath', '_processid_value', '_bpf_opportunityid_value', 'statecode', 'statuscode'];
export const LEAD_FLOW: Flow = { table: 'leadtoopportunitysalesprocess', set: 'leadtoopportunitysalesprocesses', columns: [...COMMON_COLUMNS, '_bpf_leadid_value'] };
export const OPPORTUNITY_FLOW: Flow = { table: 'opportunitysalesprocess', set: 'opportunitysalesprocesses', columns: COMMON_COLUMNS };

/** A flow instance and the flow table it lives in. */
export interface FlowInstance {
  row: Row;
  flow: Flow;
}

export const StageSchema = z.object({
  stageId: z.string(),
  name: z.string(),
  category: z.string().describe('Qualify, Develop, Propose, Close, …'),
  entityLogicalName: z.string().describe('The table the stage belongs to: lead or opportunity'),
  traversed: z.boolean(),
  active: z.boolean(),
});

export const BpfSchema = z.object({
  bpfInstanceId: z.string(),
  processName: z.string(),
  processTable: z.string().describe('The flow\'s instance table: leadtoopportunitysalesprocess or opportunitysalesprocess'),
  status: z.string(),
  activeStage: StageSchema.optional(),
  activeStageStartedOn: z.string().optional(),
  leadId: z.string().optional(),
  opportunityId: z.string().optional(),
  stages: z.array(StageSchema),
});
export type BpfView = z.infer<typeof BpfSchema>;

export function requireBpfTables(ctx: ToolContext): void {
  requireTable(ctx, LEAD_FLOW.table);
  requireTable(ctx, 'processstage');
}

/** The flows this agent may read: the lead flow always (required), the opportunity flow where allowed. */
function flows(ctx: ToolContext): Flow[] {
  return [LEAD_FLOW, ...(tableAllowed(ctx, OPPORTUNITY_FLOW.table) ? [OPPORTUNITY_FLOW] : [])];
}

const newestActive = [{ property: 'statecode' }, { property: 'createdon', descending: true }];

/**
 * The flow instance of a lead or opportunity (the active one, else the newest), or undefined. A
 * lead: one request. An opportunity: both flows at once, the active instance first, then the one
 * from its lead.
 */
export async function instanceOf(ctx: ToolContext, by: { lead: string } | { opportunity: string }): Promise<FlowInstance | undefined> {
  const searched = 'lead' in by ? [LEAD_FLOW] : flows(ctx);
  const filter = 'lead' in by ? eq('_bpf_leadid_value', guid(by.lead)) : eq('_bpf_opportunityid_value', guid(by.opportunity));
  const found = await Promise.all(searched.map(async (flow) => ({ flow, row: (await ctx.dataverse.list(flow.set, { select: [...flow.columns], filter: and(filter), orderby: newestActive, top: 1 })).rows[0] })));
  const hits = found.filter((f): f is FlowInstance => f.row !== undefined);
  return hits.find((h) => h.row['statecode'] === 0) ?? hits[0];
}

export const FLOW_TABLES = [LEAD_FLOW.table, OPPORTUNITY_FLOW.table] as const;

/**
 * An instance by id, in the flow named (one request), else in whichever flow holds it: the lead
 * flow first, then the opportunity flow.
 */
export async function instanceById(ctx: ToolContext, id: string, table?: (typeof FLOW_TABLES)[number]): Promise<FlowInstance> {
  const allowed = flows(ctx);
  const named = table && allowed.find((f) => f.table === table);
  if (table && !named) throw new ToolError(`This agent does not allow the ${table} table.`, 'forbidden');
  for (const flow of named ? [named] : allowed) {
    try {
      return { flow, row: await ctx.dataverse.get(flow.set, id, { select: [...flow.columns] }) };
    } catch (err) {
      if (!(err instanceof DataverseError && err.kind === 'not_found')) throw err;
    }
  }
  throw new ToolError(`No business process flow instance with id ${id}. Call get_lead_bpf or get_opportunity_bpf for its id.`, 'not_found');
}

/** The process's stages in order, and the instance rendered over them: one request. */
export async function withStages(ctx: ToolContext, { row: instance, flow }: FlowInstance): Promise<BpfView> {
  const processId = lookup(instance, 'processid');
  const rows = processId
    ? (await ctx.dataverse.list('processstages', { select: ['processstageid', 'stagename', 'stagecategory', 'primaryentitytypecode', 'stageorder'], filter: eq('_processid_value', guid(processId.id)), orderby: [{ property: 'stageorder' }], top: 50 })).rows
    : [];
  const active = lookup(instance, 'activestageid')?.id;
  const path = (str(instance, 'traversedpath') ?? '').split(',').filter(Boolean);
  const stages = rows.map((r) => {
    const id = str(r, 'processstageid') ?? '';
    return { stageId: id, name: str(r, 'stagename') ?? '', category: label(r, 'stagecategory') ?? String(num(r, 'stagecategory') ?? ''), entityLogicalName: str(r, 'primaryentitytypecode') ?? '', traversed: path.includes(id), active: id === active };
  });
  const lead = lookup(instance, 'bpf_leadid')?.id;
  const opportunity = lookup(instance, 'bpf_opportunityid')?.id;
  const started = str(instance, 'activestagestartedon');
  const activeStage = stages.find((s) => s.active);
  return {
    bpfInstanceId: str(instance, 'businessprocessflowinstanceid') ?? '',
    processName: processId?.name || str(instance, 'name') || '',
    processTable: flow.table,
    status: label(instance, 'statuscode') ?? '',
    ...(activeStage && { activeStage }),
    ...(started && { activeStageStartedOn: started }),
    ...(lead && { leadId: lead }),
    ...(opportunity && { opportunityId: opportunity }),
    stages,
  };
}

export function bpfText(what: string, v: BpfView | undefined): string {
  if (!v) return `${what} has no business process flow.`;
  return `${what} is in stage ${v.activeStage ? `${v.activeStage.name} (${v.activeStage.entityLogicalName})` : '(none)'} of ${v.processName} [${v.status}]. Stages: ${v.stages.map((s) => `${s.name}${s.active ? '*' : s.traversed ? '✓' : ''} (${s.entityLogicalName}, ${s.stageId})`).join(' → ')}.`;
}
