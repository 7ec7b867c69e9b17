import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { contactName, createConfirmed, guidArg, previewText, sentence, str } from '../shared.js';
import { CASE_COLUMNS, CaseSchema, caseLine, ORIGIN, PRIORITY, toCase } from './caseFields.js';
import { ENTITY_SET, resolveCustomer } from './customers.js';

export const addCase = defineTool({
  name: 'D365_CustomerService_AddCase',
  kind: 'write',
  title: 'Add case',
  description: 'Opens a new case (incident) for an account or contact, with title, description, priority and origin. Returns the new case with its ticket number.',
  input: z.object({
    title: z.string().trim().min(1).max(200).describe('Short summary of the issue.'),
    description: z.string().trim().max(10_000).optional().describe("The customer's problem in their words."),
    customerId: guidArg('The account or contact the case is for.'),
    customerType: z.enum(['account', 'contact']).optional().describe('Type of customerId; found automatically when omitted.'),
    primaryContactId: guidArg('Contact to work with on this case.').optional(),
    priority: z.enum(['high', 'normal', 'low']).default('normal'),
    origin: z.enum(['phone', 'email', 'web']).optional().describe('How the customer reached us.'),
  }),
  output: z.object({ case: CaseSchema }),
  auditTarget: (args) => `incident:new(customer ${args.customerId})`,
  async prepare(args, ctx) {
    const [customer, contact] = await Promise.all([
      resolveCustomer(ctx, args.customerId, args.customerType),
      args.primaryContactId ? contactName(ctx, args.primaryContactId) : undefined,
    ]);
    const [customerKey, contactKey] = await Promise.all([
      ctx.metadata.bindKey('incident', 'customerid', customer.table),
      args.primaryContactId ? ctx.metadata.bindKey('incident', 'primarycontactid', 'contact') : undefined,
      ctx.privileges.require(
        { table: 'incident', ops: ['Create', 'Append'] },
        { table: customer.table, ops: ['AppendTo'] },
        ...(args.primaryContactId ? [{ table: 'contact', ops: ['AppendTo'] as const }] : []),
      ),
    ]);
    const body: Record<string, unknown> = {
      title: args.title,
      prioritycode: PRIORITY[args.priority],
      [customerKey]: bind(ENTITY_SET[customer.table], customer.id),
      ...(args.description && { description: args.description }),
      ...(args.origin && { caseorigincode: ORIGIN[args.origin] }),
      ...(args.primaryContactId && contactKey && { [contactKey]: bind('contacts', args.primaryContactId) }),
    };
    return {
      preview: {
        summary: sentence(`Open a ${args.priority}-priority case "${args.title}" for ${customer.table} ${customer.name}`),
        details: {
          customer: `${customer.name} (${customer.table})`,
          priority: args.priority,
          ...(args.origin && { origin: args.origin }),
          ...(args.description && { description: previewText(args.description) }),
          ...(contact && { 'primary contact': contact }),
        },
      },
      async run() {
        const { id, row } = await createConfirmed(ctx, { table: 'incident', entitySet: 'incidents', primaryId: 'incidentid' }, body, { select: CASE_COLUMNS });
        const created = toCase(row ?? { incidentid: id, title: args.title });
        const ticket = str(row ?? {}, 'ticketnumber');
        return { data: { case: created }, text: `Opened case ${caseLine(created)}.`, target: `incident:${id}${ticket ? ` (${ticket})` : ''}`, records: [{ table: 'incident', id, name: created.title }] };
      },
    };
  },
});
