import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dataverseAs } from '../helpers/dataverse.js';
import { expectEvery } from '../helpers/expectEvery.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

/**
 * Most real orgs do not have the Predictive Scoring solution: no msdyn_predictivescore table and no
 * lookup to it on the lead. Every lead tool must still work there, and say what it could not do.
 * This org has no Copilot in Dynamics 365 Sales either, while the deployment asks for the org's
 * Copilot: summaries fall back to the embedded generator and say so.
 */
let server: TestServer;
let alice: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true, emulatorProfile: { predictiveScoring: false, copilot: false }, env: { COPILOT_PROVIDER: 'dataverse' } });
  alice = await connect(server, 'alice', 'sales');
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await server?.close();
});

interface Lead {
  leadId: string;
  rating: string;
  score?: number;
  lastActivityOn?: string;
}
const leadsOf = (data: Record<string, unknown>) => (data['leads'] ?? []) as Lead[];

describe('lead tools in an org without predictive scoring', () => {
  it('lists leads without asking for the score, and the org really has no such column', async () => {
    const r = await alice.call('D365_Sales_ListLeads', { top: 10 });
    expect(r.isError, r.text).toBeFalsy();
    expectEvery(leadsOf(r.data), (l) => expect(l.score).toBeUndefined(), 'leads');
    expect(r.data['notes']).toBeUndefined();
    const requests = server.emulator!.requests.map((q) => q.path);
    expect(requests.some((p) => /PredictiveScore/i.test(p) && p.startsWith('/api/data/v9.2/leads'))).toBe(false);
    // Detected once per org from the lead's lookups, not per call.
    expect(requests.filter((p) => p.includes("LogicalName='lead')/ManyToOneRelationships"))).toHaveLength(1);
    await alice.call('D365_Sales_ListLeads', { top: 5 });
    expect(server.emulator!.requests.filter((q) => q.path.includes("LogicalName='lead')/ManyToOneRelationships"))).toHaveLength(1);
  });

  it('minScore is not applied and the result says why', async () => {
    const r = await alice.call('D365_Sales_ListLeads', { minScore: 70, top: 10 });
    expect(r.isError, r.text).toBeFalsy();
    expect(leadsOf(r.data).length).toBeGreaterThan(0);
    expect(r.data['notes']).toEqual([expect.stringMatching(/not installed in this organisation.*minScore was not applied/)]);
    expect(r.text).toMatch(/minScore was not applied/);
  });

  it('ranking by score falls back to rating, then last activity', async () => {
    const r = await alice.call('D365_Sales_ListLeads', { orderBy: 'score', createdWithinDays: 30, top: 50 });
    expect(r.isError, r.text).toBeFalsy();
    const leads = leadsOf(r.data);
    const rank = { Hot: 1, Warm: 2, Cold: 3 } as Record<string, number>;
    const ranks = leads.map((l) => rank[l.rating] ?? 9);
    expect(ranks.length).toBeGreaterThan(5);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(r.data['notes']).toEqual([expect.stringMatching(/Ranked by rating, then last activity/)]);
  });

  it('summaries, research and qualification work and say the org has no scoring', async () => {
    const lead = leadsOf((await alice.call('D365_Sales_ListLeads', { top: 1 })).data)[0]!;
    const summary = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: lead.leadId });
    expect(summary.isError, summary.text).toBeFalsy();
    expect(summary.text).toMatch(/Predictive lead scoring is not installed/);
    expect(summary.text).not.toMatch(/No predictive score is available for this lead/);
    expect(summary.data['source']).toBe('embedded-grounded-generator');
    expect(summary.data['notes']).toEqual([expect.stringMatching(/This organisation has no msdyn_SalesRecordSummary Copilot API/)]);
    for (const tool of ['get_lead_research', 'get_lead_qualification_assessment', 'D365_Sales_DraftOutreachEmail']) {
      const r = await alice.call(tool, { leadId: lead.leadId });
      expect(r.isError, `${tool}: ${r.text}`).toBeFalsy();
    }
  });

  it('the org has no Copilot custom APIs: none are defined and the operation is unknown (404)', async () => {
    const api = dataverseAs(server, 'alice');
    expect((await api<{ value: unknown[] }>('customapis?$select=uniquename')).body.value).toEqual([]);
    const call = await api<{ error: { message: string } }>('msdyn_SalesRecordSummary', { method: 'POST', body: { RecordId: '00000000-0000-4000-8000-000000000000' } });
    expect(call.status).toBe(404);
    expect(call.body.error.message).toMatch(/Resource not found for the segment 'msdyn_SalesRecordSummary'/);
  });

  it('prioritisation ranks without the score, spreads its weight, and lets a Hot rating stand in for it', async () => {
    const r = await alice.call('D365_Sales_PrioritizeLeads', { minScore: 80, createdWithinDays: 30 });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data).toMatchObject({ scoringAvailable: false, weights: { score: 0, recency: 0.6, interactions: 0.4, value: 0 }, hotRule: { usesRating: true } });
    expect(r.data['notes']).toEqual([expect.stringMatching(/not installed.*minScore was not applied/), expect.stringMatching(/not installed.*score is left out of the ranking/)]);
    const ranked = r.data['ranked'] as Array<{ leadId: string; score?: number; hot: boolean; factors: { score: { weight: number } } }>;
    expect(ranked.length).toBeGreaterThan(3);
    expectEvery(ranked, (x) => expect(x.score).toBeUndefined(), 'ranked');
    expectEvery(ranked, (x) => expect(x.factors.score.weight).toBe(0), 'ranked');
    const hot = ranked.filter((x) => x.hot);
    expect(hot.length).toBeGreaterThan(0);
    for (const h of hot) expect(leadsOf((await alice.call('D365_Sales_ListLeads', { leadId: h.leadId })).data)[0]!.rating).toBe('Hot');
    const only = await alice.call('D365_Sales_PrioritizeLeads', { weights: { score: 1 } });
    expect(only.isError).toBe(true);
    expect(only.text).toMatch(/only the predictive score is weighted/);
  });
});
