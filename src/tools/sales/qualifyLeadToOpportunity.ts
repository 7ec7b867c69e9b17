import { z } from 'zod';

import { eq } from '../../dataverse/odata.js';
import { defineTool, type ToolContext, ToolError, type ToolOutput } from '../defineTool.js';
import { guidArg, str } from '../shared.js';
import type { Row } from '../../dataverse/client.js';
import { getLead, LEAD_STATE, type LeadView, toLead } from './leadData.js';

const CreatedSchema = z.object({ table: z.string(), id: z.string() });
const QualifiedSchema = z.object({
  leadId: z.string(),
  accountId: z.string().optional(),
  contactId: z.string().optional(),
  opportunityId: z.string().optional(),
  created: z.array(CreatedSchema),
});

/** The lead, if it is open; judged by the numeric statecode, since labels are localised. */
function openLead(row: Row): LeadView {
  const lead = toLead(row);
  if (row['statecode'] !== LEAD_STATE.open) {
    throw new ToolError(`Lead ${lead.fullName} is already ${lead.state.toLowerCase() || 'closed'}; only open leads can be qualified.`, 'conflict');
  }
  return lead;
}

export const qualifyLeadToOpportunity = defineTool({
  name: 'D365_Sales_QualifyLeadToOpportunity',
  kind: 'write',
  // Qualifying closes the lead and creates records: confirmed on every agent.
  alwaysConfirm: true,
  title: 'Qualify lead to opportunity',
  description:
    'Qualifies an open lead and creates, as requested, an account (from the company), a contact (from the person) and an opportunity (from the topic), as Dynamics 365 Sales does. Returns the ids of the created records. Always asks the user to confirm first.',
  input: z.object({
    leadId: guidArg('The lead to qualify.'),
    createAccount: z.boolean().default(true).describe('Create an account from the company name.'),
    createContact: z.boolean().default(true).describe('Create a contact from the person.'),
    createOpportunity: z.boolean().default(true).describe('Create an opportunity from the lead topic.'),
  }),
  output: QualifiedSchema,
  auditTarget: (args) => `lead:${args.leadId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([
      getLead(ctx, args.leadId),
      ctx.privileges.require(
        { table: 'lead', ops: ['Read', 'Write'] },
        ...(args.createAccount ? [{ table: 'account', ops: ['Create'] as const }] : []),
        ...(args.createContact ? [{ table: 'contact', ops: ['Create'] as const }] : []),
        ...(args.createOpportunity ? [{ table: 'opportunity', ops: ['Create'] as const }] : []),
      ),
    ]);
    const lead = openLead(row);
    const creates = [
      args.createAccount && `account "${lead.company || lead.fullName}"`,
      args.createContact && `contact "${lead.fullName}"`,
      args.createOpportunity && `opportunity "${lead.topic}"`,
    ].filter(Boolean);
    const details: Record<string, string> = { lead: `${lead.fullName} (${lead.company})`, creates: creates.join(', ') || 'nothing (only marks the lead qualified)' };
    if (args.createAccount && lead.company) {
      const existing = await ctx.dataverse.list('accounts', { select: ['accountid', 'name'], filter: eq('name', lead.company), top: 1 }).catch(() => undefined);
      const match = existing?.rows[0];
      if (match) details['warning'] = `An account named "${lead.company}" already exists (id ${str(match, 'accountid')}); consider createAccount=false.`;
    }
    return {
      preview: { summary: `Qualify lead ${lead.fullName} and create ${creates.join(', ') || 'no records'}.`, details },
      run: () => qualify(ctx, args, lead),
    };
  },
});

async function qualify(
  ctx: ToolContext,
  args: { leadId: string; createAccount: boolean; createContact: boolean; createOpportunity: boolean },
  lead: LeadView,
): Promise<ToolOutput<z.output<typeof QualifiedSchema>>> {
  const result = await ctx.dataverse.boundAction<{ value?: Array<Record<string, unknown>> }>('leads', args.leadId, 'QualifyLead', {
    CreateAccount: args.createAccount,
    CreateContact: args.createContact,
    CreateOpportunity: args.createOpportunity,
    Status: 3,
  });
  const created = (result?.value ?? []).flatMap((ref) => {
    const table = String(ref['@odata.type'] ?? '').replace('#Microsoft.Dynamics.CRM.', '');
    const id = ref[`${table}id`];
    return typeof id === 'string' ? [{ table, id }] : [];
  });
  const find = (t: string) => created.find((c) => c.table === t)?.id;
  const accountId = find('account');
  const contactId = find('contact');
  const opportunityId = find('opportunity');
  return {
    data: { leadId: args.leadId, ...(accountId && { accountId }), ...(contactId && { contactId }), ...(opportunityId && { opportunityId }), created },
    text: `Qualified ${lead.fullName}. Created: ${created.map((c) => `${c.table} ${c.id}`).join(', ') || 'no records'}.`,
    target: `lead:${args.leadId}${created.length ? ` -> ${created.map((c) => `${c.table}:${c.id}`).join(', ')}` : ''}`,
    records: [{ table: 'lead', id: args.leadId }, ...created.map((c) => ({ table: c.table, id: c.id }))],
  };
}
