import { z } from 'zod';

import { defineTool, type ToolContext, ToolError } from '../defineTool.js';
import { GUID } from '../../dataverse/odata.js';
import { LEAD_SOURCE, leadScoring, loadLeadFacts, NO_SCORING_NOTE } from './leadData.js';
import { DECISION_KIND, type DecisionPayload, FactorWeightsSchema, LogFiltersSchema } from './prioritizationLog.js';
import { explain, type Explanation, FACTORS, hotRule, NORMALISATION, rankLeads, type RankedLead, resolveWeights, TIE_BREAK } from './ranking.js';
import { loadCandidates, type RankingFilters } from './rankingData.js';
import { HotThresholdSchema, WeightsSchema } from './settings.js';

const FactorSchema = z.object({
  raw: z.number().optional().describe("The lead's own figure: score, hours since the last interaction, interactions or estimated value (absent when it has none)"),
  normalised: z.number().describe('0-1'),
  weight: z.number(),
  contribution: z.number().describe('weight × normalised'),
});

const RankedSchema = z.object({
  rank: z.number(),
  leadId: z.string(),
  fullName: z.string(),
  company: z.string(),
  score: z.number().optional(),
  lastInteractionOn: z.string().optional().describe('Latest time an email, call, task or appointment was recorded or completed'),
  lastInteractionType: z.string().optional(),
  interactionCount: z.number().optional(),
  factors: z.object({ score: FactorSchema, recency: FactorSchema, interactions: FactorSchema, value: FactorSchema }),
  total: z.number().describe('Sum of the contributions, 0-1'),
  hot: z.boolean(),
  rationale: z.string(),
  recommendedAction: z.string(),
  actionFields: z.array(z.string()).describe('The fields the recommended action rests on'),
  summary: z.object({ text: z.string(), source: z.string(), notes: z.array(z.string()) }).optional(),
});

const input = z.object({
  status: z.enum(['open', 'qualified', 'disqualified', 'all']).default('open').describe('Lead state; default open.'),
  createdWithinDays: z.number().int().min(1).max(3650).optional().describe('Only leads created in the last N calendar days (from midnight N days before today, as LastXDays counts).'),
  createdWithinHours: z.number().int().min(1).max(8760).optional().describe('Only leads created in the last N hours (rolling). Not together with createdWithinDays.'),
  minScore: z.number().int().min(0).max(100).optional().describe('Only leads whose predictive score is at least this (ignored, and said, where the organisation has no predictive scoring).'),
  owner: z
    .string()
    .trim()
    .regex(new RegExp(`^(me|${GUID.source.slice(1, -1)})$`, 'i'), 'must be "me" or a user id (GUID)')
    .optional()
    .describe('Only leads owned by this user: "me" or their systemuserid.'),
  source: z.enum(Object.keys(LEAD_SOURCE) as [keyof typeof LEAD_SOURCE, ...Array<keyof typeof LEAD_SOURCE>]).optional().describe('Lead source.'),
  weights: WeightsSchema.optional().describe('Factor weights; default score 0.5, recency 0.3, interactions 0.2. A factor left out counts as 0; weights that do not sum to 1 are normalised.'),
  hot: HotThresholdSchema.optional().describe('When a lead is hot; default a score of at least 80 and an interaction in the last 48 hours.'),
  top: z.number().int().min(1).max(100).default(20).describe('Ranked leads to return (1-100, default 20); all matching leads are ranked.'),
  summarizeTop: z.number().int().min(0).max(5).default(0).describe('Summarise the first N leads of the ranking (0-5, default 0).'),
});

