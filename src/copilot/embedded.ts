import { answerFromPassages, draftCaseReply, draftLeadOutreach, type Passage, summarizeCase, summarizeLead } from './grounded.js';
import type { AnswerResult, CopilotProvider, DraftRequest, DraftResult, RecordSummaryRequest, RecordSummaryResult, RewriteRequest, RewriteResult, SummaryRequest, SummaryResult } from './provider.js';

/** The grounded generator as a provider: deterministic, and what the other providers fall back to. */
export class EmbeddedProvider implements CopilotProvider {
  readonly kind = 'embedded' as const;

  constructor(private readonly now: () => Date) {}

  async summarise(request: SummaryRequest): Promise<SummaryResult> {
    const s = request.kind === 'case' ? summarizeCase(request.facts, this.now()) : summarizeLead(request.facts, this.now());
    return { text: s.text, sentences: s.sentences, nextStep: s.nextStep, source: 'embedded-grounded-generator', notes: [] };
  }

  /** The tool's grounded sentences are the summary: this generator adds nothing they do not say. */
  async summariseRecord(request: RecordSummaryRequest): Promise<RecordSummaryResult> {
    return { text: request.sentences.map((s) => s.text).join(' '), sentences: request.sentences, source: 'embedded-grounded-generator', notes: [] };
  }

  async draftEmail(request: DraftRequest, instructions?: string): Promise<DraftResult> {
    const draft =
      request.kind === 'lead-outreach'
        ? draftLeadOutreach(request.facts, request.sender, this.now(), request.context ?? [])
        : draftCaseReply(request.facts, request.sender, instructions);
    // Lead outreach has no free-text instructions: the draft is built from the lead alone.
    const notes = request.kind === 'lead-outreach' && instructions ? ['The grounded generator does not take instructions for outreach drafts; edit the draft instead.'] : [];
    return { ...draft, source: 'embedded-grounded-generator', notes };
  }

  async answer(question: string, passages: readonly Passage[]): Promise<AnswerResult> {
    const a = answerFromPassages(question, passages);
    return { answer: a.answer, sentences: a.sentences, source: 'embedded-grounded-generator', notes: [] };
  }

  /** The grounded generator writes from CRM fields only: it cannot restyle or translate free text, and says so. */
  async rewrite(request: RewriteRequest): Promise<RewriteResult> {
    const what = request.kind === 'tone' ? `make this email ${request.tone}` : `translate this email into ${request.language}`;
    return {
      ok: false,
      reason: `The embedded grounded generator cannot ${what}: it only writes sentences from CRM fields. Edit the text yourself (edit_email_draft), or ask an administrator to configure a chat model for this agent (copilot "chat").`,
      notes: [],
    };
  }
}
