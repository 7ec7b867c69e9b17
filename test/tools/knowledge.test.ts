import { randomBytes } from 'node:crypto';

import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fileFunction } from '../../functions/mcp.js';
import type { Principal } from '../../src/auth/principal.js';
import { findLocalUser, LOCAL_TENANT_ID } from '../../src/emulator/users.js';
import { deriveKey, referenceService } from '../../src/mcp/secrets.js';
import { create, dataverseAs } from '../helpers/dataverse.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient, type ToolResult } from '../helpers/mcpClient.js';

/**
 * Knowledge chat with citations (issue 16): chat → get_reference → signed download, over real
 * HTTP with the official MCP clients, the emulator (Dataverse search over SQLite FTS4) and Azurite.
 */
const SECRET = 'knowledge-test-state-secret-0123456789abcdef';
let server: TestServer;
const clients: TestClient[] = [];
async function as(user: string, agent: string, era: 'legacy' | 'modern' = 'legacy'): Promise<TestClient> {
  const c = await connect(server, user, agent, era);
  clients.push(c);
  return c;
}
let bob: TestClient;
let alice: TestClient;

beforeAll(async () => {
  server = await startTestServer({ emulator: true, env: { MCP_STATE_SECRET: SECRET } });
  bob = await as('bob', 'service');
  alice = await as('alice', 'dataverse');
}, 60_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await server?.close();
});

interface Citation {
  referenceId: string;
  sourceType: 'Document' | 'Qna';
  sourceName: string;
  snippet: string;
  mimeType: string;
  relevanceScore: number;
  fileVersion: string;
  fileLastUpdate: string;
}
interface ChatData {
  answer: string;
  chatId: string;
  chatMessageId: string;
  citations: Citation[];
  sentences: Array<{ text: string; citations: number[] }>;
  error?: { code: string; message: string };
}
const chatOf = (r: ToolResult) => r.data as unknown as ChatData;

async function ask(client: TestClient, message: string, chatId?: string): Promise<ChatData> {
  const r = await client.call('chat', { message, ...(chatId && { chatId }) });
  expect(r.isError, r.text).toBeFalsy();
  return chatOf(r);
}

/** Every sentence cites something it was given, and the answer is exactly those sentences. */
function expectGrounded(d: ChatData): void {
  expect(d.sentences.length).toBeGreaterThan(0);
  expect(d.answer).toBe(d.sentences.map((s) => s.text).join(' '));
  for (const s of d.sentences) {
    expect(s.citations.length, s.text).toBeGreaterThan(0);
    for (const i of s.citations) expect(d.citations[i], s.text).toBeDefined();
  }
  // Every citation supports at least one sentence, and its snippet is what the answer took from it.
  d.citations.forEach((c, i) => {
    expect(d.sentences.some((s) => s.citations.includes(i))).toBe(true);
    for (const s of d.sentences.filter((x) => x.citations.includes(i))) expect(c.snippet).toContain(s.text);
  });
}

const NEVER_CITED = ['Resetting passwords in the legacy admin console', 'Draft: password policy 2027', 'Can agents type a new password for a customer?'];

