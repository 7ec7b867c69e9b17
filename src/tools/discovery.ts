import type { PrivilegeNeed } from '../dataverse/privileges.js';

/**
 * What each tool needs of the signed-in user's security roles before it is worth listing: the
 * privileges without which it can never succeed, and nothing more, so discovery hides a tool the
 * user could never run and never one they might.
 *
 * - A read tool needs Read on the table(s) it always reads (its subject). Tables it reads only for
 *   some arguments, or tolerates missing (activities and notes left out when unreadable, optional
 *   solution tables such as predictive scoring, knowledge sources an org may lack), are not listed.
 * - A write tool needs exactly what its `prepare()` passes to `ctx.privileges.require(...)` for
 *   every call, plus Read on the record it reads first. Needs that depend on an argument (the
 *   table of a generic record tool, an optional lookup, a send from a draft or not) are left out;
 *   the entry names only what every call needs (often nothing), and says so above it.
 * - Expanded related rows are not counted, nor the signed-in user's own systemuser row (read for
 *   a draft's sender); a send lists systemuser because its `prepare()` requires it.
 *
 * Tables are logical names; the server maps them to privilege names (activities share
 * `prv…Activity`, notes `prv…Note`). Keys are the declared tool names (the classic one for tools
 * served under two names). Every tool outside `core` and `conformance` has an entry
 * (test/tools/discovery.test.ts). A listed tool is still checked by Dataverse when it runs.
 */
