import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';
import { arrangePipeline, type PipelineIds } from './pipelineFixture.js';
import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';
import { ENGAGEMENT_IDS } from '../../src/emulator/seed/engagement.js';
import { SERVICE_DESK_IDS } from '../../src/emulator/seed/serviceDesk.js';

/**
 * Round trips to Dataverse per tool call, counted at the emulator, with a warm cache (each
 * scenario runs once before it is measured). On a real org every request costs tens to hundreds
 * of milliseconds, so these are budgets, not curiosities. The rule: a list or get makes one
 * request per page it returns; a preview at most one read of the record it shows; a confirmed
 * write at most that read plus the write (and the action it calls). Where a tool needs more, its
 * budget says so and why.
 */
let server: TestServer;
const clients = new Map<string, TestClient>();
async function as(user: string, agent: string): Promise<TestClient> {
  const key = `${user}/${agent}`;
  let c = clients.get(key);
  if (!c) clients.set(key, (c = await connect(server, user, agent)));
  return c;
}

interface Ids {
  leads: string[];
  cases: string[];
  accounts: string[];
  /** Citations of a knowledge chat (get_reference). */
  references: { qna: string; document: string };
}
let ids: Ids;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  const alice = await as('alice', 'sales');
  const leads = (await alice.call('D365_Sales_ListLeads', { top: 40, rating: 'warm' })).data['leads'] as Array<{ leadId: string; email: string }>;
  const bob = await as('bob', 'service');
  const cases = (await bob.call('D365_CustomerService_ListCases', { top: 40 })).data['cases'] as Array<{ caseId: string; primaryContact?: unknown }>;
  const accounts = (await bob.call('D365_CustomerService_ListAccounts', { top: 40 })).data['accounts'] as Array<{ accountId: string }>;
  const citations = (await bob.call('chat', { message: 'How do I reset a customer password?' })).data['citations'] as Array<{ referenceId: string; sourceType: string }>;
  const reference = (type: string) => citations.find((c) => c.sourceType === type)?.referenceId ?? '';
  ids = {
    leads: leads.filter((l) => l.email).map((l) => l.leadId),
    cases: cases.filter((c) => c.primaryContact).map((c) => c.caseId),
    accounts: accounts.map((a) => a.accountId),
    references: { qna: reference('Qna'), document: reference('Document') },
  };
  pipe = await arrangePipeline(server, ids.accounts[0]!);
  rec = await arrangeRecords();
}, 60_000);

