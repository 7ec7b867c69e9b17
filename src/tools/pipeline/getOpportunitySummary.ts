import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { brief, BriefFields } from '../engagement/accountData.js';
import { lookup, num, rowsOf, str } from '../shared.js';
import { getOpportunity, LINE_COLUMNS, LineSchema, money, opportunityIdArg, OpportunitySchema, QUOTE_COLUMNS, QuoteSchema, toLine, toOpportunity, toQuote } from './pipelineData.js';

/**
 * `get_opportunity_summary`: a deal brief (Dynamics 365 CX MCP Server - Sales,
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/get_opportunity_summary).
 * One request: the opportunity with its lines, quotes and competitors expanded. Every sentence of
 * the brief names the fields it comes from.
 */
export const getOpportunitySummary = defineTool({
  name: 'get_opportunity_summary',
  kind: 'read',
  title: 'Opportunity summary',
  description: 'Summarises one opportunity as a deal brief: stage, value, close date, product lines, quotes and competitors, each sentence with the CRM fields it is based on.',
  input: z.object({ opportunityId: opportunityIdArg }),
  aliases: { msdyn_OpportunityId: 'opportunityId', OpportunityId: 'opportunityId' },
  output: z.object({
    opportunity: OpportunitySchema,
    lines: z.array(LineSchema),
    quotes: z.array(QuoteSchema),
    competitors: z.array(z.object({ competitorId: z.string(), name: z.string() })),
    ...BriefFields,
  }),
  async run({ opportunityId }, ctx) {
    const row = await getOpportunity(ctx, opportunityId, [
      { nav: 'product_opportunities', select: LINE_COLUMNS, top: 50 },
      { nav: 'opportunity_quotes', select: QUOTE_COLUMNS, top: 20 },
      { nav: 'opportunitycompetitors_association', select: ['competitorid', 'name'], top: 20 },
    ]);
    const o = toOpportunity(row);
    const rows = (k: string) => rowsOf(row, k);
    const lines = rows('product_opportunities').map(toLine);
    const quotes = rows('opportunity_quotes').map(toQuote);
    const competitors = rows('opportunitycompetitors_association').map((c) => ({ competitorId: str(c, 'competitorid') ?? '', name: str(c, 'name') ?? '' }));
    const sentences: Array<{ text: string; fields: string[] }> = [];
    sentences.push({
      text: `${o.name} is ${o.state.toLowerCase()} (${o.status})${o.customer ? ` with ${o.customer.name}` : ''}${str(row, 'stepname') ? `, in ${str(row, 'stepname')}` : ''}.`,
      fields: ['name', 'statecode', 'statuscode', '_customerid_value', 'stepname'],
    });
    const value = num(row, 'estimatedvalue');
    if (value !== undefined) {
      sentences.push({
        text: `Estimated revenue ${money(value)}${o.probability !== undefined ? ` at ${o.probability}% probability` : ''}${o.estimatedCloseDate ? `, expected to close ${o.estimatedCloseDate}` : ''}.`,
        fields: ['estimatedvalue', 'closeprobability', 'estimatedclosedate'],
      });
    }
    if (o.actualRevenue !== undefined || o.actualCloseDate) sentences.push({ text: `Closed ${o.actualCloseDate ?? ''} for ${money(o.actualRevenue)}.`.replace('  ', ' '), fields: ['actualvalue', 'actualclosedate'] });
    sentences.push(
      lines.length
        ? { text: `${lines.length} product line(s): ${lines.map((l) => `${l.quantity} × ${l.product}`).join(', ')}; total ${money(num(row, 'totalamount'))}${o.priceList ? ` on price list ${o.priceList.name}` : ''}.`, fields: ['product_opportunities', 'totalamount', '_pricelevelid_value'] }
        : { text: `No product lines yet${o.priceList ? ` (price list ${o.priceList.name})` : ' and no price list'}.`, fields: ['product_opportunities', '_pricelevelid_value'] },
    );
    if (quotes.length) sentences.push({ text: `Quotes: ${quotes.map((q) => `${q.quoteNumber} rev. ${q.revision} (${q.state})`).join(', ')}.`, fields: ['opportunity_quotes'] });
    if (competitors.length) sentences.push({ text: `Competing: ${competitors.map((c) => c.name).join(', ')}.`, fields: ['opportunitycompetitors_association'] });
    const owner = lookup(row, 'ownerid');
    if (owner?.name) sentences.push({ text: `Owned by ${owner.name}.`, fields: ['_ownerid_value'] });
    const { text, ...written } = await brief(ctx, { table: 'opportunity', recordId: opportunityId, name: o.name, purpose: 'summary', sentences });
    return {
      data: { opportunity: o, lines, quotes, competitors, ...written },
      text,
      records: [{ table: 'opportunity', id: opportunityId, name: o.name }, ...quotes.map((q) => ({ table: 'quote', id: q.quoteId, name: q.name }))],
    };
  },
});
