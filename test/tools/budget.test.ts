import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';
import { arrangePipeline, type PipelineIds } from './pipelineFixture.js';
import { PIPELINE_IDS } from '../../src/emulator/seed/salesPipeline.js';

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
}, 60_000);
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
  { tool: 'get_competitor_research', name: '', user: 'alice', agent: 'sales', args: () => ({ leadId: ids.leads[0] }), budget: { call: 1, why: 'no competitors configured on this agent: the lead only' } },
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