/** Ids the records tools' scenarios use: notes to edit and delete, two users and a lead to assign back and forth. */
let rec: { notes: string[]; alice: string; sam: string; lead: string; contact: string; flow: { id: string; lead: string; opportunity: string; stage: string }; oppFlow: { id: string }; stakeholder: { host: string; contact: string } };
async function arrangeRecords(): Promise<typeof rec> {
  const cx = await as('alice', 'sales-cx');
  const userId = async (alias: string) => ((await (await as(alias, 'sales-cx')).call('whoami')).data['dataverse'] as { userId: string }).userId;
  const [alice, sam] = [await userId('alice'), await userId('sam')];
  const notes = (resultOf<{ records: Array<{ id: string }> }>(await cx.call('list_entity_records', { entityLogicalName: 'annotation', columns: ['subject'], top: 5 }))).records.map((r) => r.id);
  const lead = (resultOf<{ records: Array<{ id: string }> }>(await cx.call('list_entity_records', { entityLogicalName: 'lead', filters: [{ column: 'ownerid', value: alice }], columns: ['fullname'], top: 1 }))).records[0]!.id;
  const contact = (resultOf<{ records: Array<{ id: string }> }>(await cx.call('list_entity_records', { entityLogicalName: 'contact', columns: ['fullname'], top: 1 }))).records[0]!.id;
  type Field = { id: string };
  const flowRow = (resultOf<{ records: Array<{ id: string; fields: Record<string, Field> }> }>(await cx.call('list_entity_records', { entityLogicalName: 'leadtoopportunitysalesprocess', filters: [{ column: 'bpf_opportunityid', operator: 'notnull' }], columns: ['activestageid', 'bpf_leadid', 'bpf_opportunityid'], top: 1 }))).records[0]!;
  const flow = { id: flowRow.id, lead: flowRow.fields['bpf_leadid']!.id, opportunity: flowRow.fields['bpf_opportunityid']!.id, stage: flowRow.fields['activestageid']!.id };
  // Any open Opportunity Sales Process instance (none is seeded in Close).
  const oppFlow = (resultOf<{ records: Array<{ id: string }> }>(await cx.call('list_entity_records', { entityLogicalName: 'opportunitysalesprocess', filters: [{ column: 'statecode', value: '0' }], columns: ['name'], top: 1 }))).records[0]!;
  const link = (resultOf<{ records: Array<{ fields: Record<string, Field> }> }>(await cx.call('list_entity_records', { entityLogicalName: 'connection', filters: [{ column: 'record2roleid', operator: 'notnull' }], columns: ['record1id', 'record2id'], top: 1 }))).records[0]!;
  return { notes, alice, sam, lead, contact, flow, oppFlow, stakeholder: { host: link.fields['record1id']!.id, contact: link.fields['record2id']!.id } };
}
afterAll(async () => {
  for (const c of clients.values()) await c.close();
  await server?.close();
  console.log(['', '| tool | scenario | preview / call | confirmed write | budget |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
});

const rows: string[][] = [];

/** Runs `call` and counts the emulator requests it made. */
async function counted(call: () => Promise<unknown>): Promise<number> {
  server.emulator!.clearRequests();
  await call();
  return server.emulator!.requests.length;
}

interface Budget {
  /** Requests of a read tool's call, or of a write tool's preview round. */
  call: number;
  /** Requests of the confirmed round of a write tool. */
  confirmed?: number;
  why?: string;
}

interface Scenario {
  tool: string;
  name: string;
  user: string;
  agent: string;
  /** Arguments of round i (0 warms the cache, 1 is measured); writes that consume their target get a fresh one. */
  args(i: number): Record<string, unknown>;
  budget: Budget;
}

let tableSeq = 0;
let pipe: PipelineIds;
const SCENARIOS: Scenario[] = [
  { tool: 'whoami', name: '', user: 'alice', agent: 'sales', args: () => ({}), budget: { call: 1 } },
  { tool: 'D365_Sales_ListLeads', name: '25 newest', user: 'alice', agent: 'sales', args: () => ({ top: 25 }), budget: { call: 2, why: 'the page, and one query for the engagement of all its leads' } },
  { tool: 'D365_Sales_ListLeads', name: 'one by id', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 2, why: 'the lead and its activities' } },
  { tool: 'D365_Sales_ListLeads', name: 'ranked by score', user: 'alice', agent: 'sales', args: () => ({ orderBy: 'score', createdWithinDays: 7 }), budget: { call: 2, why: 'the ranking window and its engagement' } },
  { tool: 'D365_Sales_ListLeads', name: 'active in 48 h', user: 'alice', agent: 'sales', args: () => ({ activityWithinHours: 48 }), budget: { call: 3, why: 'recent activities, the page, its engagement' } },
  {
    tool: 'D365_Sales_PrioritizeLeads',
    name: 'every open lead',
    user: 'alice',
    agent: 'sales',
    args: () => ({}),
    budget: { call: 2, why: 'one page per 5,000 leads, one interaction aggregate per 500 (the sample org: 361 leads); the decision log is a Table Storage write' },
  },
  {
    tool: 'D365_Sales_PrioritizeLeads',
    name: 'top 2 summarised',
    user: 'alice',
    agent: 'sales',
    args: () => ({ createdWithinDays: 14, summarizeTop: 2 }),
    budget: { call: 8, why: 'the ranking, then lead, activities and notes of each lead summarised' },
  },
  { tool: 'D365_Sales_GetPrioritizationLog', name: '', user: 'alice', agent: 'sales', args: () => ({ top: 5 }), budget: { call: 0, why: 'Table Storage only' } },
  { tool: 'D365_Sales_InvokeLeadSummary', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 3, why: 'lead, activities and notes, read at once' } },
  { tool: 'D365_Sales_DraftOutreachEmail', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 3, why: 'lead, activities and notes; the sender is cached' } },
  { tool: 'get_lead_research', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 3, why: 'the lead, other leads of its company, its activities' } },
  { tool: 'get_account_research', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 2, why: 'the lead and the matching account' } },
  {
    tool: 'get_competitor_research',
    name: 'a lead',
    user: 'alice',
    agent: 'sales',
    args: () => ({ leadId: ids.leads[0] }),
    budget: { call: 6, why: "the lead and the competitor records at once, then its notes, emails and account at once, then the account's opportunities with their competitors expanded" },
  },
  {
    tool: 'get_competitor_research',
    name: 'an opportunity',
    user: 'alice',
    agent: 'sales-cx',
    args: () => ({ recordId: pipe.withLines, recordType: 'opportunity' }),
    budget: { call: 4, why: 'the opportunity with its competitors expanded and the competitor records at once, then its notes and emails at once' },
  },
  { tool: 'get_engage_summary', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 3, why: 'the lead, its activities, their email directions' } },
  { tool: 'get_lead_qualification_assessment', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 4, why: 'the lead, its account, activities, email directions' } },
  { tool: 'draft_outreach_email', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 4, why: 'lead, activities and notes, and the account for context; the sender is cached' } },
  {
    tool: 'D365_Sales_QualifyLeadToOpportunity',
    name: '',
    user: 'alice',
    agent: 'sales',
    args: (i) => ({ leadId: ids.leads[10 + i], createAccount: false }),
    budget: { call: 1, confirmed: 2, why: 'the lead; then the lead again and QualifyLead' },
  },
  {
    tool: 'D365_Sales_SendOutreachEmail',
    name: 'subject and body',
    user: 'alice',
    agent: 'sales',
    args: (i) => ({ leadId: ids.leads[20 + i], subject: 'Hello', body: 'Following up.' }),
    budget: { call: 1, confirmed: 4, why: 'the recipient; then the recipient, the create, SendEmail and the status it reports' },
  },
  { tool: 'D365_CustomerService_ListCases', name: '25 newest', user: 'bob', agent: 'service', args: () => ({ top: 25 }), budget: { call: 1 } },
  { tool: 'D365_CustomerService_ListCases', name: 'one by id', user: 'bob', agent: 'service', args: () => ({ caseId: ids.cases[0] }), budget: { call: 1 } },
  { tool: 'D365_CustomerService_ListAccounts', name: '25 with contacts', user: 'bob', agent: 'service', args: () => ({ top: 25, includeContacts: true }), budget: { call: 1 } },
  { tool: 'D365_CustomerService_ListAccounts', name: 'one by id', user: 'bob', agent: 'service', args: () => ({ accountId: ids.accounts[0] }), budget: { call: 1 } },
  { tool: 'D365_CustomerService_DraftEmailResponse', name: '', user: 'bob', agent: 'service', args: () => ({ caseId: ids.cases[0] }), budget: { call: 4, why: 'case, articles, account and contact for the recipient' } },
  {
    tool: 'D365_CustomerService_AddCase',
    name: '',
    user: 'bob',
    agent: 'service',
    args: () => ({ title: 'Budget case', customerId: ids.accounts[1] }),
    budget: { call: 1, confirmed: 2, why: 'the customer; then the customer and the create' },
  },
  { tool: 'D365_CustomerService_UpdateCase', name: '', user: 'bob', agent: 'service', args: (i) => ({ caseId: ids.cases[1], priority: i ? 'high' : 'low' }), budget: { call: 1, confirmed: 2 } },
  { tool: 'D365_CustomerService_AddCaseNote', name: '', user: 'bob', agent: 'service', args: (i) => ({ caseId: ids.cases[1], text: `Budget note ${i}` }), budget: { call: 1, confirmed: 2 } },
  {
    tool: 'D365_CustomerService_CloseCase',
    name: '',
    user: 'bob',
    agent: 'service',
    args: (i) => ({ caseId: ids.cases[5 + i], resolution: 'Solved' }),
    budget: { call: 1, confirmed: 3, why: 'the case; then the case, CloseIncident and the case as resolved' },
  },
  { tool: 'D365_CustomerService_AddAccount', name: '', user: 'bob', agent: 'service', args: (i) => ({ name: `Budget Account ${i}` }), budget: { call: 0, confirmed: 1 } },
  { tool: 'D365_CustomerService_UpdateAccount', name: '', user: 'bob', agent: 'service', args: (i) => ({ accountId: ids.accounts[2], phone: `+1 555 0100 ${i}` }), budget: { call: 1, confirmed: 2 } },
  {
    tool: 'D365_CustomerService_SendEmailResponse',
    name: 'subject and body',
    user: 'bob',
    agent: 'service',
    args: (i) => ({ caseId: ids.cases[10 + i], subject: 'Update', body: 'We are on it.' }),
    budget: { call: 3, confirmed: 6, why: 'case, account and contact for the recipient; then those, the create, SendEmail and its status' },
  },
  {
    tool: 'chat',
    name: 'how-to question',
    user: 'bob',
    agent: 'service',
    args: () => ({ message: 'How do I reset a customer password?' }),
    budget: { call: 1, why: 'one Dataverse search for every source; the table list is cached per org, the history is Table Storage' },
  },
  { tool: 'get_reference', name: 'QnA', user: 'bob', agent: 'service', args: () => ({ referenceId: ids.references.qna, sourceType: 'Qna' }), budget: { call: 1, why: 'the record, read again as the user' } },
  { tool: 'get_reference', name: 'document', user: 'bob', agent: 'service', args: () => ({ referenceId: ids.references.document, sourceType: 'Document' }), budget: { call: 1, why: 'the record, read again as the user; the link is signed here' } },
  { tool: 'get_product', name: '', user: 'alice', agent: 'sales', args: () => ({ productId: PIPELINE_IDS.product('laptop') }), budget: { call: 1 } },
  { tool: 'get_price_list', name: 'by id, 25 rows', user: 'alice', agent: 'sales', args: () => ({ priceListId: PIPELINE_IDS.retail }), budget: { call: 1, why: 'the list with its rows expanded' } },
  { tool: 'get_price_list', name: 'by name', user: 'alice', agent: 'sales', args: () => ({ priceListName: 'Partner' }), budget: { call: 1 } },
  { tool: 'get_product_pricing', name: '', user: 'alice', agent: 'sales', args: () => ({ productId: PIPELINE_IDS.product('laptop') }), budget: { call: 1 } },
  { tool: 'get_opportunity_summary', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: pipe.withLines }), budget: { call: 1, why: 'the opportunity with lines, quotes and competitors expanded' } },
  {
    tool: 'add_opportunity_product',
    name: '',
    user: 'alice',
    agent: 'sales-cx',
    args: (i) => ({ opportunityId: pipe.withLines, productId: PIPELINE_IDS.product('wifi'), quantity: i + 1 }),
    budget: { call: 2, confirmed: 3, why: 'the opportunity and the product with its price rows, at once; then those and the create (returning the line)' },
  },
  {
    tool: 'update_opportunity_products',
    name: 'one line',
    user: 'alice',
    agent: 'sales-cx',
    args: (i) => ({ updates: [{ opportunityProductId: pipe.line, quantity: 3 + i }] }),
    budget: { call: 1, confirmed: 5, why: 'the lines with their opportunity; then those, one PATCH per line, CalculatePrice, the totals and the lines' },
  },
  { tool: 'delete_opportunity_product', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ opportunityProductId: pipe.deletableLines[i] }), budget: { call: 1, confirmed: 4, why: 'the line with its opportunity; then it, the delete, CalculatePrice and the totals' } },
  { tool: 'recalculate_opportunity_price', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: pipe.withLines }), budget: { call: 1, confirmed: 3 } },
  { tool: 'close_opportunity', name: 'won', user: 'alice', agent: 'sales-cx', args: (i) => ({ opportunityId: pipe.closable[i], status: 'won' }), budget: { call: 1, confirmed: 3, why: 'the opportunity with its open quotes; then it, WinOpportunity and the result' } },
  { tool: 'reopen_opportunity', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ opportunityId: pipe.won[i] }), budget: { call: 1, confirmed: 3 } },
  { tool: 'create_quote_from_opportunity', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: pipe.withLines }), budget: { call: 1, confirmed: 3, why: 'the opportunity with its line ids; then it, GenerateQuoteFromOpportunity and the quote' } },
  { tool: 'set_quote_active', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ quoteId: pipe.drafts[i] }), budget: { call: 1, confirmed: 3 } },
  { tool: 'revise_quote', name: 'active quote', user: 'alice', agent: 'sales-cx', args: (i) => ({ quoteId: pipe.active[i] }), budget: { call: 1, confirmed: 5, why: 'the quote; then it, CloseQuote, ReviseQuote, and both quotes read back' } },
  { tool: 'close_quote', name: 'lost', user: 'alice', agent: 'sales-cx', args: (i) => ({ quoteId: pipe.active[2 + i], status: 'lost' }), budget: { call: 1, confirmed: 3 } },
  { tool: 'convert_quote_to_order', name: 'active quote', user: 'alice', agent: 'sales-cx', args: (i) => ({ quoteId: pipe.active[4 + i] }), budget: { call: 1, confirmed: 4, why: 'the quote; then it, ConvertQuoteToSalesOrder, the order and the quote' } },
  { tool: 'create_competitor', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ name: `Budget Rival ${i}` }), budget: { call: 0, confirmed: 1 } },
  { tool: 'link_competitor_to_opportunity', name: 'unlink', user: 'alice', agent: 'sales-cx', args: (i) => ({ opportunityId: pipe.withLines, competitorId: PIPELINE_IDS.competitor('litware'), unlink: i === 1 }), budget: { call: 2, confirmed: 3, why: 'the opportunity and the competitor, at once; then those and the $ref' } },
  { tool: 'search_entities', name: 'default tables', user: 'alice', agent: 'sales-cx', args: () => ({ searchTerm: 'Contoso' }), budget: { call: 4, why: 'one query per table searched (account, contact, lead, opportunity on this agent), at once' } },
  { tool: 'get_entity_record', name: 'account', user: 'alice', agent: 'sales-cx', args: () => ({ entityLogicalName: 'account', recordId: ids.accounts[0] }), budget: { call: 1 } },
  { tool: 'list_entity_records', name: 'filtered', user: 'alice', agent: 'sales-cx', args: () => ({ entityLogicalName: 'contact', filters: [{ column: 'parentcustomerid', value: ids.accounts[0]! }] }), budget: { call: 1 } },
  { tool: 'search_lookup_records', name: 'customer', user: 'alice', agent: 'sales-cx', args: () => ({ entityLogicalName: 'opportunity', columnName: 'customerid', searchTerm: 'Co' }), budget: { call: 2, why: 'one query per target table (account, contact), at once' } },
  { tool: 'get_activity_timeline', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ entityLogicalName: 'lead', recordId: ids.leads[0] }), budget: { call: 3, why: 'the record, its activities and its notes, at once' } },
  { tool: 'summarize_entity_timeline', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ entityLogicalName: 'lead', recordId: ids.leads[0] }), budget: { call: 3, why: 'the record, its activities and its notes, at once' } },
  { tool: 'update_entity_record', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ entityLogicalName: 'account', recordId: ids.accounts[4], fields: { telephone1: `+1 555 01${i}` } }), budget: { call: 1, confirmed: 2 } },
  { tool: 'create_note', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ entityLogicalName: 'account', recordId: ids.accounts[4], title: `Budget note ${i}`, text: 'Noted.' }), budget: { call: 1, confirmed: 2, why: 'the record; then it and the create' } },
  { tool: 'update_note', name: '', user: 'alice', agent: 'sales-cx', args: (i) => ({ noteId: rec.notes[0], text: `Edited ${i}` }), budget: { call: 1, confirmed: 2 } },
  { tool: 'delete_entity_record', name: 'note', user: 'alice', agent: 'sales-cx', args: (i) => ({ entityLogicalName: 'annotation', recordId: rec.notes[1 + i] }), budget: { call: 1, confirmed: 2 } },
  { tool: 'create_activity', name: 'task regarding an account', user: 'alice', agent: 'sales-cx', args: (i) => ({ activityType: 'task', subject: `Budget task ${i}`, regardingEntityLogicalName: 'account', regardingRecordId: ids.accounts[4] }), budget: { call: 1, confirmed: 2 } },
  { tool: 'assign_entity', name: 'lead', user: 'alice', agent: 'sales-cx', args: (i) => ({ entityLogicalName: 'lead', recordId: rec.lead, ownerId: i ? rec.alice : rec.sam }), budget: { call: 2, confirmed: 3, why: 'the record and the new owner, at once; then those and the PATCH' } },
  { tool: 'get_account_summary', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ accountId: ids.accounts[0] }), budget: { call: 2, why: 'the account with contacts, open deals and child accounts expanded, and its newest activity, at once' } },
  { tool: 'get_contact_summary', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ contactId: rec.contact }), budget: { call: 2, why: 'the contact with its open deals expanded, and its newest activity, at once' } },
  { tool: 'get_account_hierarchy', name: 'no parent', user: 'alice', agent: 'sales-cx', args: () => ({ accountId: ids.accounts[0] }), budget: { call: 5, why: 'the account, one request per ancestor (up to 5) and one per level below the top (up to 3)' } },
  { tool: 'get_account_catchup', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ accountId: ids.accounts[0] }), budget: { call: 3, why: 'the account with changed deals and contacts expanded, its activities and its notes, at once' } },
  { tool: 'get_opportunity_catchup', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: pipe.withLines }), budget: { call: 3, why: 'the opportunity with changed quotes and lines expanded, its activities and its notes, at once' } },
  { tool: 'schedule_meeting', name: 'one contact', user: 'alice', agent: 'sales-cx', args: (i) => ({ subject: `Budget meeting ${i}`, startTime: '2026-12-10T10:00:00Z', contactIds: [rec.contact] }), budget: { call: 1, confirmed: 2, why: 'the attendees (one query per kind; the organizer is cached); then those and the create with its parties' } },
  { tool: 'get_lead_bpf', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ leadId: rec.flow.lead }), budget: { call: 3, why: 'the lead and its flow instance at once, then the process stages' } },
  { tool: 'get_opportunity_bpf', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: rec.flow.opportunity }), budget: { call: 4, why: 'the opportunity and its instance in either sales flow at once, then the process stages' } },
  {
    tool: 'update_bpf_stage',
    name: 'opportunity flow, named',
    user: 'alice',
    agent: 'sales-cx',
    args: (i) => ({ bpfInstanceId: rec.oppFlow.id, stageId: ENGAGEMENT_IDS.opportunityStage(i ? 'qualify' : 'close'), processTable: 'opportunitysalesprocess' }),
    budget: { call: 2, confirmed: 5, why: 'the instance in the flow named and its stages; then those, the PATCH, and both read back' },
  },
  { tool: 'update_bpf_stage', name: 'there and back', user: 'alice', agent: 'sales-cx', args: (i) => ({ bpfInstanceId: rec.flow.id, stageId: i ? rec.flow.stage : ENGAGEMENT_IDS.stage('close') }), budget: { call: 2, confirmed: 5, why: 'the instance and its stages; then those, the PATCH, and both read back' } },
  { tool: 'get_stakeholder', name: '', user: 'alice', agent: 'sales-cx', args: () => ({ recordId: rec.stakeholder.host }), budget: { call: 3, why: 'the host and its connections at once, then the contacts' } },
  { tool: 'update_stakeholder', name: 'change role', user: 'alice', agent: 'sales-cx', args: (i) => ({ recordId: rec.stakeholder.host, contactId: rec.stakeholder.contact, role: i ? 'Champion' : 'Economic Buyer' }), budget: { call: 4, confirmed: 5, why: 'the host, the contact, the existing connection and the role, at once; then those and the write' } },
  { tool: 'clone_opportunity', name: 'with lines', user: 'alice', agent: 'sales-cx', args: () => ({ opportunityId: pipe.withLines }), budget: { call: 1, confirmed: 2, why: 'the opportunity with its lines; then it and one deep insert' } },
  { tool: 'list_tables', name: '', user: 'alice', agent: 'dataverse', args: () => ({}), budget: { call: 0, why: 'table list cached per org' } },
  { tool: 'describe_table', name: 'account', user: 'alice', agent: 'dataverse', args: () => ({ table_name: 'account' }), budget: { call: 0, why: 'definition cached per org' } },
  { tool: 'read_query', name: 'join', user: 'alice', agent: 'dataverse', args: () => ({ sql_query: 'SELECT a.name, c.fullname FROM account a JOIN contact c ON c.parentcustomerid = a.accountid' }), budget: { call: 1 } },
  { tool: 'create_record', name: 'account', user: 'alice', agent: 'dataverse', args: (i) => ({ table_name: 'account', record_data: { name: `Budget Record ${i}` } }), budget: { call: 0, confirmed: 1 } },
  { tool: 'update_record', name: 'account', user: 'alice', agent: 'dataverse', args: (i) => ({ table_name: 'account', record_id: ids.accounts[3], update_data: { telephone1: `${i}` } }), budget: { call: 1, confirmed: 2 } },
  { tool: 'delete_record', name: 'account', user: 'dana', agent: 'dataverse', args: (i) => ({ table_name: 'account', record_id: ids.accounts[20 + i] }), budget: { call: 1, confirmed: 2 } },
  { tool: 'create_table', name: 'one column', user: 'dana', agent: 'dataverse', args: () => ({ table_name: `new_budget${++tableSeq}`, columns: [{ name: 'size', type: 'integer' }] }), budget: { call: 0, confirmed: 3, why: 'the table, its column, and its definition read back' } },
  {
    tool: 'update_table',
    name: 'one column',
    user: 'dana',
    agent: 'dataverse',
    args: (i) => ({ table_name: 'new_budget1', new_columns: [{ name: `extra${i}`, type: 'string' }] }),
    budget: { call: 6, confirmed: 1, why: 'the definition of a table whose schema just changed is read afresh (entity, then lengths, targets and choices); then one request per column' },
  },
  { tool: 'delete_table', name: '', user: 'dana', agent: 'dataverse', args: (i) => ({ table_name: `new_budget${i + 1}` }), budget: { call: 1, confirmed: 1, why: 'the table list, read afresh after a schema change; then the delete' } },
  { tool: 'describe', name: 'contact', user: 'alice', agent: 'dataverse-cx', args: () => ({ table_name: 'contact' }), budget: { call: 0, why: 'definition and lookups cached per org' } },
  { tool: 'search', name: 'metadata', user: 'alice', agent: 'dataverse-cx', args: () => ({ query: 'email' }), budget: { call: 0, why: 'definitions of the allowed tables cached per org' } },
  { tool: 'search_data', name: '', user: 'alice', agent: 'dataverse-cx', args: () => ({ query: 'Contoso' }), budget: { call: 1, why: 'one Dataverse search; other tables are dropped here' } },
  {
    tool: 'create_records',
    name: '3 leads',
    user: 'alice',
    agent: 'sales',
    args: (i) => ({ table_name: 'lead', records: [1, 2, 3].map((n) => ({ lastname: `Budget ${i}-${n}`, subject: 'Budget import' })) }),
    budget: { call: 0, confirmed: 1, why: 'every row checked against cached metadata; then one CreateMultiple' },
  },
  {
    tool: 'create_records',
    name: '3 tasks (no CreateMultiple)',
    user: 'alice',
    agent: 'sales',
    args: (i) => ({ table_name: 'task', records: [1, 2, 3].map((n) => ({ subject: `Budget ${i}-${n}` })) }),
    budget: { call: 0, confirmed: 1, why: 'rows and the bulk messages of the table from cached metadata; then one $batch change set' },
  },
  {
    tool: 'init_file_upload',
    name: 'first chunk',
    user: 'alice',
    agent: 'dataverse-cx',
    args: () => ({ table_name: 'account', record_id: ids.accounts[34], column_name: 'new_contract', file_name: 'budget.txt', mime_type: 'text/plain', content_base64: Buffer.from('budget').toString('base64') }),
    budget: { call: 5, why: 'the column\'s file and image metadata (at once), the row, InitializeFileBlocksUpload and UploadBlock; a further chunk is UploadBlock only' },
  },
  {
    tool: 'update_records',
    name: '3 accounts',
    user: 'alice',
    agent: 'dataverse',
    args: (i) => ({ table_name: 'account', records: ids.accounts.slice(30, 33).map((record_id) => ({ record_id, update_data: { telephone1: `+1 555 01${i}` } })) }),
    budget: { call: 1, confirmed: 2, why: 'the rows (one query per hundred ids); then those and one UpdateMultiple' },
  },
  { tool: 'get_case_sla_status', name: '', user: 'bob', agent: 'service-cx', args: (i) => ({ incidentId: ids.cases[20 + i] }), budget: { call: 1, why: 'the case with both KPIs expanded' } },
  { tool: 'query_cases_by_sla_status', name: 'at risk', user: 'bob', agent: 'service-cx', args: () => ({ status: 'at_risk' }), budget: { call: 1, why: 'the filter runs on the KPI lookup in Dataverse' } },
  { tool: 'recommend_email_templates', name: '', user: 'bob', agent: 'service-cx', args: (i) => ({ incidentId: ids.cases[20 + i] }), budget: { call: 2, why: 'the case with its KPIs, and the templates' } },
  {
    tool: 'pick_case_from_queue',
    name: 'by queue name',
    user: 'bob',
    agent: 'service-cx',
    args: () => ({ queue: 'Tier 1 Support' }),
    budget: { call: 2, confirmed: 6, why: 'the queue and its oldest waiting item with the case; then those, the item again, PickFromQueue, and the case owner read and assigned' },
  },
  {
    tool: 'apply_email_template',
    name: '',
    user: 'bob',
    agent: 'service-cx',
    args: (i) => ({ incidentId: ids.cases[22 + i], templateId: SERVICE_DESK_IDS.template('acknowledge') }),
    budget: { call: 4, confirmed: 5, why: 'InstantiateTemplate, and the case, account and contact for the recipient; then those and the draft' },
  },
];

