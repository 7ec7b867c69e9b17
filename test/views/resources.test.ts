import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PAGE_BUDGET } from '../../scripts/buildViews.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

/** The MCP Apps views as a client sees them: listed resources, linked tools, the page per agent. */
let server: TestServer;
const clients: Client[] = [];

async function open(agent: string, user = 'alice'): Promise<Client> {
  const client = new Client({ name: 'views-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl(agent)), { requestInit: { headers: { Authorization: `Bearer ${await server.token(user)}` } } }));
  clients.push(client);
  return client;
}

const URI = 'ui://dataverse-mcp/lead-ranking.html';
/** Tool name → the view it links (tools without one are left out). */
const linksOf = (list: { tools: Array<{ name: string; _meta?: unknown }> }) =>
  Object.fromEntries(list.tools.flatMap((t) => {
    const uri = (t._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
    return uri ? [[t.name, uri]] : [];
  }));
const configOf = (html: string) => JSON.parse(/<script type="application\/json" id="view-config">(.*?)<\/script>/s.exec(html)![1]!) as Record<string, string>;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.close();
});

describe('which tools link which view, per agent', () => {
  const ranking = URI;
  const list = 'ui://dataverse-mcp/case-list.html';
  const card = 'ui://dataverse-mcp/case-card.html';
  const lead = 'ui://dataverse-mcp/lead-card.html';
  const account = 'ui://dataverse-mcp/account-briefing.html';
  const quote = 'ui://dataverse-mcp/opportunity-quote.html';
  it.each([
    ['sales', 'alice', { D365_Sales_PrioritizeLeads: ranking, D365_Sales_InvokeLeadSummary: lead, get_opportunity_summary: quote }],
    ['sales-cx', 'alice', { D365_Sales_PrioritizeLeads: ranking, get_lead_summary: lead, get_opportunity_summary: quote, get_account_summary: account }],
    ['service', 'bob', { D365_CustomerService_ListCases: list, query_cases_by_sla_status: list, get_case: card }],
    ['service-cx', 'bob', { list_cases: list, query_cases_by_sla_status: list, get_case: card, summarize_account: account }],
    ['insights', 'rita', { D365_Sales_PrioritizeLeads: ranking, D365_Sales_InvokeLeadSummary: lead, get_opportunity_summary: quote, D365_CustomerService_ListCases: list }],
    ['dataverse', 'dana', {}],
  ])('%s', async (agent, user, links) => {
    const client = await open(agent, user);
    expect(linksOf(await client.listTools())).toEqual(links);
    expect((await client.listResources()).resources.filter((r) => r.uri.startsWith('ui://')).map((r) => r.uri).sort()).toEqual([...new Set(Object.values(links))].sort());
  });

  it.each([
    ['service', 'bob', { draftTool: 'D365_CustomerService_DraftEmailResponse', saveDraftTool: 'draft_email', closeClassicTool: 'D365_CustomerService_CloseCase', currency: 'USD' }],
    ['service-cx', 'bob', { draftTool: 'D365_CustomerService_DraftEmailResponse', saveDraftTool: 'draft_email', closeTool: 'close_case', currency: 'USD' }],
  ])('the case card on %s is told the tools it may call as the agent serves them', async (agent, user, calls) => {
    const client = await open(agent, user);
    expect(configOf(((await client.readResource({ uri: card })).contents[0] as { text: string }).text)).toEqual(calls);
  });
});

describe('the lead ranking view', () => {
  it.each([
    ['sales', 'alice', { rankTool: 'D365_Sales_PrioritizeLeads', qualifyTool: 'D365_Sales_QualifyLeadToOpportunity', currency: 'USD' }],
    ['sales-cx', 'alice', { rankTool: 'D365_Sales_PrioritizeLeads', qualifyTool: 'qualify_lead', currency: 'USD' }],
    // Read-only: the page gets no qualify tool, so it shows no qualify button.
    ['insights', 'rita', { rankTool: 'D365_Sales_PrioritizeLeads', currency: 'USD' }],
  ])('is listed on %s with the MCP Apps type, linked from the ranking tool, and told the tools as the agent serves them', async (agent, user, calls) => {
    const client = await open(agent, user);
    const listed = (await client.listResources()).resources.find((r) => r.uri === URI);
    expect(listed).toMatchObject({ mimeType: RESOURCE_MIME_TYPE, title: 'Hot lead ranking' });
    expect(linksOf(await client.listTools())['D365_Sales_PrioritizeLeads']).toBe(URI);
    const read = await client.readResource({ uri: URI });
    const content = read.contents[0] as { mimeType: string; text: string; _meta?: { ui?: { csp?: Record<string, unknown[]> } } };
    expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(configOf(content.text)).toEqual(calls);
    expect(content._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [], frameDomains: [] });
  });

  it('is self-contained: a CSP that allows no origin, nothing loaded by URL, within its size budget', async () => {
    const client = await open('sales');
    const html = ((await client.readResource({ uri: URI })).contents[0] as { text: string }).text;
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:;/);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(PAGE_BUDGET);
  });

  it('is not served where the agent lists no ranking tool, and an unknown ui:// URI is not found', async () => {
    const client = await open('service', 'bob');
    expect((await client.listResources()).resources.map((r) => r.uri)).not.toContain(URI);
    await expect(client.readResource({ uri: URI })).rejects.toThrow(/not found|Resource/i);
    const sales = await open('sales');
    await expect(sales.readResource({ uri: 'ui://dataverse-mcp/nope.html' })).rejects.toThrow(/not found|Resource/i);
  });
});