async function download(url: string, user = 'bob', init: { method?: string; token?: string | null } = {}): Promise<Response> {
  const token = init.token === undefined ? await server.token(user) : init.token;
  return fetch(url, { method: init.method ?? 'GET', headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

const principalOf = (alias: string): Principal => ({ tenantId: LOCAL_TENANT_ID, objectId: findLocalUser(alias)!.objectId, name: undefined, username: undefined, scopes: [], clientAppId: undefined, expiresAt: 0 });

describe('chat', () => {
  it('answers the Service how-to question as bob, every sentence from a citation, in the reference shape', async () => {
    const d = await ask(bob, 'How do I reset a customer password?');
    expectGrounded(d);
    expect(d.answer).toMatch(/Send password reset/);
    expect(d.chatId).toMatch(/^chat_[A-Za-z0-9_-]{22}$/);
    expect(d.chatMessageId).toMatch(/^[0-9a-f-]{36}$/);
    const names = d.citations.map((c) => c.sourceName);
    expect(names).toContain("How do I reset a customer's password?");
    expect(names).toContain("Resetting a customer's portal password");
    for (const n of NEVER_CITED) expect(names).not.toContain(n);
    const qna = d.citations.find((c) => c.sourceType === 'Qna')!;
    expect(qna).toMatchObject({ mimeType: '', fileVersion: '' });
    const article = d.citations.find((c) => c.sourceName === "Resetting a customer's portal password")!;
    expect(article).toMatchObject({ sourceType: 'Document', mimeType: 'text/html', fileVersion: '2.1' });
    expect(Date.parse(article.fileLastUpdate)).toBeLessThanOrEqual(server.clock.now());
    expect(article.relevanceScore).toBeGreaterThan(0);
    // Reference ids are opaque: no table, record id or user inside.
    for (const c of d.citations) {
      expect(c.referenceId).toMatch(/^r1\.[A-Za-z0-9_-]+$/);
      expect(c.referenceId).not.toMatch(/knowledgearticle|new_qna|annotation|[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
  });

  it('answers the Sales scenario olive-oil question from the product catalogue; what is cited depends on the user', async () => {
    const question = "I'm looking for metal packaging for cold pressed olive oil. Can you tell me what options you have?";
    const seller = await ask(alice, question);
    expectGrounded(seller);
    expect(seller.answer).toMatch(/olive oil/i);
    expect(seller.citations.some((c) => /packaging|catalogue/i.test(c.sourceName))).toBe(true);
    // A Sales Manager has no privilege on the service desk's QnA pairs: none can be cited.
    expect(seller.citations.every((c) => c.sourceType === 'Document')).toBe(true);
    const agent = await ask(bob, question);
    expectGrounded(agent);
    expect(agent.citations.some((c) => c.sourceType === 'Qna')).toBe(true);
    expect(agent.answer).toMatch(/tinplate|aluminium/);
  });

  it('answers from the text of an attached document', async () => {
    const d = await ask(bob, 'What should I check if the reset email does not arrive within five minutes?');
    expectGrounded(d);
    const runbook = d.citations.find((c) => c.sourceName === 'portal-password-reset-runbook.txt');
    expect(runbook).toMatchObject({ sourceType: 'Document', mimeType: 'text/plain' });
    expect(runbook!.snippet).toMatch(/five minutes/);
  });

  it('says so, with no citation, when nothing the user can read answers', async () => {
    const d = await ask(bob, 'Quantum chromodynamics lattice gauge theory');
    expect(d.citations).toEqual([]);
    expect(d.sentences).toEqual([]);
    expect(d.answer).toMatch(/Nothing in the knowledge you can read answers/);
  });

  it('refuses an empty message with a 400 error object, and works on the 2026-07-28 era too', async () => {
    const r = await bob.call('chat', { message: '   ' });
    expect(r.isError).toBe(true);
    expect(chatOf(r).error).toEqual({ code: '400', message: expect.stringMatching(/empty/) });
    const modern = await as('bob', 'service', 'modern');
    const m = await modern.call('chat', { message: 'How long is a password reset link valid?', chatId: null });
    expect(m.isError, m.text).toBeFalsy();
    expectGrounded(chatOf(m));
    expect(chatOf(m).answer).toMatch(/30 minutes/);
  });
});

describe('follow-ups', () => {
  const FOLLOW_UP = 'And what if it is still not arriving?';

  it('a follow-up is searched with the question it follows', async () => {
    const first = await ask(bob, 'How do I reset a customer password?');
    const alone = await ask(bob, FOLLOW_UP);
    expect(alone.citations.some((c) => /password/i.test(c.sourceName))).toBe(false);
    const followUp = await ask(bob, FOLLOW_UP, first.chatId);
    expect(followUp.chatId).toBe(first.chatId);
    expect(followUp.chatMessageId).not.toBe(first.chatMessageId);
    expectGrounded(followUp);
    expect(followUp.citations.some((c) => /password/i.test(c.sourceName))).toBe(true);
  });

  it('the history is bound to the user and the agent: another user or agent finds no such chat', async () => {
    const first = await ask(bob, 'How do I reset a customer password?');
    const serviceAlice = await as('alice', 'service');
    for (const [client, what] of [
      [serviceAlice, 'another user'],
      [await as('bob', 'dataverse'), 'another agent'],
    ] as const) {
      const r = await client.call('chat', { message: FOLLOW_UP, chatId: first.chatId });
      expect(r.isError, what).toBe(true);
      expect(chatOf(r).error?.code, what).toBe('404');
      expect(r.text).toMatch(/not found/);
    }
    const unknown = await bob.call('chat', { message: FOLLOW_UP, chatId: 'chat_nope' });
    expect(chatOf(unknown).error?.code).toBe('404');
    // Still bob's, on the service agent.
    expect((await ask(bob, FOLLOW_UP, first.chatId)).chatId).toBe(first.chatId);
  });
});

describe('get_reference', () => {
  let answer: ChatData;
  const cite = (pred: (c: Citation) => boolean) => {
    const c = answer.citations.find(pred);
    if (!c) throw new Error(`no such citation in ${answer.citations.map((x) => x.sourceName).join(', ')}`);
    return c;
  };
  beforeAll(async () => {
    answer = await ask(bob, 'How do I reset a customer password?');
  });

  it('opens a knowledge article: file name, MIME type, record URL and a signed link on this server that downloads it as the user', async () => {
    const c = cite((x) => x.sourceName === "Resetting a customer's portal password");
    const r = await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'Document' });
    expect(r.isError, r.text).toBeFalsy();
    const d = r.data as Record<string, string>;
    expect(d).toMatchObject({ sourceType: 'Local', mimeType: 'text/html', fileName: expect.stringMatching(/^KA-\d+\.html$/) });
    expect(d['previewUrl']!.startsWith(`${server.url}/mcp/service/files/f1.`)).toBe(true);
    expect(Date.parse(d['expiresAt']!) - server.clock.now()).toBe(15 * 60_000);
    const record = new URL(d['recordUrl']!);
    expect(record.pathname).toBe('/main.aspx');
    expect(record.searchParams.get('etn')).toBe('knowledgearticle');
    const res = await download(d['previewUrl']!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="KA-\d+\.html"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(await res.text()).toContain('Send password reset');
  });

  it('opens an attached document and streams its exact bytes', async () => {
    const doc = await ask(bob, 'What should I check if the reset email does not arrive within five minutes?');
    const c = doc.citations.find((x) => x.sourceName === 'portal-password-reset-runbook.txt')!;
    const r = await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'document' });
    expect(r.isError, r.text).toBeFalsy();
    const d = r.data as Record<string, unknown>;
    expect(d).toMatchObject({ sourceType: 'Local', fileName: 'portal-password-reset-runbook.txt', mimeType: 'text/plain', fileSize: expect.any(Number) });
    // A note opens on the record it is attached to.
    expect(new URL(String(d['recordUrl'])).searchParams.get('etn')).toBe('knowledgearticle');
    const res = await download(String(d['previewUrl']));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    const body = await res.text();
    expect(body).toMatch(/^Portal password reset runbook\n/);
    expect(Buffer.byteLength(body)).toBe(d['fileSize']);
    const head = await download(String(d['previewUrl']), 'bob', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('opens a QnA: question, answer and answer type (an adaptive card stays a card)', async () => {
    const c = cite((x) => x.sourceType === 'Qna');
    const r = await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'Qna' });
    expect(r.isError, r.text).toBeFalsy();
    expect(r.data).toEqual({ sourceType: 'Qna', question: "How do I reset a customer's password?", answer: expect.stringMatching(/Send password reset/), answerType: 'Simple' });
    const hours = await ask(bob, 'What are the support hours?');
    const card = hours.citations.find((x) => x.sourceName === 'What are the support hours?')!;
    const opened = await bob.call('get_reference', { referenceId: card.referenceId, sourceType: 'Qna' });
    expect(opened.data['answerType']).toBe('Card');
    expect(JSON.parse(String(opened.data['answer']))).toMatchObject({ type: 'AdaptiveCard' });
  });

  it('400: empty or unknown sourceType, a sourceType that is not the citation’s, a referenceId that is not one', async () => {
    const qna = cite((x) => x.sourceType === 'Qna');
    const cases: Array<[string, Record<string, unknown>]> = [
      ['empty referenceId', { referenceId: '', sourceType: 'Qna' }],
      ['empty sourceType', { referenceId: qna.referenceId, sourceType: '' }],
      ['unknown sourceType', { referenceId: qna.referenceId, sourceType: 'Sharepoint' }],
      ['other sourceType', { referenceId: qna.referenceId, sourceType: 'Document' }],
      ['not a reference', { referenceId: '00000000-0000-0000-0000-000000000000', sourceType: 'Qna' }],
      ['truncated', { referenceId: 'r1.abc', sourceType: 'Qna' }],
    ];
    for (const [what, args] of cases) {
      const r = await bob.call('get_reference', args);
      expect(r.isError, what).toBe(true);
      expect((r.data['error'] as { code: string }).code, `${what}: ${r.text}`).toBe('400');
    }
  });

  it('404: a well-formed reference this server did not issue, or one that expired', async () => {
    const forged = `r1.${randomBytes(80).toString('base64url')}`;
    const r = await bob.call('get_reference', { referenceId: forged, sourceType: 'Qna' });
    expect((r.data['error'] as { code: string }).code, r.text).toBe('404');
    const otherKey = referenceService({ referenceKey: deriveKey('another-server-secret-0123456789abcdef', 'reference'), linkKey: Buffer.alloc(32), principal: principalOf('bob'), agentId: 'service', publicBaseUrl: server.url, now: server.clock.now });
    const sealedElsewhere = otherKey.seal({ table: 'new_qna', id: '00000000-0000-4000-8000-000000000001', sourceType: 'Qna' });
    expect(((await bob.call('get_reference', { referenceId: sealedElsewhere, sourceType: 'Qna' })).data['error'] as { code: string }).code).toBe('404');
  });

  it("403: another user's or another agent's reference", async () => {
    const qna = cite((x) => x.sourceType === 'Qna');
    const doc = cite((x) => x.sourceType === 'Document');
    for (const [client, what] of [
      [await as('alice', 'service'), 'another user'],
      [await as('dana', 'service'), 'another user, an administrator'],
      [await as('bob', 'dataverse'), 'another agent'],
    ] as const) {
      for (const c of [qna, doc]) {
        const r = await client.call('get_reference', { referenceId: c.referenceId, sourceType: c.sourceType });
        expect(r.isError, what).toBe(true);
        expect((r.data['error'] as { code: string }).code, `${what}: ${r.text}`).toBe('403');
      }
    }
  });

  it('re-checks access on every call: a reference to a record the user cannot read is refused by Dataverse (403)', async () => {
    // A reference sealed for alice on the service agent, to a QnA pair: she holds no privilege on new_qna.
    const qnaId = (await dataverseAs(server, 'bob')<{ value: Array<{ new_qnaid: string }> }>(`new_qnas?$select=new_qnaid&$top=1`)).body.value[0]!.new_qnaid;
    const forAlice = referenceService({ referenceKey: deriveKey(SECRET, 'reference'), linkKey: deriveKey(SECRET, 'download'), principal: principalOf('alice'), agentId: 'service', publicBaseUrl: server.url, now: server.clock.now });
    const serviceAlice = await as('alice', 'service');
    const r = await serviceAlice.call('get_reference', { referenceId: forAlice.seal({ table: 'new_qna', id: qnaId, sourceType: 'Qna' }), sourceType: 'Qna' });
    expect(r.isError).toBe(true);
    expect((r.data['error'] as { code: string }).code, r.text).toBe('403');
    expect(r.text).toMatch(/prvReadnew_qna/);
  });

  it('re-checks on every call: a record deactivated or deleted since it was cited is not found, for get_reference and the link', async () => {
    const dana = dataverseAs(server, 'dana');
    const qnaId = await create(dana, 'new_qnas', { new_question: 'Which colour are the gift boxes?', new_answer: 'Gift boxes for the slim bottles are matt black.' });
    const d = await ask(bob, 'Which colour are the gift boxes?');
    const c = d.citations.find((x) => x.sourceName === 'Which colour are the gift boxes?')!;
    expect((await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'Qna' })).isError).toBeFalsy();
    expect((await dana(`new_qnas(${qnaId})`, { method: 'PATCH', body: { statecode: 1, statuscode: 2 }, headers: { 'if-match': '*' } })).status).toBe(204);
    const r = await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'Qna' });
    expect((r.data['error'] as { code: string }).code, r.text).toBe('404');

    const annotationId = await create(dana, 'annotations', { subject: 'Gift box sizes', notetext: 'Sizes of the gift boxes.', filename: 'gift-box-sizes.txt', mimetype: 'text/plain', documentbody: Buffer.from('Gift boxes come in small and large.').toString('base64') });
    const doc = (await ask(bob, 'gift boxes small large sizes')).citations.find((x) => x.sourceName === 'gift-box-sizes.txt')!;
    const opened = await bob.call('get_reference', { referenceId: doc.referenceId, sourceType: 'Document' });
    const url = String(opened.data['previewUrl']);
    expect((await download(url)).status).toBe(200);
    expect((await dana(`annotations(${annotationId})`, { method: 'DELETE' })).status).toBe(204);
    expect((await download(url)).status).toBe(404);
    expect(((await bob.call('get_reference', { referenceId: doc.referenceId, sourceType: 'Document' })).data['error'] as { code: string }).code).toBe('404');
  });
});

