import { toolset } from '../defineTool.js';
import { draftOutreachEmail } from './draftOutreachEmail.js';
import { invokeLeadSummary } from './invokeLeadSummary.js';
import { listLeads } from './listLeads.js';
import { qualifyLeadToOpportunity } from './qualifyLeadToOpportunity.js';
import { sendOutreachEmail } from './sendOutreachEmail.js';

export const salesTools = toolset('sales', [listLeads, qualifyLeadToOpportunity, invokeLeadSummary, draftOutreachEmail, sendOutreachEmail]);
