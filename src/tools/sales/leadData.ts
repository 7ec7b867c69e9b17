import { z } from 'zod';

import type { ActivityFact, LeadFacts } from '../../copilot/facts.js';
import type { Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { eq, type Expand, guid, inList } from '../../dataverse/odata.js';
import type { RecordRef, ToolContext } from '../defineTool.js';
import { label, lookup, num, orNotFound, str } from '../shared.js';

export const LEAD_STATE = { open: 0, qualified: 1, disqualified: 2 } as const;
export const LEAD_SOURCE = {
  advertisement: 1,
  employee_referral: 2,
  external_referral: 3,
  partner: 4,
  public_relations: 5,
  seminar: 6,
  trade_show: 7,
  web: 8,
  word_of_mouth: 9,
  other: 10,
} as const;
export const LEAD_RATING = { hot: 1, warm: 2, cold: 3 } as const;

export const LEAD_COLUMNS = [
  'leadid',
  'subject',
  'firstname',
  'lastname',
  'fullname',
  'companyname',
  'emailaddress1',
  'telephone1',
  'jobtitle',
  'leadsourcecode',
  'leadqualitycode',
  'statecode',
  'statuscode',
  'estimatedvalue',
  'budgetamount',
  'createdon',
  'modifiedon',
  '_ownerid_value',
  '_parentaccountid_value',
] as const;

const SCORE_COLUMNS = ['msdyn_score', 'msdyn_grade', 'msdyn_scoretrend', 'msdyn_scorereasons', 'msdyn_scoredon'];
/** Where a lead row keeps its expanded predictive score, whatever the org calls the navigation property. */
const SCORE_KEY = 'predictiveScore';

/** How this org keeps predictive lead scores; absent where the Predictive Scoring solution is not installed (most orgs). */
export interface LeadScoring {
  /** The lead's navigation property to msdyn_predictivescore (`msdyn_PredictiveScoreId`; case-sensitive). */
  navigation: string;
}

/** Said in results when the org has no predictive scoring, so a caller knows why nothing carries a score. */
export const NO_SCORING_NOTE = 'Predictive lead scoring is not installed in this organisation, so leads carry no score.';

/**
 * Detects predictive scoring once per org from the lead's lookups (ManyToOneRelationships): the
 * column exists only with the solution, and its navigation name is read, never assumed.
 */
export async function leadScoring(ctx: ToolContext): Promise<LeadScoring | undefined> {
  const navigation = await ctx.metadata.navigation('lead', 'msdyn_predictivescoreid', 'msdyn_predictivescore');
  return navigation ? { navigation } : undefined;
}

/** The $select and $expand that read a lead with its score where the org has one. */
export function leadQuery(scoring: LeadScoring | undefined, extra: readonly string[] = []): { select: string[]; expand: Expand[] } {
  return {
    select: [...new Set([...LEAD_COLUMNS, ...extra, ...(scoring ? ['_msdyn_predictivescoreid_value'] : [])])],
    expand: scoring ? [{ nav: scoring.navigation, select: SCORE_COLUMNS }] : [],
  };
}

/** Moves the expanded score to one key, so the rest of the code does not depend on the navigation name. */
export function withScore(row: Row, scoring: LeadScoring | undefined): Row {
  if (!scoring) return row;
  const { [scoring.navigation]: score, ...rest } = row;
  return { ...rest, [SCORE_KEY]: score };
}

/** The lead's predictive score record, when it has one. */
export function scoreOf(row: Row): Row | undefined {
  const score = row[SCORE_KEY];
  return score && typeof score === 'object' ? (score as Row) : undefined;
}

export const LeadSchema = z.object({
  leadId: z.string(),
  topic: z.string(),
  fullName: z.string(),
  company: z.string(),
  email: z.string(),
  phone: z.string(),
  jobTitle: z.string(),
  state: z.string().describe('Open, Qualified or Disqualified'),
  statusReason: z.string(),
  source: z.string(),
  rating: z.string().describe('Hot, Warm or Cold'),
  score: z.number().optional().describe('Predictive lead score 0-100, when lead scoring is configured'),
  grade: z.string().optional(),
  scoreTrend: z.string().optional(),
  estimatedValue: z.string(),
  createdOn: z.string(),
  lastActivityOn: z.string().optional().describe('Most recent email, call, task or appointment regarding the lead'),
  lastActivityType: z.string().optional(),
  interactionCount: z.number().optional().describe('Activities recorded regarding the lead'),
  owner: z.string(),
});
export type LeadView = z.infer<typeof LeadSchema>;

export interface Engagement {
  count: number;
  lastOn: string | undefined;
  lastType: string | undefined;
  activities: ActivityFact[];
}

export function toLead(row: Row, engagement?: Engagement): LeadView {
  const score = scoreOf(row);
  const s = score ? num(score, 'msdyn_score') : undefined;
  return {
    leadId: str(row, 'leadid') ?? '',
    topic: str(row, 'subject') ?? '',
    fullName: str(row, 'fullname') ?? [str(row, 'firstname'), str(row, 'lastname')].filter(Boolean).join(' '),
    company: str(row, 'companyname') ?? '',
    email: str(row, 'emailaddress1') ?? '',
    phone: str(row, 'telephone1') ?? '',
    jobTitle: str(row, 'jobtitle') ?? '',
    state: label(row, 'statecode') ?? '',
    statusReason: label(row, 'statuscode') ?? '',
    source: label(row, 'leadsourcecode') ?? '',
    rating: label(row, 'leadqualitycode') ?? '',
    ...(s !== undefined && { score: s }),
    ...(score && label(score, 'msdyn_grade') && { grade: label(score, 'msdyn_grade')! }),
    ...(score && label(score, 'msdyn_scoretrend') && { scoreTrend: label(score, 'msdyn_scoretrend')! }),
    estimatedValue: label(row, 'estimatedvalue') ?? '',
    createdOn: str(row, 'createdon') ?? '',
    ...(engagement?.lastOn && { lastActivityOn: engagement.lastOn }),
    ...(engagement?.lastType && { lastActivityType: engagement.lastType }),
    ...(engagement && { interactionCount: engagement.count }),
    owner: lookup(row, 'ownerid')?.name ?? '',
  };
}

/** The leads a result names, for resource links. */
export const leadRecords = (leads: readonly LeadView[]): RecordRef[] => leads.map((l) => ({ table: 'lead', id: l.leadId, name: l.fullName }));

export function leadLine(l: LeadView): string {
  const bits = [
    l.company && `${l.company}`,
    l.rating && `${l.rating}`,
    l.score !== undefined && `score ${l.score}`,
    l.lastActivityOn && `last activity ${l.lastActivityOn.slice(0, 10)}`,
    l.state !== 'Open' && l.state,
  ].filter(Boolean);
  return `${l.fullName || '(no name)'} — "${l.topic}"${bits.length ? ` [${bits.join(', ')}]` : ''} (id ${l.leadId})`;
}

export const ACTIVITY_TYPES = ['email', 'phonecall', 'task', 'appointment'] as const;
const INTERACTION = new Set<string>(ACTIVITY_TYPES);

/**
 * An activity row (activitypointer: activitytypecode, subject, createdon, actualend) as an
 * interaction, dated when it ended, or when it was recorded if it has not ended yet: actualend of an
 * open task can be a future due date, and engagement is what already happened.
 */
export function activityFact(row: Row, nowIso: string): ActivityFact | undefined {
  const type = str(row, 'activitytypecode') ?? '';
  if (!INTERACTION.has(type)) return undefined;
  const ended = str(row, 'actualend');
  return { kind: type as ActivityFact['kind'], subject: str(row, 'subject') ?? '', on: ended && ended <= nowIso ? ended : (str(row, 'createdon') ?? '') };
}

/**
 * Engagement for many leads in one query (activitypointers regarding them), never one per lead.
 * A user without activity privileges gets no engagement rather than an error.
 */
export async function engagementFor(ctx: ToolContext, leadIds: readonly string[]): Promise<Map<string, Engagement> | undefined> {
  const out = new Map<string, Engagement>();
  if (leadIds.length === 0) return out;
  const nowIso = ctx.now().toISOString();
  try {
    for (let i = 0; i < leadIds.length; i += 100) {
      const chunk = leadIds.slice(i, i + 100);
      const page = await ctx.dataverse.list(
        'activitypointers',
        {
          select: ['activityid', 'activitytypecode', 'subject', 'createdon', 'actualend', '_regardingobjectid_value'],
          filter: inList('regardingobjectid', chunk.map((id) => guid(id))),
          orderby: [{ property: 'createdon', descending: true }],
        },
        { pageSize: 5000, maxRows: 20_000 },
      );
      for (const row of page.rows) {
        const leadId = str(row, '_regardingobjectid_value')?.toLowerCase();
        const fact = activityFact(row, nowIso);
        if (!leadId || !fact) continue;
        const e = out.get(leadId) ?? { count: 0, lastOn: undefined, lastType: undefined, activities: [] };
        e.count++;
        if (!e.lastOn || fact.on > e.lastOn) {
          e.lastOn = fact.on;
          e.lastType = fact.kind;
        }
        if (e.activities.length < 50) e.activities.push(fact);
        out.set(leadId, e);
      }
    }
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'forbidden') return undefined;
    throw err;
  }
  return out;
}

