import { toolset } from '../defineTool.js';
import { draftOutreachEmail } from './draftOutreachEmail.js';
import { getPrioritizationLog } from './getPrioritizationLog.js';
import { invokeLeadSummary } from './invokeLeadSummary.js';
import { listLeads } from './listLeads.js';
import { prioritizeLeads } from './prioritizeLeads.js';
import { qualifyLeadToOpportunity } from './qualifyLeadToOpportunity.js';
import { sendOutreachEmail } from './sendOutreachEmail.js';

export const salesTools = toolset('sales', [listLeads, prioritizeLeads, getPrioritizationLog, qualifyLeadToOpportunity, invokeLeadSummary, draftOutreachEmail, sendOutreachEmail]);
