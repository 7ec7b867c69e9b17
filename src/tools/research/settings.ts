import { z } from 'zod';

/** Ideal-customer criteria for the lead qualification assessment; unset criteria are not evaluated. */
export const IcpSchema = z
  .object({
    industries: z.array(z.string().min(1)).optional().describe('Industry labels that fit'),
    countries: z.array(z.string().min(1)).optional(),
    minEmployees: z.number().int().min(0).optional(),
    minRevenue: z.number().min(0).optional(),
    minBudget: z.number().min(0).optional(),
    minScore: z.number().int().min(0).max(100).optional().describe('Minimum predictive lead score'),
    preferredSources: z.array(z.string().min(1)).optional().describe('Lead source labels that convert well'),
    decisionMakerTitles: z.array(z.string().min(1)).optional().describe('Job title words that indicate authority'),
  })
  .strict();
export type Icp = z.infer<typeof IcpSchema>;

/** Settings of the research tool set, per agent (agents.json `research`). */
export const ResearchSchema = z
  .object({
    icp: IcpSchema.optional(),
    /** Names to look for in notes, emails and descriptions. */
    competitors: z.array(z.string().min(2).max(100)).max(100).optional(),
  })
  .strict();
export type ResearchConfig = z.infer<typeof ResearchSchema>;
