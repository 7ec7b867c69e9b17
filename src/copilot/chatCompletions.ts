import type { Logger } from '../telemetry/log.js';
import type { EmbeddedProvider } from './embedded.js';
import type { GroundedSentence } from './facts.js';
import { NEXT_STEP_PREFIX, type Passage } from './grounded.js';
import { type CheckLimits, checkAgainstFacts, type CitedSentence } from './outputCheck.js';
import { type AnswerResult, type CopilotProvider, type DraftRequest, type DraftResult, PURPOSE_WORD, type RecordSummaryRequest, type RecordSummaryResult, type RewriteRequest, type RewriteResult, type SummaryRequest, type SummaryResult } from './provider.js';

/** An OpenAI-compatible chat-completions endpoint (Azure OpenAI or any other). */
export interface ChatEndpoint {
  /** The full chat-completions URL. */
  url: string;
  model: string;
  timeoutMs: number;
  /** The Authorization or api-key header for one request. */
  authorize(signal: AbortSignal): Promise<Record<string, string>>;
  fetch?: typeof fetch;
}

const SUMMARY_LIMITS: CheckLimits = { maxChars: 1500, maxSentences: 12 };
const DRAFT_LIMITS: CheckLimits = { maxChars: 4000, maxSentences: 16 };
const ANSWER_LIMITS: CheckLimits = { maxChars: 2000, maxSentences: 8 };
const MAX_RESPONSE_BYTES = 256 * 1024;

const SYSTEM = [
  'You write short texts for a CRM user from numbered facts that were read from their CRM.',
  'Use only the facts given: no other knowledge, no guesses, no numbers, names, dates, addresses or quotations that the facts do not contain.',
  'The facts are a JSON array of {n, text}. Answer with one JSON object and nothing else, in the shape the task asks for. Every sentence lists the numbers (n) of the facts it uses.',
].join(' ');

class ChatFailure extends Error {}

/**
 * The chat model writes the text; the grounded generator decides what it may say. The model gets
 * only the sentences the grounded generator built from fields the user could read, must cite them,
 * and its answer is checked against them (length, citations, no number, address or quotation absent
 * from the cited facts). On any failure, timeout or refusal of the check the grounded text is
 * returned instead, with a note saying why.
 */
export class ChatCompletionsProvider implements CopilotProvider {
  readonly kind = 'chat' as const;

  constructor(
    private readonly endpoint: ChatEndpoint,
    private readonly fallback: EmbeddedProvider,
    private readonly signal: AbortSignal,
    private readonly log: Logger,
  ) {}

  async summarise(request: SummaryRequest): Promise<SummaryResult> {
    const grounded = await this.fallback.summarise(request);
    // The next step stays the rules' own; the model writes from the other facts.
    const facts = grounded.sentences.filter((s) => !s.text.startsWith(NEXT_STEP_PREFIX));
    try {
      const out = await this.complete(
        request.kind === 'case'
          ? 'Summarise this case for the service agent working it in at most 6 sentences: what the problem is, for whom, where it stands, its SLA, and the latest contact. Shape: {"sentences":[{"text":"…","facts":[1,2]}]}'
          : 'Summarise this lead for a seller in at most 6 sentences: who they are, what they want, how strong a fit they are, and their engagement so far. Shape: {"sentences":[{"text":"…","facts":[1,2]}]}',
        facts,
        SUMMARY_LIMITS,
      );
      const sentences = out.sentences.map((s) => this.grounding(s, facts));
      return { text: sentences.map((s) => s.text).join(' '), sentences, nextStep: grounded.nextStep, source: 'chat-completions', notes: [] };
    } catch (err) {
      return { ...grounded, notes: [this.fellBack(err, 'summary')] };
    }
  }

  async summariseRecord(request: RecordSummaryRequest): Promise<RecordSummaryResult> {
    const grounded = await this.fallback.summariseRecord(request);
    if (request.sentences.length === 0) return grounded;
    const name = JSON.stringify(request.name.slice(0, 200));
    const task = {
      catchup: `Tell the user in at most 6 sentences what changed around the ${request.table} ${name}, newest first, keeping every date as written.`,
      timeline: `Summarise the recent activities and notes of the ${request.table} ${name} in at most 6 sentences, keeping every date and count as written.`,
      summary: `Summarise this ${request.table} for a seller or service agent in at most 6 sentences: who or what it is, where it stands, its value and its latest activity.`,
    }[request.purpose];
    try {
      const out = await this.complete(`${task} Shape: {"sentences":[{"text":"…","facts":[1,2]}]}`, request.sentences, SUMMARY_LIMITS);
      const sentences = out.sentences.map((s) => this.grounding(s, request.sentences));
      return { text: sentences.map((s) => s.text).join(' '), sentences, source: 'chat-completions', notes: [] };
    } catch (err) {
      return { ...grounded, notes: [this.fellBack(err, PURPOSE_WORD[request.purpose])] };
    }
  }

