import { toolset } from '../defineTool.js';
import { getAccountResearch } from './getAccountResearch.js';
import { getCompetitorResearch } from './getCompetitorResearch.js';
import { draftResearchOutreachEmail } from './draftResearchOutreachEmail.js';
import { getEngageSummary } from './getEngageSummary.js';
import { getLeadResearch } from './getLeadResearch.js';
import { getLeadQualificationAssessment } from './getLeadQualificationAssessment.js';

export const researchTools = toolset('research', [getAccountResearch, getCompetitorResearch, getEngageSummary, getLeadResearch, getLeadQualificationAssessment, draftResearchOutreachEmail]);
