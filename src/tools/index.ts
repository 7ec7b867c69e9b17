import { whoami } from './core/whoami.js';
import { describeTable } from './dataverse/describeTable.js';
import { listTables } from './dataverse/listTables.js';
import { readQuery } from './dataverse/readQuery.js';
import { createRecord, deleteRecord, updateRecord } from './dataverse/records.js';
import { createTable, deleteTable, updateTable } from './dataverse/tables.js';
import type { ToolDefinition } from './defineTool.js';
import { getAccountResearch } from './research/accountResearch.js';
import { getCompetitorResearch } from './research/competitorResearch.js';
import { getEngageSummary } from './research/engageSummary.js';
import { getLeadResearch } from './research/leadResearch.js';
import { getLeadQualificationAssessment } from './research/qualificationAssessment.js';
import { draftResearchOutreachEmail } from './research/researchDraft.js';
import { listLeads } from './sales/listLeads.js';
import { draftOutreachEmail, invokeLeadSummary, sendOutreachEmail } from './sales/leadSummary.js';
import { qualifyLeadToOpportunity } from './sales/qualifyLead.js';
import { addAccount, updateAccount } from './service/accountWrites.js';
import { addCase } from './service/addCase.js';
import { addCaseNote } from './service/addCaseNote.js';
import { closeCase } from './service/closeCase.js';
import { draftEmailResponse, sendEmailResponse } from './service/emailResponse.js';
import { listAccounts } from './service/listAccounts.js';
import { listCases } from './service/listCases.js';
import { updateCase } from './service/updateCase.js';

/** Every tool the server knows. Agents choose from these by tool set, allowlist and read-only mode. */
export const ALL_TOOLS: readonly ToolDefinition[] = [
  whoami,
  listLeads,
  qualifyLeadToOpportunity,
  invokeLeadSummary,
  draftOutreachEmail,
  sendOutreachEmail,
  listCases,
  addCase,
  updateCase,
  addCaseNote,
  closeCase,
  listAccounts,
  addAccount,
  updateAccount,
  draftEmailResponse,
  sendEmailResponse,
  listTables,
  describeTable,
  readQuery,
  createRecord,
  updateRecord,
  deleteRecord,
  createTable,
  updateTable,
  deleteTable,
  getAccountResearch,
  getCompetitorResearch,
  getEngageSummary,
  getLeadResearch,
  getLeadQualificationAssessment,
  draftResearchOutreachEmail,
];
