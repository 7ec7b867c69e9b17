import { type ToolDefinition, toolset } from '../defineTool.js';
import { getAccountSummary } from '../engagement/getAccountSummary.js';
import { getContactSummary } from '../engagement/getContactSummary.js';
import { applyEmailTemplate } from './applyEmailTemplate.js';
import { closeCase } from './closeCase.js';
import { getAccount, getContact, listContacts } from './contacts.js';
import { createCaseFromEmail, linkEmailToCase } from './emailCases.js';
import { draftEmail, editEmailDraft, listEmails, viewEmail } from './emailTools.js';
import { getCase } from './getCase.js';
import { reassignCase } from './reassignCase.js';
import { searchCases } from './searchCases.js';
import { getCaseSlaStatus } from './getCaseSlaStatus.js';
import { pickCaseFromQueue } from './pickCaseFromQueue.js';
import { queryCasesBySlaStatus } from './queryCasesBySlaStatus.js';
import { recommendEmailTemplates } from './recommendEmailTemplates.js';
import { resolveCaseAndPickNext } from './resolveCaseAndPickNext.js';
import { adjustEmailTone, translateEmail } from './rewriteEmail.js';
import { sendEmail } from './sendEmail.js';
import { summarizeCase } from './summarizeCase.js';

/** The Service server calls the account and contact briefs summarize_*; the Sales server get_*_summary: one handler each. */
const summarizeAccount: ToolDefinition = { ...getAccountSummary, name: 'summarize_account', title: 'Summarize account' };
const summarizeContact: ToolDefinition = { ...getContactSummary, name: 'summarize_contact', title: 'Summarize contact' };

/** The service desk around the case, under the Dynamics 365 CX MCP Server's names: queues, SLAs, templates and sending. */
export const caseworkTools = toolset('casework', [
  getCase,
  summarizeCase,
  searchCases,
  createCaseFromEmail,
  linkEmailToCase,
  reassignCase,
  closeCase,
  pickCaseFromQueue,
  resolveCaseAndPickNext,
  getCaseSlaStatus,
  queryCasesBySlaStatus,
  recommendEmailTemplates,
  applyEmailTemplate,
  listEmails,
  viewEmail,
  draftEmail,
  editEmailDraft,
  adjustEmailTone,
  translateEmail,
  sendEmail,
]);

/** The Service server's people tools (cx names): contacts and accounts with their cases, and their briefs. */
export const peopleTools = toolset('people', [listContacts, getContact, getAccount, summarizeAccount, summarizeContact]);
