import type { ActivityFact, GroundedSentence } from '../../copilot/facts.js';
import { recommendLeadAction } from '../../copilot/nextStep.js';
import { ToolError } from '../defineTool.js';
import type { HotThreshold, Weights } from './settings.js';

/**
 * The lead ranking: a weighted sum of factors, each scaled to 0-1, computed the same way every time
 * for the same leads, weights and instant. Pure: the tool loads the candidates, this ranks them.
 */
export const FACTORS = ['score', 'recency', 'interactions', 'value'] as const;
export type Factor = (typeof FACTORS)[number];

/** The walkthrough's weights: score 0.5, recency 0.3, interaction count 0.2 (value unweighted). */
export const DEFAULT_WEIGHTS: Readonly<Record<Factor, number>> = { score: 0.5, recency: 0.3, interactions: 0.2, value: 0 };
export const DEFAULT_HOT: Required<HotThreshold> = { minScore: 80, withinHours: 48 };
/** An interaction this many days old (or older) adds nothing to recency. */
export const RECENCY_HORIZON_DAYS = 30;

/** How each factor becomes a number from 0 to 1 (said in every result). */
export const NORMALISATION: Readonly<Record<Factor, string>> = {
  score: 'predictive score ÷ 100 (no score: 0)',
  recency: `1 − hours since the last interaction ÷ ${RECENCY_HORIZON_DAYS * 24} (${RECENCY_HORIZON_DAYS} days or more, or none: 0)`,
  interactions: 'interactions ÷ the most interactions of any lead ranked (none: 0)',
  value: 'estimated value ÷ the highest estimated value of any lead ranked (none: 0)',
};

/** The order of equal totals, so the same inputs always give the same ranking. */
export const TIE_BREAK = 'Equal totals are ordered by score (highest first, none last), then the most recent interaction, then the most interactions, then the newest lead, then lead id (ascending).';

export interface Candidate {
  leadId: string;
  fullName: string;
  company: string;
  createdOn: string;
  isOpen: boolean;
  status: string;
  /** Rated Hot (leadqualitycode 1). */
  ratedHot: boolean;
  score: number | undefined;
  trendCode: number | undefined;
  estimatedValue: number | undefined;
  /** Undefined when the user cannot read activities. */
  interactions: number | undefined;
  lastInteractionOn: string | undefined;
  lastInteractionKind: ActivityFact['kind'] | undefined;
}

export interface ResolvedWeights {
  weights: Record<Factor, number>;
  notes: string[];
}

/**
 * The weights to rank with: the call's, else the agent's, else the default; a factor left out
 * counts as 0. Factors the data cannot provide (no predictive scoring, activities unreadable) are
 * dropped and the rest rescaled; weights that do not sum to 1 are normalised. Each change is said.
 */
export function resolveWeights(call: Weights | undefined, agent: Weights | undefined, available: { score: boolean; engagement: boolean }, noScoringNote: string): ResolvedWeights {
  const given = call ?? agent;
  const from = call ? 'the weights given' : agent ? "this agent's weights" : 'the default weights';
  const raw: Record<Factor, number> = given ? { score: given.score ?? 0, recency: given.recency ?? 0, interactions: given.interactions ?? 0, value: given.value ?? 0 } : { ...DEFAULT_WEIGHTS };
  const notes: string[] = [];
  const drop = (factors: readonly Factor[], why: string) => {
    const weighted = factors.filter((f) => raw[f] > 0);
    if (weighted.length === 0) return;
    for (const f of weighted) raw[f] = 0;
    notes.push(`${why} ${weighted.join(' and ')} ${weighted.length === 1 ? 'is' : 'are'} left out of the ranking and the other weights rescaled.`);
  };
  if (!available.score) drop(['score'], noScoringNote);
  if (!available.engagement) drop(['recency', 'interactions'], 'Activities could not be read with your security role, so');
  const sum = FACTORS.reduce((s, f) => s + raw[f], 0);
  if (sum <= 0) {
    throw new ToolError(
      available.score ? 'weights: at least one weight must be above 0.' : `weights: only the predictive score is weighted, and ${noScoringNote.charAt(0).toLowerCase()}${noScoringNote.slice(1)} Weigh recency, interactions or value too.`,
      'invalid_argument',
    );
  }
  const weights = Object.fromEntries(FACTORS.map((f) => [f, raw[f] / sum])) as Record<Factor, number>;
  if (Math.abs(sum - 1) > 1e-9 && notes.length === 0) {
    notes.push(`${from.charAt(0).toUpperCase()}${from.slice(1)} summed to ${round(sum, 4)}, so they were normalised to ${FACTORS.filter((f) => weights[f] > 0).map((f) => `${f} ${round(weights[f], 4)}`).join(', ')}.`);
  }
  return { weights, notes };
}

export interface FactorValue {
  /** The lead's own figure (score, hours since the last interaction, interactions, value); null when it has none. */
  raw: number | null;
  normalised: number;
  weight: number;
  contribution: number;
}

export interface RankedLead {
  rank: number;
  candidate: Candidate;
  factors: Record<Factor, FactorValue>;
  total: number;
  hot: boolean;
  /** Hours since the last interaction (undefined: none). */
  hours: number | undefined;
}

/** Why a lead ranks where it does, and what to do next: built only for the rows a result shows. */
export interface Explanation {
  rationale: string;
  action: GroundedSentence;
}

export interface HotRule {
  minScore: number;
  withinHours: number;
  /** Without predictive scoring, a Hot rating stands in for the score. */
  usesRating: boolean;
  description: string;
}