describe('Dataverse round trips per tool call, warm cache', () => {
  it.each(SCENARIOS.map((s) => [`${s.tool}${s.name ? ` (${s.name})` : ''}`, s] as const))('%s', async (_label, s) => {
    const client = await as(s.user, s.agent);
    let call = 0;
    let confirmed: number | undefined;
    for (let i = 0; i < 2; i++) {
      const args = s.args(i);
      let first: Awaited<ReturnType<TestClient['call']>> | undefined;
      const n = await counted(async () => {
        first = await client.call(s.tool, args);
      });
      expect(first!.isError, first!.text).toBeFalsy();
      const handle = (first!.data['confirmation'] as { handle?: string } | undefined)?.handle;
      let m: number | undefined;
      if (handle) {
        let done: Awaited<ReturnType<TestClient['call']>> | undefined;
        m = await counted(async () => {
          done = await client.call(s.tool, { ...args, confirmationHandle: handle });
        });
        resultOf(done!);
      }
      call = n;
      confirmed = m;
    }
    rows.push([s.tool, s.name, String(call), confirmed === undefined ? '' : String(confirmed), `${s.budget.call}${s.budget.confirmed !== undefined ? ` / ${s.budget.confirmed}` : ''}${s.budget.why ? ` (${s.budget.why})` : ''}`]);
    expect(call, `${s.tool}: requests of the ${confirmed === undefined ? 'call' : 'preview'}`).toBeLessThanOrEqual(s.budget.call);
    if (confirmed !== undefined) expect(confirmed, `${s.tool}: requests of the confirmed write`).toBeLessThanOrEqual(s.budget.confirmed ?? 0);
  });
});

