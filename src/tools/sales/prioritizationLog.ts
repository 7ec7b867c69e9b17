import { z } from 'zod';

/**
 * What the decision log keeps of each lead ranking, shared by the tool that records it and the one
 * that reads it back (which checks every entry against this schema).
 */
export const DECISION_KIND = 'lead-prioritization';

export const FactorWeightsSchema = z.object({ score: z.number(), recency: z.number(), interactions: z.number(), value: z.number() });

export const LogFiltersSchema = z.object({
  status: z.string(),
  createdWithinDays: z.number().optional(),
  createdWithinHours: z.number().optional(),
  minScore: z.number().optional(),
  owner: z.string().optional(),
  source: z.string().optional(),
});

export const DecisionPayloadSchema = z.object({
  tool: z.string(),
  weights: FactorWeightsSchema,
  filters: LogFiltersSchema,
  hotRule: z.string(),
  dataAsOf: z.string(),
  considered: z.number(),
  results: z.array(z.object({ leadId: z.string(), rank: z.number(), total: z.number(), score: z.number().optional(), hot: z.boolean() })),
});
export type DecisionPayload = z.infer<typeof DecisionPayloadSchema>;

export const LogEntrySchema = DecisionPayloadSchema.extend({
  decisionId: z.string(),
  at: z.string().describe('When the ranking was made'),
  agentId: z.string(),
  user: z.string().describe('Who ranked (sign-in name)'),
});
