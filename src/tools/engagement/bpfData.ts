import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { and, eq, guid } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { label, lookup, num, str } from '../shared.js';

/**
 * The Lead to Opportunity Sales Process: one flow instance per lead (`bpf_leadid`), joined by the
 * opportunity it is qualified into (`bpf_opportunityid`), whose `activestageid` is one of the
 * process's `processstage` rows and whose `traversedpath` lists the stage ids walked through
 * ("Work with business process flows using code",
 * https://learn.microsoft.com/power-automate/developer/business-process-flows-code).
 */
export const BPF_TABLE = 'leadtoopportunitysalesprocess';
export const BPF_SET = 'leadtoopportunitysalesprocesses';

const INSTANCE_COLUMNS = ['businessprocessflowinstanceid', 'name', '_activestageid_value', 'activestagestartedon', 'traversedpath', '_processid_value', '_bpf_leadid_value', '_bpf_opportunityid_value', 'statecode', 'statuscode'];

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
  status: z.string(),
  activeStage: StageSchema.optional(),
  activeStageStartedOn: z.string().optional(),
  leadId: z.string().optional(),
  opportunityId: z.string().optional(),
  stages: z.array(StageSchema),
});
export type BpfView = z.infer<typeof BpfSchema>;

export function requireBpfTables(ctx: ToolContext): void {
  requireTable(ctx, BPF_TABLE);
  requireTable(ctx, 'processstage');
}

/** The flow instance of a lead or opportunity (the active one, else the newest), or undefined: one request. */
export async function instanceOf(ctx: ToolContext, by: { lead: string } | { opportunity: string }): Promise<Row | undefined> {
  const filter = 'lead' in by ? eq('_bpf_leadid_value', guid(by.lead)) : eq('_bpf_opportunityid_value', guid(by.opportunity));
  const page = await ctx.dataverse.list(BPF_SET, { select: INSTANCE_COLUMNS, filter: and(filter), orderby: [{ property: 'statecode' }, { property: 'createdon', descending: true }], top: 1 });
  return page.rows[0];
}

export async function instanceById(ctx: ToolContext, id: string): Promise<Row> {
  try {
    return await ctx.dataverse.get(BPF_SET, id, { select: INSTANCE_COLUMNS });
  } catch (err) {
    if (err instanceof Error && 'kind' in err && (err as { kind: string }).kind === 'not_found') throw new ToolError(`No business process flow instance with id ${id}. Call get_lead_bpf or get_opportunity_bpf for its id.`, 'not_found');
    throw err;
  }
}

/** The process's stages in order, and the instance rendered over them: one request. */
export async function withStages(ctx: ToolContext, instance: Row): Promise<BpfView> {
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
