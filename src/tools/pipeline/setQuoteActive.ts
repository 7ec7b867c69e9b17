import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { num } from '../shared.js';
import { getQuote, money, QUOTE_STATE, quoteIdArg, QuoteSchema, toQuote } from './pipelineData.js';

/** `set_quote_active` (MCP tool reference): a draft quote to Active (2 In Progress), which locks its amounts. */
export const setQuoteActive = defineTool({
  name: 'set_quote_active',
  kind: 'write',
  idempotent: true,
  title: 'Set quote active',
  description: 'Activates a draft quote so it can be sent to the customer; its products and amounts are locked from then on (revise_quote makes an editable revision).',
  input: z.object({ quoteId: quoteIdArg }),
  output: z.object({ quote: QuoteSchema }),
  auditTarget: (args) => `quote:${args.quoteId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([getQuote(ctx, args.quoteId), ctx.privileges.require({ table: 'quote', ops: ['Write'] })]);
    const q = toQuote(row);
    if (num(row, 'statecode') !== QUOTE_STATE.draft) throw new ToolError(`Quote ${q.quoteNumber} is ${q.state.toLowerCase()}, not a draft: only a draft is activated.`, 'conflict');
    return {
      preview: { summary: `Activate quote ${q.quoteNumber} "${q.name}".`, details: { quote: `${q.quoteNumber} rev. ${q.revision}`, total: money(q.totalAmount), customer: q.customer?.name ?? '' } },
      async run() {
        await ctx.dataverse.update('quotes', args.quoteId, { statecode: QUOTE_STATE.active, statuscode: 2 });
        const after = toQuote(await getQuote(ctx, args.quoteId));
        return { data: { quote: after }, text: `Activated quote ${after.quoteNumber} (${after.status}).`, target: `quote:${args.quoteId}`, records: [{ table: 'quote', id: args.quoteId, name: after.name }] };
      },
    };
  },
});
