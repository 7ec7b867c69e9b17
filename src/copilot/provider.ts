import type { COPILOT_PROVIDERS } from '../config/agents.js';
import type { CaseFacts, CaseSummaryFacts, GroundedSentence, LeadFacts, Sender } from './facts.js';
import type { AnswerSentence, Passage } from './grounded.js';

export type { AnswerSentence, Passage } from './grounded.js';

/**
 * Where summaries, drafts and answers come from, chosen per deployment (COPILOT_PROVIDER) and per
 * agent (agents.json `copilot`):
 * - `dataverse`: the org's Copilot custom APIs, called on behalf of the user;
 * - `embedded`: the grounded generator in this server (deterministic, the default);
 * - `chat`: an OpenAI-compatible chat-completions endpoint, given only the grounded facts.
 * Each falls back to `embedded` when it cannot answer, and says so in `notes`.
 */
export type ProviderKind = (typeof COPILOT_PROVIDERS)[number];

/** Which generator wrote a text (shown to the caller as `source`). */
export type CopilotSource = 'embedded-grounded-generator' | 'dataverse-copilot' | 'chat-completions';

/** What a summary is of. The facts are always loaded as the user: they are the fallback's input and the chat model's only input. */
export type SummaryRequest = { kind: 'lead'; facts: LeadFacts } | { kind: 'case'; facts: CaseSummaryFacts };

export interface SummaryResult {
  text: string;
  /** Each sentence with the CRM fields it rests on; empty field lists only where the writer could not say (the org's Copilot). */
  sentences: GroundedSentence[];
  /** Always from the grounded rules, whoever wrote the text. */
  nextStep: GroundedSentence;
  source: CopilotSource;
  /** Why the text came from another source than configured, or what it could not use. */
  notes: string[];
}

/**
 * A brief of a record (account, contact, opportunity, …), a catch-up on what changed around it, or
 * a summary of its timeline. The tool builds the grounded sentences from what the user could read;
 * a provider may only rephrase them.
 */
export interface RecordSummaryRequest {
  /** The table's logical name. */
  table: string;
  recordId: string;
  name: string;
  purpose: 'summary' | 'catchup' | 'timeline';
  sentences: GroundedSentence[];
}

export type RecordSummaryResult = Omit<SummaryResult, 'nextStep'>;

/** How notes name what was written. */
export const PURPOSE_WORD: Readonly<Record<RecordSummaryRequest['purpose'], string>> = { summary: 'summary', catchup: 'catch-up', timeline: 'timeline summary' };

export type DraftRequest =
  | { kind: 'lead-outreach'; facts: LeadFacts; sender: Sender; context?: GroundedSentence[] }
  | { kind: 'case-reply'; facts: CaseFacts; sender: Sender };

export interface DraftResult {
  subject: string;
  body: string;
  sentences: GroundedSentence[];
  source: CopilotSource;
  notes: string[];
}

export interface AnswerResult {
  answer: string;
  /** Every sentence of the answer with the passages it comes from. */
  sentences: AnswerSentence[];
  source: CopilotSource;
  notes: string[];
}

/** A rewrite of an email the user already has: a tone, or another language; every fact kept. */
export type RewriteRequest = { subject: string; body: string } & ({ kind: 'tone'; tone: 'formal' | 'friendly' | 'concise' | 'empathetic' } | { kind: 'translate'; language: string });

/** The rewritten email, or why this provider cannot rewrite (the grounded generator never invents prose). */
export type RewriteResult = { ok: true; subject: string; body: string; source: CopilotSource; notes: string[] } | { ok: false; reason: string; notes: string[] };

/** What tools call (`ctx.copilot`); they never call a generator directly. */
export interface CopilotProvider {
  /** The provider the agent is configured for (its results may still come from the fallback). */
  readonly kind: ProviderKind;
  summarise(request: SummaryRequest): Promise<SummaryResult>;
  summariseRecord(request: RecordSummaryRequest): Promise<RecordSummaryResult>;
  draftEmail(request: DraftRequest, instructions?: string): Promise<DraftResult>;
  answer(question: string, passages: readonly Passage[]): Promise<AnswerResult>;
  rewrite(request: RewriteRequest): Promise<RewriteResult>;
}
