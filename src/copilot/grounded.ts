/**
 * The embedded grounded generator: deterministic text built only from CRM fields the caller could
 * read. Every sentence lists the fields it used, so a summary can be audited claim by claim and
 * nothing is invented. It is the default "Copilot" provider and the fallback for the others.
 */

export interface GroundedSentence {
  text: string;
  /** Field references such as `lead.companyname` or `email[3].subject`. */
  fields: string[];
}

export interface GroundedText {
  text: string;
  sentences: GroundedSentence[];
}

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

export interface ActivityFact {
  kind: 'email' | 'phonecall' | 'task' | 'note' | 'appointment';
  subject: string;
  /** ISO date of the activity (sent, completed, created). */
  on: string;
  direction?: 'incoming' | 'outgoing';
  state?: string;
}

export interface LeadFacts {
  leadId: string;
  fullName?: string | undefined;
  firstName?: string | undefined;
  jobTitle?: string | undefined;
  companyName?: string | undefined;
  topic?: string | undefined;
  source?: string | undefined;
  rating?: string | undefined;
  /** The state label, for display (labels are localised). */
  status?: string | undefined;
  /** Open (statecode 0), decided on the number. */
  isOpen?: boolean | undefined;
  /** Rated Hot (leadqualitycode 1), decided on the number. */
  isHot?: boolean | undefined;
  statusReason?: string | undefined;
  createdOn?: string | undefined;
  estimatedValue?: string | undefined;
  budget?: string | undefined;
  description?: string | undefined;
  owner?: string | undefined;
  score?: number | undefined;
  grade?: string | undefined;
  trend?: string | undefined;
  scoreReasons?: string[] | undefined;
  /** False where the org has no predictive scoring at all (then a gap says so, not "no score for this lead"). */
  scoringInstalled?: boolean;
  activities: ActivityFact[];
  /** What the summary could not read (e.g. activities without privilege), said plainly. */
  gaps?: string[] | undefined;
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : undefined);

export function daysBetween(fromIso: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - new Date(fromIso).getTime()) / 86_400_000));
}

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

  const nextStep = recommendLeadAction(f, dated[0], now);
  w.say(`Suggested next step: ${nextStep.text}`, nextStep.fields);
  return { ...w.build(), nextStep };
}

/** Transparent rules, each tied to the fields that triggered it. */
export function recommendLeadAction(f: LeadFacts, lastActivity: ActivityFact | undefined, now: Date): GroundedSentence {
  if (f.isOpen === false) return { text: `none: the lead is already ${(f.status ?? 'closed').toLowerCase()}.`, fields: ['lead.statecode'] };
  const idle = lastActivity ? daysBetween(lastActivity.on, now) : undefined;
  const hot = f.isHot === true || (f.score ?? 0) >= 70;
  if (hot && idle !== undefined && idle <= 14) {
    return { text: 'qualify it to an opportunity while engagement is fresh (strong rating or score and recent contact).', fields: ['lead.leadqualitycode', 'msdyn_predictivescore.msdyn_score', 'activities[0].date'] };
  }
  if (idle === undefined) return { text: 'make first contact: nothing has been recorded yet.', fields: ['activities.count'] };
  if (idle > 14) return { text: `follow up: the last contact was ${idle} days ago.`, fields: ['activities[0].date'] };
  return { text: 'keep nurturing: contact is recent but fit signals are not yet strong.', fields: ['lead.leadqualitycode', 'msdyn_predictivescore.msdyn_score', 'activities[0].date'] };
}

export interface DraftEmail {
  subject: string;
  body: string;
  sentences: GroundedSentence[];
}

/** Every field a grounded text used, once each, in order of first use. */
export function factsUsed(sentences: readonly GroundedSentence[]): string[] {
  return [...new Set(sentences.flatMap((s) => s.fields))];
}

/** A short outreach email grounded in the lead's own enquiry and history; no invented claims. */
export function draftLeadOutreach(
  f: LeadFacts,
  sender: { name: string; title?: string | undefined },
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

export interface CaseFacts {
  caseId: string;
  title?: string | undefined;
  ticketNumber?: string | undefined;
  description?: string | undefined;
  customerName?: string | undefined;
  contactName?: string | undefined;
  contactFirstName?: string | undefined;
  priority?: string | undefined;
  status?: string | undefined;
  statusReason?: string | undefined;
  /** Resolved (statecode 1), decided on the number. */
  resolved?: boolean | undefined;
  createdOn?: string | undefined;
  notes: Array<{ subject: string; text: string; on: string }>;
  /** Internal notes exist but may not be quoted to the customer (agent setting). */
  notesWithheld?: boolean;
  articles: Array<{ number: string; title: string }>;
}

/**
 * A reply to the customer about their case, grounded in the case, published articles and (only when
 * the agent allows it) the case's internal notes.
 */
export function draftCaseReply(f: CaseFacts, sender: { name: string; title?: string | undefined }, instructions: string | undefined): DraftEmail {
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

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function plural(kind: string, n: number): string {
  const word = kind === 'phonecall' ? 'phone call' : kind;
  return n === 1 ? word : `${word}s`;
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Plain text → minimal HTML for Dataverse email bodies (escaped, paragraphs preserved). */
export function toHtml(text: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
