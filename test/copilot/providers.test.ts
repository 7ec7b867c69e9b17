import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { LeadSignals } from '../../src/copilot/facts.js';
import { answerFromPassages } from '../../src/copilot/grounded.js';
import { recommendLeadAction } from '../../src/copilot/nextStep.js';
import { type ChatModel, startChatModel } from '../helpers/chatModel.js';
import { dataverseAs } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

/**
 * The Copilot provider behind the tools, one server for all three: the `sales` agent uses the
 * embedded grounded generator (the deployment default), `sales-org` the org's Copilot custom APIs
 * (the emulator implements msdyn_SalesRecordSummary with the grounded generator, as the caller), and
 * `sales-chat` a chat-completions endpoint this file starts.
 */
const ROOT = join(import.meta.dirname, '..', '..');
type Rec = Record<string, unknown>;
interface Summary {
  summary: string;
  grounding: Array<{ text: string; fields: string[] }>;
  source: string;
  notes: string[];
}

let server: TestServer;
let model: ChatModel;
let sam: TestClient;
let rita: TestClient;
let lead: Rec;
beforeAll(async () => {
  model = await startChatModel();
  const agents = JSON.parse(readFileSync(join(ROOT, 'agents.json'), 'utf8')) as { agents: Array<Record<string, unknown>> };
  const sales = agents.agents.find((a) => a['id'] === 'sales')!;
  const salesCx = agents.agents.find((a) => a['id'] === 'sales-cx')!;
  agents.agents.push(
    { ...sales, id: 'sales-org', copilot: 'dataverse' },
    { ...sales, id: 'sales-chat', copilot: 'chat' },
    { ...salesCx, id: 'sales-cx-org', copilot: 'dataverse' },
    { ...salesCx, id: 'sales-cx-chat', copilot: 'chat' },
  );
  server = await startTestServer({ emulator: true, env: { AGENTS_JSON: JSON.stringify(agents), COPILOT_CHAT_URL: model.url, COPILOT_CHAT_MODEL: 'test-model', COPILOT_CHAT_API_KEY: 'test-key' } });
  [sam, rita] = await Promise.all([connect(server, 'sam', 'sales'), connect(server, 'rita', 'sales')]);
  // An open, scored lead with a budget (dana, an administrator, reads every column).
  const found = await dataverseAs(server, 'dana')<{ value: Rec[] }>(
    `leads?$select=leadid,fullname,budgetamount&$filter=${encodeURIComponent('statecode eq 0 and budgetamount ne null and _msdyn_predictivescoreid_value ne null')}&$top=1`,
  );
  lead = found.body.value[0]!;
}, 60_000);
afterAll(async () => {
  await Promise.all([sam?.close(), rita?.close()]);
  await server?.close();
  await model?.close();
});
beforeEach(() => {
  model.mode = 'echo';
  model.seen.length = 0;
});

