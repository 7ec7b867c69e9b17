import { describe, expect, it } from 'vitest';

import { loadAgentsFile } from '../../src/config/agents.js';
import { checkToolCount, compileTool, listedDescriptors, MAX_AGENT_TOOLS, servedNamesOf, toolsForAgent } from '../../src/mcp/toolInventory.js';
import { TOOLSETS } from '../../src/tools/toolsets.js';
import { ALL_TOOLS } from '../../src/tools/index.js';

const compiled = ALL_TOOLS.map(compileTool);
const agents = loadAgentsFile('agents.json');

const MICROSOFT_NAMES = [
  'D365_Sales_ListLeads',
  'D365_Sales_QualifyLeadToOpportunity',
  'D365_Sales_InvokeLeadSummary',
  'D365_Sales_DraftOutreachEmail',
  'D365_Sales_SendOutreachEmail',
  'D365_CustomerService_ListCases',
  'D365_CustomerService_AddCase',
  'D365_CustomerService_UpdateCase',
  'D365_CustomerService_AddCaseNote',
  'D365_CustomerService_CloseCase',
  'D365_CustomerService_ListAccounts',
  'D365_CustomerService_AddAccount',
  'D365_CustomerService_UpdateAccount',
  'D365_CustomerService_DraftEmailResponse',
  'D365_CustomerService_SendEmailResponse',
  'list_tables',
  'describe_table',
  'read_query',
  'create_record',
  'update_record',
  'delete_record',
  'create_table',
  'update_table',
  'delete_table',
  'get_account_research',
  'get_competitor_research',
  'get_engage_summary',
  'get_lead_research',
  'get_lead_qualification_assessment',
  'draft_outreach_email',
];

