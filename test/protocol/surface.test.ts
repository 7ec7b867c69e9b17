import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect } from '../helpers/mcpClient.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
});
afterAll(async () => {
  await server?.close();
});

/** Both official clients, each in its own era, exercise the same prompts, resources and completions. */
type AnyClient = Pick<ModernClient, 'listPrompts' | 'getPrompt' | 'listResources' | 'listResourceTemplates' | 'readResource' | 'complete' | 'getServerCapabilities'>;

async function open(era: 'legacy' | 'modern', agent: string, user = 'alice'): Promise<AnyClient & { close(): Promise<void> }> {
  const token = await server.token(user);
  const init = { requestInit: { headers: { Authorization: `Bearer ${token}` } } };
  const url = new URL(server.mcpUrl(agent));
  if (era === 'legacy') {
    const client = new LegacyClient({ name: 'surface-test', version: '1.0.0' });
    await client.connect(new LegacyTransport(url, init));
    return client as unknown as AnyClient & { close(): Promise<void> };
  }
  const client = new ModernClient({ name: 'surface-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(url, init));
  return client;
}

const text = (m: { content: unknown }) => ((m.content as { type: string; text?: string }).type === 'text' ? ((m.content as { text: string }).text ?? '') : '');

describe.each(['legacy', 'modern'] as const)('%s era', (era) => {
  it('lists the prompts of the agent whose tools it serves, and none that end in a write on a read-only route', async () => {
    const sales = await open(era, 'sales');
    const service = await open(era, 'service');
    const insights = await open(era, 'insights');
    try {
      expect((await sales.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['prepare_account_briefing', 'prioritize_hot_leads', 'qualify_lead']);
      expect((await service.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['draft_case_reply', 'prepare_account_briefing', 'triage_new_cases']);
      // insights is read-only: qualify, update and send are not served, so prompts that end in them are not listed.
      expect((await insights.listPrompts()).prompts.map((p) => p.name)).toEqual(['prepare_account_briefing']);
      const hot = (await sales.listPrompts()).prompts.find((p) => p.name === 'prioritize_hot_leads')!;
      expect(hot.arguments?.map((a) => a.name)).toEqual(['days', 'minimumScore', 'weights']);
    } finally {
      await Promise.all([sales.close(), service.close(), insights.close()]);
    }
  });

  it('expands prioritize_hot_leads into a D365_Sales_PrioritizeLeads call with its days, minimum score and weights, normalised', async () => {
    const client = await open(era, 'sales');
    const tools = await connect(server, 'alice', 'sales', era);
    try {
      const got = await client.getPrompt({ name: 'prioritize_hot_leads', arguments: { days: '3', minimumScore: '80', weights: 'score=5, recency=3, value=2' } });
      const body = text(got.messages[0]!);
      expect(body).toMatch(/predictive score \(0-100\) × 0\.5, how recent the last interaction is × 0\.3, estimated value × 0\.2/);
      expect(body).toContain('D365_Sales_QualifyLeadToOpportunity');
      expect(body).toMatch(/Do not re-rank or recompute it/);
      // The call the prompt asks for is one the tool accepts, and it ranks with exactly those inputs.
      const args = JSON.parse(/Call D365_Sales_PrioritizeLeads with (\{.*?\})\. It ranks/.exec(body)?.[1] ?? 'null') as Record<string, unknown>;
      expect(args).toMatchObject({ status: 'open', createdWithinDays: 3, minScore: 80, weights: { score: 0.5, recency: 0.3, value: 0.2 } });
      const ranked = await tools.call('D365_Sales_PrioritizeLeads', args);
      expect(ranked.isError, ranked.text).toBeFalsy();
      expect(ranked.data['weights']).toEqual({ score: 0.5, recency: 0.3, interactions: 0, value: 0.2 });
      expect(ranked.data['filters']).toEqual({ status: 'open', createdWithinDays: 3, minScore: 80 });
      await expect(client.getPrompt({ name: 'prioritize_hot_leads', arguments: { weights: 'charisma=1' } })).rejects.toThrow(/charisma.*is not a signal/);
      await expect(client.getPrompt({ name: 'prioritize_hot_leads', arguments: { days: 'seven' } })).rejects.toThrow(/days: give a whole number/);
      await expect(client.getPrompt({ name: 'prioritize_hot_leads', arguments: { dayz: '3' } })).rejects.toThrow(/Unknown argument "dayz"/);
      await expect(client.getPrompt({ name: 'no_such_prompt' })).rejects.toThrow(/Unknown prompt/);
    } finally {
      await Promise.all([client.close(), tools.close()]);
    }
  });

  it('completes account, case and table names as the user, and the prompt resolves what was completed', async () => {
    const service = await open(era, 'service', 'bob');
    const dataverse = await open(era, 'dataverse', 'dana');
    try {
      const accounts = await service.complete({ ref: { type: 'ref/prompt', name: 'prepare_account_briefing' }, argument: { name: 'account', value: 'Con' } });
      expect(accounts.completion.values.length).toBeGreaterThan(0);
      expect(accounts.completion.values.every((v) => v.startsWith('Con'))).toBe(true);
      const briefing = await service.getPrompt({ name: 'prepare_account_briefing', arguments: { account: accounts.completion.values[0]! } });
      expect(text(briefing.messages[0]!)).toContain(`the account ${accounts.completion.values[0]}`);
      const attached = briefing.messages[1]!.content as { type: string; resource?: { uri: string; text: string } };
      expect(attached.type).toBe('resource');
      expect(JSON.parse(attached.resource!.text).table).toBe('account');

      const missing = await service.getPrompt({ name: 'draft_case_reply', arguments: { case: 'zzzz no such case' } }).catch((e: Error) => e);
      expect(String(missing)).toMatch(/No active case named "zzzz no such case"/);
      await expect(service.getPrompt({ name: 'draft_case_reply', arguments: {} })).rejects.toThrow(/draft_case_reply needs "case"/);

      const cases = await service.complete({ ref: { type: 'ref/prompt', name: 'draft_case_reply' }, argument: { name: 'case', value: 'Account locked' } });
      // Titles repeat; each value leads with its ticket number, which the prompt resolves.
      expect(cases.completion.values.length).toBeGreaterThan(1);
      expect(cases.completion.values.every((v) => /^CAS-\S+ Account locked/.test(v))).toBe(true);
      expect(new Set(cases.completion.values).size).toBe(cases.completion.values.length);
      const reply = await service.getPrompt({ name: 'draft_case_reply', arguments: { case: cases.completion.values[0]! } });
      expect(text(reply.messages[0]!)).toMatch(/Call D365_CustomerService_DraftEmailResponse with \{"caseId":"[0-9a-f-]{36}"\}/);

      const tables = await dataverse.complete({ ref: { type: 'ref/resource', uri: 'dataverse://tables/{table}' }, argument: { name: 'table', value: 'ac' } });
      expect(tables.completion.values).toEqual(['account']);
    } finally {
      await Promise.all([service.close(), dataverse.close()]);
    }
  });

  it('serves table schemas the user may read, in JSON and Markdown, and records through the template', async () => {
    const client = await open(era, 'dataverse', 'dana');
    try {
      const list = await client.listResources();
      const uris = list.resources.map((r) => r.uri);
      expect(uris).toContain('dataverse://tables/account');
      expect(uris).toContain('dataverse://tables/lead');
      expect(uris).toContain('dataverse://tables/incident');
      const read = await client.readResource({ uri: 'dataverse://tables/account' });
      expect(read.contents.map((c) => c.mimeType)).toEqual(['application/json', 'text/markdown']);
      const schema = JSON.parse((read.contents[0] as { text: string }).text);
      expect(schema.primaryId).toBe('accountid');
      expect((read.contents[1] as { text: string }).text).toMatch(/^# Account \(`account`\)/);

      const templates = await client.listResourceTemplates();
      expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['dataverse://tables/{table}', 'dataverse://{table}/{id}']);

      const accountId = JSON.parse(((await client.readResource({ uri: 'dataverse://tables/account' })).contents[0] as { text: string }).text).primaryId;
      expect(accountId).toBe('accountid');
      // Unknown table, table off the allowlist, malformed id: not found, naming the URI (SEP-2164).
      for (const uri of ['dataverse://tables/nosuchtable', 'dataverse://tables/role', 'dataverse://account/not-a-guid', 'dataverse://account/00000000-0000-0000-0000-000000000001']) {
        const err = (await client.readResource({ uri }).catch((e: unknown) => e)) as { code?: number; data?: { uri?: string } };
        expect(err.code, uri).toBe(-32602);
        expect(err.data?.uri).toBe(uri);
      }
    } finally {
      await client.close();
    }
  });

  it('declares only what the agent serves', async () => {
    const core = await open(era, 'sales');
    try {
      const caps = core.getServerCapabilities();
      expect(caps?.prompts).toBeDefined();
      expect(caps?.resources).toBeDefined();
      expect(caps?.completions).toBeDefined();
      expect(caps?.logging).toEqual({});
    } finally {
      await core.close();
    }
  });
});

describe('privileges narrow what is offered', () => {
  it('lists no schema of a table the user cannot read, and the read itself is refused by Dataverse', async () => {
    const sam = await open('modern', 'dataverse', 'sam');
    try {
      const uris = (await sam.listResources()).resources.map((r) => r.uri);
      expect(uris).toContain('dataverse://tables/lead');
      expect(uris).not.toContain('dataverse://tables/incident');
      const cases = await sam.complete({ ref: { type: 'ref/resource', uri: 'dataverse://{table}/{id}' }, argument: { name: 'table', value: 'inc' } });
      // Completion offers the agent's tables; privileges decide on read.
      expect(cases.completion.values).toEqual(['incident']);
    } finally {
      await sam.close();
    }
  });
});

describe('records as resources', () => {
  it('reads a record the user can see, with labels, and refuses one the user cannot', async () => {
    const client = await open('modern', 'service', 'bob');
    try {
      const accounts = await client.complete({ ref: { type: 'ref/prompt', name: 'prepare_account_briefing' }, argument: { name: 'account', value: '' } });
      const briefing = await client.getPrompt({ name: 'prepare_account_briefing', arguments: { account: accounts.completion.values[0]! } });
      const uri = (briefing.messages[1]!.content as { resource: { uri: string } }).resource.uri;
      expect(uri).toMatch(/^dataverse:\/\/account\/[0-9a-f-]{36}$/);
      const record = JSON.parse(((await client.readResource({ uri })).contents[0] as { text: string }).text);
      expect(record.name).toBe(accounts.completion.values[0]);
      expect(record.columns.statecode).toEqual({ value: 0, label: 'Active' });
    } finally {
      await client.close();
    }
  });
});

describe('resource links in tool results', () => {
  it('links each record a result names, and the link reads back as the record', async () => {
    const token = await server.token('bob');
    const client = new ModernClient({ name: 'surface-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(server.mcpUrl('service')), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      const listed = await client.callTool({ name: 'D365_CustomerService_ListCases', arguments: { top: 3 } });
      const cases = (listed.structuredContent as { cases: Array<{ caseId: string; title: string }> }).cases;
      const links = (listed.content as Array<{ type: string; uri?: string; name?: string }>).filter((c) => c.type === 'resource_link');
      expect(links.map((l) => l.uri)).toEqual(cases.map((c) => `dataverse://incident/${c.caseId}`));
      expect(links.map((l) => l.name)).toEqual(cases.map((c) => c.title));
      const record = JSON.parse(((await client.readResource({ uri: links[0]!.uri! })).contents[0] as { text: string }).text);
      expect(record).toMatchObject({ table: 'incident', id: cases[0]!.caseId, name: cases[0]!.title });
    } finally {
      await client.close();
    }
  });
});
