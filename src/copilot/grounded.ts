/**
 * The embedded grounded generator: deterministic text built only from CRM fields the caller could
 * read. Every sentence lists the fields it used, so a summary can be audited claim by claim and
 * nothing is invented. It is the default "Copilot" provider and the fallback for the others.
 */

import type { CaseFacts, CaseSummaryFacts, GroundedSentence, GroundedText, LeadFacts, Sender } from './facts.js';
import { recommendLeadAction, signalsOf } from './nextStep.js';
import { daysBetween, truncate } from './text.js';

/** Builds grounded text sentence by sentence; a sentence whose fields are all empty is skipped. */
export class GroundedWriter {
  private readonly sentences: GroundedSentence[] = [];

  /** Adds `text` when every value it depends on is present. */
  say(text: string | undefined | false, fields: string[]): this {
    if (text) this.sentences.push({ text: text.trim(), fields });
    return this;
  }

  build(separator = ' '): GroundedText {
    return { text: this.sentences.map((s) => s.text).join(separator), sentences: [...this.sentences] };
  }
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : undefined);

/** How a summary's last sentence, the rule-based next step, begins. */
export const NEXT_STEP_PREFIX = 'Suggested next step: ';

/** A lead summary: who, what they asked about, fit signals, engagement, and a rule-based next step. */
export function summarizeLead(f: LeadFacts, now: Date): GroundedText & { nextStep: GroundedSentence } {
  const w = new GroundedWriter();
  const who = f.fullName ?? 'This lead';
  w.say(
    f.jobTitle && f.companyName ? `${who} works at ${f.companyName} as ${f.jobTitle}.` : f.companyName ? `${who} works at ${f.companyName}.` : f.jobTitle ? `${who} is listed as ${f.jobTitle}.` : undefined,
    ['lead.fullname', 'lead.jobtitle', 'lead.companyname'],
  );
  w.say(f.topic && `Their enquiry: "${f.topic}".`, ['lead.subject']);
  w.say(
    f.source || f.createdOn ? `The lead was created${f.createdOn ? ` on ${day(f.createdOn)}` : ''}${f.source ? ` from ${f.source}` : ''}.` : undefined,
    ['lead.createdon', 'lead.leadsourcecode'],
  );
  w.say(
    f.rating || f.statusReason ? `It is ${[f.rating && `rated ${f.rating}`, f.statusReason && `in status "${f.statusReason}"`].filter(Boolean).join(' and ')}.` : undefined,
    ['lead.leadqualitycode', 'lead.statuscode'],
  );
  if (f.score !== undefined) {
    const grade = f.grade ? (/^grade\b/i.test(f.grade) ? f.grade : `grade ${f.grade}`) : undefined;
    const qualifiers = [grade, f.trend?.toLowerCase()].filter(Boolean).join(', ');
    w.say(`Predictive lead score: ${f.score}/100${qualifiers ? ` (${qualifiers})` : ''}.`, [
      'msdyn_predictivescore.msdyn_score',
      'msdyn_predictivescore.msdyn_grade',
      'msdyn_predictivescore.msdyn_scoretrend',
    ]);
    w.say(f.scoreReasons?.length ? `Score drivers: ${f.scoreReasons.slice(0, 3).join('; ')}.` : undefined, ['msdyn_predictivescore.msdyn_scorereasons']);
  } else if (f.scoringInstalled !== false) {
    w.say('No predictive score is available for this lead.', ['msdyn_predictivescore']);
  }
  w.say(
    f.estimatedValue || f.budget ? `Estimated value ${f.estimatedValue ?? 'not set'}${f.budget ? `, stated budget ${f.budget}` : ''}.` : undefined,
    ['lead.estimatedvalue', 'lead.budgetamount'],
  );

  const dated = [...f.activities].sort((a, b) => (a.on < b.on ? 1 : -1));
  const counts = countBy(dated.map((a) => a.kind));
  if (dated.length) {
    const parts = Object.entries(counts).map(([k, n]) => `${n} ${plural(k, n)}`);
    const last = dated[0]!;
    w.say(`Recorded interactions: ${parts.join(', ')}; the most recent was the ${last.kind} "${last.subject}" on ${day(last.on)}.`, [
      'activities.count',
      'activities[0].subject',
      'activities[0].date',
    ]);
  } else {
    w.say('No emails, calls, tasks or notes are recorded for this lead.', ['activities.count']);
  }
  for (const gap of f.gaps ?? []) w.say(gap, ['privileges']);

  const nextStep = recommendLeadAction(signalsOf(f), now);
  w.say(`${NEXT_STEP_PREFIX}${nextStep.text}`, nextStep.fields);
  return { ...w.build(), nextStep };
}

export interface DraftEmail {
  subject: string;
  body: string;
  sentences: GroundedSentence[];
}