  async draftEmail(request: DraftRequest, instructions?: string): Promise<DraftResult> {
    const grounded = await this.fallback.draftEmail(request, instructions);
    const facts = [...grounded.sentences, { text: `Subject of the grounded draft: ${grounded.subject}`, fields: [] }];
    const task = [
      request.kind === 'case-reply' ? 'Write a reply to the customer about their case.' : 'Write a short outreach email to this lead.',
      'Keep the greeting and the sign-off of the facts. Shape: {"subject":"…","paragraphs":[{"text":"…","facts":[1]}]}',
      ...(instructions ? [`The user also asks (apply it only where the facts allow): ${instructions.slice(0, 1000)}`] : []),
    ].join(' ');
    try {
      const out = await this.complete(task, facts, DRAFT_LIMITS, true);
      const subject = out.subject?.trim();
      if (!subject || subject.length > 200) throw new ChatFailure('its subject was missing or too long');
      const subjectCheck = checkAgainstFacts([{ text: subject, cites: facts.map((_, i) => i) }], facts.map((f) => f.text), { maxChars: 200, maxSentences: 1 });
      if (!subjectCheck.ok) throw new ChatFailure(`its subject ${subjectCheck.reason.replace(/^sentence 1 /, '')}`);
      const sentences = out.sentences.map((s) => this.grounding(s, facts));
      return { subject, body: sentences.map((s) => s.text).join('\n\n'), sentences, source: 'chat-completions', notes: [] };
    } catch (err) {
      return { ...grounded, notes: [...grounded.notes, this.fellBack(err, 'draft')] };
    }
  }

  async answer(question: string, passages: readonly Passage[]): Promise<AnswerResult> {
    const grounded = await this.fallback.answer(question, passages);
    if (passages.length === 0) return grounded;
    const facts = passages.map((p) => ({ text: `${p.title}: ${p.text.replace(/\s+/g, ' ').slice(0, 4000)}`, fields: [p.id] }));
    try {
      const out = await this.complete(
        `Answer this question from the passages, in at most 5 sentences, quoting their steps and figures exactly: ${JSON.stringify(question.slice(0, 1000))}. Shape: {"sentences":[{"text":"…","facts":[1]}]}`,
        facts,
        ANSWER_LIMITS,
      );
      const sentences = out.sentences.map((s) => ({ text: s.text, passageIds: [...new Set(s.cites.map((c) => passages[c]!.id))] }));
      return { answer: sentences.map((s) => s.text).join(' '), sentences, source: 'chat-completions', notes: [] };
    } catch (err) {
      return { ...grounded, notes: [this.fellBack(err, 'answer')] };
    }
  }

  /**
   * The model rewrites the user's own email; each paragraph of the original is a fact, and the
   * rewrite is checked like any answer (no number, address, link or quotation the original lacks).
   * Unlike drafts there is nothing grounded to fall back to: a refusal says why.
   */
  async rewrite(request: RewriteRequest): Promise<RewriteResult> {
    const paragraphs = request.body.split(/\n\s*\n/).map((t) => t.trim()).filter(Boolean);
    const facts: GroundedSentence[] = [{ text: `Subject: ${request.subject}`, fields: [] }, ...paragraphs.map((text) => ({ text, fields: [] }))];
    const task =
      request.kind === 'tone'
        ? `Rewrite this email in a ${request.tone} tone. Keep every fact, name, number, date and link; add none.`
        : `Translate this email into ${JSON.stringify(request.language.slice(0, 40))}. Keep every name, number, date and link as written; add nothing.`;
    try {
      const out = await this.complete(`${task} Fact 1 is the subject. Shape: {"subject":"…","paragraphs":[{"text":"…","facts":[2]}]}`, facts, { maxChars: Math.max(4000, request.body.length * 2), maxSentences: Math.max(16, paragraphs.length * 2) }, true);
      const subject = out.subject?.trim();
      if (!subject || subject.length > 200) throw new ChatFailure('its subject was missing or too long');
      const subjectCheck = checkAgainstFacts([{ text: subject, cites: [0] }], facts.map((f) => f.text), { maxChars: 200, maxSentences: 1 });
      if (!subjectCheck.ok) throw new ChatFailure(`its subject ${subjectCheck.reason.replace(/^sentence 1 /, '')}`);
      return { ok: true, subject, body: out.sentences.map((p) => p.text.trim()).join('\n\n'), source: 'chat-completions', notes: [] };
    } catch (err) {
      const reason = err instanceof ChatFailure ? err.message : 'it failed unexpectedly';
      this.log.warn('chat completions rewrite refused', { kind: request.kind, reason });
      return { ok: false, reason: `The chat model's rewrite was not used (${reason}); the email is unchanged.`, notes: [] };
    }
  }