/** One lead, with its score where the org has predictive scoring (then `scoreOf` reads it). */
export async function getLead(ctx: ToolContext, leadId: string, extra: readonly string[] = ['description']): Promise<Row> {
  const scoring = await leadScoring(ctx);
  return withScore(await orNotFound('lead', leadId, () => ctx.dataverse.get('leads', leadId, leadQuery(scoring, extra))), scoring);
}

function scoreReasons(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return parsed
        .map((r) => (typeof r === 'string' ? r : r && typeof r === 'object' ? String((r as Record<string, unknown>)['reason'] ?? (r as Record<string, unknown>)['text'] ?? '') : ''))
        .filter(Boolean);
    }
  } catch {
    // Plain text reasons, one per line or separated by semicolons.
  }
  return text.split(/[\n;]+/).map((s) => s.trim()).filter(Boolean);
}

/** Everything the grounded generator may use for one lead, read as the user. */
export async function loadLeadFacts(ctx: ToolContext, leadId: string): Promise<{ row: Row; facts: LeadFacts }> {
  const [row, engagement, scoring] = await Promise.all([getLead(ctx, leadId), engagementFor(ctx, [leadId]), leadScoring(ctx)]);
  const gaps: string[] = [];
  if (!scoring) gaps.push(NO_SCORING_NOTE);
  if (!engagement) gaps.push('Activities could not be read with your security role, so engagement is not included.');
  const notes = await ctx.dataverse
    .list('annotations', { select: ['subject', 'notetext', 'createdon'], filter: eq('_objectid_value', guid(leadId)), orderby: [{ property: 'createdon', descending: true }], top: 10 })
    .then(
      (p) => p.rows,
      (err: unknown) => {
        if (err instanceof DataverseError && err.kind === 'forbidden') {
          gaps.push('Notes could not be read with your security role.');
          return [];
        }
        throw err;
      },
    );
  const activities: ActivityFact[] = [
    ...(engagement?.get(leadId.toLowerCase())?.activities ?? []),
    ...notes.map((n) => ({ kind: 'note' as const, subject: str(n, 'subject') ?? 'Note', on: str(n, 'createdon') ?? '' })),
  ];
  return { row, facts: leadFactsFrom(row, activities, gaps, scoring !== undefined) };
}