/** A short outreach email grounded in the lead's own enquiry and history; no invented claims. */
export function draftLeadOutreach(
  f: LeadFacts,
  sender: Sender,
  now: Date,
  /** Extra grounded sentences (e.g. from research) placed after the opening. */
  context: GroundedSentence[] = [],
): DraftEmail {
  const w = new GroundedWriter();
  const greeting = f.firstName ?? f.fullName;
  w.say(`Hello ${greeting ?? 'there'},`, ['lead.firstname']);
  w.say(
    f.topic ? `Thank you for getting in touch about "${truncate(f.topic, 120)}".` : `Thank you for your interest in working with us${f.companyName ? ` at ${f.companyName}` : ''}.`,
    ['lead.subject', 'lead.companyname'],
  );
  for (const c of context) w.say(c.text, c.fields);
  const last = [...f.activities].filter((a) => a.kind !== 'note').sort((a, b) => (a.on < b.on ? 1 : -1))[0];
  const recent = last && daysBetween(last.on, now) <= 30;
  const ask = `I would welcome a short call to understand what ${f.companyName ?? 'your team'} needs${f.budget ? ' and how it fits your budget' : ''}, and to suggest next steps.`;
  w.say(
    recent ? `Following up on our recent ${last.kind === 'phonecall' ? 'call' : last.kind} ("${truncate(last.subject, 80)}"): ${ask}` : ask,
    recent ? ['activities[0].subject', 'activities[0].date', 'lead.companyname', 'lead.budgetamount'] : ['lead.companyname', 'lead.budgetamount'],
  );
  w.say('Would you have time this week or next?', []);
  w.say(`Kind regards,\n${sender.name}${sender.title ? `\n${sender.title}` : ''}`, ['systemuser.fullname', 'systemuser.title']);
  const built = w.build('\n\n');
  const subject = f.topic ? `Re: ${truncate(f.topic, 80)}` : `Following up${f.companyName ? ` with ${f.companyName}` : ''}`;
  return { subject, body: built.text, sentences: built.sentences };
}

/**
 * A reply to the customer about their case, grounded in the case, published articles and (only when
 * the agent allows it) the case's internal notes.
 */
export function draftCaseReply(f: CaseFacts, sender: Sender, instructions: string | undefined): DraftEmail {
  const w = new GroundedWriter();
  w.say(`Hello ${f.contactFirstName ?? f.contactName ?? 'there'},`, ['contact.firstname']);
  w.say(
    `Thank you for contacting us about ${f.title ? `"${f.title}"` : 'your request'}${f.ticketNumber ? ` (case ${f.ticketNumber})` : ''}.`,
    ['incident.title', 'incident.ticketnumber'],
  );
  const resolved = f.resolved === true;
  w.say(resolved ? 'Your case has been resolved.' : `Your case is ${f.statusReason ? `currently "${f.statusReason}"` : 'being worked on'}.`, ['incident.statecode', 'incident.statuscode']);
  const latest = [...f.notes].sort((a, b) => (a.on < b.on ? 1 : -1))[0];
  w.say(latest && `Latest update from our team: ${truncate(latest.text.replace(/\s+/g, ' '), 300)}`, ['annotation[0].notetext']);
  w.say(
    f.articles.length ? `These articles may help: ${f.articles.slice(0, 3).map((a) => `${a.title} (${a.number})`).join('; ')}.` : undefined,
    ['knowledgearticle.title', 'knowledgearticle.articlepublicnumber'],
  );
  w.say(instructions ? instructions.trim().slice(0, 1000) : undefined, ['instructions']);
  w.say('Please reply to this email if you have any questions.', []);
  w.say(`Kind regards,\n${sender.name}${sender.title ? `\n${sender.title}` : ''}`, ['systemuser.fullname', 'systemuser.title']);
  const built = w.build('\n\n');
  return { subject: `${f.ticketNumber ? `[${f.ticketNumber}] ` : ''}${f.title ? truncate(f.title, 100) : 'Your case'}`, body: built.text, sentences: built.sentences };
}

