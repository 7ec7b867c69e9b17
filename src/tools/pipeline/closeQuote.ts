import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { num, previewText } from '../shared.js';
import { dateArg, getQuote, QUOTE_STATE, quoteIdArg, QuoteSchema, today, toQuote } from './pipelineData.js';

const STATUS = { lost: 5, canceled: 6, revised: 7 } as const;

/** `close_quote` (MCP tool reference): CloseQuote with a quote close; 5 Lost, 6 Canceled, 7 Revised. */
export const closeQuote = defineTool({
  name: 'close_quote',
  kind: 'write',
  alwaysConfirm: true,
  title: 'Close quote',
  description: 'Closes an active quote the customer did not accept, as lost, canceled or revised, with a close date and note. For an accepted quote use convert_quote_to_order. Always asks the user to confirm first.',
  input: z.object({
    quoteId: quoteIdArg,
    status: z.enum(['lost', 'canceled', 'revised']).describe('Close outcome: lost, canceled or revised.'),
    closeDate: dateArg('Close date (ISO 8601); default today.').optional(),
    description: z.string().trim().max(2000).optional().describe('Closing note, kept on the quote close.'),
    statusCode: z.number().int().min(5).max(7).optional().describe('Status reason override: 5 Lost, 6 Canceled, 7 Revised.'),
  }),
  output: z.object({ quote: QuoteSchema }),
  auditTarget: (args) => `quote:${args.quoteId}`,
  async prepare(args, ctx) {
    const [row, closeKey] = await Promise.all([
      getQuote(ctx, args.quoteId),
      ctx.metadata.bindKey('quoteclose', 'quoteid', 'quote'),
      ctx.privileges.require({ table: 'quote', ops: ['Write'] }, { table: 'quoteclose', ops: ['Create'] }),
    ]);
    const q = toQuote(row);
    if (num(row, 'statecode') !== QUOTE_STATE.active) throw new ToolError(`Quote ${q.quoteNumber} is ${q.state.toLowerCase()}: only an active quote is closed${num(row, 'statecode') === QUOTE_STATE.draft ? ' (activate it first, or leave the draft)' : ''}.`, 'conflict');
    const status = args.statusCode ?? STATUS[args.status];
    const closeDate = args.closeDate ?? today(ctx);
    return {
      preview: { summary: `Close quote ${q.quoteNumber} "${q.name}" as ${args.status}.`, details: { outcome: `${args.status} (status ${status})`, closeDate, ...(args.description && { note: previewText(args.description) }) } },
      async run() {
        await ctx.dataverse.action('CloseQuote', {
          QuoteClose: { '@odata.type': 'Microsoft.Dynamics.CRM.quoteclose', subject: `Quote ${q.quoteNumber} ${args.status}`, [closeKey]: bind('quotes', args.quoteId), actualend: closeDate, ...(args.description && { description: args.description }) },
          Status: status,
        });
        const after = toQuote(await getQuote(ctx, args.quoteId));
        return { data: { quote: after }, text: `Closed quote ${after.quoteNumber} (${after.status}).`, target: `quote:${args.quoteId}`, records: [{ table: 'quote', id: args.quoteId, name: after.name }] };
      },
    };
  },
});
