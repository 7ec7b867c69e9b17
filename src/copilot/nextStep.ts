import { type ActivityFact, type LeadFacts, type LeadSignals, SCORE_TREND, type GroundedSentence } from './facts.js';
import { daysBetween } from './text.js';

/*
 * Next steps come from these rules whoever writes a summary (the embedded generator, the org's
 * Copilot or a chat model), and the lead ranking uses them too: one set of rules, over signals a
 * single lead's facts or the ranking's aggregates both provide.
 */

/** A lead's signals from its own facts: interactions are its emails, calls, tasks and appointments (notes are not). */
export function signalsOf(f: LeadFacts): LeadSignals {
  const interactions = f.activities.filter((a) => a.kind !== 'note').sort((a, b) => (a.on < b.on ? 1 : -1));
  const last = interactions[0];
  return {
    isOpen: f.isOpen,
    status: f.status,
    score: f.score,
    trendCode: f.trendCode,
    isHot: f.isHot,
    interactions: interactions.length,
    last: last && { kind: last.kind, on: last.on },
  };
}

const KIND_NAME: Record<ActivityFact['kind'], string> = { email: 'email', phonecall: 'call', task: 'task', note: 'note', appointment: 'meeting' };
const STRONG_SCORE = 70;

/**
 * The next step, from transparent rules over the lead's own signals: whether it is open, how strong
 * a fit the score and rating say it is, which way the score is moving, what the last interaction
 * was and how long ago. Each rule names the fields it used, and two hot leads get the same advice
 * only when those signals agree.
 */
export function recommendLeadAction(s: LeadSignals, now: Date): GroundedSentence {
  if (s.isOpen === false) return { text: `none: the lead is already ${(s.status ?? 'closed').toLowerCase()}.`, fields: ['lead.statecode'] };
  const fit = ['msdyn_predictivescore.msdyn_score', 'lead.leadqualitycode'];
  const strong = s.isHot === true || (s.score ?? 0) >= STRONG_SCORE;
  const scored = s.score !== undefined ? `score ${s.score}` : s.isHot ? 'rated Hot' : 'no score';
  if (!s.last) {
    return strong
      ? { text: `make first contact today: a strong fit (${scored}) with nothing recorded yet.`, fields: [...fit, 'activities.count'] }
      : { text: 'make first contact: nothing has been recorded yet.', fields: ['activities.count'] };
  }
  const idle = daysBetween(s.last.on, now);
  const when = idle === 0 ? 'today' : idle === 1 ? 'yesterday' : `${idle} days ago`;
  const last = ['activities[0].type', 'activities[0].date'];
  const kind = KIND_NAME[s.last.kind];
  if (s.trendCode === SCORE_TREND.declining && idle > 7) {
    return { text: `re-engage now: the score is declining and the last contact (${kind}) was ${when}.`, fields: ['msdyn_predictivescore.msdyn_scoretrend', ...last] };
  }
  if (idle > 30) {
    return strong
      ? { text: `win it back with a call: a strong fit (${scored}), but the last contact (${kind}) was ${when}.`, fields: [...fit, ...last] }
      : { text: `follow up once more or disqualify: no contact since ${when}.`, fields: last };
  }
  if (idle > 14) return { text: `follow up: the last contact (${kind}) was ${when}.`, fields: last };
  if (strong && idle <= 3) {
    const sustained = s.interactions >= 4 ? `; ${s.interactions} interactions show sustained interest` : '';
    switch (s.last.kind) {
      case 'phonecall':
        return { text: `qualify it to an opportunity: a strong fit (${scored}) and a call ${when}; send a recap email with the proposed next steps${sustained}.`, fields: [...fit, ...last, 'activities.count'] };
      case 'email':
        return { text: `call to qualify: a strong fit (${scored}) and an email ${when}; a conversation moves it forward faster than another email${sustained}.`, fields: [...fit, ...last, 'activities.count'] };
      case 'appointment':
        return { text: `qualify it to an opportunity: a strong fit (${scored}) and a meeting ${when}${sustained}.`, fields: [...fit, ...last, 'activities.count'] };
      default:
        return { text: `qualify it to an opportunity while engagement is fresh: a strong fit (${scored}), last touch (${kind}) ${when}${sustained}.`, fields: [...fit, ...last, 'activities.count'] };
    }
  }
  if (strong) return { text: `book a call this week: a strong fit (${scored}) and the last contact (${kind}) was ${when}.`, fields: [...fit, ...last] };
  if (s.trendCode === SCORE_TREND.improving) {
    return { text: `keep the momentum: the score is improving (${scored}); follow the ${kind} of ${when} with relevant material.`, fields: ['msdyn_predictivescore.msdyn_scoretrend', 'msdyn_predictivescore.msdyn_score', ...last] };
  }
  return { text: `keep nurturing: contact is recent (${kind} ${when}) but fit signals are not yet strong (${scored}).`, fields: [...fit, ...last] };
}