/** A case summary for the agent working it: what, for whom, where it stands, its SLA, the latest notes and emails, and a rule-based next step. */
export function summarizeCase(f: CaseSummaryFacts, now: Date): GroundedText & { nextStep: GroundedSentence } {
  const w = new GroundedWriter();
  w.say(`${f.ticketNumber ? `Case ${f.ticketNumber}` : 'This case'}${f.title ? `, "${f.title}",` : ''} is for ${f.customerName ?? 'an unnamed customer'}${f.contactName ? ` (contact ${f.contactName})` : ''}.`, ['incident.ticketnumber', 'incident.title', 'incident.customerid', 'incident.primarycontactid']);
  w.say(f.createdOn && `It was opened on ${day(f.createdOn)}, ${daysBetween(f.createdOn, now)} days ago.`, ['incident.createdon']);
  w.say(f.status || f.priority ? `It is ${[f.status && `${f.status.toLowerCase()}${f.statusReason ? ` (${f.statusReason})` : ''}`, f.priority && `${f.priority.toLowerCase()} priority`].filter(Boolean).join(', ')}.` : undefined, ['incident.statecode', 'incident.statuscode', 'incident.prioritycode']);
  w.say(f.description && `Reported problem: ${truncate(f.description.replace(/\s+/g, ' '), 300)}`, ['incident.description']);
  w.say(f.queue && `It is in queue ${f.queue.name}${f.queue.workedBy ? `, worked by ${f.queue.workedBy}` : ', waiting to be picked'}.`, ['queueitem.queueid', 'queueitem.workerid']);
  for (const k of f.sla) {
    const left = k.minutesLeft === undefined ? '' : k.minutesLeft >= 0 ? `, ${Math.round(k.minutesLeft / 60)} hours left` : `, ${Math.round(-k.minutesLeft / 60)} hours overdue`;
    w.say(`${k.name}: ${k.status}${left}.`, ['slakpiinstance.status', 'slakpiinstance.failuretime']);
  }
  const latest = [...f.notes].sort((a, b) => (a.on < b.on ? 1 : -1))[0];
  w.say(latest && `Latest note (${day(latest.on)}): ${truncate(latest.text.replace(/\s+/g, ' '), 200)}`, ['annotation[0].notetext', 'annotation[0].createdon']);
  const sent = f.emails.filter((e) => e.direction === 'outgoing' && !e.draft);
  const received = f.emails.filter((e) => e.direction === 'incoming');
  w.say(f.emails.length ? `Of the latest ${f.emails.length} emails, ${received.length} were received and ${sent.length} sent${f.emails.some((e) => e.draft) ? ', and a draft is waiting' : ''}; the newest is "${f.emails[0]!.subject}" (${day(f.emails[0]!.on)}).` : 'No emails on the case yet.', ['email.directioncode', 'email.subject', 'email.createdon']);
  const atRisk = f.sla.find((k) => k.atRisk);
  // Answered at all: the first-response KPI knows (it sees every email), else the latest emails show it.
  const firstResponse = f.sla.find((k) => k.kpi === 'first_response');
  const answered = firstResponse ? firstResponse.succeeded : sent.length > 0;
  const next = f.resolved
    ? 'none: the case is resolved.'
    : f.cancelled
      ? 'none: the case is cancelled.'
      : atRisk
      ? `act now: ${atRisk.name} is ${atRisk.status.toLowerCase()}; reply to the customer or escalate.`
      : !answered
        ? 'send the customer a first response.'
        : f.waitingForDetails
          ? 'follow up with the customer for the details the case is waiting for.'
          : 'update the customer on progress.';
  const nextStep: GroundedSentence = { text: `${NEXT_STEP_PREFIX}${next}`, fields: ['incident.statecode', 'incident.statuscode', 'slakpiinstance.status', 'email.directioncode'] };
  const built = w.build();
  return { text: `${built.text} ${nextStep.text}`, sentences: [...built.sentences, nextStep], nextStep };
}

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function plural(kind: string, n: number): string {
  const word = kind === 'phonecall' ? 'phone call' : kind;
  return n === 1 ? word : `${word}s`;
}


/** A passage an answer may quote (a knowledge article, a note, a QnA pair), as the user may read it. */
export interface Passage {
  /** What a citation points to (the caller's reference id). */
  id: string;
  title: string;
  text: string;
}

export interface AnswerSentence {
  text: string;
  /** The passages this sentence is taken from. */
  passageIds: string[];
}

const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from how i in is it me my of on or our the their there this to was what when where which who why will with you your'.split(' '),
);

function terms(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 2 && !STOP_WORDS.has(w)));
}

/**
 * An extractive answer: the passage sentences that share the most terms with the question (at most
 * three), each citing its passage, in the order they rank. Nothing is paraphrased, so every claim
 * is a quotation; when no sentence shares a term, the answer says the passages do not cover it.
 */
export function answerFromPassages(question: string, passages: readonly Passage[]): { answer: string; sentences: AnswerSentence[] } {
  const wanted = terms(question);
  const scored: Array<{ text: string; id: string; hits: number; order: number }> = [];
  let order = 0;
  for (const p of passages) {
    const titleHits = [...terms(p.title)].filter((t) => wanted.has(t)).length;
    for (const raw of p.text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/)) {
      const text = raw.trim();
      if (text.length < 3) continue;
      const hits = [...terms(text)].filter((t) => wanted.has(t)).length;
      // A matching title lends weight only to sentences that match on their own.
      if (hits > 0) scored.push({ text: truncate(text, 400), id: p.id, hits: hits * 2 + titleHits, order: order++ });
    }
  }
  scored.sort((a, b) => b.hits - a.hits || a.order - b.order);
  const sentences = scored.slice(0, 3).map((s) => ({ text: s.text, passageIds: [s.id] }));
  if (sentences.length === 0) return { answer: 'The passages available do not answer this question.', sentences: [] };
  return { answer: sentences.map((s) => s.text).join(' '), sentences };
}
