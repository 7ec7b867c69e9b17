import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { bind } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable } from '../dataverse/tableAccess.js';
import { LINE_COLUMNS, getOpportunity, money, opportunityIdArg, toOpportunity } from '../pipeline/pipelineData.js';
import { createConfirmed, guidArg, lookup, num, str } from '../shared.js';
import { rowsOf } from './accountData.js';

/**
 * `clone_opportunity` (clone_opportunity reference): a new open opportunity with the source's
 * customer, price list, estimates and description, and copies of its product lines, in one create
 * (a deep insert through `product_opportunities`, create-entity-web-api "Create related table rows
 * in one operation"). Quotes, orders, closes and stakeholders stay with the source.
 */
export const cloneOpportunity = defineTool({
  name: 'clone_opportunity',
  kind: 'write',
  title: 'Clone opportunity',
  description: 'Copies an opportunity into a new open one: customer, price list, estimated revenue and close date, description and its product lines (not quotes, orders or history). Asks the user to confirm first.',
  input: z.object({
    opportunityId: opportunityIdArg,
    name: z.string().trim().min(1).max(300).optional().describe('Name of the copy; default "Copy of <name>".'),
    customerId: guidArg('Another customer account for the copy (default: the same customer).').optional(),
  }),
  aliases: { OpportunityId: 'opportunityId', newName: 'name' },
  output: z.object({ opportunityId: z.string(), name: z.string(), lines: z.number(), sourceOpportunityId: z.string() }),
  auditTarget: (args) => `opportunity:new:${args.opportunityId}`,
  async prepare(args, ctx) {
    requireTable(ctx, 'opportunity');
    requireTable(ctx, 'opportunityproduct');
    const [row] = await Promise.all([
      getOpportunity(ctx, args.opportunityId, [{ nav: 'product_opportunities', select: LINE_COLUMNS, top: 200 }]),
      ctx.privileges.require({ table: 'opportunity', ops: ['Create', 'Append'] }, { table: 'account', ops: ['AppendTo'] }),
    ]);
    const source = toOpportunity(row);
    const customer = args.customerId ? { table: 'account', id: args.customerId, name: '' } : lookup(row, 'customerid');
    const priceList = lookup(row, 'pricelevelid');
    const [customerKey, priceKey, productKey, uomKey, customerRow] = await Promise.all([
      customer ? ctx.metadata.bindKey('opportunity', 'customerid', customer.table || 'account') : undefined,
      priceList ? ctx.metadata.bindKey('opportunity', 'pricelevelid', 'pricelevel') : undefined,
      ctx.metadata.bindKey('opportunityproduct', 'productid', 'product'),
      ctx.metadata.bindKey('opportunityproduct', 'uomid', 'uom'),
      args.customerId ? ctx.dataverse.get('accounts', args.customerId, { select: ['accountid', 'name'] }) : undefined,
    ]);
    const lines = rowsOf(row, 'product_opportunities').map((l): Row => {
      const product = lookup(l, 'productid');
      const uom = lookup(l, 'uomid');
      const overridden = l['ispriceoverridden'] === true;
      return {
        quantity: num(l, 'quantity') ?? 1,
        ...(product ? { [productKey]: bind('products', product.id) } : { productdescription: str(l, 'productdescription') ?? '', isproductoverridden: true }),
        ...(uom && { [uomKey]: bind('uoms', uom.id) }),
        ...(overridden && { ispriceoverridden: true, priceperunit: num(l, 'priceperunit') ?? 0 }),
        ...(num(l, 'manualdiscountamount') !== undefined && { manualdiscountamount: num(l, 'manualdiscountamount') }),
        ...(str(l, 'description') && { description: str(l, 'description') }),
      };
    });
    const name = args.name ?? `Copy of ${source.name}`.slice(0, 300);
    const customerName = customerRow ? (str(customerRow, 'name') ?? args.customerId!) : (customer?.name ?? '');
    const body: Row = {
      name,
      ...(customer && customerKey && { [customerKey]: bind(customer.table === 'contact' ? 'contacts' : 'accounts', customer.id) }),
      ...(priceList && priceKey && { [priceKey]: bind('pricelevels', priceList.id) }),
      ...(num(row, 'estimatedvalue') !== undefined && { estimatedvalue: num(row, 'estimatedvalue') }),
      ...(str(row, 'estimatedclosedate') && { estimatedclosedate: str(row, 'estimatedclosedate') }),
      ...(num(row, 'closeprobability') !== undefined && { closeprobability: num(row, 'closeprobability') }),
      ...(str(row, 'description') && { description: str(row, 'description') }),
      ...(lines.length && { product_opportunities: lines }),
    };
    return {
      preview: {
        summary: `Create opportunity "${name}" as a copy of "${source.name}"${customerName ? ` for ${customerName}` : ''}, with ${lines.length} product line(s).`,
        details: { source: source.name, name, customer: customerName || '(none)', priceList: priceList?.name ?? '(none)', estimatedRevenue: money(source.estimatedRevenue), lines: lines.length },
      },
      async run() {
        const { id } = await createConfirmed(ctx, { table: 'opportunity', entitySet: 'opportunities', primaryId: 'opportunityid' }, body);
        return {
          data: { opportunityId: id, name, lines: lines.length, sourceOpportunityId: args.opportunityId },
          text: `Created "${name}" (${id}) from "${source.name}" with ${lines.length} product line(s).`,
          target: `opportunity:${id}`,
          records: [{ table: 'opportunity', id, name }, { table: 'opportunity', id: args.opportunityId, name: source.name }],
        };
      },
    };
  },
});
