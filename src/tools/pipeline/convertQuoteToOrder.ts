import { z } from 'zod';

import { defineTool, ToolError } from '../defineTool.js';
import { lookup, num, previewText, str } from '../shared.js';
import { dateArg, getQuote, money, QUOTE_STATE, quoteIdArg, QuoteSchema, today, toQuote } from './pipelineData.js';

const OrderSchema = z.object({ salesOrderId: z.string(), name: z.string(), orderNumber: z.string(), state: z.string(), totalAmount: z.number().optional() });
const ORDER_COLUMNS = ['salesorderid', 'name', 'ordernumber', 'statecode', 'totalamount', '_quoteid_value'] as const;

/**
 * `convert_quote_to_order` (MCP tool reference): ConvertQuoteToSalesOrder. An active quote is won
 * with the close metadata first (close date default today, status 4 Won); a won quote converts as
 * it is; drafts and closed quotes are refused before anyone is asked.
 */
export const convertQuoteToOrder = defineTool({
  name: 'convert_quote_to_order',
  kind: 'write',
  alwaysConfirm: true,
  title: 'Convert quote to order',
  description: 'Converts an accepted quote into a sales order with its products (an active quote is closed as won first). Always asks the user to confirm first.',
  input: z.object({
    quoteId: quoteIdArg,
    closeDate: dateArg('Quote close date when the quote is still active (ISO 8601); default today.').optional(),
    description: z.string().trim().max(2000).optional().describe('Quote close note, when the quote is won now.'),
    subject: z.string().trim().max(200).optional().describe('Quote close subject; default "Quote won".'),
    statusCode: z.number().int().min(4).max(4).optional().describe('Quote close status reason: 4 Won (the only one).'),
  }),
  output: z.object({ order: OrderSchema, quote: QuoteSchema }),
  auditTarget: (args) => `quote:${args.quoteId}`,
  async prepare(args, ctx) {
    const [row] = await Promise.all([getQuote(ctx, args.quoteId), ctx.privileges.require({ table: 'quote', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'salesorder', ops: ['Create', 'Append'] })]);
    const q = toQuote(row);
    const state = num(row, 'statecode');
    if (state !== QUOTE_STATE.active && state !== QUOTE_STATE.won) {
      throw new ToolError(`Quote ${q.quoteNumber} is ${q.state.toLowerCase()}: only an active or won quote becomes an order${state === QUOTE_STATE.draft ? ' (activate it with set_quote_active first)' : ''}.`, 'conflict');
    }
    const closing = state === QUOTE_STATE.active;
    const closeDate = args.closeDate ?? today(ctx);
    return {
      preview: {
        summary: `${closing ? `Close quote ${q.quoteNumber} as won and create` : 'Create'} a sales order from quote ${q.quoteNumber} "${q.name}".`,
        details: { quote: `${q.quoteNumber} rev. ${q.revision} (${q.state})`, total: money(q.totalAmount), customer: q.customer?.name ?? '', ...(closing && { closeDate }), ...(args.description && { note: previewText(args.description) }) },
      },
      async run() {
        const created = await ctx.dataverse.action<Record<string, unknown>>('ConvertQuoteToSalesOrder', {
          QuoteId: args.quoteId,
          ColumnSet: { AllColumns: true },
          ...(closing && { QuoteCloseDate: closeDate, QuoteCloseStatus: args.statusCode ?? 4, QuoteCloseSubject: args.subject ?? 'Quote won', ...(args.description && { QuoteCloseDescription: args.description }) }),
        });
        const id = typeof created?.['salesorderid'] === 'string' ? created['salesorderid'] : undefined;
        if (!id) throw new ToolError('Dataverse did not return the new order.', 'failed');
        const [orderRow, after] = await Promise.all([ctx.dataverse.get('salesorders', id, { select: ORDER_COLUMNS }), getQuote(ctx, args.quoteId)]);
        const total = num(orderRow, 'totalamount');
        const order = { salesOrderId: id, name: str(orderRow, 'name') ?? '', orderNumber: str(orderRow, 'ordernumber') ?? '', state: String(orderRow['statecode@OData.Community.Display.V1.FormattedValue'] ?? ''), ...(total !== undefined && { totalAmount: total }) };
        return {
          data: { order, quote: toQuote(after) },
          text: `Created order ${order.orderNumber} (${money(total)}) from quote ${q.quoteNumber}.`,
          target: `salesorder:${id}`,
          records: [{ table: 'salesorder', id, name: order.name }, ...(lookup(orderRow, 'quoteid') ? [{ table: 'quote', id: args.quoteId, name: q.name }] : [])],
        };
      },
    };
  },
});