const budgetText = () => `$${Number(lead['budgetamount']).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;

/**
 * What `alias` can read of the lead through the Web API, field by field as the summary cites them:
 * `lead.x` and `msdyn_predictivescore.x` are those columns (value and formatted value), `activities.*`
 * the lead's activities and notes (their counts by type, subjects and dates).
 */
async function readable(alias: string): Promise<(field: string) => string> {
  const api = dataverseAs(server, alias);
  const id = String(lead['leadid']);
  const [row, acts, notes] = await Promise.all([
    api<Rec>(`leads(${id})?$select=fullname,firstname,jobtitle,companyname,subject,leadsourcecode,leadqualitycode,statecode,statuscode,createdon,estimatedvalue,budgetamount&$expand=msdyn_PredictiveScoreId($select=msdyn_score,msdyn_grade,msdyn_scoretrend,msdyn_scorereasons)`),
    api<{ value: Rec[] }>(`activitypointers?$select=subject,createdon,actualend,activitytypecode&$filter=${encodeURIComponent(`_regardingobjectid_value eq ${id}`)}`),
    api<{ value: Rec[] }>(`annotations?$select=subject,createdon&$filter=${encodeURIComponent(`_objectid_value eq ${id}`)}`),
  ]);
  const score = (row.body['msdyn_PredictiveScoreId'] ?? {}) as Rec;
  const column = (r: Rec, c: string) => [r[c], r[`${c}@OData.Community.Display.V1.FormattedValue`]].filter((v) => v !== null && v !== undefined).join(' ');
  const all = [...acts.body.value, ...notes.body.value];
  const byType = new Map<string, number>();
  for (const a of acts.body.value) byType.set(String(a['activitytypecode']), (byType.get(String(a['activitytypecode'])) ?? 0) + 1);
  return (field) => {
    const [table, rest = ''] = field.split('.');
    if (table === 'lead') return column(row.body, rest);
    if (table === 'msdyn_predictivescore') return column(score, rest);
    if (field === 'activities.count') return [acts.body.value.length, notes.body.value.length, ...byType.values()].join(' ');
    if (field.startsWith('activities[0].')) return all.map((a) => `${String(a['subject'])} ${String(a['createdon'])} ${String(a['actualend'] ?? '')}`).join(' ');
    return '';
  };
}

/** Numbers as written ("$28,500.00", "98/100", "2026-11-23") reduced to their values. */
const numbers = (text: string) => new Set((text.match(/\d+(?:[.,]\d+)*/g) ?? []).map((n) => Number(n.replace(/,(?=\d{3}\b)/g, ''))));

describe('grounding: every claim of a summary maps to a field the user can read', () => {
  it.each(['sam', 'rita'] as const)('%s: each sentence names its fields, and every figure in it is in the fields it names, as that user reads them', async (alias) => {
    const client = alias === 'sam' ? sam : rita;
    const r = await client.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
    expect(r.isError, r.text).toBeFalsy();
    const s = r.data as unknown as Summary;
    expect(s.source).toBe('embedded-grounded-generator');
    expect(s.grounding.map((g) => g.text).join(' ')).toBe(s.summary);
    const known = /^(lead\.[a-z_]+|msdyn_predictivescore(\.[a-z_]+)?|activities(\[0\])?\.(count|subject|date|type)|privileges)$/;
    const value = await readable(alias);
    for (const g of s.grounding) {
      expect(g.fields.length, g.text).toBeGreaterThan(0);
      for (const f of g.fields) expect(f, g.text).toMatch(known);
      // Every figure of the sentence is in a field it cites ("/100" is the score's scale, not a claim).
      const cited = numbers(g.fields.map(value).join(' '));
      for (const n of numbers(g.text.replace(/\/100\b/g, ''))) expect(cited.has(n), `${n} in "${g.text}" (fields ${g.fields.join(', ')})`).toBe(true);
    }
  });

  it('rita and sam see different facts: only the user in the budget profile gets the budget', async () => {
    const budget = Number(lead['budgetamount']);
    const formatted = budgetText();
    const [s, r] = (await Promise.all([sam.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] }), rita.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] })])).map((x) => x.data as unknown as Summary);
    expect(s!.summary).toContain(`stated budget ${formatted}`);
    expect(s!.grounding.some((g) => g.fields.includes('lead.budgetamount') && g.text.includes(formatted))).toBe(true);
    expect(r!.summary).not.toContain(formatted);
    expect(r!.summary).not.toMatch(/stated budget/);
    // Everything else rita may read is there: the same lead, the same score.
    expect(r!.summary).toContain(String(lead['fullname']));
    expect((await readable('rita'))('lead.budgetamount')).toBe('');
    expect(numbers((await readable('sam'))('lead.budgetamount')).has(budget)).toBe(true);

    const [samDraft, ritaDraft] = await Promise.all([sam.call('D365_Sales_DraftOutreachEmail', { leadId: lead['leadid'] }), rita.call('D365_Sales_DraftOutreachEmail', { leadId: lead['leadid'] })]);
    expect(String(samDraft.data['body'])).toMatch(/fits your budget/);
    expect(String(ritaDraft.data['body'])).not.toMatch(/budget/);
  });
});

describe('next steps follow the lead’s own signals', () => {
  const now = new Date('2026-11-24T15:30:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();
  const hot = (last: LeadSignals['last'], extra: Partial<LeadSignals> = {}): LeadSignals => ({ isOpen: true, score: 92, isHot: true, interactions: 3, last, ...extra });
  const cases: Array<[string, LeadSignals, RegExp]> = [
    ['hot, never contacted', hot(undefined, { interactions: 0 }), /^make first contact today: a strong fit \(score 92\)/],
    ['hot, a call this morning', hot({ kind: 'phonecall', on: hoursAgo(3) }), /^qualify it to an opportunity: .* a call today; send a recap email/],
    ['hot, an email yesterday', hot({ kind: 'email', on: hoursAgo(26) }), /^call to qualify: .* an email yesterday/],
    ['hot, a meeting two days ago', hot({ kind: 'appointment', on: hoursAgo(50) }), /^qualify it to an opportunity: .* a meeting 2 days ago/],
    ['hot, a week of silence', hot({ kind: 'email', on: hoursAgo(24 * 8) }), /^book a call this week: .*8 days ago/],
    ['hot, declining and silent', hot({ kind: 'email', on: hoursAgo(24 * 9) }, { trendCode: 2 }), /^re-engage now: the score is declining/],
    ['hot, six weeks of silence', hot({ kind: 'task', on: hoursAgo(24 * 42) }), /^win it back with a call/],
    ['cold, silent', { isOpen: true, score: 20, isHot: false, interactions: 1, last: { kind: 'email', on: hoursAgo(24 * 40) } }, /^follow up once more or disqualify/],
    ['warm, improving', { isOpen: true, score: 55, isHot: false, interactions: 2, trendCode: 0, last: { kind: 'email', on: hoursAgo(30) } }, /^keep the momentum: the score is improving/],
    ['qualified', { isOpen: false, status: 'Qualified', interactions: 4 }, /^none: the lead is already qualified/],
  ];
  it.each(cases)('%s', (_name, signals, expected) => {
    const step = recommendLeadAction(signals, now);
    expect(step.text).toMatch(expected);
    expect(step.fields.length).toBeGreaterThan(0);
  });

  it('hot leads with different signals get different advice', () => {
    const steps = cases.slice(0, 7).map(([, s]) => recommendLeadAction(s, now).text);
    expect(new Set(steps).size).toBe(steps.length);
  });
});

describe('extractive answers cite their passages', () => {
  const passages = [
    { id: 'KA-01001', title: 'Reset a customer password', text: 'Open the portal admin page. Choose Reset password and confirm the customer email. The customer receives a link valid for 24 hours.' },
    { id: 'KA-01002', title: 'Change billing address', text: 'Billing addresses are changed in the account settings.' },
  ];
  it('answers from the sentences that share the question’s terms, each citing its passage', () => {
    const a = answerFromPassages('How do I reset a customer password?', passages);
    expect(a.sentences.length).toBeGreaterThan(0);
    expect(a.sentences[0]).toEqual({ text: 'Choose Reset password and confirm the customer email.', passageIds: ['KA-01001'] });
    for (const s of a.sentences) expect(passages.find((p) => p.id === s.passageIds[0])!.text).toContain(s.text);
    expect(a.answer).toBe(a.sentences.map((s) => s.text).join(' '));
  });
  it('says so when no passage covers the question', () => {
    const a = answerFromPassages('What is the refund policy for olive oil?', passages);
    expect(a).toEqual({ answer: 'The passages available do not answer this question.', sentences: [] });
  });
});

const paths = () => server.emulator!.requests.map((r) => `${r.method} ${decodeURIComponent(r.path)}`);

describe("the org's Copilot custom APIs (agent sales-org)", () => {
  let alice: TestClient;
  beforeAll(async () => {
    alice = await connect(server, 'alice', 'sales-org');
  });
  afterAll(async () => {
    await alice?.close();
  });

  it('summarise through msdyn_SalesRecordSummary on behalf of the user, looked up once per org', async () => {
    server.emulator!.clearRequests();
    const r = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['source']).toBe('dataverse-copilot');
    expect(r.data['summary']).toEqual(expect.stringContaining(String(lead['fullname'])));
    expect(r.data['notes']).toEqual([expect.stringMatching(/Written by the organisation's Copilot \(msdyn_SalesRecordSummary\)/)]);
    expect(r.data['nextStep']).toEqual(expect.any(String));
    expect(paths()).toContain('POST /api/data/v9.2/msdyn_SalesRecordSummary');
    expect(paths().filter((p) => p.startsWith('GET /api/data/v9.2/customapis'))).toHaveLength(1);

    // Warm: the API definitions are cached; the lead, its activities and notes (the fallback's facts) and the API call.
    server.emulator!.clearRequests();
    const again = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
    expect(again.data['source']).toBe('dataverse-copilot');
    expect(paths().filter((p) => p.includes('customapis'))).toEqual([]);
    expect(paths()).toHaveLength(4);
  });

  it('the API reads as the user: rita gets no budget from it, sam does', async () => {
    const formatted = budgetText();
    const [sam, rita] = await Promise.all([connect(server, 'sam', 'sales-org'), connect(server, 'rita', 'sales-org')]);
    try {
      const [s, r] = await Promise.all([sam.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] }), rita.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] })]);
      expect([s.data['source'], r.data['source']]).toEqual(['dataverse-copilot', 'dataverse-copilot']);
      expect(s.data['summary']).toEqual(expect.stringContaining(formatted));
      expect(r.data['summary']).not.toEqual(expect.stringContaining(formatted));
    } finally {
      await Promise.all([sam.close(), rita.close()]);
    }
  });

  it('falls back to the embedded generator, with a note, when the API fails', async () => {
    server.emulator!.faults.add({ kind: 'unavailable', count: 1, match: { method: 'POST', pathContains: 'msdyn_SalesRecordSummary' } });
    const r = await alice.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['source']).toBe('embedded-grounded-generator');
    expect(r.data['notes']).toEqual([expect.stringMatching(/msdyn_SalesRecordSummary\) failed: Dataverse answered 503; the embedded grounded generator wrote this summary/)]);
    expect(r.text).toMatch(/\(note\) The organisation's Copilot/);
    expect(r.text).not.toMatch(/127\.0\.0\.1|http:/);
    for (const g of r.data['grounding'] as Array<{ fields: string[] }>) expect(g.fields.length).toBeGreaterThan(0);
  });

  it('drafts come from the embedded generator, which says the org has no drafting API', async () => {
    const r = await alice.call('D365_Sales_DraftOutreachEmail', { leadId: lead['leadid'] });
    expect(r.data['source']).toBe('embedded-grounded-generator');
    expect(r.data['notes']).toEqual([expect.stringMatching(/no email-drafting API/)]);
  });
});

describe('a chat-completions endpoint behind the tools (agent sales-chat)', () => {
  it("writes from rita's grounded facts only, and never receives what rita cannot read", async () => {
    const [ritaChat, samChat] = await Promise.all([connect(server, 'rita', 'sales-chat'), connect(server, 'sam', 'sales-chat')]);
    try {
      const r = await ritaChat.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
      expect(r.data['source']).toBe('chat-completions');
      expect(model.seen).toHaveLength(1);
      expect(model.seen[0]!.headers.authorization).toBe('Bearer test-key');
      expect(model.seen[0]!.body.messages[1]!.content).toContain(String(lead['fullname']));
      expect(model.seen[0]!.body.messages[1]!.content).not.toContain(budgetText());
      for (const g of r.data['grounding'] as Array<{ fields: string[] }>) expect(g.fields.length).toBeGreaterThan(0);
      const s = await samChat.call('D365_Sales_DraftOutreachEmail', { leadId: lead['leadid'] });
      expect(s.data['source']).toBe('chat-completions');
      expect(String(s.data['body'])).toMatch(/Kind regards,\nSam Sato/);
      expect(model.seen).toHaveLength(2);
    } finally {
      await Promise.all([ritaChat.close(), samChat.close()]);
    }
  });

  it('falls back, with a note, when the endpoint fails; agents on the embedded generator never reach it', async () => {
    const client = await connect(server, 'sam', 'sales-chat');
    try {
      model.mode = 'fail';
      const r = await client.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
      expect(r.data['source']).toBe('embedded-grounded-generator');
      expect(r.data['notes']).toEqual([expect.stringMatching(/chat model could not be used for this summary \(the endpoint answered HTTP 500\)/)]);
      expect(r.text).not.toMatch(/127\.0\.0\.1|test-key/);
      model.seen.length = 0;
      const embedded = await sam.call('D365_Sales_InvokeLeadSummary', { leadId: lead['leadid'] });
      expect(embedded.data['source']).toBe('embedded-grounded-generator');
      expect(model.seen).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('account, contact and opportunity briefs go through the same provider', () => {
  let account: Rec;
  beforeAll(async () => {
    account = (await dataverseAs(server, 'dana')<{ value: Rec[] }>(`accounts?$select=accountid,name&$orderby=createdon&$top=1`)).body.value[0]!;
  });

  it("the org's Copilot writes account summaries (msdyn_SalesRecordSummary); catch-ups and contacts say which API the org lacks", async () => {
    const alice = await connect(server, 'alice', 'sales-cx-org');
    try {
      server.emulator!.clearRequests();
      const r = await alice.call('get_account_summary', { accountId: account['accountid'] });
      expect(r.isError, r.text).toBeFalsy();
      expect(r.data['source']).toBe('dataverse-copilot');
      expect(r.data['summary']).toEqual(expect.stringContaining(`Account Name: ${String(account['name'])}.`));
      // The provider's note first, then the tool's own (this agent serves no cases).
      expect(r.data['notes']).toEqual([expect.stringMatching(/Written by the organisation's Copilot \(msdyn_SalesRecordSummary\)/), expect.stringMatching(/Cases are not included/)]);
      expect(paths()).toContain('POST /api/data/v9.2/msdyn_SalesRecordSummary');

      const catchup = await alice.call('get_account_catchup', { accountId: account['accountid'], sinceDays: 30 });
      expect(catchup.data['source']).toBe('embedded-grounded-generator');
      expect(catchup.data['notes']).toEqual([expect.stringMatching(/no msdyn_SalesAccountCatchup Copilot API .* wrote this catch-up/)]);
      for (const g of catchup.data['sentences'] as Array<{ fields: string[] }>) expect(g.fields.length).toBeGreaterThan(0);

      const contactId = ((await dataverseAs(server, 'dana')<{ value: Rec[] }>(`contacts?$select=contactid&$orderby=createdon&$top=1`)).body.value[0]!)['contactid'];
      const contact = await alice.call('get_contact_summary', { contactId });
      expect(contact.data['source']).toBe('embedded-grounded-generator');
      expect(contact.data['notes']).toEqual([expect.stringMatching(/no contact summary API/)]);
    } finally {
      await alice.close();
    }
  });

  it('a chat model rephrases the grounded sentences of a brief; when it invents a figure, the grounded text is used', async () => {
    const alice = await connect(server, 'alice', 'sales-cx-chat');
    try {
      const r = await alice.call('get_account_summary', { accountId: account['accountid'] });
      expect(r.data['source']).toBe('chat-completions');
      expect(model.seen).toHaveLength(1);
      expect(model.seen[0]!.body.messages[1]!.content).toContain(String(account['name']));
      for (const g of r.data['sentences'] as Array<{ fields: string[] }>) expect(g.fields.length).toBeGreaterThan(0);

      model.mode = 'invent';
      const invented = await alice.call('get_account_summary', { accountId: account['accountid'] });
      expect(invented.data['source']).toBe('embedded-grounded-generator');
      expect(invented.data['notes']).toEqual([expect.stringMatching(/chat model could not be used for this summary/), expect.stringMatching(/Cases are not included/)]);
      expect(String(invented.data['summary'])).not.toMatch(/999,999/);
    } finally {
      await alice.close();
    }
  });
});
