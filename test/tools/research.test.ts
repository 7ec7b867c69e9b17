import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assess, DEFAULT_ICP, grade } from '../../src/tools/research/getLeadQualificationAssessment.js';
import { seniority } from '../../src/tools/research/researchData.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';

const NOW = new Date('2026-11-20T12:00:00Z');

describe('qualification assessment (pure, hand-computed)', () => {
  const lead = {
    jobtitle: 'VP of Operations',
    subject: 'Warehouse robotics pilot',
    budgetamount: 40_000,
    'budgetamount@OData.Community.Display.V1.FormattedValue': '$40,000.00',
    purchasetimeframe: 1,
    'purchasetimeframe@OData.Community.Display.V1.FormattedValue': 'This Quarter',
    leadsourcecode: 7,
    'leadsourcecode@OData.Community.Display.V1.FormattedValue': 'Trade Show',
    predictiveScore: { msdyn_score: 55 },
  };
  const account = {
    numberofemployees: 30,
    industrycode: 7,
    'industrycode@OData.Community.Display.V1.FormattedValue': 'Consulting',
    address1_country: 'Norway',
  };

  it('default profile: size fails, budget and authority pass, score fails, recent engagement passes', () => {
    const c = assess(lead, account, '2026-11-10T09:00:00Z', DEFAULT_ICP, NOW);
    const byName = Object.fromEntries(c.map((x) => [x.criterion, x.result]));
    expect(byName).toEqual({
      'Company size': 'not_met',
      Budget: 'met',
      'Predictive score': 'not_met',
      Authority: 'met',
      Need: 'met',
      Timeline: 'met',
      Engagement: 'met',
    });
    // 5 of 7 judged criteria met: 71 → grade B.
    expect(grade(c)).toMatchObject({ fitScore: 71, grade: 'B' });
  });

  it('configured profile: industry, country and source are judged; unknowns are not counted', () => {
    const c = assess({ subject: 'x' }, account, undefined, { industries: ['Consulting'], countries: ['Sweden'], preferredSources: ['Web'], minRevenue: 1_000_000 }, NOW);
    const byName = Object.fromEntries(c.map((x) => [x.criterion, x.result]));
    expect(byName).toMatchObject({ Industry: 'met', Country: 'not_met', 'Lead source': 'unknown', 'Annual revenue': 'unknown', Authority: 'unknown', Engagement: 'not_met' });
    // judged: industry ✓, country ✗, need ✓, engagement ✗ → 50 → C
    expect(grade(c)).toMatchObject({ fitScore: 50, grade: 'C' });
  });

  it('seniority from titles', () => {
    expect(seniority('Chief Financial Officer').authority).toBe('high');
    expect(seniority('IT Manager').authority).toBe('medium');
    expect(seniority('Analyst').authority).toBe('low');
    expect(seniority(undefined).authority).toBe('unknown');
    expect(seniority('Procurement Lead Buyer', ['buyer'])).toMatchObject({ authority: 'high', basis: 'title contains "buyer"' });
  });
});

