import { toolset } from '../defineTool.js';
import { addAccount } from './addAccount.js';
import { addCase } from './addCase.js';
import { addCaseNote } from './addCaseNote.js';
import { closeCase } from './closeCase.js';
import { draftEmailResponse } from './draftEmailResponse.js';
import { listAccounts } from './listAccounts.js';
import { listCases } from './listCases.js';
import { sendEmailResponse } from './sendEmailResponse.js';
import { updateAccount } from './updateAccount.js';
import { updateCase } from './updateCase.js';

export const serviceTools = toolset('service', [
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
]);
