import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SERVICE_DESK_IDS } from '../../src/emulator/seed/serviceDesk.js';
import { create, dataverseAs, type WebApi } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient, type ToolResult } from '../helpers/mcpClient.js';

let server: TestServer;
let bob: TestClient;
let classic: TestClient;
let sam: TestClient;
let dana: TestClient;
let api: WebApi;

const BOB = '5e2b1ce0-0000-4000-8000-000000000002';

beforeAll(async () => {
  server = await startTestServer({ emulator: true });
  bob = await connect(server, 'bob', 'service-cx', 'modern');
  classic = await connect(server, 'bob', 'service');
  sam = await connect(server, 'sam', 'service-cx', 'modern');
  dana = await connect(server, 'dana', 'service-cx', 'modern');
  api = dataverseAs(server, 'bob');
}, 60_000);
afterAll(async () => {
  for (const c of [bob, classic, sam, dana]) await c?.close();
  await server?.close();
});

type Rec = Record<string, unknown>;
/** Confirms an earlier call with its handle, as the user agreeing later would. */
const confirm = (c: TestClient, name: string, args: Rec, first: ToolResult) => c.call(name, { ...args, confirmationHandle: (first.data['confirmation'] as { handle: string }).handle });
const waiting = async (queueId: string) =>
  (await api<{ value: Rec[] }>(`queueitems?$select=queueitemid,_objectid_value&$filter=_queueid_value eq ${queueId} and statecode eq 0 and _workerid_value eq null&$orderby=enteredon asc,queueitemid asc`)).body.value;

