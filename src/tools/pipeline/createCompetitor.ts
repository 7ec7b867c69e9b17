import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { createConfirmed, previewText } from '../shared.js';

/** `create_competitor` (MCP tool reference): a competitor record; returns its id. */
export const createCompetitor = defineTool({
  name: 'create_competitor',
  kind: 'write',
  title: 'Create competitor',
  description: 'Creates a competitor (name, overview, strengths, weaknesses, key product, website) after checking none exists; returns its competitorId for link_competitor_to_opportunity.',
  input: z.object({
    name: z.string().trim().min(1).max(100).describe('Competitor company name.'),
    overview: z.string().trim().max(10_000).optional().describe('Business overview or notes.'),
    strengths: z.string().trim().max(10_000).optional().describe('Competitor strengths.'),
    weaknesses: z.string().trim().max(10_000).optional().describe('Competitor weaknesses.'),
    keyProduct: z.string().trim().max(2000).optional().describe("Competitor's primary product or service."),
    websiteUrl: z.url({ protocol: /^https?$/ }).max(200).optional().describe('Competitor website (http or https).'),
  }),
  output: z.object({ competitorId: z.string(), name: z.string() }),
  auditTarget: (args) => `competitor:new:${args.name}`,
  async prepare(args, ctx) {
    await ctx.privileges.require({ table: 'competitor', ops: ['Create'] });
    const body = {
      name: args.name,
      ...(args.overview && { overview: args.overview }),
      ...(args.strengths && { strengths: args.strengths }),
      ...(args.weaknesses && { weaknesses: args.weaknesses }),
      ...(args.keyProduct && { keyproduct: args.keyProduct }),
      ...(args.websiteUrl && { websiteurl: args.websiteUrl }),
    };
    return {
      preview: {
        summary: `Create competitor "${args.name}".`,
        details: { name: args.name, ...(args.keyProduct && { keyProduct: args.keyProduct }), ...(args.websiteUrl && { website: args.websiteUrl }), ...(args.overview && { overview: previewText(args.overview, 500) }) },
      },
      async run() {
        const { id } = await createConfirmed(ctx, { table: 'competitor', entitySet: 'competitors', primaryId: 'competitorid' }, body);
        return { data: { competitorId: id, name: args.name }, text: `Created competitor ${args.name} (${id}).`, target: `competitor:${id}`, records: [{ table: 'competitor', id, name: args.name }] };
      },
    };
  },
});
