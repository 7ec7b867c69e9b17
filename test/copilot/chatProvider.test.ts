import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config/config.js';
import { ChatCompletionsProvider } from '../../src/copilot/chatCompletions.js';
import { CopilotServices } from '../../src/copilot/copilotServices.js';
import { EmbeddedProvider } from '../../src/copilot/embedded.js';
import type { LeadFacts } from '../../src/copilot/facts.js';
import type { DataverseClient } from '../../src/dataverse/client.js';
import { silentLogger } from '../../src/telemetry/log.js';
import { type ChatModel, factsOf, startChatModel } from '../helpers/chatModel.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The chat-completions provider against a local endpoint started here (scripted, or failing). */
let model: ChatModel;
beforeAll(async () => {
  model = await startChatModel();
});
afterAll(async () => {
  await model.close();
});
beforeEach(() => {
  model.mode = 'echo';
  model.seen.length = 0;
});

const NOW = new Date('2026-11-24T15:30:00Z');
const FACTS: LeadFacts = {
  leadId: '11111111-1111-4111-8111-111111111111',
  fullName: 'Ada Moreno',
  firstName: 'Ada',
  jobTitle: 'Head of Operations',
  companyName: 'Bluebird Analytics',
  topic: 'Dashboards for 40 stores',
  rating: 'Hot',
  isOpen: true,
  isHot: true,
  score: 91,
  estimatedValue: '$120,000.00',
  activities: [{ kind: 'email', subject: 'Pricing question', on: '2026-11-23T10:00:00Z' }],
};

function provider(timeoutMs = 5000): ChatCompletionsProvider {
  return new ChatCompletionsProvider({ url: model.url, model: 'test-model', timeoutMs, authorize: async () => ({ authorization: 'Bearer test-key' }) }, new EmbeddedProvider(() => NOW), new AbortController().signal, silentLogger);
}

describe('chat-completions provider against a local endpoint', () => {
  it('sends only the grounded facts, and keeps a checked answer with the fields of the facts it cites', async () => {
    const grounded = await new EmbeddedProvider(() => NOW).summarise({ kind: 'lead', facts: FACTS });
    const s = await provider().summarise({ kind: 'lead', facts: FACTS });
    expect(s.source).toBe('chat-completions');
    expect(s.notes).toEqual([]);
    expect(s.sentences).toEqual(grounded.sentences.slice(0, 3));
    expect(s.nextStep).toEqual(grounded.nextStep);
    const sent = model.seen[0]!;
    expect(sent.headers.authorization).toBe('Bearer test-key');
    expect(sent.body).toMatchObject({ model: 'test-model', temperature: 0 });
    const user = sent.body.messages[1]!.content;
    const facts = factsOf(user).map((f) => f.text);
    // Exactly the grounded sentences (the next step is the rules', not the model's).
    expect(facts).toEqual(grounded.sentences.filter((g) => !g.text.startsWith('Suggested next step')).map((g) => g.text));
  });

  it.each([
    ['invent', /sentence 1 states 999999, which none of its facts contain/],
    ['junk', /its answer was not the JSON asked for/],
    ['fail', /the endpoint answered HTTP 500/],
  ] as const)('falls back to the grounded text when the endpoint misbehaves (%s)', async (m, reason) => {
    model.mode = m;
    const s = await provider().summarise({ kind: 'lead', facts: FACTS });
    expect(s.source).toBe('embedded-grounded-generator');
    expect(s.notes).toEqual([expect.stringMatching(reason)]);
    expect(s.notes[0]).not.toMatch(/127\.0\.0\.1|test-key|overloaded/);
    expect(s.text).toBe((await new EmbeddedProvider(() => NOW).summarise({ kind: 'lead', facts: FACTS })).text);
  });

  it('gives up after its timeout', async () => {
    model.mode = 'hang';
    const s = await provider(150).summarise({ kind: 'lead', facts: FACTS });
    expect(s.source).toBe('embedded-grounded-generator');
    expect(s.notes).toEqual([expect.stringMatching(/no answer within 150 ms/)]);
  });

  it('drafts keep the grounded greeting and sign-off; an invented offer is refused', async () => {
    const sender = { name: 'Alice Anders', title: 'Sales Manager' };
    const d = await provider().draftEmail({ kind: 'lead-outreach', facts: FACTS, sender });
    expect(d.source).toBe('chat-completions');
    expect(d.subject).toBe('Re: Dashboards for 40 stores');
    expect(d.body).toMatch(/^Hello Ada,/);
    expect(d.body).toMatch(/Kind regards,\nAlice Anders/);
    model.mode = 'invent';
    const bad = await provider().draftEmail({ kind: 'lead-outreach', facts: FACTS, sender });
    expect(bad.source).toBe('embedded-grounded-generator');
    expect(bad.notes.at(-1)).toMatch(/states 40, which none of its facts contain/);
  });

  it('answers cite the passages they come from', async () => {
    const passages = [{ id: 'KA-01001', title: 'Reset a password', text: 'Choose Reset password. The link is valid for 24 hours.' }];
    const a = await provider().answer('How do I reset a password?', passages);
    expect(a.source).toBe('chat-completions');
    expect(a.sentences).toEqual([{ text: 'Reset a password: Choose Reset password. The link is valid for 24 hours.', passageIds: ['KA-01001'] }]);
  });

  it('with a managed identity, sends its token for the configured scope', async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (scope) => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return { token: 'identity-token', expiresOnTimestamp: NOW.getTime() + 3_600_000 };
      },
    };
    const services = new CopilotServices({
      config: { provider: 'chat', chat: { url: model.url, model: 'm', timeoutMs: 5000, auth: { kind: 'managed-identity', clientId: undefined, scope: 'https://cognitiveservices.azure.com/.default' } } },
      clock: () => NOW.getTime(),
      cacheMs: 60_000,
      credential,
    });
    const p = services.forCall({ kind: 'chat', dataverse: {} as DataverseClient, signal: new AbortController().signal, now: () => NOW, log: silentLogger });
    await p.summarise({ kind: 'lead', facts: FACTS });
    await p.summarise({ kind: 'lead', facts: FACTS });
    expect(model.seen.map((s) => s.headers.authorization)).toEqual(['Bearer identity-token', 'Bearer identity-token']);
    expect(scopes).toEqual(['https://cognitiveservices.azure.com/.default']);
  });
});