export function hotRule(call: HotThreshold | undefined, agent: HotThreshold | undefined, scoring: boolean): HotRule {
  const minScore = call?.minScore ?? agent?.minScore ?? DEFAULT_HOT.minScore;
  const withinHours = call?.withinHours ?? agent?.withinHours ?? DEFAULT_HOT.withinHours;
  return {
    minScore,
    withinHours,
    usesRating: !scoring,
    description: scoring
      ? `Hot: a predictive score of at least ${minScore} and an interaction in the last ${withinHours} hours.`
      : `Hot: rated Hot (this organisation has no predictive scores) and an interaction in the last ${withinHours} hours.`,
  };
}

const HOUR = 3_600_000;

/** Ranks every candidate; `now` is the instant recency is measured from (the result's data timestamp). */
export function rankLeads(candidates: readonly Candidate[], weights: Readonly<Record<Factor, number>>, hot: HotRule, now: Date): RankedLead[] {
  const maxInteractions = Math.max(0, ...candidates.map((c) => c.interactions ?? 0));
  const maxValue = Math.max(0, ...candidates.map((c) => c.estimatedValue ?? 0));
  const scored = candidates.map((c) => {
    const hours = c.lastInteractionOn ? Math.max(0, (now.getTime() - Date.parse(c.lastInteractionOn)) / HOUR) : undefined;
    const normalised: Record<Factor, number> = {
      score: c.score !== undefined ? clamp(c.score / 100) : 0,
      recency: hours !== undefined ? clamp(1 - hours / (RECENCY_HORIZON_DAYS * 24)) : 0,
      interactions: maxInteractions > 0 ? (c.interactions ?? 0) / maxInteractions : 0,
      value: maxValue > 0 ? (c.estimatedValue ?? 0) / maxValue : 0,
    };
    const raw: Record<Factor, number | null> = { score: c.score ?? null, recency: hours !== undefined ? round(hours, 2) : null, interactions: c.interactions ?? null, value: c.estimatedValue ?? null };
    const factor = (f: Factor): FactorValue => ({ raw: raw[f], normalised: round(normalised[f], 4), weight: round(weights[f], 4), contribution: round(weights[f] * normalised[f], 4) });
    const factors: Record<Factor, FactorValue> = { score: factor('score'), recency: factor('recency'), interactions: factor('interactions'), value: factor('value') };
    const exact = weights.score * normalised.score + weights.recency * normalised.recency + weights.interactions * normalised.interactions + weights.value * normalised.value;
    const recent = hours !== undefined && hours <= hot.withinHours;
    const isHot = recent && (hot.usesRating ? c.ratedHot : (c.score ?? -1) >= hot.minScore);
    return { c, factors, exact, hours, isHot };
  });
  // Totals compared to 1e-9, so equal sums that differ in float rounding are real ties.
  const key = (x: number) => Math.round(x * 1e9);
  scored.sort(
    (a, b) =>
      key(b.exact) - key(a.exact) ||
      (b.c.score ?? -1) - (a.c.score ?? -1) ||
      (a.hours ?? Number.POSITIVE_INFINITY) - (b.hours ?? Number.POSITIVE_INFINITY) ||
      (b.c.interactions ?? 0) - (a.c.interactions ?? 0) ||
      (a.c.createdOn < b.c.createdOn ? 1 : a.c.createdOn > b.c.createdOn ? -1 : 0) ||
      (a.c.leadId < b.c.leadId ? -1 : a.c.leadId > b.c.leadId ? 1 : 0),
  );
  return scored.map((s, i) => ({ rank: i + 1, candidate: s.c, factors: s.factors, total: round(s.exact, 4), hot: s.isHot, hours: s.hours }));
}

export function explain(r: RankedLead, rule: HotRule, now: Date): Explanation {
  const c = r.candidate;
  return {
    rationale: rationale(c, r.factors, r.hours, r.hot, rule),
    action: recommendLeadAction(
      {
        isOpen: c.isOpen,
        status: c.status,
        score: c.score,
        trendCode: c.trendCode,
        isHot: c.ratedHot,
        interactions: c.interactions ?? 0,
        last: c.lastInteractionOn && c.lastInteractionKind ? { kind: c.lastInteractionKind, on: c.lastInteractionOn } : undefined,
      },
      now,
    ),
  };
}

function rationale(c: Candidate, f: Record<Factor, FactorValue>, hours: number | undefined, isHot: boolean, rule: HotRule): string {
  const parts: string[] = [];
  const add = (factor: Factor, text: string) => {
    if (f[factor].weight > 0) parts.push(`${text} (+${f[factor].contribution.toFixed(3)})`);
  };
  add('score', c.score !== undefined ? `score ${c.score}` : 'no predictive score');
  add('recency', hours !== undefined ? `last interaction ${ago(hours)}` : 'no interaction recorded');
  add('interactions', `${c.interactions ?? 0} interaction${c.interactions === 1 ? '' : 's'}`);
  add('value', c.estimatedValue !== undefined ? `estimated value ${c.estimatedValue}` : 'no estimated value');
  const why = isHot
    ? 'hot'
    : hours === undefined || hours > rule.withinHours
      ? `not hot: no interaction in the last ${rule.withinHours} h`
      : rule.usesRating
        ? 'not hot: not rated Hot'
        : `not hot: score ${c.score ?? 'none'} is below ${rule.minScore}`;
  return `${parts.join(', ')}; ${why}.`;
}

function ago(hours: number): string {
  if (hours < 1) return 'less than an hour ago';
  if (hours < 48) return `${Math.floor(hours)} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function round(x: number, digits: number): number {
  const m = 10 ** digits;
  return Math.round(x * m) / m;
}