describe('service desk tools under their cx names', () => {
  it('the cx agent lists them under the cx names; the classic agent keeps its names and gains the casework tools', async () => {
    const cx = await bob.listTools();
    for (const name of ['pick_case_from_queue', 'resolve_case_and_pick_next', 'get_case_sla_status', 'query_cases_by_sla_status', 'recommend_email_templates', 'apply_email_template', 'send_email', 'close_case', 'list_cases', 'update_case']) {
      expect(cx.map((t) => t.name)).toContain(name);
    }
    const close = cx.find((t) => t.name === 'close_case') as unknown as { inputSchema: { properties: Rec } };
    expect(Object.keys(close.inputSchema.properties)).toEqual(expect.arrayContaining(['incidentId', 'closeAs', 'resolution']));
    const old = (await classic.listTools()).map((t) => t.name);
    expect(old).toContain('D365_CustomerService_CloseCase');
    expect(old).toContain('pick_case_from_queue');
    expect(old).not.toContain('close_case');
    expect(cx.map((t) => t.name)).not.toContain('D365_CustomerService_CloseCase');
  });

  it('finds the cases at SLA risk with their KPIs, oldest first, in one Dataverse request', async () => {
    const r = await bob.call('query_cases_by_sla_status', { status: 'at_risk', top: 5 });
    expect(r.isError, r.text).toBeFalsy();
    const cases = r.data['cases'] as Array<{ createdOn: string; sla: Array<{ kpi: string; state: string; atRisk: boolean }> }>;
    expect(cases.length).toBe(5);
    for (const c of cases) expect(['noncompliant', 'nearing_noncompliance']).toContain(c.sla.find((k) => k.kpi === 'resolve_by')!.state);
    expect([...cases].sort((a, b) => a.createdOn.localeCompare(b.createdOn))).toEqual(cases);
    expect(r.data['nextCursor']).toBeTruthy();
    expect(r.text).toMatch(/Resolve By KPI: (Noncompliant|Nearing Noncompliance)/);
    const next = await bob.call('query_cases_by_sla_status', { status: 'at_risk', top: 5, cursor: r.data['nextCursor'] });
    expect((next.data['cases'] as Array<{ caseId: string }>).map((c) => c.caseId)).not.toContain((cases[0] as unknown as { caseId: string }).caseId);
  });

  it('get_case_sla_status gives each KPI with the minutes left or overdue', async () => {
    const atRisk = resultOf<{ cases: Array<{ caseId: string }> }>(await bob.call('query_cases_by_sla_status', { status: 'noncompliant', top: 1 })).cases[0]!;
    const r = await bob.call('get_case_sla_status', { incidentId: atRisk.caseId });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data['atRisk']).toBe(true);
    const sla = (r.data['case'] as { sla: Array<{ kpi: string; minutesLeft?: number }> }).sla;
    expect(sla.map((k) => k.kpi).sort()).toEqual(['first_response', 'resolve_by']);
    expect(sla.find((k) => k.kpi === 'resolve_by')!.minutesLeft).toBeLessThan(0);
    expect(r.text).toMatch(/overdue/);
  });

  it('a seller without SLA privileges is told what is missing; a malformed id is refused', async () => {
    const r = await sam.call('query_cases_by_sla_status', {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/slakpiinstance|SLA/i);
    const bad = await bob.call('get_case_sla_status', { incidentId: 'CAS-1' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/GUID/);
  });

  it('pick_case_from_queue asks first, then claims the oldest waiting case of the queue and assigns it', async () => {
    const queue = SERVICE_DESK_IDS.queue('tier1');
    const [oldest] = await waiting(queue);
    const first = await bob.call('pick_case_from_queue', { queue: 'Tier 1 Support' });
    expect(first.data['status'], first.text).toBe('confirmation_required');
    expect((await waiting(queue))[0]!['queueitemid']).toBe(oldest!['queueitemid']);
    const r = resultOf<{ queueItemId: string; case: { caseId: string }; queue: { name: string } }>(await bob.callConfirmed('pick_case_from_queue', { queue: 'Tier 1 Support' }));
    expect(r.queueItemId).toBe(oldest!['queueitemid']);
    expect(r.queue.name).toBe('Tier 1 Support');
    const item = (await api<Rec>(`queueitems(${r.queueItemId})?$select=_workerid_value,statecode`)).body;
    expect(item).toMatchObject({ _workerid_value: BOB, statecode: 0 });
    expect((await api<Rec>(`incidents(${r.case.caseId})?$select=_ownerid_value`)).body['_ownerid_value']).toBe(BOB);
    // The next pick takes the next one.
    const again = resultOf<{ queueItemId: string }>(await bob.callConfirmed('pick_case_from_queue', { queueId: queue }));
    expect(again.queueItemId).not.toBe(r.queueItemId);
  });

  it('a case picked by someone else between preview and confirmation is not taken over', async () => {
    const queue = SERVICE_DESK_IDS.queue('billing');
    const args = { queueId: queue };
    const first = await bob.call('pick_case_from_queue', args);
    expect(first.data['status']).toBe('confirmation_required');
    const [oldest] = await waiting(queue);
    const dana = dataverseAs(server, 'dana');
    const picked = await dana(`queueitems(${String(oldest!['queueitemid'])})/Microsoft.Dynamics.CRM.PickFromQueue`, {
      method: 'POST',
      body: { SystemUser: { '@odata.type': 'Microsoft.Dynamics.CRM.systemuser', systemuserid: 'ad000000-0000-4000-8000-000000000004' }, RemoveQueueItem: false },
    });
    expect(picked.status).toBe(204);
    const r = await confirm(bob, 'pick_case_from_queue', args, first);
    expect(r.isError).toBe(true);
    // The preview is prepared again at confirmation: the next case is now another one, so nothing is picked.
    expect(r.text).toMatch(/Nothing was changed: what this would do is no longer what the user confirmed/);
    expect((await api<Rec>(`queueitems(${String(oldest!['queueitemid'])})?$select=_workerid_value`)).body['_workerid_value']).toBe('ad000000-0000-4000-8000-000000000004');
  });

  it('two agents confirming the same pick at once: exactly one gets the case', async () => {
    const args = { queue: 'Escalations' };
    const danaCx = await connect(server, 'dana', 'service-cx', 'modern');
    try {
      const [a, b] = [await bob.call('pick_case_from_queue', args), await danaCx.call('pick_case_from_queue', args)];
      expect(a.text.match(/Pick case (\S+)/)?.[1]).toBe(b.text.match(/Pick case (\S+)/)?.[1]);
      const results = await Promise.all([confirm(bob, 'pick_case_from_queue', args, a), confirm(danaCx, 'pick_case_from_queue', args, b)]);
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      expect(results.filter((r) => r.isError).map((r) => r.text).join(' ')).toMatch(/picked by|no longer what the user confirmed/);
      const winner = results[0]!.isError ? 'ad000000-0000-4000-8000-000000000004' : BOB;
      const picked = resultOf<{ queueItemId: string }>(results.find((r) => !r.isError)!);
      expect((await api<Rec>(`queueitems(${picked.queueItemId})?$select=_workerid_value`)).body['_workerid_value']).toBe(winner);
    } finally {
      await danaCx.close();
    }
  });

  it('unknown or ambiguous queues and empty queues are clear errors, before anyone is asked', async () => {
    expect((await bob.call('pick_case_from_queue', { queue: 'Nope' })).text).toMatch(/No active queue named "Nope"/);
    expect((await bob.call('pick_case_from_queue', { queue: "x' or name ne '" })).text).toMatch(/No active queue named/);
  });

  it('recommend_email_templates ranks case templates with reasons; apply_email_template saves a filled draft; send_email sends it after confirming', async () => {
    const c = resultOf<{ cases: Array<{ caseId: string; ticketNumber: string; title: string; primaryContact?: { id: string } }> }>(await bob.call('query_cases_by_sla_status', { status: 'noncompliant', kpi: 'first_response', top: 20 })).cases.find(
      (x) => x.primaryContact && !/invoice|billing|refund|payment|subscription/i.test(x.title),
    )!;
    const rec = await bob.call('recommend_email_templates', { incidentId: c.caseId, top: 3 });
    expect(rec.isError, rec.text).toBeFalsy();
    const templates = rec.data['templates'] as Array<{ templateId: string; title: string; reasons: string[] }>;
    expect(templates).toHaveLength(3);
    expect(templates.map((t) => t.title)).not.toContain('Introduction to a new lead');
    expect(templates[0]!.reasons.join(' ')).toMatch(/first response|SLA/);
    // A topic template needs the topic: a case about something else does not get the billing one first.
    expect(templates[0]!.title).not.toBe('Billing question received');

    const ack = SERVICE_DESK_IDS.template('acknowledge');
    const applyArgs = { incidentId: c.caseId, templateId: ack };
    const ask = await bob.call('apply_email_template', applyArgs);
    expect(ask.data['status']).toBe('confirmation_required');
    expect(ask.text).toContain(c.ticketNumber);
    const draft = resultOf<{ emailId: string; subject: string; body: string }>(await confirm(bob, 'apply_email_template', applyArgs, ask));
    expect(draft.subject).toBe(`We received your request: ${c.ticketNumber}`);
    expect(draft.body).toContain('Bob Brennan');
    const saved = (await api<Rec>(`emails(${draft.emailId})?$select=statecode,subject,_regardingobjectid_value`)).body;
    expect(saved).toMatchObject({ statecode: 0, subject: draft.subject, _regardingobjectid_value: c.caseId });

    const send = await bob.call('send_email', { emailId: draft.emailId });
    expect(send.data['status']).toBe('confirmation_required');
    expect((await api<Rec>(`emails(${draft.emailId})?$select=statecode`)).body['statecode']).toBe(0);
    const sent = await confirm(bob, 'send_email', { emailId: draft.emailId }, send);
    expect(sent.isError, sent.text).toBeFalsy();
    expect((await api<Rec>(`emails(${draft.emailId})?$select=statecode`)).body['statecode']).toBe(1);
    const twice = await bob.call('send_email', { emailId: draft.emailId });
    expect(twice.isError).toBe(true);
    expect(twice.text).toMatch(/not a draft/);
  });

  it('result text names other tools as this agent serves them', async () => {
    const account = await create(api, 'accounts', { name: 'No Contacts Ltd' });
    const incidentId = await create(api, 'incidents', { title: 'Nobody to write to', 'customerid_account@odata.bind': `/accounts(${account})` });
    for (const [client, tool, expected, other] of [
      [bob, 'draft_email', 'update_case', 'D365_CustomerService_UpdateCase'],
      [classic, 'draft_email', 'D365_CustomerService_UpdateCase', 'update_case'],
    ] as const) {
      const r = await client.call(tool, { incidentId, subject: 'Hello', body: 'Hi' });
      expect(r.isError).toBe(true);
      expect(r.text).toContain(`with ${expected} first`);
      expect(r.text).not.toContain(other);
    }
  });

  it('a lead template is refused for a case', async () => {
    const [item] = await waiting(SERVICE_DESK_IDS.queue('tier1'));
    const r = await bob.call('apply_email_template', { incidentId: String(item!['_objectid_value']), templateId: SERVICE_DESK_IDS.template('lead-intro') });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/for lead records/);
  });

  it('resolve_case_and_pick_next resolves the case, takes it out of its queue and picks the next one, in one confirmation', async () => {
    const mine = resultOf<{ case: { caseId: string; ticketNumber: string } }>(await bob.callConfirmed('pick_case_from_queue', { queue: 'Escalations' })).case;
    const resolveArgs = { incidentId: mine.caseId, resolution: 'Replaced the faulty unit', queue: 'Escalations' };
    const ask = await bob.call('resolve_case_and_pick_next', resolveArgs);
    expect(ask.data['status']).toBe('confirmation_required');
    expect(ask.text).toContain(mine.ticketNumber);
    const r = resultOf<{ resolved: { state: string }; next?: { case: { caseId: string } } }>(await confirm(bob, 'resolve_case_and_pick_next', resolveArgs, ask));
    expect(r.resolved.state).toBe('Resolved');
    expect(r.next?.case.caseId).toBeTruthy();
    expect(r.next!.case.caseId).not.toBe(mine.caseId);
    const items = (await api<{ value: Rec[] }>(`queueitems?$select=statecode&$filter=_objectid_value eq ${mine.caseId}`)).body.value;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i['statecode'] === 1)).toBe(true);
  });
});

