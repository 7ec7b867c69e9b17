import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { guidArg } from '../shared.js';
import { BpfSchema, FLOW_TABLES, instanceById, requireBpfTables, withStages } from './bpfData.js';

/**
 * `update_bpf_stage` (get_lead_bpf reference: "update_bpf_stage with the returned bpfInstanceId"
 * and a stage id): moves a flow instance to another stage of its process by setting
 * `activestageid` and `traversedpath` (business-process-flows-code). A stage of the opportunity
 * needs the lead qualified into one first; both are checked before the user is asked.
 */
export const updateBpfStage = defineTool({
  name: 'update_bpf_stage',
  kind: 'write',
  idempotent: true,
  title: 'Move business process flow stage',
  description: 'Moves a lead\'s or opportunity\'s sales process to another stage (ids from get_lead_bpf or get_opportunity_bpf). Opportunity stages (Develop, Propose, Close) need the lead qualified first. Asks the user to confirm first.',
  input: z.object({
    bpfInstanceId: guidArg('The flow instance (bpfInstanceId from get_lead_bpf / get_opportunity_bpf).'),
    stageId: guidArg('The stage to move to (a stageId of that instance).'),
    processTable: z.enum(FLOW_TABLES).optional().describe('processTable from get_lead_bpf / get_opportunity_bpf, so the instance is found in one request (optional).'),
  }),
  aliases: { processInstanceId: 'bpfInstanceId', instanceId: 'bpfInstanceId', activeStageId: 'stageId' },
  output: z.object({ instance: BpfSchema }),
  auditTarget: (args) => `bpf:${args.bpfInstanceId}`,
  async prepare(args, ctx) {
    requireBpfTables(ctx);
    const found = await instanceById(ctx, args.bpfInstanceId, args.processTable);
    const { flow } = found;
    const [before] = await Promise.all([withStages(ctx, found), ctx.privileges.require({ table: flow.table, ops: ['Write', 'Append'] }, { table: 'processstage', ops: ['AppendTo'] })]);
    const target = before.stages.find((s) => s.stageId === args.stageId.toLowerCase());
    if (!target) throw new ToolError(`Stage ${args.stageId} is not a stage of ${before.processName}; its stages are ${before.stages.map((s) => `${s.name} (${s.stageId})`).join(', ')}.`, 'invalid_argument');
    if (before.status !== 'Active') throw new ToolError(`This flow is ${before.status.toLowerCase() || 'not active'}; its stage cannot change.`, 'conflict');
    if (target.active) throw new ToolError(`The flow is already in stage ${target.name}.`, 'conflict');
    if (target.entityLogicalName === 'opportunity' && !before.opportunityId) {
      throw new ToolError(`Stage ${target.name} belongs to the opportunity, and this lead has not been qualified into one yet: qualify it first (qualify_lead).`, 'conflict');
    }
    const path = before.stages.filter((s) => s.traversed).map((s) => s.stageId);
    const at = path.indexOf(target.stageId);
    const traversedpath = (at >= 0 ? path.slice(0, at + 1) : [...path, target.stageId]).join(',');
    return {
      preview: { summary: `Move the ${before.processName} from ${before.activeStage?.name ?? '(no stage)'} to ${target.name}.`, details: { from: before.activeStage?.name ?? '', to: `${target.name} (${target.entityLogicalName})` } },
      async run() {
        await ctx.dataverse.update(flow.set, args.bpfInstanceId, { 'activestageid@odata.bind': bind('processstages', target.stageId), traversedpath });
        const after = await withStages(ctx, { flow, row: await ctx.dataverse.get(flow.set, args.bpfInstanceId, { select: [...flow.columns] }) });
        return { data: { instance: after }, text: `Moved to stage ${after.activeStage?.name ?? target.name}.`, target: `${flow.table}:${args.bpfInstanceId}`, records: [...(after.leadId ? [{ table: 'lead', id: after.leadId }] : []), ...(after.opportunityId ? [{ table: 'opportunity', id: after.opportunityId }] : [])] };
      },
    };
  },
});