function walk(node: unknown, visit: (n: Record<string, unknown>, path: string) => void, path = '$'): void {
  if (Array.isArray(node)) return node.forEach((n, i) => walk(n, visit, `${path}[${i}]`));
  if (!node || typeof node !== 'object') return;
  visit(node as Record<string, unknown>, path);
  for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}.${k}`);
}

describe('tool inventory guards', () => {
  it('offers every tool name the Microsoft servers use, once', () => {
    const names = compiled.map((t) => t.def.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of MICROSOFT_NAMES) expect(names).toContain(n);
  });

  it.each(compiled.map((t) => [t.def.name, t] as const))('%s follows the rules', (_name, tool) => {
    const d = tool.descriptor;
    expect(d.name).toMatch(/^[A-Za-z0-9_.-]{1,128}$/);
    expect(tool.def.toolset).toBeTruthy();
    expect(d.description!.length).toBeGreaterThan(30);
    for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) expect(typeof (d.annotations as Record<string, unknown>)[k]).toBe('boolean');
    for (const schema of [d.inputSchema, d.outputSchema]) {
      expect(schema!.type).toBe('object');
      expect(schema).not.toHaveProperty('$schema');
      for (const k of ['anyOf', 'oneOf', 'allOf']) expect(schema).not.toHaveProperty(k);
      walk(schema, (n, path) => {
        expect(n, `${path} has $ref`).not.toHaveProperty('$ref');
        expect(Array.isArray(n['type']), `${path} uses a type array`).toBe(false);
      });
    }
    // Every input property is described, so models know what to pass.
    for (const [key, prop] of Object.entries((d.inputSchema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (['status', 'state', 'priority', 'rating', 'source', 'origin'].includes(key)) continue;
      expect(prop['description'] ?? prop['enum'], `${d.name}.${key} needs a description`).toBeTruthy();
    }
    // The hints follow from the kind; a write accepts the confirmation handle, a read does not.
    const a = tool.def.annotations;
    // A read that stages a write (file blocks before their confirmed commit) is not read-only.
    expect(a.readOnlyHint, 'read-only exactly when kind is read').toBe(tool.def.kind === 'read' && tool.def.name !== 'init_file_upload');
    expect(a.destructiveHint, 'destructive exactly when kind is destructive').toBe(tool.def.kind === 'destructive');
    expect(tool.def.kind === 'outbound' ? a.openWorldHint : true, 'outbound tools reach the open world').toBe(true);
    expect(tool.def.confirmation === 'none', 'only reads skip confirmation').toBe(tool.def.kind === 'read');
    expect('confirmationHandle' in (d.inputSchema.properties ?? {}), 'writes take a confirmation handle').toBe(tool.def.kind !== 'read');
    expect(tool.def.kind === 'destructive' || tool.def.kind === 'outbound' ? tool.def.confirmation : 'always', 'destructive and outbound tools always confirm').toBe('always');
  });

  it('destructive and outbound tools always confirm', () => {
    const always = compiled.filter((t) => t.def.confirmation === 'always').map((t) => t.def.name).sort();
    expect(always).toEqual(
      [
        'D365_CustomerService_CloseCase',
        'D365_CustomerService_SendEmailResponse',
        'D365_Sales_QualifyLeadToOpportunity',
        'D365_Sales_SendOutreachEmail',
        'close_opportunity',
        'close_quote',
        'convert_quote_to_order',
        'delete_opportunity_product',
        'delete_entity_record',
        'resolve_case_and_pick_next',
        'send_email',
        'close_case',
        'publish_knowledge_article',
        'pick_case_from_queue',
        'reassign_case',
        'create_table',
        'delete_record',
        'delete_table',
        'update_table',
      ].sort(),
    );
  });

  it('read-only agents list no write tools, whatever their tool sets', () => {
    for (const agent of agents) {
      const tools = toolsForAgent(agent, compiled);
      const writes = tools.filter((t) => !t.def.annotations.readOnlyHint).map((t) => t.def.name);
      expect(agent.readOnly ? writes : [], `${agent.id} is read-only`).toEqual([]);
      expect(tools.every((t) => agent.toolsets.includes(t.def.toolset))).toBe(true);
    }
    const insights = agents.find((a) => a.id === 'insights')!;
    // A read-only agent cannot commit an upload, so it does not stage one either.
    const withFiles = toolsForAgent({ ...insights, toolsets: [...insights.toolsets, 'files'] }, compiled).map((t) => t.def.name);
    expect(withFiles).toContain('file_download');
    expect(withFiles).not.toContain('init_file_upload');
    expect(toolsForAgent({ ...insights, readOnly: false }, compiled).length).toBeGreaterThan(toolsForAgent(insights, compiled).length);
  });

  it('an allowlist narrows an agent and unknown names are refused', () => {
    const sales = agents.find((a) => a.id === 'sales')!;
    expect(toolsForAgent({ ...sales, tools: ['D365_Sales_ListLeads'] }, compiled).map((t) => t.def.name)).toEqual(['D365_Sales_ListLeads']);
    expect(() => toolsForAgent({ ...sales, tools: ['nope'] }, compiled)).toThrow(/unknown tools/);
  });

  // Every tool set under each name generation: what an agent with those names would list.
  it.each(['classic', 'cx'] as const)('the %s generation matches the committed snapshot', async (names) => {
    const every = { id: 'every', title: 'Every tool', toolsets: TOOLSETS.filter((t) => t !== 'conformance'), names, enabled: true, readOnly: false, confirmWrites: 'all', quoteCaseNotes: false, recordDeletes: 'notes-and-activities', discovery: 'all', testOnly: false } as const;
    const list = toolsForAgent({ ...every, toolsets: [...every.toolsets] }, compiled).map((t) => t.descriptor);
    expect(new Set(list.map((t) => t.name)).size).toBe(list.length);
    await expect(JSON.stringify(list, null, 2) + '\n').toMatchFileSnapshot(`../snapshots/generation-${names}.json`);
  });

  it('every agent stays within Copilot Studio\'s tool limit, and the limit is enforced', () => {
    for (const agent of agents) expect(toolsForAgent(agent, compiled).length, agent.id).toBeLessThanOrEqual(MAX_AGENT_TOOLS);
    expect(checkToolCount('a', 40)).toBeUndefined();
    expect(checkToolCount('a', 41)).toMatch(/more than the 40/);
    expect(() => checkToolCount('a', 129)).toThrow(/at most 128/);
  });

  it.each(agents.map((a) => [a.id, a] as const))('tools/list of agent %s matches the committed snapshot', async (id, agent) => {
    const tools = toolsForAgent(agent, compiled);
    // As served: descriptions name other tools under the agent's generation.
    const list = listedDescriptors(tools, servedNamesOf(tools));
    await expect(JSON.stringify(list, null, 2) + '\n').toMatchFileSnapshot(`../snapshots/tools-${id}.json`);
  });
});