/** Prompts, resources and completions: the same rule, one request per thing they read. */
interface SurfaceScenario {
  name: string;
  user: string;
  agent: string;
  run(client: LegacyClient): Promise<unknown>;
  budget: Budget;
}

const SURFACE: SurfaceScenario[] = [
  { name: 'resources/list (table schemas)', user: 'dana', agent: 'dataverse', run: (c) => c.listResources(), budget: { call: 0, why: 'table list, privilege names and the user\'s privileges, all cached' } },
  { name: 'resources/read dataverse://tables/account', user: 'dana', agent: 'dataverse', run: (c) => c.readResource({ uri: 'dataverse://tables/account' }), budget: { call: 0, why: 'definition cached per org' } },
  { name: 'resources/read dataverse://account/{id}', user: 'bob', agent: 'service', run: (c) => c.readResource({ uri: `dataverse://account/${ids.accounts[0]}` }), budget: { call: 1 } },
  { name: 'prompts/get prioritize_hot_leads', user: 'alice', agent: 'sales', run: (c) => c.getPrompt({ name: 'prioritize_hot_leads', arguments: {} }), budget: { call: 0, why: 'whether the org scores leads is cached metadata' } },
  { name: 'prompts/get triage_new_cases', user: 'bob', agent: 'service', run: (c) => c.getPrompt({ name: 'triage_new_cases', arguments: { days: '3' } }), budget: { call: 1, why: 'the cases it lists' } },
  { name: 'prompts/get triage_new_cases (queue)', user: 'bob', agent: 'service-cx', run: (c) => c.getPrompt({ name: 'triage_new_cases', arguments: { queue: 'Billing', days: '30' } }), budget: { call: 2, why: 'the queue by name, then its cases through their queue items' } },
  { name: 'tools/list (filtered by the user\'s privileges)', user: 'bob', agent: 'service-cx', run: (c) => c.listTools(), budget: { call: 0, why: 'the privileges and their names are cached; one answer per privilege set' } },
  { name: 'completion/complete queue', user: 'bob', agent: 'service-cx', run: (c) => c.complete({ ref: { type: 'ref/prompt', name: 'triage_new_cases' }, argument: { name: 'queue', value: 'Tie' } }), budget: { call: 1 } },
  { name: 'prompts/get prepare_account_briefing', user: 'bob', agent: 'service', run: (c) => c.getPrompt({ name: 'prepare_account_briefing', arguments: { account: ids.accounts[0]! } }), budget: { call: 2, why: 'the account by id, then its record to attach' } },
  { name: 'completion/complete account', user: 'bob', agent: 'service', run: (c) => c.complete({ ref: { type: 'ref/prompt', name: 'prepare_account_briefing' }, argument: { name: 'account', value: 'Co' } }), budget: { call: 1 } },
  { name: 'completion/complete table', user: 'dana', agent: 'dataverse', run: (c) => c.complete({ ref: { type: 'ref/resource', uri: 'dataverse://tables/{table}' }, argument: { name: 'table', value: 'ac' } }), budget: { call: 0, why: 'the cached table list' } },
];

describe('Dataverse round trips per prompt, resource and completion, warm cache', () => {
  const surfaceClients = new Map<string, LegacyClient>();
  afterAll(async () => {
    for (const c of surfaceClients.values()) await c.close();
  });
  it.each(SURFACE.map((s) => [s.name, s] as const))('%s', async (_label, s) => {
    const key = `${s.user}/${s.agent}`;
    let client = surfaceClients.get(key);
    if (!client) {
      client = new LegacyClient({ name: 'budget', version: '1.0.0' });
      await client.connect(new LegacyTransport(new URL(server.mcpUrl(s.agent)), { requestInit: { headers: { Authorization: `Bearer ${await server.token(s.user)}` } } }));
      surfaceClients.set(key, client);
    }
    let n = 0;
    for (let i = 0; i < 2; i++) n = await counted(() => s.run(client));
    rows.push([s.name, '', String(n), '', `${s.budget.call}${s.budget.why ? ` (${s.budget.why})` : ''}`]);
    expect(n, s.name).toBeLessThanOrEqual(s.budget.call);
  });
});
