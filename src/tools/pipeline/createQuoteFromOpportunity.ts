import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { getOpportunity, money, openOpportunity, opportunityIdArg, QuoteSchema, toQuote } from './pipelineData.js';

/**
 * `create_quote_from_opportunity` (MCP tool reference): GenerateQuoteFromOpportunity, a new draft
 * quote with the opportunity's customer, price list and product lines. The confirmation handle is
 * single-use, so one confirmation makes one quote.
 */
export const createQuoteFromOpportunity = defineTool({
  name: 'create_quote_from_opportunity',
  kind: 'write',
  title: 'Create quote from opportunity',
  description: "Generates a new draft quote from an open opportunity, copying its customer, price list and product lines. Each call makes a new quote; activate it with set_quote_active when it is ready.",
  input: z.object({ opportunityId: opportunityIdArg }),
  output: z.object({ quote: QuoteSchema }),
  auditTarget: (args) => `opportunity:${args.opportunityId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([
      getOpportunity(ctx, args.opportunityId, [{ nav: 'product_opportunities', select: ['opportunityproductid'], top: 50 }]),
      ctx.privileges.require({ table: 'opportunity', ops: ['Read', 'AppendTo'] }, { table: 'quote', ops: ['Create', 'Append'] }),
    ]);
    const o = openOpportunity(row, 'quote it');
    if (!o.priceList) throw new ToolError(`Opportunity "${o.name}" has no price list: set one before generating a quote.`, 'conflict');
    const lines = Array.isArray(row['product_opportunities']) ? row['product_opportunities'].length : 0;
    return {
      preview: { summary: `Create a draft quote from opportunity "${o.name}".`, details: { customer: o.customer?.name ?? '', priceList: o.priceList.name, productLines: lines, opportunityTotal: money(o.totalAmount) } },
      async run() {
        const created = await ctx.dataverse.action<Record<string, unknown>>('GenerateQuoteFromOpportunity', { OpportunityId: args.opportunityId, ColumnSet: { AllColumns: true } });
        const id = typeof created?.['quoteid'] === 'string' ? created['quoteid'] : undefined;
        if (!id) throw new ToolError('Dataverse did not return the new quote.', 'failed');
        const quote = toQuote(await ctx.dataverse.get('quotes', id, { select: ['quoteid', 'name', 'quotenumber', 'revisionnumber', 'statecode', 'statuscode', 'totalamount', '_opportunityid_value', '_customerid_value'] }));
        return { data: { quote }, text: `Created draft quote ${quote.quoteNumber} for "${o.name}" (${money(quote.totalAmount)}).`, target: `quote:${id}`, records: [{ table: 'quote', id, name: quote.name }] };
      },
    };
  },
});
