import { z } from 'zod';

import { bind } from '../../dataverse/odata.js';
import { defineTool, ToolError } from '../defineTool.js';
import { num } from '../shared.js';
import { getQuote, QUOTE_COLUMNS, QUOTE_STATE, quoteIdArg, QuoteSchema, toQuote } from './pipelineData.js';

/**
 * `revise_quote` (MCP tool reference): an active quote is closed as Revised (CloseQuote, status 7)
 * and revised (ReviseQuote); a closed quote is revised directly. A draft needs no revision and a
 * won quote is final.
 */
export const reviseQuote = defineTool({
  name: 'revise_quote',
  kind: 'write',
  title: 'Revise quote',
  description: 'Makes a new draft revision of an active or closed quote (an active quote is first closed as Revised), with the same number and products, for changes after the quote was sent.',
  input: z.object({ quoteId: quoteIdArg }),
  output: z.object({ revised: QuoteSchema, previous: QuoteSchema }),
  auditTarget: (args) => `quote:${args.quoteId}`,
  async prepare(args, ctx) {
    const [row, closeKey] = await Promise.all([
      getQuote(ctx, args.quoteId),
      ctx.metadata.bindKey('quoteclose', 'quoteid', 'quote'),
      ctx.privileges.require({ table: 'quote', ops: ['Read', 'Write', 'Create'] }, { table: 'quoteclose', ops: ['Create'] }),
    ]);
    const q = toQuote(row);
    const state = num(row, 'statecode');
    if (state === QUOTE_STATE.draft) throw new ToolError(`Quote ${q.quoteNumber} is still a draft: change it directly, no revision needed.`, 'conflict');
    if (state === QUOTE_STATE.won) throw new ToolError(`Quote ${q.quoteNumber} was won and is final; it cannot be revised.`, 'conflict');
    const active = state === QUOTE_STATE.active;
    return {
      preview: {
        summary: `${active ? `Close quote ${q.quoteNumber} as Revised and create` : 'Create'} revision ${q.revision + 1} of quote ${q.quoteNumber} as a draft.`,
        details: { quote: `${q.quoteNumber} rev. ${q.revision} (${q.state})`, newRevision: q.revision + 1 },
      },
      async run() {
        if (active) {
          await ctx.dataverse.action('CloseQuote', { QuoteClose: { '@odata.type': 'Microsoft.Dynamics.CRM.quoteclose', subject: `Quote ${q.quoteNumber} revised`, [closeKey]: bind('quotes', args.quoteId) }, Status: 7 });
        }
        const created = await ctx.dataverse.action<Record<string, unknown>>('ReviseQuote', { QuoteId: args.quoteId, ColumnSet: { AllColumns: true } });
        const id = typeof created?.['quoteid'] === 'string' ? created['quoteid'] : undefined;
        if (!id) throw new ToolError('Dataverse did not return the revised quote.', 'failed');
        const [revised, previous] = await Promise.all([ctx.dataverse.get('quotes', id, { select: QUOTE_COLUMNS }).then(toQuote), getQuote(ctx, args.quoteId).then(toQuote)]);
        return { data: { revised, previous }, text: `Quote ${revised.quoteNumber} revision ${revised.revision} is a draft (${revised.quoteId}).`, target: `quote:${id}`, records: [{ table: 'quote', id, name: revised.name }] };
      },
    };
  },
});
