import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DataverseClient } from '../../src/dataverse/client.js';
import type { ToolContext } from '../../src/tools/defineTool.js';
import { type Candidate, DEFAULT_WEIGHTS, explain, hotRule, rankLeads, resolveWeights } from '../../src/tools/sales/ranking.js';
import { loadCandidates } from '../../src/tools/sales/rankingData.js';
import { startOrg } from '../emulator/helpers.js';
import { create, dataverseAs } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Factor {
  raw?: number;
  normalised: number;
  weight: number;
  contribution: number;
}
interface Ranked {
  rank: number;
  leadId: string;
  fullName: string;
  score?: number;
  interactionCount?: number;
  lastInteractionOn?: string;
  factors: Record<'score' | 'recency' | 'interactions' | 'value', Factor>;
  total: number;
  hot: boolean;
  rationale: string;
  recommendedAction: string;
  summary?: { text: string; source: string };
}
const rankedOf = (data: Record<string, unknown>) => data['ranked'] as Ranked[];

describe('the ranking, by hand', () => {
  const now = new Date('2026-11-24T12:00:00Z');
  const lead = (id: string, over: Partial<Candidate>): Candidate => ({
    leadId: id,
    fullName: id,
    company: '',
    createdOn: '2026-11-01T00:00:00Z',
    isOpen: true,
    status: 'Open',
    ratedHot: false,
    score: undefined,
    trendCode: undefined,
    estimatedValue: undefined,
    interactions: 0,
    lastInteractionOn: undefined,
    lastInteractionKind: undefined,
    ...over,
  });
  const at = (h: number) => new Date(now.getTime() - h * HOUR).toISOString();
  const leads = [
    lead('b', { score: 90, interactions: 1, lastInteractionOn: at(72), lastInteractionKind: 'task' }),
    lead('d', {}),
    lead('a', { score: 90, interactions: 2, lastInteractionOn: at(2), lastInteractionKind: 'email' }),
    lead('e', { score: 90, interactions: 1, lastInteractionOn: at(72), lastInteractionKind: 'task', createdOn: '2026-11-02T00:00:00Z' }),
    lead('c', { score: 60, interactions: 4, lastInteractionOn: at(1), lastInteractionKind: 'phonecall' }),
  ];

  it('weighs score 0.5, recency 0.3, interactions 0.2 and breaks ties by score, recency, interactions, newest, id', () => {
    const ranked = rankLeads(leads, DEFAULT_WEIGHTS, hotRule(undefined, undefined, true), now);
    // a: 0.5·0.90 + 0.3·(1 − 2/720) + 0.2·(2/4) = 0.45 + 0.29917 + 0.1 = 0.84917
    // c: 0.5·0.60 + 0.3·(1 − 1/720) + 0.2·(4/4) = 0.30 + 0.29958 + 0.2 = 0.79958
    // e = b: 0.45 + 0.3·(1 − 72/720) + 0.2·(1/4) = 0.45 + 0.27 + 0.05 = 0.77; e is newer
    expect(ranked.map((r) => [r.candidate.leadId, r.total])).toEqual([
      ['a', 0.8492],
      ['c', 0.7996],
      ['e', 0.77],
      ['b', 0.77],
      ['d', 0],
    ]);
    expect(ranked[0]!.factors.recency).toEqual({ raw: 2, normalised: 0.9972, weight: 0.3, contribution: 0.2992 });
    expect(ranked[0]!.factors.interactions).toEqual({ raw: 2, normalised: 0.5, weight: 0.2, contribution: 0.1 });
    expect(ranked.filter((r) => r.hot).map((r) => r.candidate.leadId)).toEqual(['a']);
    // Same inputs, any order: same ranking.
    expect(rankLeads([...leads].reverse(), DEFAULT_WEIGHTS, hotRule(undefined, undefined, true), now).map((r) => r.candidate.leadId)).toEqual(['a', 'c', 'e', 'b', 'd']);
    const why = explain(ranked[0]!, hotRule(undefined, undefined, true), now);
    expect(why.rationale).toBe('score 90 (+0.450), last interaction 2 h ago (+0.299), 2 interactions (+0.100); hot.');
    expect(explain(ranked[1]!, hotRule(undefined, undefined, true), now).rationale).toMatch(/not hot: score 60 is below 80\.$/);
  });

  it('normalises weights that do not sum to 1, drops what the data cannot give, and says so', () => {
    const w = resolveWeights({ score: 5, recency: 3, interactions: 2 }, undefined, { score: true, engagement: true }, 'No scoring.');
    expect(w.weights).toEqual({ score: 0.5, recency: 0.3, interactions: 0.2, value: 0 });
    expect(w.notes).toEqual(['The weights given summed to 10, so they were normalised to score 0.5, recency 0.3, interactions 0.2.']);
    const agent = resolveWeights(undefined, { recency: 1 }, { score: true, engagement: true }, 'No scoring.');
    expect(agent).toEqual({ weights: { score: 0, recency: 1, interactions: 0, value: 0 }, notes: [] });
    const noScore = resolveWeights(undefined, undefined, { score: false, engagement: true }, 'No scoring here.');
    expect(noScore.weights).toEqual({ score: 0, recency: 0.6, interactions: 0.4, value: 0 });
    expect(noScore.notes).toEqual(['No scoring here. score is left out of the ranking and the other weights rescaled.']);
    expect(() => resolveWeights({ score: 1 }, undefined, { score: false, engagement: true }, 'No scoring here.')).toThrow(/only the predictive score is weighted/);
    expect(() => resolveWeights({ score: 0, recency: 0 }, undefined, { score: true, engagement: true }, '')).toThrow(/at least one weight must be above 0/);
  });
});

