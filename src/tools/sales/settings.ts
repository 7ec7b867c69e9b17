import { z } from 'zod';

/**
 * Weights of the lead prioritisation factors. Any factor left out counts as 0; weights that do not
 * sum to 1 are normalised (and the result says so).
 */
export const WeightsSchema = z
  .object({
    score: z.number().min(0).max(100).optional().describe('Weight of the predictive lead score'),
    recency: z.number().min(0).max(100).optional().describe('Weight of how recent the last interaction is'),
    interactions: z.number().min(0).max(100).optional().describe('Weight of the number of emails, calls, tasks and appointments'),
    value: z.number().min(0).max(100).optional().describe('Weight of the estimated value'),
  })
  .strict();
export type Weights = z.infer<typeof WeightsSchema>;

/** When a lead counts as hot: a score at least this high and an interaction within this many hours. */
export const HotThresholdSchema = z
  .object({
    minScore: z.number().int().min(0).max(100).optional().describe('Lowest predictive score of a hot lead (default 80)'),
    withinHours: z.number().int().min(1).max(720).optional().describe('A hot lead had an interaction within this many hours (default 48)'),
  })
  .strict();
export type HotThreshold = z.infer<typeof HotThresholdSchema>;

/** Per-agent defaults of D365_Sales_PrioritizeLeads (agents.json `prioritization`). */
export const PrioritizationSchema = z
  .object({
    weights: WeightsSchema.optional(),
    hot: HotThresholdSchema.optional(),
  })
  .strict();
export type PrioritizationConfig = z.infer<typeof PrioritizationSchema>;