describe('configuration of the chat endpoint', () => {
  const base = { AGENTS_FILE: join(ROOT, 'agents.json') };
  it('needs an https URL (http only on loopback), a model, and an endpoint wherever chat is chosen', () => {
    expect(loadConfig(base).copilot).toEqual({ provider: 'embedded', chat: undefined });
    expect(() => loadConfig({ ...base, COPILOT_PROVIDER: 'chat' })).toThrow(/COPILOT_PROVIDER=chat needs a chat-completions endpoint/);
    expect(() => loadConfig({ ...base, COPILOT_CHAT_URL: 'http://models.example/v1/chat/completions', COPILOT_CHAT_MODEL: 'm' })).toThrow(/must be an https URL/);
    expect(() => loadConfig({ ...base, COPILOT_CHAT_URL: 'https://models.example/v1/chat/completions' })).toThrow(/needs COPILOT_CHAT_MODEL/);
    expect(() => loadConfig({ ...base, COPILOT_CHAT_URL: 'https://u:p@models.example/v1', COPILOT_CHAT_MODEL: 'm' })).toThrow(/must not carry credentials/);
    const agents = JSON.parse(readFileSync(join(ROOT, 'agents.json'), 'utf8')) as { agents: Array<Record<string, unknown>> };
    agents.agents[0]!['copilot'] = 'chat';
    expect(() => loadConfig({ AGENTS_JSON: JSON.stringify(agents) })).toThrow(/agent sales \(copilot: chat\) needs a chat-completions endpoint/);
    const azure = loadConfig({ ...base, COPILOT_PROVIDER: 'chat', COPILOT_CHAT_URL: 'https://contoso.openai.azure.com/openai/v1/chat/completions', COPILOT_CHAT_MODEL: 'gpt', COPILOT_CHAT_API_KEY: 'k' }).copilot.chat;
    expect(azure?.auth).toEqual({ kind: 'key', key: 'k', header: 'api-key' });
    const identity = loadConfig({ ...base, COPILOT_CHAT_URL: 'https://contoso.openai.azure.com/openai/v1/chat/completions', COPILOT_CHAT_MODEL: 'gpt' }).copilot.chat;
    expect(identity?.auth).toEqual({ kind: 'managed-identity', clientId: undefined, scope: 'https://cognitiveservices.azure.com/.default' });
  });
});

describe('rewriting an email (tone, translation)', () => {
  const email = { subject: 'Your case CAS-01001', body: 'Hello Ada,\n\nWe replaced the router on 24 November; call 555 0100 if it fails again.\n\nRegards, Bob' };

  it('the chat model rewrites paragraph by paragraph, citing the original, and the check still applies', async () => {
    const r = await provider().rewrite({ ...email, kind: 'tone', tone: 'formal' });
    expect(r).toMatchObject({ ok: true, subject: 'Your case CAS-01001', source: 'chat-completions' });
    expect(r.ok && r.body.split('\n\n')).toHaveLength(3);
    const task = model.seen[0]!.body.messages[1]!.content;
    expect(task).toMatch(/formal tone/);
    expect(factsOf(task).map((f) => f.text)).toEqual(['Subject: Your case CAS-01001', 'Hello Ada,', 'We replaced the router on 24 November; call 555 0100 if it fails again.', 'Regards, Bob']);
    model.mode = 'invent';
    const invented = await provider().rewrite({ ...email, kind: 'translate', language: 'German' });
    expect(invented.ok).toBe(false);
    expect(!invented.ok && invented.reason).toMatch(/not used .*none of its facts contain.*unchanged/);
  });

  it('the grounded generator says it cannot, and what to do instead', async () => {
    const r = await new EmbeddedProvider(() => NOW).rewrite({ ...email, kind: 'translate', language: 'German' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/cannot translate this email into German.*edit_email_draft.*chat model/);
  });
});