describe('D365_Sales_PrioritizeLeads over HTTP', () => {
  let server: TestServer;
  let dana: TestClient;
  let T0: number;
  const ids: Record<'a' | 'b' | 'c' | 'd' | 'e', string> = { a: '', b: '', c: '', d: '', e: '' };

  beforeAll(async () => {
    // An agent whose own defaults rank by recency alone, hot at any score with contact in the last 3 hours.
    const agents = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'agents.json'), 'utf8')) as { agents: Array<Record<string, unknown>> };
    agents.agents.push({ ...agents.agents.find((a) => a['id'] === 'sales')!, id: 'sales-recency', prioritization: { weights: { recency: 1 }, hot: { minScore: 0, withinHours: 3 } } });
    server = await startTestServer({ emulator: true, env: { AGENTS_JSON: JSON.stringify(agents) } });
    // Forty days on, the sample org's leads and activities are all older than anything below.
    T0 = server.clock.now() + 40 * DAY;
    const api = dataverseAs(server, 'dana');
    const scoreFor = (score: number) => create(api, 'msdyn_predictivescores', { msdyn_name: `score ${score}`, msdyn_score: score, msdyn_scoretrend: 1, msdyn_entitytype: 'lead' });
    const events: Array<[number, () => Promise<void>]> = [];
    const newLead = (key: keyof typeof ids, score: number | undefined, ms: number) =>
      events.push([
        ms,
        async () => {
          const scoreId = score === undefined ? undefined : await scoreFor(score);
          ids[key] = await create(api, 'leads', { subject: `Ranking ${key}`, lastname: `Rank-${key}`, firstname: 'Test', companyname: `Company ${key}`, ...(scoreId && { 'msdyn_PredictiveScoreId@odata.bind': `/msdyn_predictivescores(${scoreId})` }) });
        },
      ]);
    const touch = (key: keyof typeof ids, ms: number) =>
      events.push([ms, async () => void (await create(api, 'tasks', { subject: `Touch ${key}`, [`regardingobjectid_lead_task@odata.bind`]: `/leads(${ids[key]})` }))]);
    newLead('a', 90, T0 - 6 * DAY);
    newLead('b', 90, T0 - 6 * DAY + 1000);
    newLead('c', 60, T0 - 6 * DAY + 2000);
    newLead('d', undefined, T0 - 6 * DAY + 3000);
    newLead('e', 90, T0 - 6 * DAY + 60_000);
    touch('a', T0 - 5 * DAY);
    touch('b', T0 - 72 * HOUR);
    touch('e', T0 - 72 * HOUR);
    for (const h of [4, 3, 2, 1]) touch('c', T0 - h * HOUR);
    touch('a', T0 - 2 * HOUR);
    for (const [ms, run] of events.sort((x, y) => x[0] - y[0])) {
      server.clock.set(ms);
      await run();
    }
    server.clock.set(T0);
    dana = await connect(server, 'dana', 'sales');
  }, 60_000);
  afterAll(async () => {
    await dana?.close();
    await server?.close();
  });

  const mine = { owner: 'me', createdWithinDays: 7 };
  const order = (data: Record<string, unknown>) => rankedOf(data).map((r) => Object.entries(ids).find(([, id]) => id === r.leadId)?.[0]);

  it('ranks the leads as computed by hand, with every factor, hot flag, rationale and action', async () => {
    const r = await dana.call('D365_Sales_PrioritizeLeads', mine);
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['considered']).toBe(5);
    expect(order(r.data)).toEqual(['a', 'c', 'e', 'b', 'd']);
    const ranked = rankedOf(r.data);
    expect(ranked.map((x) => x.total)).toEqual([0.8492, 0.7996, 0.77, 0.77, 0]);
    expect(ranked.map((x) => x.hot)).toEqual([true, false, false, false, false]);
    expect(r.data['hotCount']).toBe(1);
    expect(ranked[0]).toMatchObject({ score: 90, interactionCount: 2, lastInteractionOn: new Date(T0 - 2 * HOUR).toISOString().replace('.000', '') });
    expect(ranked[0]!.factors.score).toEqual({ raw: 90, normalised: 0.9, weight: 0.5, contribution: 0.45 });
    expect(ranked[4]!.factors.score).toEqual({ normalised: 0, weight: 0.5, contribution: 0 });
    expect(ranked[0]!.recommendedAction).toMatch(/^qualify it to an opportunity while engagement is fresh/);
    expect(ranked[4]!.recommendedAction).toBe('make first contact: nothing has been recorded yet.');
    expect(r.data).toMatchObject({
      weights: { score: 0.5, recency: 0.3, interactions: 0.2, value: 0 },
      filters: { status: 'open', createdWithinDays: 7, owner: 'me' },
      dataAsOf: new Date(T0).toISOString(),
      hotRule: { minScore: 80, withinHours: 48, usesRating: false },
      scoringAvailable: true,
      engagementAvailable: true,
      notes: [],
    });
    expect(r.data['tieBreak']).toMatch(/score.*most recent interaction.*most interactions.*newest lead.*lead id/);
    expect(r.text).toMatch(/\| 1 \| Test Rank-a \| Company a \| 90 \|/);
    expect(r.text).toMatch(/D365_Sales_QualifyLeadToOpportunity/);
  });

  it('takes weights and a hot threshold per call: normalised and said, or ranked by recency alone', async () => {
    const scaled = await dana.call('D365_Sales_PrioritizeLeads', { ...mine, weights: { score: 5, recency: 3, interactions: 2 } });
    expect(rankedOf(scaled.data).map((x) => x.total)).toEqual([0.8492, 0.7996, 0.77, 0.77, 0]);
    expect(scaled.data['notes']).toEqual([expect.stringMatching(/summed to 10, so they were normalised/)]);
    const recency = await dana.call('D365_Sales_PrioritizeLeads', { ...mine, weights: { recency: 1 }, hot: { minScore: 50, withinHours: 1 } });
    expect(order(recency.data)).toEqual(['c', 'a', 'e', 'b', 'd']);
    expect(rankedOf(recency.data).map((x) => x.total)).toEqual([0.9986, 0.9972, 0.9, 0.9, 0]);
    expect(rankedOf(recency.data).map((x) => x.hot)).toEqual([true, false, false, false, false]);
  });

  it("uses the agent's own weights and hot threshold unless the call gives others", async () => {
    const agent = await connect(server, 'dana', 'sales-recency');
    try {
      const own = await agent.call('D365_Sales_PrioritizeLeads', mine);
      expect(own.data['weights']).toEqual({ score: 0, recency: 1, interactions: 0, value: 0 });
      expect(order(own.data)).toEqual(['c', 'a', 'e', 'b', 'd']);
      expect(rankedOf(own.data).map((x) => x.hot)).toEqual([true, true, false, false, false]);
      expect(own.data['notes']).toEqual([]);
      const given = await agent.call('D365_Sales_PrioritizeLeads', { ...mine, weights: { score: 0.5, recency: 0.3, interactions: 0.2 } });
      expect(rankedOf(given.data).map((x) => x.total)).toEqual([0.8492, 0.7996, 0.77, 0.77, 0]);
    } finally {
      await agent.close();
    }
  });

  it('summarises the first leads through the provider', async () => {
    const r = await dana.call('D365_Sales_PrioritizeLeads', { ...mine, top: 2, summarizeTop: 1 });
    const [first, second] = rankedOf(r.data);
    expect(first!.summary).toMatchObject({ source: 'embedded-grounded-generator' });
    expect(first!.summary!.text).toContain('Test Rank-a works at Company a');
    expect(second!.summary).toBeUndefined();
    expect(rankedOf(r.data)).toHaveLength(2);
  });

  it.each([
    [{ createdWithinDays: 3, createdWithinHours: 5 }, /not both/],
    [{ owner: 'bob' }, /owner: must be "me" or a user id/],
    [{ weights: { score: 0, recency: 0 } }, /at least one weight must be above 0/],
    [{ weights: { charm: 1 } }, /charm/],
    [{ top: 0 }, /top/],
  ])('refuses %j with a clear message', async (args, message) => {
    const r = await dana.call('D365_Sales_PrioritizeLeads', args);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(message);
  });

  describe('decision log', () => {
    it('keeps each ranking and reads it back: who, when, agent, weights, filters, ids and scores', async () => {
      // A moment after the rankings above, so this one is the newest.
      server.clock.advance(1000);
      const r = await dana.call('D365_Sales_PrioritizeLeads', { ...mine, weights: { score: 1, interactions: 1 } });
      const id = r.data['decisionId'] as string;
      expect(id).toMatch(/^\d{13}_[0-9a-f]{12}$/);
      const log = await dana.call('D365_Sales_GetPrioritizationLog', { top: 1 });
      expect(log.isError, log.text).toBeFalsy();
      const entry = (log.data['entries'] as Array<Record<string, unknown>>)[0]!;
      expect(entry).toEqual({
        decisionId: id,
        at: new Date(T0 + 1000).toISOString(),
        agentId: 'sales',
        user: 'dana@contoso.example',
        tool: 'D365_Sales_PrioritizeLeads',
        weights: { score: 0.5, recency: 0, interactions: 0.5, value: 0 },
        filters: { status: 'open', createdWithinDays: 7, owner: 'me' },
        hotRule: (r.data['hotRule'] as { description: string }).description,
        dataAsOf: new Date(T0 + 1000).toISOString(),
        considered: 5,
        results: rankedOf(r.data).map((x) => ({ leadId: x.leadId, rank: x.rank, total: x.total, ...(x.score !== undefined && { score: x.score }), hot: x.hot })),
      });
      const one = await dana.call('D365_Sales_GetPrioritizationLog', { decisionId: id });
      expect((one.data['entries'] as unknown[]).length).toBe(1);
    });

    it('pages newest first with a cursor', async () => {
      for (let i = 0; i < 2; i++) {
        server.clock.advance(1000);
        await dana.call('D365_Sales_PrioritizeLeads', mine);
      }
      const first = await dana.call('D365_Sales_GetPrioritizationLog', { top: 2 });
      const page1 = first.data['entries'] as Array<{ decisionId: string; at: string }>;
      expect(page1).toHaveLength(2);
      expect(page1[0]!.at > page1[1]!.at).toBe(true);
      const second = await dana.call('D365_Sales_GetPrioritizationLog', { top: 2, cursor: first.data['nextCursor'] });
      const page2 = second.data['entries'] as Array<{ decisionId: string; at: string }>;
      expect(page2.length).toBeGreaterThan(0);
      expect(page2.every((e) => e.at <= page1[1]!.at && !page1.some((p) => p.decisionId === e.decisionId))).toBe(true);
    });

    it("another user, or the same user on another agent, cannot read it", async () => {
      const mineNow = (await dana.call('D365_Sales_GetPrioritizationLog', { top: 1 })).data['entries'] as Array<{ decisionId: string }>;
      const id = mineNow[0]!.decisionId;
      const sam = await connect(server, 'sam', 'sales');
      const elsewhere = await connect(server, 'dana', 'insights');
      try {
        const theirs = await sam.call('D365_Sales_GetPrioritizationLog', {});
        expect(theirs.isError, theirs.text).toBeFalsy();
        expect(theirs.data['entries']).toEqual([]);
        const direct = await sam.call('D365_Sales_GetPrioritizationLog', { decisionId: id });
        expect(direct.isError).toBe(true);
        expect(direct.text).toMatch(/No entry .* in your prioritisation log/);
        expect((await elsewhere.call('D365_Sales_GetPrioritizationLog', {})).data['entries']).toEqual([]);
        // A cursor of one user is refused for another.
        server.clock.advance(1000);
        await dana.call('D365_Sales_PrioritizeLeads', mine);
        const cursor = (await dana.call('D365_Sales_GetPrioritizationLog', { top: 1 })).data['nextCursor'];
        expect((await sam.call('D365_Sales_GetPrioritizationLog', { top: 1, cursor })).isError).toBe(true);
      } finally {
        await Promise.all([sam.close(), elsewhere.close()]);
      }
    });
  });

  it('reads many leads in a bounded number of requests: one page per 5,000 leads and one aggregate per 500', async () => {
    server.emulator!.seedLeads({ count: 600, seed: 3 });
    const alice = await connect(server, 'alice', 'sales');
    try {
      await alice.call('D365_Sales_PrioritizeLeads', { top: 5 });
      server.emulator!.clearRequests();
      const r = await alice.call('D365_Sales_PrioritizeLeads', { top: 5 });
      const considered = r.data['considered'] as number;
      expect(considered).toBeGreaterThan(600);
      const requests = server.emulator!.requests;
      expect(requests.filter((q) => q.path.startsWith('/api/data/v9.2/leads?'))).toHaveLength(1);
      expect(requests.filter((q) => q.path.startsWith('/api/data/v9.2/activitypointers?$apply='))).toHaveLength(Math.ceil(considered / 500));
      expect(requests).toHaveLength(1 + Math.ceil(considered / 500));
      expect(requests.every((q) => q.status === 200)).toBe(true);
      // Hot leads whose signals differ get different advice.
      const hot = rankedOf(r.data).filter((x) => x.hot).map((x) => x.recommendedAction);
      expect(new Set(hot).size).toBe(hot.length);
    } finally {
      await alice.close();
    }
  });
});