export const DISCOVERY_NEEDS: Readonly<Record<string, readonly PrivilegeNeed[]>> = {
  // sales
  D365_Sales_ListLeads: [{ table: 'lead', ops: ['Read'] }],
  D365_Sales_PrioritizeLeads: [{ table: 'lead', ops: ['Read'] }],
  // Reads only the user's decision log (Table Storage), not Dataverse.
  D365_Sales_GetPrioritizationLog: [],
  // Create on account, contact and opportunity follow createAccount/createContact/createOpportunity.
  D365_Sales_QualifyLeadToOpportunity: [{ table: 'lead', ops: ['Read', 'Write'] }],
  D365_Sales_InvokeLeadSummary: [{ table: 'lead', ops: ['Read'] }],
  D365_Sales_DraftOutreachEmail: [{ table: 'lead', ops: ['Read'] }],
  // What both a draft send and a new email need; Create/Append on email, AppendTo on the lead and reading the lead are for a new email only.
  D365_Sales_SendOutreachEmail: [{ table: 'email', ops: ['Read', 'Write'] }, { table: 'systemuser', ops: ['Read'] }],

  // service
  D365_CustomerService_ListCases: [{ table: 'incident', ops: ['Read'] }],
  // AppendTo on the customer (account or contact, found from customerId) and on primaryContactId depend on the arguments.
  D365_CustomerService_AddCase: [{ table: 'incident', ops: ['Create', 'Append'] }],
  // Append on the case and AppendTo on the contact only with primaryContactId.
  D365_CustomerService_UpdateCase: [{ table: 'incident', ops: ['Read', 'Write'] }],
  D365_CustomerService_AddCaseNote: [{ table: 'incident', ops: ['Read', 'AppendTo'] }, { table: 'annotation', ops: ['Create', 'Append'] }],
  D365_CustomerService_CloseCase: [{ table: 'incident', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'incidentresolution', ops: ['Create', 'Read', 'Write', 'Append'] }],
  D365_CustomerService_ListAccounts: [{ table: 'account', ops: ['Read'] }],
  // Append on the account and AppendTo on the contact only with primaryContactId.
  D365_CustomerService_AddAccount: [{ table: 'account', ops: ['Create'] }],
  // Append on the account and AppendTo on the contact only with primaryContactId.
  D365_CustomerService_UpdateAccount: [{ table: 'account', ops: ['Read', 'Write'] }],
  D365_CustomerService_DraftEmailResponse: [{ table: 'incident', ops: ['Read'] }],
  // As the outreach send: the rest (Create/Append on email, the case read and AppendTo) is for a new email only.
  D365_CustomerService_SendEmailResponse: [{ table: 'email', ops: ['Read', 'Write'] }, { table: 'systemuser', ops: ['Read'] }],

  // dataverse: metadata reads need no table privilege; the record tools' table is an argument;
  // the schema tools need named privileges (prvCreateEntity, prvCreateAttribute, prvDeleteEntity) of no table.
  list_tables: [],
  describe_table: [],
  describe: [],
  search: [],
  // Dataverse search over whatever tables the user can read.
  search_data: [],
  // The table is in the query.
  read_query: [],
  // The table is an argument.
  create_record: [],
  // The table is an argument.
  update_record: [],
  // The table is an argument.
  delete_record: [],
  // prvCreateEntity (and prvCreateAttribute with columns): not table privileges.
  create_table: [],
  // prvCreateAttribute: not a table privilege.
  update_table: [],
  // prvDeleteEntity: not a table privilege.
  delete_table: [],

  // research
  get_account_research: [{ table: 'lead', ops: ['Read'] }],
  get_competitor_research: [{ table: 'lead', ops: ['Read'] }],
  get_engage_summary: [{ table: 'lead', ops: ['Read'] }],
  get_lead_research: [{ table: 'lead', ops: ['Read'] }],
  get_lead_qualification_assessment: [{ table: 'lead', ops: ['Read'] }],
  draft_outreach_email: [{ table: 'lead', ops: ['Read'] }],

  // knowledge
  // Searches the knowledge sources the org has (articles, documents on notes, QnA); none is required.
  chat: [],
  // The table is the reference's (article, note or QnA pair).
  get_reference: [],
  search_knowledge_articles: [{ table: 'knowledgearticle', ops: ['Read'] }],
  get_knowledge_article: [{ table: 'knowledgearticle', ops: ['Read'] }],
  draft_knowledge_article: [{ table: 'knowledgearticle', ops: ['Create', 'Read'] }],
  publish_knowledge_article: [{ table: 'knowledgearticle', ops: ['Read', 'Write'] }],

  // pipeline
  get_opportunity_summary: [{ table: 'opportunity', ops: ['Read'] }],
  close_opportunity: [{ table: 'opportunity', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'opportunityclose', ops: ['Create'] }],
  reopen_opportunity: [{ table: 'opportunity', ops: ['Read', 'Write'] }],
  add_opportunity_product: [{ table: 'opportunityproduct', ops: ['Create', 'Append'] }, { table: 'opportunity', ops: ['Read', 'AppendTo'] }, { table: 'product', ops: ['Read', 'AppendTo'] }],
  update_opportunity_products: [{ table: 'opportunityproduct', ops: ['Read', 'Write'] }, { table: 'opportunity', ops: ['Write'] }],
  delete_opportunity_product: [{ table: 'opportunityproduct', ops: ['Read', 'Delete'] }, { table: 'opportunity', ops: ['Write'] }],
  recalculate_opportunity_price: [{ table: 'opportunity', ops: ['Read', 'Write'] }],
  get_product: [{ table: 'product', ops: ['Read'] }],
  get_price_list: [{ table: 'pricelevel', ops: ['Read'] }],
  get_product_pricing: [{ table: 'productpricelevel', ops: ['Read'] }],
  create_quote_from_opportunity: [{ table: 'opportunity', ops: ['Read', 'AppendTo'] }, { table: 'quote', ops: ['Create', 'Append'] }],
  set_quote_active: [{ table: 'quote', ops: ['Read', 'Write'] }],
  revise_quote: [{ table: 'quote', ops: ['Create', 'Read', 'Write'] }, { table: 'quoteclose', ops: ['Create'] }],
  close_quote: [{ table: 'quote', ops: ['Read', 'Write'] }, { table: 'quoteclose', ops: ['Create'] }],
  convert_quote_to_order: [{ table: 'quote', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'salesorder', ops: ['Create', 'Append'] }],
  create_competitor: [{ table: 'competitor', ops: ['Create'] }],
  link_competitor_to_opportunity: [{ table: 'opportunity', ops: ['Read', 'Append', 'AppendTo'] }, { table: 'competitor', ops: ['Read', 'Append', 'AppendTo'] }],

  // bulk: the table is an argument.
  create_records: [],
  update_records: [],

  // files: the table and column are arguments.
  init_file_upload: [],
  commit_file_upload: [],
  file_download: [],

  // records: the generic record tools' table is an argument (timelines leave out what the user cannot read).
  search_entities: [],
  get_entity_record: [],
  list_entity_records: [],
  search_lookup_records: [],
  update_entity_record: [],
  delete_entity_record: [],
  get_activity_timeline: [],
  summarize_entity_timeline: [],
  // AppendTo on the record the note is on: its table is an argument.
  create_note: [{ table: 'annotation', ops: ['Create', 'Append'] }],
  update_note: [{ table: 'annotation', ops: ['Read', 'Write'] }],
  // Task and phone call share prvCreateActivity (named here by activitypointer); Append and the regarding table's AppendTo only with a regarding record.
  create_activity: [{ table: 'activitypointer', ops: ['Create'] }],
  // Write and Assign on the record's table, an argument.
  assign_entity: [],

  // engagement
  get_account_summary: [{ table: 'account', ops: ['Read'] }],
  get_account_catchup: [{ table: 'account', ops: ['Read'] }],
  get_account_hierarchy: [{ table: 'account', ops: ['Read'] }],
  get_contact_summary: [{ table: 'contact', ops: ['Read'] }],
  get_opportunity_catchup: [{ table: 'opportunity', ops: ['Read'] }],
  // AppendTo on invited contacts and on the regarding record only when given.
  schedule_meeting: [{ table: 'appointment', ops: ['Create', 'Append'] }],
  get_lead_bpf: [{ table: 'lead', ops: ['Read'] }, { table: 'leadtoopportunitysalesprocess', ops: ['Read'] }],
  get_opportunity_bpf: [{ table: 'opportunity', ops: ['Read'] }, { table: 'leadtoopportunitysalesprocess', ops: ['Read'] }],
  update_bpf_stage: [{ table: 'leadtoopportunitysalesprocess', ops: ['Read', 'Write', 'Append'] }, { table: 'processstage', ops: ['Read', 'AppendTo'] }],
  // Read on the host (opportunity or account): an argument.
  get_stakeholder: [{ table: 'connection', ops: ['Read'] }],
  // AppendTo on the host (opportunity or account): an argument.
  update_stakeholder: [{ table: 'connection', ops: ['Create', 'Read', 'Write', 'Append'] }, { table: 'contact', ops: ['Read', 'AppendTo'] }, { table: 'connectionrole', ops: ['AppendTo'] }],
  clone_opportunity: [{ table: 'opportunity', ops: ['Create', 'Read', 'Append'] }, { table: 'account', ops: ['AppendTo'] }],

  // casework
  get_case: [{ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }, { table: 'queueitem', ops: ['Read'] }],
  summarize_case: [{ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }, { table: 'queueitem', ops: ['Read'] }],
  search_cases: [{ table: 'incident', ops: ['Read'] }],
  // AppendTo on the customer (the sender or customerId, an account or a contact) depends on the email and arguments.
  create_case_from_email: [{ table: 'incident', ops: ['Create', 'Append', 'AppendTo'] }, { table: 'email', ops: ['Read', 'Write', 'Append'] }],
  link_email_to_case: [{ table: 'email', ops: ['Read', 'Write', 'Append'] }, { table: 'incident', ops: ['Read', 'AppendTo'] }],
  // Handing to a queue (the `to` argument) also needs queue and queueitem privileges.
  reassign_case: [{ table: 'incident', ops: ['Read', 'Write', 'AppendTo'] }, { table: 'annotation', ops: ['Create', 'Append'] }],
  // Resolving (closeAs 'resolved', the default) also needs AppendTo on the case and the incidentresolution privileges; cancelling does not.
  close_case: [{ table: 'incident', ops: ['Read', 'Write'] }],
  pick_case_from_queue: [{ table: 'queueitem', ops: ['Read', 'Write'] }, { table: 'queue', ops: ['Read'] }, { table: 'incident', ops: ['Read', 'Write', 'Assign'] }],
  resolve_case_and_pick_next: [{ table: 'incident', ops: ['Read', 'Write', 'AppendTo', 'Assign'] }, { table: 'incidentresolution', ops: ['Create', 'Read', 'Write', 'Append'] }, { table: 'queueitem', ops: ['Read', 'Write'] }, { table: 'queue', ops: ['Read'] }],
  get_case_sla_status: [{ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }],
  query_cases_by_sla_status: [{ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }],
  recommend_email_templates: [{ table: 'incident', ops: ['Read'] }, { table: 'slakpiinstance', ops: ['Read'] }, { table: 'template', ops: ['Read'] }],
  apply_email_template: [{ table: 'template', ops: ['Read'] }, { table: 'email', ops: ['Create', 'Write'] }, { table: 'incident', ops: ['Read', 'AppendTo'] }],
  list_emails: [{ table: 'email', ops: ['Read'] }],
  view_email: [{ table: 'email', ops: ['Read'] }],
  draft_email: [{ table: 'email', ops: ['Create', 'Write'] }, { table: 'incident', ops: ['Read', 'AppendTo'] }],
  edit_email_draft: [{ table: 'email', ops: ['Read', 'Write'] }],
  adjust_email_tone: [{ table: 'email', ops: ['Read'] }],
  translate_email: [{ table: 'email', ops: ['Read'] }],
  send_email: [{ table: 'email', ops: ['Read', 'Write'] }, { table: 'systemuser', ops: ['Read'] }],
  list_contacts: [{ table: 'contact', ops: ['Read'] }],
  get_contact: [{ table: 'contact', ops: ['Read'] }],
  get_account: [{ table: 'account', ops: ['Read'] }],
  summarize_account: [{ table: 'account', ops: ['Read'] }],
  summarize_contact: [{ table: 'contact', ops: ['Read'] }],
};
