import { toolset } from '../defineTool.js';
import { cloneOpportunity } from './cloneOpportunity.js';
import { getAccountCatchup } from './getAccountCatchup.js';
import { getAccountHierarchy } from './getAccountHierarchy.js';
import { getAccountSummary } from './getAccountSummary.js';
import { getContactSummary } from './getContactSummary.js';
import { getLeadBpf } from './getLeadBpf.js';
import { getOpportunityBpf } from './getOpportunityBpf.js';
import { getOpportunityCatchup } from './getOpportunityCatchup.js';
import { getStakeholder } from './getStakeholder.js';
import { scheduleMeeting } from './scheduleMeeting.js';
import { updateBpfStage } from './updateBpfStage.js';
import { updateStakeholder } from './updateStakeholder.js';

/** Sales accounts, people and engagement under the Dynamics 365 CX MCP Server's names: summaries, catch-ups, hierarchy, meetings, the sales process flow, stakeholders, cloning. */
export const engagementTools = toolset('engagement', [
  getAccountSummary,
  getAccountCatchup,
  getAccountHierarchy,
  getContactSummary,
  getOpportunityCatchup,
  scheduleMeeting,
  getLeadBpf,
  getOpportunityBpf,
  updateBpfStage,
  getStakeholder,
  updateStakeholder,
  cloneOpportunity,
]);