describe('aggregates past the 50,000-row limit (an emulator that allows 40)', () => {
  it('Dataverse refuses the aggregate with AggregateQueryRecordLimit; the ranking halves its chunks until each fits, counting every interaction', async () => {
    const org = await startOrg({ aggregateRecordLimit: 40 });
    try {
      const refused = await org.api<{ error: unknown }>('alice', `activitypointers?$apply=${encodeURIComponent('aggregate($count as n)')}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toEqual({ code: '0x8004E023', message: 'AggregateQueryRecordLimit exceeded. Cannot perform this operation.' });

      const dataverse = new DataverseClient({ url: org.emu.url, tokens: { getToken: () => org.token('alice') } });
      const ctx = { dataverse, now: () => new Date('2026-11-20T12:00:00Z') } as unknown as ToolContext;
      const { candidates } = await loadCandidates(ctx, { status: 'open' }, undefined);
      expect(candidates.length).toBeGreaterThan(300);
      // The same counts as listing every interaction row regarding these leads (no aggregation at all).
      const rows = await dataverse.list('activitypointers', { select: ['_regardingobjectid_value', 'activitytypecode'] }, { pageSize: 5000, maxRows: 100_000, maxBytes: 64 * 1024 * 1024 });
      const counted = new Map<string, number>();
      for (const r of rows.rows) {
        if (!['email', 'phonecall', 'task', 'appointment'].includes(String(r['activitytypecode']))) continue;
        const id = String(r['_regardingobjectid_value']);
        counted.set(id, (counted.get(id) ?? 0) + 1);
      }
      for (const c of candidates) expect(c.interactions, c.leadId).toBe(counted.get(c.leadId) ?? 0);
      const aggregates = org.emu.requests.filter((q) => q.path.includes('$apply'));
      expect(aggregates.some((q) => q.status === 400)).toBe(true);
      expect(aggregates.filter((q) => q.status === 200).length).toBeGreaterThan(8);
    } finally {
      await org.emu.close();
    }
  });
});