describe('research tools against the emulator', () => {
  let server: TestServer;
  let alice: TestClient;
  let leadId: string;
  beforeAll(async () => {
    server = await startTestServer({
      emulator: true,
      env: {
        AGENTS_JSON: JSON.stringify({
          agents: [{ id: 'sales', title: 'Sales', toolsets: ['core', 'sales', 'research'], research: { competitors: ['Fabrikam', 'Wide World Importers'], icp: { minBudget: 10_000, minScore: 50 } } }],
        }),
      },
    });
    alice = await connect(server, 'alice', 'sales');
    const leads = (await alice.call('D365_Sales_ListLeads', { orderBy: 'score', createdWithinDays: 30, top: 1 })).data['leads'] as Array<{ leadId: string }>;
    leadId = leads[0]!.leadId;
  }, 60_000);
  afterAll(async () => {
    await alice?.close();
    await server?.close();
  });

  it.each([['get_lead_research'], ['get_account_research'], ['get_engage_summary'], ['get_lead_qualification_assessment'], ['draft_outreach_email'], ['get_competitor_research']])(
    '%s answers for Microsoft-style msdyn_LeadId and grounds its findings',
    async (tool) => {
      const r = await alice.call(tool, { msdyn_LeadId: leadId });
      expect(r.isError, r.text).toBeFalsy();
      expect(r.data['leadId']).toBe(leadId);
      // Findings must name their fields; a draft's courtesy sentences (fixed wording) may name none.
      const evidence = (r.data['evidence'] ?? r.data['criteria'] ?? []) as Array<{ fields: string[] }>;
      const grounding = (r.data['grounding'] ?? []) as Array<{ text: string; fields: string[] }>;
      for (const e of evidence) expect(e.fields.length).toBeGreaterThan(0);
      for (const g of grounding.filter((s) => /\d|"/.test(s.text))) expect(g.fields.length, g.text).toBeGreaterThan(0);
    },
  );

  it('the assessment uses the agent profile and explains every criterion', async () => {
    const r = resultOf<{ criteria: Array<{ criterion: string; expected: string }>; profile: string; grade: string }>(await alice.call('get_lead_qualification_assessment', { LeadId: leadId }));
    expect(r.profile).toMatch(/agent/);
    expect(r.criteria.find((c) => c.criterion === 'Budget')?.expected).toBe('≥ 10000');
    expect(r.criteria.find((c) => c.criterion === 'Company size')).toBeUndefined();
    expect(['A', 'B', 'C', 'D']).toContain(r.grade);
  });

  it('finds a competitor mentioned in a note, with the note as its source', async () => {
    const before = resultOf<{ mentions: unknown[] }>(await alice.call('get_competitor_research', { leadId })).mentions.length;
    const dv = await connect(server, 'alice', 'sales');
    // Write the note through the Dataverse Web API as alice, the way a seller would in the app.
    const token = await server.idp!.mintUserToken((await import('../../src/emulator/users.js')).findLocalUser('alice')!, { audience: server.emulator!.url, scopes: ['user_impersonation'] });
    const res = await fetch(`${server.emulator!.url}/api/data/v9.2/annotations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ subject: 'Call notes', notetext: 'They are also evaluating Fabrikam for the rollout.', 'objectid_lead@odata.bind': `/leads(${leadId})` }),
    });
    expect(res.status).toBe(204);
    const r = resultOf<{ mentions: Array<{ competitor: string; source: string; snippet: string }>; summary: Array<{ competitor: string }>; competitors: Array<Record<string, unknown>> }>(
      await alice.call('get_competitor_research', { leadId }),
    );
    expect(r.mentions.length).toBe(before + 1);
    // The configured "Fabrikam" is the CRM record "Fabrikam Systems": one competitor, with its profile.
    expect(r.mentions.find((m) => m.source === 'note')).toMatchObject({ competitor: 'Fabrikam Systems' });
    expect(r.summary[0]?.competitor).toBe('Fabrikam Systems');
    expect(r.competitors[0]).toMatchObject({ competitor: 'Fabrikam Systems', weaknesses: expect.stringMatching(/support/) });
    await dv.close();
  });

  it('researches an opportunity: its recorded competitors with their profile, and mentions in its notes', async () => {
    const token = await server.idp!.mintUserToken((await import('../../src/emulator/users.js')).findLocalUser('alice')!, { audience: server.emulator!.url, scopes: ['user_impersonation'] });
    const api = (path: string, body: unknown) =>
      fetch(`${server.emulator!.url}/api/data/v9.2/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await api('opportunities', { name: 'Competitive refresh' });
    expect(created.status).toBe(204);
    const oppId = /\(([0-9a-f-]{36})\)/.exec(created.headers.get('odata-entityid') ?? '')![1]!;
    const { PIPELINE_IDS } = await import('../../src/emulator/seed/salesPipeline.js');
    expect((await api(`opportunities(${oppId})/opportunitycompetitors_association/$ref`, { '@odata.id': `${server.emulator!.url}/api/data/v9.2/competitors(${PIPELINE_IDS.competitor('litware')})` })).status).toBe(204);
    expect((await api('annotations', { subject: 'Call', notetext: 'Procurement also asked Northwind Traders for a bid.', 'objectid_opportunity@odata.bind': `/opportunities(${oppId})` })).status).toBe(204);

    const r = await alice.call('get_competitor_research', { recordId: oppId, recordType: 'opportunity' });
    expect(r.isError, r.text).toBeFalsy();
    const data = r.data as { recordType: string; leadId?: string; competitors: Array<{ competitor: string; mentions: number; linkedTo: Array<{ opportunityId: string }>; weaknesses?: string }>; mentions: Array<{ competitor: string; source: string }> };
    expect(data.recordType).toBe('opportunity');
    expect(data.leadId).toBeUndefined();
    expect(data.competitors.map((c) => c.competitor).sort()).toEqual(['Litware Solutions', 'Northwind Traders']);
    expect(data.competitors.find((c) => c.competitor === 'Litware Solutions')).toMatchObject({ mentions: 0, linkedTo: [{ opportunityId: oppId }], weaknesses: 'No hardware offering.' });
    expect(data.mentions).toEqual([expect.objectContaining({ competitor: 'Northwind Traders', source: 'note' })]);
    expect(r.text).toMatch(/Litware Solutions: recorded on "Competitive refresh"/);

    const missing = await alice.call('get_competitor_research', { recordId: '00000000-0000-0000-0000-00000000beef', recordType: 'opportunity' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/opportunity/i);
  });

  it('a user who cannot read leads gets the privilege, not a half answer', async () => {
    const bob = await connect(server, 'bob', 'sales');
    const r = await bob.call('get_engage_summary', { leadId });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/prvReadLead/);
    await bob.close();
  });
});