export const prioritizeLeads = defineTool({
  name: 'D365_Sales_PrioritizeLeads',
  kind: 'read',
  title: 'Prioritise leads',
  description:
    "Ranks leads by a weighted, explained score: predictive score, recency of the last interaction, number of interactions (and optionally estimated value), each scaled to 0-1. Returns the ranked table with every factor's value and contribution, the total, whether the lead is hot, a rationale and a recommended action, plus the weights, filters and data timestamp used; each ranking is kept in your decision log (D365_Sales_GetPrioritizationLog). Qualify a lead from it with D365_Sales_QualifyLeadToOpportunity, which asks you to confirm.",
  input,
  output: z.object({
    ranked: z.array(RankedSchema),
    considered: z.number().describe('Leads ranked (all that match the filters)'),
    hotCount: z.number().describe('Hot leads among them'),
    weights: FactorWeightsSchema.describe('The weights used, summing to 1'),
    normalisation: z.object({ score: z.string(), recency: z.string(), interactions: z.string(), value: z.string() }).describe('How each factor is scaled to 0-1'),
    hotRule: z.object({ minScore: z.number(), withinHours: z.number(), usesRating: z.boolean(), description: z.string() }),
    filters: LogFiltersSchema.describe('The filters used'),
    dataAsOf: z.string().describe('The instant the data was read and recency measured from'),
    tieBreak: z.string(),
    scoringAvailable: z.boolean(),
    engagementAvailable: z.boolean(),
    decisionId: z.string().optional().describe('This ranking in your decision log'),
    notes: z.array(z.string()),
  }),
  async run(args, ctx) {
    if (args.createdWithinDays !== undefined && args.createdWithinHours !== undefined) {
      throw new ToolError('Give createdWithinDays (calendar days) or createdWithinHours (rolling hours), not both.', 'invalid_argument');
    }
    const scoring = await leadScoring(ctx);
    const notes: string[] = [];
    if (!scoring && args.minScore !== undefined) notes.push(`${NO_SCORING_NOTE} minScore was not applied.`);
    const filters: RankingFilters = {
      status: args.status,
      createdWithinDays: args.createdWithinDays,
      createdWithinHours: args.createdWithinHours,
      minScore: args.minScore,
      owner: args.owner?.toLowerCase(),
      source: args.source,
    };
    const dataAsOf = ctx.now();
    const { candidates, engagementAvailable } = await loadCandidates(ctx, filters, scoring);
    const { weights, notes: weightNotes } = resolveWeights(args.weights, ctx.agent.prioritization.weights, { score: scoring !== undefined, engagement: engagementAvailable }, NO_SCORING_NOTE);
    notes.push(...weightNotes);
    const rule = hotRule(args.hot, ctx.agent.prioritization.hot, scoring !== undefined);
    const ranked = rankLeads(candidates, weights, rule, dataAsOf);
    const shown = ranked.slice(0, args.top);
    const summaries = await summarise(ctx, shown.slice(0, args.summarizeTop));
    const echo = {
      status: filters.status,
      ...(filters.createdWithinDays !== undefined && { createdWithinDays: filters.createdWithinDays }),
      ...(filters.createdWithinHours !== undefined && { createdWithinHours: filters.createdWithinHours }),
      ...(filters.minScore !== undefined && { minScore: filters.minScore }),
      ...(filters.owner !== undefined && { owner: filters.owner }),
      ...(filters.source !== undefined && { source: filters.source }),
    };
    const roundedWeights = Object.fromEntries(FACTORS.map((f) => [f, Math.round(weights[f] * 10_000) / 10_000])) as Record<(typeof FACTORS)[number], number>;
    const hotCount = ranked.filter((r) => r.hot).length;
    const decisionId = await record(ctx, notes, {
      tool: 'D365_Sales_PrioritizeLeads',
      weights: roundedWeights,
      filters: echo,
      hotRule: rule.description,
      dataAsOf: dataAsOf.toISOString(),
      considered: ranked.length,
      results: shown.map((r) => ({ leadId: r.candidate.leadId, rank: r.rank, total: r.total, ...(r.candidate.score !== undefined && { score: r.candidate.score }), hot: r.hot })),
    });
    const rows = shown.map((r, i) => row(r, explain(r, rule, dataAsOf), summaries[i]));
    return {
      data: {
        ranked: rows,
        considered: ranked.length,
        hotCount,
        weights: roundedWeights,
        normalisation: { ...NORMALISATION },
        hotRule: rule,
        filters: echo,
        dataAsOf: dataAsOf.toISOString(),
        tieBreak: TIE_BREAK,
        scoringAvailable: scoring !== undefined,
        engagementAvailable,
        ...(decisionId && { decisionId }),
        notes,
      },
      text: render(rows, ranked.length, hotCount, roundedWeights, rule.description, dataAsOf, notes, decisionId),
      records: rows.map((r) => ({ table: 'lead', id: r.leadId, name: r.fullName })),
    };
  },
});

