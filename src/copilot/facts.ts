/**
 * What the generators may be given: facts read from CRM as the signed-in user (so only fields they
 * can read), and grounded text that names the fields each sentence rests on. Tools build these;
 * every provider turns them into text.
 */

export interface GroundedSentence {
  text: string;
  /** Field references such as `lead.companyname` or `activities[0].date`. */
  fields: string[];
}

/** Every field a grounded text used, once each, in order of first use. */
export function factsUsed(sentences: readonly GroundedSentence[]): string[] {
  return [...new Set(sentences.flatMap((s) => s.fields))];
}

export interface GroundedText {
  text: string;
  sentences: GroundedSentence[];
}

export interface ActivityFact {
  kind: 'email' | 'phonecall' | 'task' | 'note' | 'appointment';
  subject: string;
  /** ISO date of the activity (sent, completed, created). */
  on: string;
  direction?: 'incoming' | 'outgoing';
  state?: string;
}

/** `msdyn_scoretrend` values (0 Improving, 1 Steady, 2 Declining, 3 Not enough info): decided on the number, labels are localised. */
export const SCORE_TREND = { improving: 0, steady: 1, declining: 2, notEnoughInfo: 3 } as const;

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
  /** `msdyn_scoretrend` as a number (see SCORE_TREND). */
  trendCode?: number | undefined;
  scoreReasons?: string[] | undefined;
  /** False where the org has no predictive scoring at all (then a gap says so, not "no score for this lead"). */
  scoringInstalled?: boolean;
  activities: ActivityFact[];
  /** What the summary could not read (e.g. activities without privilege), said plainly. */
  gaps?: string[] | undefined;
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

/** What a case summary is built from: the case, its SLA, its queue and its recent timeline (for the agent, so notes are included). */
export interface CaseSummaryFacts extends CaseFacts {
  sla: Array<{ kpi: 'first_response' | 'resolve_by'; name: string; status: string; succeeded: boolean; atRisk: boolean; minutesLeft?: number | undefined }>;
  /** Cancelled (statecode 2), decided on the number. */
  cancelled?: boolean | undefined;
  queue?: { name: string; workedBy?: string | undefined } | undefined;
  /** The latest emails (newest first; at most a handful). */
  emails: Array<{ subject: string; direction: 'incoming' | 'outgoing'; on: string; draft: boolean }>;
  waitingForDetails?: boolean | undefined;
}

/** Who signs a draft (the signed-in user's system user row). */
export interface Sender {
  name: string;
  title?: string | undefined;
}

/**
 * The signals a next step is chosen from. The summary builds them from one lead's facts, the
 * prioritisation from aggregates over many leads; the same rules apply to both.
 */
export interface LeadSignals {
  isOpen: boolean | undefined;
  /** State label, only to say what the lead already is. */
  status?: string | undefined;
  score?: number | undefined;
  trendCode?: number | undefined;
  isHot?: boolean | undefined;
  /** Emails, calls, tasks and appointments (notes are not interactions). */
  interactions: number;
  /** The most recent interaction. */
  last?: { kind: ActivityFact['kind']; on: string } | undefined;
}