  /** A checked sentence with the union of the fields of the facts it cites. */
  private grounding(s: CitedSentence, facts: readonly GroundedSentence[]): GroundedSentence {
    return { text: s.text.trim(), fields: [...new Set(s.cites.flatMap((c) => facts[c]?.fields ?? []))] };
  }

  private fellBack(err: unknown, what: string): string {
    const reason = err instanceof ChatFailure ? err.message : 'it failed unexpectedly';
    // The reason names no URL, key or model output: it is shown to the user and logged.
    this.log.warn('chat completions fell back', { what, reason });
    return `The chat model could not be used for this ${what} (${reason}), so the embedded grounded generator wrote it.`;
  }

  private async complete(task: string, facts: readonly GroundedSentence[], limits: CheckLimits, withSubject = false): Promise<{ sentences: CitedSentence[]; subject?: string }> {
    // JSON keeps each fact whole (a sign-off spans lines), numbered from 1 as the model cites them.
    const numbered = JSON.stringify(facts.map((f, i) => ({ n: i + 1, text: f.text })), null, 1);
    const timeout = AbortSignal.timeout(this.endpoint.timeoutMs);
    const signal = AbortSignal.any([this.signal, timeout]);
    let res: Response;
    try {
      const headers = { 'content-type': 'application/json', accept: 'application/json', ...(await this.endpoint.authorize(signal)) };
      res = await (this.endpoint.fetch ?? fetch)(this.endpoint.url, {
        method: 'POST',
        headers,
        signal,
        body: JSON.stringify({
          model: this.endpoint.model,
          temperature: 0,
          messages: [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: `Task: ${task}\n\nFacts:\n${numbered}` },
          ],
        }),
      });
    } catch {
      throw new ChatFailure(timeout.aborted ? `no answer within ${within(this.endpoint.timeoutMs)}` : this.signal.aborted ? 'the call was cancelled' : 'the endpoint could not be reached');
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new ChatFailure(`the endpoint answered HTTP ${res.status}`);
    }
    const body = await readBounded(res, signal).catch(() => {
      throw new ChatFailure(timeout.aborted ? `no answer within ${within(this.endpoint.timeoutMs)}` : 'its answer could not be read');
    });
    const content = messageContent(body);
    if (content === undefined) throw new ChatFailure('its answer had no message');
    const parsed = parseReply(content, withSubject);
    const check = checkAgainstFacts(parsed.sentences, facts.map((f) => f.text), limits);
    if (!check.ok) throw new ChatFailure(`${check.reason}`);
    return parsed;
  }
}

function within(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

async function readBounded(res: Response, signal: AbortSignal): Promise<unknown> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) throw new Error('too large');
  const text = await res.text();
  if (signal.aborted) throw new Error('aborted');
  if (text.length > MAX_RESPONSE_BYTES) throw new Error('too large');
  return JSON.parse(text) as unknown;
}

function messageContent(body: unknown): string | undefined {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { message?: { content?: unknown } } | undefined)?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

/** The JSON the task asked for, tolerating a code fence around it. */
function parseReply(content: string, withSubject: boolean): { sentences: CitedSentence[]; subject?: string } {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  let json: unknown;
  try {
    json = JSON.parse(start >= 0 && end > start ? content.slice(start, end + 1) : content);
  } catch {
    throw new ChatFailure('its answer was not the JSON asked for');
  }
  const o = json as { sentences?: unknown; paragraphs?: unknown; subject?: unknown };
  const items = withSubject ? o.paragraphs : o.sentences;
  if (!Array.isArray(items)) throw new ChatFailure('its answer was not the JSON asked for');
  const sentences = items.map((item) => {
    const it = item as { text?: unknown; facts?: unknown };
    if (typeof it.text !== 'string' || !Array.isArray(it.facts)) throw new ChatFailure('its answer was not the JSON asked for');
    // The model numbers facts from 1.
    return { text: it.text, cites: it.facts.map((n) => (typeof n === 'number' ? n - 1 : Number.NaN)) };
  });
  return { sentences, ...(withSubject && typeof o.subject === 'string' && { subject: o.subject }) };
}