type Row = z.infer<typeof RankedSchema>;

function row(r: RankedLead, why: Explanation, summary: Row['summary']): Row {
  const c = r.candidate;
  const factor = (f: (typeof FACTORS)[number]) => {
    const v = r.factors[f];
    return { ...(v.raw !== null && { raw: v.raw }), normalised: v.normalised, weight: v.weight, contribution: v.contribution };
  };
  return {
    rank: r.rank,
    leadId: c.leadId,
    fullName: c.fullName,
    company: c.company,
    ...(c.score !== undefined && { score: c.score }),
    ...(c.lastInteractionOn && { lastInteractionOn: c.lastInteractionOn }),
    ...(c.lastInteractionKind && { lastInteractionType: c.lastInteractionKind }),
    ...(c.interactions !== undefined && { interactionCount: c.interactions }),
    factors: { score: factor('score'), recency: factor('recency'), interactions: factor('interactions'), value: factor('value') },
    total: r.total,
    hot: r.hot,
    rationale: why.rationale,
    recommendedAction: why.action.text,
    actionFields: why.action.fields,
    ...(summary && { summary }),
  };
}

/** Summaries of the first leads (at most five, side by side), through the agent's Copilot provider. */
async function summarise(ctx: ToolContext, leads: readonly RankedLead[]): Promise<Array<Row['summary']>> {
  return Promise.all(
    leads.map(async (l) => {
      const { facts } = await loadLeadFacts(ctx, l.candidate.leadId);
      const s = await ctx.copilot.summarise({ kind: 'lead', facts });
      return { text: s.text, source: s.source, notes: s.notes };
    }),
  );
}

/** Keeps the ranking in the user's decision log; a ranking is still returned when storage fails, and says so. */
async function record(ctx: ToolContext, notes: string[], payload: DecisionPayload): Promise<string | undefined> {
  try {
    return await ctx.decisions.append(DECISION_KIND, payload);
  } catch (err) {
    ctx.log.error('decision log write failed', { error: err instanceof Error ? err.message : 'unknown' });
    notes.push('This ranking could not be kept in your decision log (storage is unavailable); it is not in D365_Sales_GetPrioritizationLog.');
    return undefined;
  }
}

function render(rows: readonly Row[], considered: number, hotCount: number, weights: Record<string, number>, hot: string, asOf: Date, notes: readonly string[], decisionId: string | undefined): string {
  const cell = (s: string) => s.replace(/\|/g, '/');
  const lines = [
    `Ranked ${considered} lead${considered === 1 ? '' : 's'} (${hotCount} hot) as of ${asOf.toISOString()}, weights ${Object.entries(weights).filter(([, w]) => w > 0).map(([f, w]) => `${f} ${w}`).join(', ')}. ${hot}`,
    '',
    '| # | Lead | Company | Score | Last interaction | Interactions | Total | Hot | Recommended action |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.rank} | ${cell(r.fullName)} | ${cell(r.company)} | ${r.score ?? '–'} | ${r.lastInteractionOn?.slice(0, 16).replace('T', ' ') ?? '–'} | ${r.interactionCount ?? '–'} | ${r.total.toFixed(3)} | ${r.hot ? 'yes' : 'no'} | ${cell(r.recommendedAction)} |`),
    ...rows.flatMap((r) => (r.summary ? ['', `${r.rank}. ${r.fullName}: ${r.summary.text}`] : [])),
    '',
    `Each factor's value and contribution is in the structured result. To qualify a lead, call D365_Sales_QualifyLeadToOpportunity with its leadId (it asks you to confirm first).${decisionId ? ` Kept in your decision log as ${decisionId}.` : ''}`,
    ...notes.map((n) => `(note) ${n}`),
  ];
  return lines.join('\n');
}
