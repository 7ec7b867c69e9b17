import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadAgentsFile } from '../../src/config/agents.js';
import { compileTool, toolsForAgent } from '../../src/mcp/toolInventory.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { NAME_MAP } from '../../src/tools/names.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

const compiled = ALL_TOOLS.map(compileTool);
const agents = loadAgentsFile('agents.json');
const sales = agents.find((a) => a.id === 'sales')!;
const service = agents.find((a) => a.id === 'service')!;
const names = (agent: typeof sales) => toolsForAgent(agent, compiled).map((t) => t.def.name);

describe('name generations', () => {
  it('classic is the default and lists today\'s names only; cx swaps the mapped ones; both lists each once', () => {
    expect(sales.names).toBe('classic');
    const classic = names(sales);
    const cx = names({ ...sales, names: 'cx' });
    const both = names({ ...sales, names: 'both' });
    expect(classic).toContain('D365_Sales_InvokeLeadSummary');
    expect(classic).not.toContain('get_lead_summary');
    expect(cx).toContain('get_lead_summary');
    expect(cx).toContain('qualify_lead');
    expect(cx).not.toContain('D365_Sales_InvokeLeadSummary');
    expect(both.filter((n) => n === 'get_lead_summary' || n === 'D365_Sales_InvokeLeadSummary')).toHaveLength(2);
    expect(new Set(both).size).toBe(both.length);
    // Unmapped tools keep one name in every generation.
    for (const n of ['add_opportunity_product', 'get_account_research', 'whoami']) for (const list of [classic, cx, both]) expect(list).toContain(n);
  });

  it('serves one handler under the cx name with the cx argument names, and still accepts the classic ones', () => {
    const tool = toolsForAgent({ ...service, names: 'cx' }, compiled).find((t) => t.def.name === 'update_case')!;
    expect(Object.keys(tool.descriptor.inputSchema.properties ?? {})).toContain('incidentId');
    expect(Object.keys(tool.descriptor.inputSchema.properties ?? {})).not.toContain('caseId');
    expect(tool.descriptor.annotations).toEqual(compiled.find((t) => t.def.name === 'D365_CustomerService_UpdateCase')!.descriptor.annotations);
    const id = '0d6f7a51-0000-4000-8000-000000000001';
    const bound = tool.def.bind({ incidentId: id, priority: 'high' });
    expect(bound.ok && bound.args).toMatchObject({ caseId: id, priority: 'high' });
    const bad = tool.def.bind({ incidentId: 'nope' });
    expect(!bad.ok && bad.error.issues[0]!.path[0]).toBe('incidentId');
    expect(tool.def.aliases).toMatchObject({ caseId: 'incidentId' });
  });

  it('an allowlist may name either generation; unknown names are refused', () => {
    expect(toolsForAgent({ ...sales, names: 'cx', tools: ['D365_Sales_InvokeLeadSummary'] }, compiled).map((t) => t.def.name)).toEqual(['get_lead_summary']);
    expect(toolsForAgent({ ...sales, tools: ['get_lead_summary'] }, compiled).map((t) => t.def.name)).toEqual(['D365_Sales_InvokeLeadSummary']);
    expect(() => toolsForAgent({ ...sales, tools: ['get_lead_sumary'] }, compiled)).toThrow(/unknown tools/);
  });

  it('every mapping names a real tool, and cx names clash with no other tool', () => {
    const all = new Set(compiled.map((t) => t.def.name));
    for (const m of NAME_MAP) {
      expect(all.has(m.classic), m.classic).toBe(true);
      expect(all.has(m.cx), m.cx).toBe(false);
      const shape = compiled.find((t) => t.def.name === m.classic)!.def.input.shape;
      for (const p of Object.keys(m.params ?? {})) expect(shape, `${m.classic}.${p}`).toHaveProperty(p);
    }
  });
});

describe('both names over HTTP (same handler, same answer)', () => {
  let server: TestServer;
  let classic: TestClient;
  let cx: TestClient;
  beforeAll(async () => {
    server = await startTestServer({ emulator: true });
    classic = await connect(server, 'alice', 'sales');
    cx = await connect(server, 'alice', 'sales-cx', 'modern');
  }, 60_000);
  afterAll(async () => {
    await classic?.close();
    await cx?.close();
    await server?.close();
  });

  it('lists each generation\'s names', async () => {
    const c = (await classic.listTools()).map((t) => t.name);
    const x = (await cx.listTools()).map((t) => t.name);
    expect(c).toContain('D365_Sales_QualifyLeadToOpportunity');
    expect(x).toContain('qualify_lead');
    expect(x).not.toContain('D365_Sales_QualifyLeadToOpportunity');
    // The other generation's name is not served: an unknown tool (a protocol error, as for any unknown name).
    await expect(cx.call('D365_Sales_InvokeLeadSummary', {})).rejects.toThrow(/Unknown tool/);
  });

  const cases: Array<[string, string, (lead: string) => Record<string, unknown>]> = [
    ['D365_Sales_InvokeLeadSummary', 'get_lead_summary', (leadId) => ({ leadId })],
    ['D365_Sales_QualifyLeadToOpportunity', 'qualify_lead', (leadId) => ({ leadId, createAccount: false })],
  ];
  it.each(cases)('%s and %s give the same result', async (classicName, cxName, args) => {
    const leads = (await classic.call('D365_Sales_ListLeads', { top: 2 })).data['leads'] as Array<{ leadId: string }>;
    const lead = leads[0]!.leadId;
    const a = await classic.call(classicName, args(lead));
    const b = await cx.call(cxName, args(lead));
    expect(a.isError, a.text).toBeFalsy();
    expect(b.isError, b.text).toBeFalsy();
    if (a.data['status'] === 'confirmation_required') {
      expect(b.data['status']).toBe('confirmation_required');
      expect((b.data['confirmation'] as { summary: string }).summary).toBe((a.data['confirmation'] as { summary: string }).summary);
      // A handle is bound to the name it was issued under.
      const handle = (a.data['confirmation'] as { handle: string }).handle;
      const crossed = await cx.call(cxName, { ...args(lead), confirmationHandle: handle });
      expect(crossed.isError).toBe(true);
    } else {
      expect(b.data).toEqual(a.data);
    }
  });
});