describe('the triage prompt by queue, under the agent\'s tool names', () => {
  async function open(agent: string): Promise<ModernClient> {
    const client = new ModernClient({ name: 'casework-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(server.mcpUrl(agent)), { requestInit: { headers: { Authorization: `Bearer ${await server.token('bob')}` } } }));
    return client;
  }
  const textOf = (r: { messages: Array<{ content: unknown }> }) => r.messages.map((m) => ((m.content as { type: string; text?: string }).type === 'text' ? (m.content as { text: string }).text : '')).join('\n');

  it('completes queue names, lists the cases that entered the queue, and names the tools as the cx agent serves them', async () => {
    const cx = await open('service-cx');
    const old = await open('service');
    try {
      expect((await cx.listPrompts()).prompts.map((p) => p.name).sort()).toEqual(['draft_case_reply', 'prepare_account_briefing', 'triage_new_cases']);
      const done = await cx.complete({ ref: { type: 'ref/prompt', name: 'triage_new_cases' }, argument: { name: 'queue', value: 'bil' } });
      expect(done.completion.values).toEqual(['Billing']);
      const got = await cx.getPrompt({ name: 'triage_new_cases', arguments: { queue: 'Billing', days: '30' } });
      const body = textOf(got);
      expect(body).toMatch(/entered queue "Billing" in the last 30 calendar days/);
      expect(body).toMatch(/waiting in the queue|worked by/);
      expect(body).toContain('call update_case');
      expect(body).toContain('Call list_cases with its caseId');
      expect(body).toContain(`pick_case_from_queue with queueId ${SERVICE_DESK_IDS.queue('billing')}`);
      expect(body).not.toMatch(/D365_CustomerService_/);
      const classic = textOf(await old.getPrompt({ name: 'triage_new_cases', arguments: { queue: 'Billing', days: '30' } }));
      expect(classic).toContain('D365_CustomerService_UpdateCase');
      await expect(cx.getPrompt({ name: 'triage_new_cases', arguments: { queue: 'Nowhere' } })).rejects.toThrow(/queue/);
    } finally {
      await Promise.all([cx.close(), old.close()]);
    }
  });
});

describe('cases, emails and knowledge articles under their cx names', () => {
  const recent = async () => resultOf<{ cases: Array<{ caseId: string; ticketNumber: string; title: string; primaryContact?: { id: string } }> }>(await bob.call('query_cases_by_sla_status', { status: 'in_progress', top: 10 })).cases;

  it('get_case gives the SLA, the queue, and the latest notes and emails in one read', async () => {
    const [c] = await recent();
    server.emulator!.clearRequests();
    const r = await bob.call('get_case', { incidentId: c!.caseId });
    expect(r.isError, r.text).toBeFalsy();
    expect(server.emulator!.requests.length).toBe(1);
    expect(r.data['queue']).toMatchObject({ name: expect.stringMatching(/Tier 1 Support|Billing|Escalations/) });
    expect((r.data['case'] as { sla: unknown[] }).sla).toHaveLength(2);
    const notes = (await api<{ value: Rec[] }>(`annotations?$select=annotationid&$filter=_objectid_value eq ${c!.caseId}&$top=5`)).body.value;
    expect((r.data['notes'] as unknown[]).length).toBe(notes.length);
    expect(r.text).toMatch(/Queue: /);
  });

  it('search_cases ranks cases by relevance and reads them back as the user', async () => {
    const r = await bob.call('search_cases', { query: 'invoice', state: 'all', top: 5 });
    expect(r.isError, r.text).toBeFalsy();
    const cases = r.data['cases'] as Array<{ title: string; description: string; ticketNumber: string; score: number }>;
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.every((c) => /invoice/i.test(`${c.title} ${c.description} ${c.ticketNumber}`))).toBe(true);
    expect([...cases].sort((a, b) => b.score - a.score).map((c) => c.score)).toEqual(cases.map((c) => c.score));
    expect((await bob.call('search_cases', { query: '"" --' })).text).toMatch(/no words/);
  });

  it('reassign_case hands a case to a user or a queue with a handover note, after confirming; ambiguous or unknown targets are refused first', async () => {
    const [, c] = await recent();
    const ask = await bob.call('reassign_case', { incidentId: c!.caseId, to: 'dana@contoso.example', reason: 'Needs an administrator' });
    expect(ask.data['status']).toBe('confirmation_required');
    expect(ask.text).toContain('Dana Dwyer');
    const done = resultOf<{ assignedTo: { kind: string } }>(await bob.callConfirmed('reassign_case', { incidentId: c!.caseId, to: 'dana@contoso.example', reason: 'Needs an administrator' }));
    expect(done.assignedTo.kind).toBe('user');
    expect((await api<Rec>(`incidents(${c!.caseId})?$select=_ownerid_value`)).body['_ownerid_value']).toBe('ad000000-0000-4000-8000-000000000004');
    const notes = (await api<{ value: Rec[] }>(`annotations?$select=notetext&$filter=_objectid_value eq ${c!.caseId} and subject eq 'Handover'`)).body.value;
    expect(notes.map((n) => n['notetext'])).toContain('Reassigned to Dana Dwyer (user): Needs an administrator');
    const moved = resultOf<{ assignedTo: { kind: string; name: string } }>(await bob.callConfirmed('reassign_case', { incidentId: c!.caseId, to: 'Escalations', reason: 'Customer escalated' }));
    expect(moved.assignedTo).toMatchObject({ kind: 'queue', name: 'Escalations' });
    const items = (await api<{ value: Rec[] }>(`queueitems?$select=_queueid_value,_workerid_value&$filter=_objectid_value eq ${c!.caseId} and statecode eq 0`)).body.value;
    expect(items).toEqual([expect.objectContaining({ _queueid_value: SERVICE_DESK_IDS.queue('escalations'), _workerid_value: null })]);
    expect((await bob.call('reassign_case', { incidentId: c!.caseId, to: 'Nobody Anywhere', reason: 'x' })).text).toMatch(/No user, team or queue is named/);
  });

  it('draft_email saves a draft, edit_email_draft changes it (showing before and after), list_emails and view_email read it', async () => {
    const c = (await recent()).find((x) => x.primaryContact)!;
    const draft = resultOf<{ emailId: string }>(await bob.callConfirmed('draft_email', { incidentId: c.caseId, subject: 'Checking in', body: 'Hello,\n\nIs the printer working again?' }));
    const edit = await bob.call('edit_email_draft', { emailId: draft.emailId, body: 'Hello,\n\nIs the printer working now?' });
    expect(edit.data['status']).toBe('confirmation_required');
    expect(edit.text).toMatch(/body before[\s\S]*working again[\s\S]*body after[\s\S]*working now/);
    resultOf(await bob.callConfirmed('edit_email_draft', { emailId: draft.emailId, body: 'Hello,\n\nIs the printer working now?' }));
    const drafts = resultOf<{ emails: Array<{ emailId: string; isDraft: boolean }> }>(await bob.call('list_emails', { incidentId: c.caseId, only: 'drafts' })).emails;
    expect(drafts.map((e) => e.emailId)).toContain(draft.emailId);
    expect(drafts.every((e) => e.isDraft)).toBe(true);
    const viewed = resultOf<{ body: string; subject: string }>(await bob.call('view_email', { emailId: draft.emailId }));
    expect(viewed).toMatchObject({ subject: 'Checking in' });
    expect(viewed.body).toContain('working now?');
    expect((await bob.call('edit_email_draft', { emailId: draft.emailId })).text).toMatch(/Give a new subject, a new body, or both/);
    // This agent uses the embedded generator, which cannot restyle free text: it says so, and nothing changes.
    const tone = await bob.call('adjust_email_tone', { emailId: draft.emailId, tone: 'friendly' });
    expect(tone.isError).toBe(true);
    expect(tone.text).toMatch(/cannot make this email friendly/);
  });

  it('knowledge articles: search and read as anyone, draft and publish only with the privilege, and the chat is answer_knowledge_question', async () => {
    const found = resultOf<{ articles: Array<{ knowledgeArticleId: string; articleNumber: string; state: string }> }>(await bob.call('search_knowledge_articles', { query: 'password reset' }));
    expect(found.articles.length).toBeGreaterThan(0);
    expect(found.articles.every((a) => a.state === 'Published')).toBe(true);
    const byNumber = resultOf<{ knowledgeArticleId: string; content: string }>(await bob.call('get_knowledge_article', { articleNumber: found.articles[0]!.articleNumber }));
    expect(byNumber.knowledgeArticleId).toBe(found.articles[0]!.knowledgeArticleId);
    expect(byNumber.content.length).toBeGreaterThan(20);
    expect((await bob.call('draft_knowledge_article', { title: 'x', content: 'y' })).text).toMatch(/prvCreateKnowledgeArticle/);
    const draft = resultOf<{ article: { knowledgeArticleId: string; state: string } }>(await dana.callConfirmed('draft_knowledge_article', { title: 'Printer shows offline after update', content: 'Restart the print spooler.\n\nThen re-add the printer.', keywords: 'printer, offline' }));
    expect(draft.article.state).toBe('Draft');
    const pub = await dana.call('publish_knowledge_article', { knowledgeArticleId: draft.article.knowledgeArticleId });
    expect(pub.data['status']).toBe('confirmation_required');
    const published = resultOf<{ article: { state: string } }>(await dana.callConfirmed('publish_knowledge_article', { knowledgeArticleId: draft.article.knowledgeArticleId }));
    expect(published.article.state).toBe('Published');
    expect((await dana.call('publish_knowledge_article', { knowledgeArticleId: draft.article.knowledgeArticleId })).text).toMatch(/only a draft or approved article/);
    const names = (await bob.listTools()).map((t) => t.name);
    expect(names).toContain('answer_knowledge_question');
    expect(names).not.toContain('chat');
    const answer = await bob.call('answer_knowledge_question', { question: 'How do I reset a customer password?' });
    expect(answer.isError, answer.text).toBeFalsy();
    expect((answer.data['citations'] as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('summaries and cases from email', () => {
  it('summarize_case is grounded field by field and ends with a rule-based next step', async () => {
    const c = resultOf<{ cases: Array<{ caseId: string; ticketNumber: string }> }>(await bob.call('query_cases_by_sla_status', { status: 'noncompliant', top: 1 })).cases[0]!;
    server.emulator!.clearRequests();
    const r = await bob.call('summarize_case', { incidentId: c.caseId });
    expect(r.isError, r.text).toBeFalsy();
    expect(server.emulator!.requests.length).toBe(1);
    expect(r.data['summary']).toContain(c.ticketNumber);
    expect(r.data['nextStep']).toMatch(/^Suggested next step: act now: .* is noncompliant/);
    const grounding = r.data['grounding'] as Array<{ text: string; fields: string[] }>;
    expect(grounding.find((g) => g.text.startsWith('Resolve By KPI'))?.fields).toContain('slakpiinstance.status');
    expect(r.data['factsUsed']).toContain('slakpiinstance.status');
  });

  it('create_case_from_email opens a case for the sending contact and files the email on it; link_email_to_case moves an email', async () => {
    const cases = (await api<{ value: Rec[] }>(`incidents?$select=incidentid&$filter=statecode eq 0&$expand=Incident_Emails($select=activityid,subject,_regardingobjectid_value;$filter=directioncode eq false)&$top=50`)).body.value;
    const incoming = cases.flatMap((c) => c['Incident_Emails'] as Rec[])[0]!;
    const emailId = String(incoming['activityid']);
    const onCase = incoming['_regardingobjectid_value'];
    // Seeded emails already sit on their cases: that is refused first, with what to do instead.
    const refused = await bob.call('create_case_from_email', { emailId });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/already filed on case .*link_email_to_case/);
    const [fresh] = (await api<{ value: Rec[] }>(`incidents?$select=incidentid&$filter=statecode eq 0 and incidentid ne ${String(onCase)}&$top=1`)).body.value;
    const linkArgs = { emailId, incidentId: String(fresh!['incidentid']) };
    const ask = await bob.call('link_email_to_case', linkArgs);
    expect(ask.data['status']).toBe('confirmation_required');
    expect(ask.text).toMatch(/moving it from incident/);
    resultOf(await bob.callConfirmed('link_email_to_case', linkArgs));
    expect((await api<Rec>(`emails(${emailId})?$select=_regardingobjectid_value`)).body['_regardingobjectid_value']).toBe(linkArgs.incidentId);
    expect((await bob.call('link_email_to_case', linkArgs)).text).toMatch(/already filed on case/);
  });

  it('a received email that sits on no case becomes a case for its sender', async () => {
    const contact = (await api<{ value: Rec[] }>(`contacts?$select=contactid,fullname,emailaddress1&$filter=emailaddress1 ne null&$top=1`)).body.value[0]!;
    const emailId = await create(api, 'emails', {
      subject: 'FW: Printer offline again',
      description: '<p>The printer on floor 2 is offline since this morning.</p>',
      directioncode: false,
      email_activity_parties: [{ 'partyid_contact@odata.bind': `/contacts(${String(contact['contactid'])})`, participationtypemask: 1 }, { 'partyid_systemuser@odata.bind': `/systemusers(${BOB})`, participationtypemask: 2 }],
    });
    const r = resultOf<{ case: { caseId: string; title: string; customer: { name: string; table: string }; origin: string } }>(await bob.callConfirmed('create_case_from_email', { emailId, priority: 'high' }));
    expect(r.case).toMatchObject({ title: 'Printer offline again', customer: { name: contact['fullname'], table: 'contact' }, origin: 'Email' });
    expect((await api<Rec>(`emails(${emailId})?$select=_regardingobjectid_value`)).body['_regardingobjectid_value']).toBe(r.case.caseId);
  });
});

describe('contacts', () => {
  it('list_contacts finds by name and by account; get_contact gives the active cases in one request', async () => {
    const account = (await api<{ value: Rec[] }>(`accounts?$select=accountid&$filter=statecode eq 0&$expand=contact_customer_accounts($select=contactid;$top=1)&$top=20`)).body.value.find((a) => (a['contact_customer_accounts'] as Rec[]).length > 0)!;
    const ofAccount = resultOf<{ contacts: Array<{ contactId: string; fullName: string; company?: { id: string } }> }>(await bob.call('list_contacts', { accountId: String(account['accountid']) }));
    expect(ofAccount.contacts.length).toBeGreaterThan(0);
    expect(ofAccount.contacts.every((c) => c.company?.id === account['accountid'])).toBe(true);
    const first = ofAccount.contacts[0]!;
    const byName = resultOf<{ contacts: Array<{ contactId: string }> }>(await bob.call('list_contacts', { search: first.fullName.split(' ')[0]! }));
    expect(byName.contacts.map((c) => c.contactId)).toContain(first.contactId);
    server.emulator!.clearRequests();
    const one = resultOf<{ contact: { fullName: string }; activeCases: unknown[] }>(await bob.call('get_contact', { contactId: first.contactId }));
    expect(server.emulator!.requests.length).toBe(1);
    expect(one.contact.fullName).toBe(first.fullName);
    const active = (await api<{ value: Rec[] }>(`incidents?$select=incidentid&$filter=_customerid_value eq ${first.contactId} and statecode eq 0&$top=10`)).body.value;
    expect(one.activeCases.length).toBe(active.length);
  });

  it('get_account gives the account, its contacts and active cases in one request; summarize_account and summarize_contact are the Sales briefs under the Service names', async () => {
    const acct = (await api<{ value: Rec[] }>(`accounts?$select=accountid,name&$filter=statecode eq 0&$top=1`)).body.value[0]!;
    server.emulator!.clearRequests();
    const one = resultOf<{ account: { name: string; contacts?: unknown[] }; activeCases: unknown[] }>(await bob.call('get_account', { accountId: String(acct['accountid']) }));
    expect(server.emulator!.requests.length).toBe(1);
    expect(one.account.name).toBe(acct['name']);
    const active = (await api<{ value: Rec[] }>(`incidents?$select=incidentid&$filter=_customerid_value eq ${String(acct['accountid'])} and statecode eq 0&$top=10`)).body.value;
    expect(one.activeCases.length).toBe(active.length);
    const brief = resultOf<{ summary: string; account: { name: string } }>(await bob.call('summarize_account', { accountId: String(acct['accountid']) }));
    expect(brief.account.name).toBe(acct['name']);
    expect(brief.summary).toContain(String(acct['name']));
    const names = (await bob.listTools()).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['summarize_account', 'summarize_contact', 'get_account']));
    expect(names).not.toContain('get_account_summary');
  });
});

describe('close_case', () => {
  it('resolves with a resolution or cancels, always after confirming; resolving needs the resolution', async () => {
    // Two cases someone already works, in a queue (the waiting ones are for the picking tests).
    const [a, b] = (await api<{ value: Rec[] }>(`queueitems?$select=_objectid_value&$filter=statecode eq 0 and _workerid_value ne null and objectid_incident/statecode eq 0&$orderby=enteredon desc&$top=2`)).body.value.map((q) => ({ incidentid: q['_objectid_value'] }));
    expect((await bob.call('close_case', { incidentId: String(a!['incidentid']) })).text).toMatch(/resolution: say how/);
    const resolved = resultOf<{ case: { state: string; statusReason: string } }>(await bob.callConfirmed('close_case', { incidentId: String(a!['incidentid']), resolution: 'Answered by phone', statusReason: 'information_provided' }));
    expect(resolved.case).toMatchObject({ state: 'Resolved', statusReason: 'Information Provided' });
    const cancelled = resultOf<{ case: { state: string } }>(await bob.callConfirmed('close_case', { incidentId: String(b!['incidentid']), closeAs: 'cancelled' }));
    expect(cancelled.case.state).toBe('Cancelled');
    // Cancelled like resolved: out of every queue.
    const items = (await api<{ value: Rec[] }>(`queueitems?$select=statecode&$filter=_objectid_value eq ${String(b!['incidentid'])} and statecode eq 0`)).body.value;
    expect(items).toEqual([]);
    expect((await bob.call('close_case', { incidentId: String(b!['incidentid']), closeAs: 'cancelled' })).text).toMatch(/only active cases can be cancelled/);
  });
});