/**
 * A lead's facts from its row as the Web API returns it (formatted values included, the score under
 * `scoreOf`), its activities and what could not be read. Pure, so whoever reads the rows as the
 * user (this server, or the emulator's Copilot APIs) builds the same facts.
 */
export function leadFactsFrom(row: Row, activities: ActivityFact[], gaps: string[], scoringInstalled: boolean): LeadFacts {
  const score = scoreOf(row);
  const trendCode = score ? num(score, 'msdyn_scoretrend') : undefined;
  return {
    leadId: str(row, 'leadid') ?? '',
    fullName: str(row, 'fullname'),
    firstName: str(row, 'firstname'),
    jobTitle: str(row, 'jobtitle'),
    companyName: str(row, 'companyname'),
    topic: str(row, 'subject'),
    source: label(row, 'leadsourcecode'),
    rating: label(row, 'leadqualitycode'),
    status: label(row, 'statecode'),
    isOpen: row['statecode'] === LEAD_STATE.open,
    isHot: row['leadqualitycode'] === LEAD_RATING.hot,
    statusReason: label(row, 'statuscode'),
    createdOn: str(row, 'createdon'),
    estimatedValue: row['estimatedvalue'] != null ? label(row, 'estimatedvalue') : undefined,
    budget: row['budgetamount'] != null ? label(row, 'budgetamount') : undefined,
    description: str(row, 'description'),
    owner: lookup(row, 'ownerid')?.name,
    score: score ? num(score, 'msdyn_score') : undefined,
    grade: score ? label(score, 'msdyn_grade') : undefined,
    trend: score ? label(score, 'msdyn_scoretrend') : undefined,
    trendCode,
    scoreReasons: score ? scoreReasons(str(score, 'msdyn_scorereasons')) : undefined,
    scoringInstalled,
    activities,
    gaps,
  };
}