describe('the download route', () => {
  let url: string;
  beforeAll(async () => {
    const d = await ask(bob, 'What should I check if the reset email does not arrive within five minutes?');
    const c = d.citations.find((x) => x.sourceName === 'portal-password-reset-runbook.txt')!;
    url = String((await bob.call('get_reference', { referenceId: c.referenceId, sourceType: 'Document' })).data['previewUrl']);
  });

  it('needs the bearer token of the user it was issued to, on the agent it was issued for', async () => {
    const anonymous = await download(url, 'bob', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await download(url, 'alice')).status).toBe(403);
    expect((await download(url.replace('/mcp/service/', '/mcp/dataverse/'))).status).toBe(403);
    expect((await download(url.replace('/mcp/service/', '/mcp/nosuchagent/'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${await server.token('bob')}` } })).status).toBe(405);
  });

  it('refuses altered, malformed and foreign-key links, and says nothing about Dataverse', async () => {
    const token = url.split('/').pop()!;
    const flipped = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const altered = await download(url.replace(token, flipped));
    expect(altered.status).toBe(404);
    const malformed = await download(url.replace(token, 'not-a-link'));
    expect(malformed.status).toBe(400);
    for (const r of [altered, malformed]) {
      const text = await r.text();
      expect(text).not.toContain(server.emulator!.url);
      expect(text).not.toMatch(/at .*\.ts:\d+|Bearer ey/);
    }
  });

  it('is served the same by the Azure Functions entry', async () => {
    const handler = fileFunction(async () => server.app);
    const res = await handler(
      new HttpRequest({ method: 'GET', url, headers: { authorization: `Bearer ${await server.token('bob')}` }, params: { agentId: 'service', token: url.split('/').pop()! } }),
      new InvocationContext({ functionName: 'mcpFile', invocationId: 'test' }),
    );
    expect(res.status).toBe(200);
    expect((res.headers as Record<string, string>)['content-disposition']).toMatch(/portal-password-reset-runbook\.txt/);
    expect(await new Response(res.body as ReadableStream).text()).toMatch(/^Portal password reset runbook/);
    const foreign = await handler(
      new HttpRequest({ method: 'GET', url, headers: { authorization: `Bearer ${await server.token('alice')}` }, params: { agentId: 'service', token: url.split('/').pop()! } }),
      new InvocationContext({ functionName: 'mcpFile', invocationId: 'test' }),
    );
    expect(foreign.status).toBe(403);
    // A malformed %-sequence is a malformed link, answered by the server, not the host's own 500.
    const bad = url.replace(/[^/]+$/, 'f1.%E0%A4%A');
    const malformed = await handler(
      new HttpRequest({ method: 'GET', url: bad, headers: { authorization: `Bearer ${await server.token('bob')}` }, params: { agentId: 'service', token: 'f1.%E0%A4%A' } }),
      new InvocationContext({ functionName: 'mcpFile', invocationId: 'test' }),
    );
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);
  });

  it('expires after 15 minutes (pinned clock)', async () => {
    server.clock.advance(14 * 60_000);
    expect((await download(url)).status).toBe(200);
    server.clock.advance(2 * 60_000);
    const late = await download(url);
    expect(late.status).toBe(404);
    expect(await late.text()).toMatch(/expired/);
  });
});

describe('history time to live (pinned clock)', () => {
  it('a chat lives 60 minutes after its latest question, then a follow-up finds nothing', async () => {
    const c1 = await as('bob', 'service');
    const first = await ask(c1, 'How do I reset a customer password?');
    server.clock.advance(59 * 60_000);
    // A fresh client: tokens are minted on the server's clock.
    const c2 = await as('bob', 'service');
    const second = await ask(c2, 'And what if it is still not arriving?', first.chatId);
    expect(second.chatId).toBe(first.chatId);
    // The follow-up extended the chat's life: 59 minutes on, it is still there.
    server.clock.advance(59 * 60_000);
    const c3 = await as('bob', 'service');
    expect((await ask(c3, 'How long is the link valid?', first.chatId)).chatId).toBe(first.chatId);
    server.clock.advance(61 * 60_000);
    const c4 = await as('bob', 'service');
    const expired = await c4.call('chat', { message: 'And then?', chatId: first.chatId });
    expect(expired.isError).toBe(true);
    expect(chatOf(expired).error?.code).toBe('404');
  });
});
