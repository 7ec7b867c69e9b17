import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { contactName, createConfirmed, guidArg, orNotFound, previewText, sentence, str } from '../shared.js';
import { CASE_COLUMNS, CaseSchema, caseLine, ORIGIN, PRIORITY, toCase } from './caseFields.js';
import { ENTITY_SET, resolveCustomer } from './customers.js';

export const addCase = defineTool({
  name: 'D365_CustomerService_AddCase',
  toolset: 'service',
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
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  auditTarget: (args) => `incident:new(customer ${args.customerId})`,
  async confirm(args, ctx) {
    const customer = await resolveCustomer(ctx, args.customerId, args.customerType);
    await ctx.privileges.require(
      { table: 'incident', ops: ['Create', 'Append'] },
      { table: customer.table, ops: ['AppendTo'] },
      ...(args.primaryContactId ? [{ table: 'contact', ops: ['AppendTo'] as const }] : []),
    );
    return {
      summary: sentence(`Open a ${args.priority}-priority case "${args.title}" for ${customer.table} ${customer.name}`),
      details: {
        customer: `${customer.name} (${customer.table})`,
        priority: args.priority,
        ...(args.origin && { origin: args.origin }),
        ...(args.description && { description: previewText(args.description) }),
        ...(args.primaryContactId && { 'primary contact': await contactName(ctx, args.primaryContactId) }),
      },
    };
  },
  async handler(args, ctx) {
    const customer = await resolveCustomer(ctx, args.customerId, args.customerType);
    if (args.primaryContactId) {
      await orNotFound('contact', args.primaryContactId, () => ctx.dataverse.get('contacts', args.primaryContactId!, { select: ['contactid'] }));
    }
    const [customerKey, contactKey] = await Promise.all([
      ctx.metadata.bindKey('incident', 'customerid', customer.table),
      args.primaryContactId ? ctx.metadata.bindKey('incident', 'primarycontactid', 'contact') : undefined,
    ]);
    const body: Record<string, unknown> = {
      title: args.title,
      prioritycode: PRIORITY[args.priority],
      [customerKey]: bind(ENTITY_SET[customer.table], customer.id),
    };
    if (args.description) body['description'] = args.description;
    if (args.origin) body['caseorigincode'] = ORIGIN[args.origin];
    if (args.primaryContactId && contactKey) body[contactKey] = bind('contacts', args.primaryContactId);
    const { id, row } = await createConfirmed(ctx, { table: 'incident', entitySet: 'incidents', primaryId: 'incidentid' }, body, { select: CASE_COLUMNS });
    const created = toCase(row ?? { incidentid: id, title: args.title });
    return {
      data: { case: created },
      text: `Opened case ${caseLine(created)}.`,
      target: `incident:${id}${str(row ?? {}, 'ticketnumber') ? ` (${str(row ?? {}, 'ticketnumber')})` : ''}`,
    };
  },
});
