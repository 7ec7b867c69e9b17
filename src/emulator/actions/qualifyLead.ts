import { invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import type { TableDef } from '../metadata/types.js';
import { createRecord, loadRow, parseEntityReference, systemUpdate } from '../write/recordWriter.js';
import type { JsonObject } from './actionParameters.js';
import { actionParameters, actionTable, copyColumns } from './actionParameters.js';

/**
 * `POST /leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead`: CreateAccount, CreateContact,
 * CreateOpportunity and Status are required; returns Collection(crmbaseentity)
 * (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/qualifylead).
 */
export function qualifyLead(scope: RequestScope, leadId: string): ApiResponse {
  const leadT = actionTable(scope, 'lead');
  const p = actionParameters('leads', 'QualifyLead', scope.req.body, {
    CreateAccount: { type: 'boolean', required: true },
    CreateContact: { type: 'boolean', required: true },
    CreateOpportunity: { type: 'boolean', required: true },
    Status: { type: 'integer', required: true },
    'OpportunityCurrencyId@odata.bind': { type: 'string', required: false },
    'OpportunityCustomerId@odata.bind': { type: 'string', required: false },
    'SourceCampaignId@odata.bind': { type: 'string', required: false },
    ProcessInstanceId: { type: 'any', required: false },
    SuppressDuplicateDetection: { type: 'boolean', required: false },
  });
  scope.access.require('Read', leadT);
  scope.access.require('Write', leadT);
  const lead = loadRow(scope.core.store, leadT, leadId);
  if (!lead) throw notFound('lead', leadId);
  const status = p.Status as number;
  const statusOption = leadT.attributes.find((a) => a.logicalName === 'statuscode')?.options?.find((o) => o.value === status);
  if (statusOption?.state !== 1) throw invalidArgument(`${status} is not a valid status code for state code LeadState.Qualified on lead with Id ${leadId}.`);
  if (lead.statecode !== 0) throw invalidArgument(`The lead with Id ${leadId} is already closed (qualified or disqualified). Only open leads can be qualified; reactivate it first.`);

  const account = actionTable(scope, 'account');
  const contact = actionTable(scope, 'contact');
  const opportunity = actionTable(scope, 'opportunity');
  // A lead that names an existing account/contact is linked to them instead of creating duplicates,
  // as qualifying from the app does.
  const existingAccount = typeof lead.parentaccountid === 'string' ? lead.parentaccountid : undefined;
  const existingContact = typeof lead.parentcontactid === 'string' ? lead.parentcontactid : undefined;
  const createAccount = p.CreateAccount === true && !existingAccount && typeof lead.companyname === 'string' && lead.companyname.trim() !== '';
  const createContact = p.CreateContact === true && !existingContact;
  if (createAccount) scope.access.require('Create', account);
  if (createContact) scope.access.require('Create', contact);
  if (p.CreateOpportunity === true) scope.access.require('Create', opportunity);
  let customerRef: { table: TableDef; id: string } | undefined;
  const customerBind = p['OpportunityCustomerId@odata.bind'];
  if (typeof customerBind === 'string') {
    customerRef = parseEntityReference(scope.core.model, customerBind);
    if (!customerRef || (customerRef.table.logicalName !== 'account' && customerRef.table.logicalName !== 'contact')) {
      throw payloadError('leads', `OpportunityCustomerId must reference an account or a contact.`);
    }
  }

  const created: JsonObject[] = [];
  scope.core.store.transaction(() => {
    const leadBind = { 'originatingleadid@odata.bind': `/leads(${leadId})` };
    let accountId: string | undefined = p.CreateAccount === true ? existingAccount : undefined;
    let contactId: string | undefined = p.CreateContact === true ? existingContact : undefined;
    if (createAccount) {
      accountId = createRecord(scope.write, account, {
        name: lead.companyname,
        ...copyColumns(lead, ['telephone1', 'websiteurl', 'address1_city', 'address1_country', 'industrycode', 'numberofemployees', 'revenue']),
        ...leadBind,
      });
      created.push({ '@odata.type': '#Microsoft.Dynamics.CRM.account', accountid: accountId });
    }
    if (createContact) {
      contactId = createRecord(scope.write, contact, {
        ...copyColumns(lead, ['firstname', 'lastname', 'emailaddress1', 'telephone1', 'mobilephone', 'jobtitle', 'address1_city', 'address1_country']),
        ...leadBind,
        ...(accountId ? { 'parentcustomerid_account@odata.bind': `/accounts(${accountId})` } : {}),
      });
      created.push({ '@odata.type': '#Microsoft.Dynamics.CRM.contact', contactid: contactId });
    }
    if (p.CreateOpportunity === true) {
      const customer = customerRef
        ? { [`customerid_${customerRef.table.logicalName}@odata.bind`]: `/${customerRef.table.entitySetName}(${customerRef.id})` }
        : accountId
          ? { 'customerid_account@odata.bind': `/accounts(${accountId})` }
          : contactId
            ? { 'customerid_contact@odata.bind': `/contacts(${contactId})` }
            : existingAccount
              ? { 'customerid_account@odata.bind': `/accounts(${existingAccount})` }
              : {};
      const rating = lead.leadqualitycode;
      const opportunityId = createRecord(scope.write, opportunity, {
        name: typeof lead.subject === 'string' && lead.subject !== '' ? lead.subject : (lead.fullname ?? 'Opportunity'),
        ...copyColumns(lead, ['estimatedvalue', 'budgetamount', 'purchasetimeframe', 'estimatedclosedate', 'description']),
        ...(typeof rating === 'number' ? { opportunityratingcode: rating } : {}),
        ...leadBind,
        ...customer,
        ...(accountId ? { 'parentaccountid@odata.bind': `/accounts(${accountId})` } : {}),
        ...(contactId ? { 'parentcontactid@odata.bind': `/contacts(${contactId})` } : {}),
      });
      created.push({ '@odata.type': '#Microsoft.Dynamics.CRM.opportunity', opportunityid: opportunityId });
      systemUpdate(scope.write, leadT, leadId, { statecode: 1, statuscode: status, 'qualifyingopportunityid@odata.bind': `/opportunities(${opportunityId})` });
    } else {
      systemUpdate(scope.write, leadT, leadId, { statecode: 1, statuscode: status });
    }
  });
  return {
    status: 200,
    body: { '@odata.context': `${scope.req.baseUrl}$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)`, value: created },
  };
}
