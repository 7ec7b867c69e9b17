import type { ActivityFact } from '../../copilot/facts.js';
import type { Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { and, eq, type Filter, ge, guid, inList, queryFunction } from '../../dataverse/odata.js';
import { type ToolContext, ToolError } from '../defineTool.js';
import { label, num, str } from '../shared.js';
import { ACTIVITY_TYPES, LEAD_RATING, LEAD_SOURCE, LEAD_STATE, type LeadScoring, scoreOf, withScore } from './leadData.js';
import type { Candidate } from './ranking.js';

/** The most leads one ranking reads; past it the caller narrows the filters. */
export const MAX_RANKED = 20_000;
const LEAD_PAGE = 5000;
/**
 * Leads per aggregate query. Each id costs about 45 characters of URL, and Dataverse accepts URLs
 * up to 32,768 characters (compose-http-requests-handle-errors, Maximum URL length): 500 stay well
 * inside, and one query per 500 leads keeps 10,000 leads at 20 aggregate requests.
 */
export const AGGREGATE_CHUNK = 500;
/** Aggregate queries in flight at once: Dataverse service protection counts concurrent requests per user. */
const CONCURRENCY = 4;
/** AggregateQueryRecordLimit (more than 50,000 activities in one aggregate): the chunk is split and retried. */
const AGGREGATE_LIMIT = '0x8004e023';

export interface RankingFilters {
  status: 'open' | 'qualified' | 'disqualified' | 'all';
  createdWithinDays?: number | undefined;
  createdWithinHours?: number | undefined;
  minScore?: number | undefined;
  owner?: string | undefined;
  source?: keyof typeof LEAD_SOURCE | undefined;
}

export interface LoadedCandidates {
  candidates: Candidate[];
  engagementAvailable: boolean;
}

/** The filter the leads are read with; minScore only where the org scores leads. */
function leadFilter(f: RankingFilters, scoring: LeadScoring | undefined): Filter | undefined {
  const owner = f.owner?.trim();
  return and(
    f.status !== 'all' && eq('statecode', LEAD_STATE[f.status]),
    f.source && eq('leadsourcecode', LEAD_SOURCE[f.source]),
    f.createdWithinDays !== undefined && queryFunction('LastXDays', 'createdon', f.createdWithinDays),
    f.createdWithinHours !== undefined && queryFunction('LastXHours', 'createdon', f.createdWithinHours),
    f.minScore !== undefined && scoring && ge(`${scoring.navigation}/msdyn_score`, f.minScore),
    owner && (owner.toLowerCase() === 'me' ? queryFunction('EqualUserId', 'ownerid') : eq('_ownerid_value', guid(owner))),
  );
}

/**
 * Every matching lead with its score, interaction count and last interaction: the leads in pages of
 * 5,000, and their interactions aggregated per 500 leads (`$apply` groupby on the regarding lead and
 * activity type), never one request per lead.
 */
export async function loadCandidates(ctx: ToolContext, filters: RankingFilters, scoring: LeadScoring | undefined): Promise<LoadedCandidates> {
  const select = ['leadid', 'fullname', 'companyname', 'createdon', 'statecode', 'statuscode', 'leadqualitycode', 'estimatedvalue', '_ownerid_value', ...(scoring ? ['_msdyn_predictivescoreid_value'] : [])];
  const expand = scoring ? [{ nav: scoring.navigation, select: ['msdyn_score', 'msdyn_scoretrend'] }] : [];
  const rows: Row[] = [];
  let page = await ctx.dataverse.list('leads', { select, expand, filter: leadFilter(filters, scoring), orderby: [{ property: 'createdon', descending: true }] }, { pageSize: LEAD_PAGE, maxRows: LEAD_PAGE, maxBytes: 64 * 1024 * 1024 });
  for (;;) {
    rows.push(...page.rows.map((r) => withScore(r, scoring)));
    if (rows.length > MAX_RANKED) throw new ToolError(`More than ${MAX_RANKED.toLocaleString('en-US')} leads match, too many to rank in one call. Narrow the filters (createdWithinDays, owner, source or minScore).`, 'invalid_argument');
    if (!page.next) break;
    page = await ctx.dataverse.continue(page.next, { pageSize: LEAD_PAGE, maxRows: LEAD_PAGE, maxBytes: 64 * 1024 * 1024 });
  }
  const ids = rows.map((r) => String(r['leadid']).toLowerCase());
  const engagement = await aggregateEngagement(ctx, ids);
  const candidates = rows.map((r): Candidate => {
    const id = String(r['leadid']).toLowerCase();
    const score = scoreOf(r);
    const e = engagement?.get(id);
    return {
      leadId: id,
      fullName: str(r, 'fullname') ?? '',
      company: str(r, 'companyname') ?? '',
      createdOn: str(r, 'createdon') ?? '',
      isOpen: r['statecode'] === LEAD_STATE.open,
      status: label(r, 'statecode') ?? '',
      ratedHot: r['leadqualitycode'] === LEAD_RATING.hot,
      score: score ? num(score, 'msdyn_score') : undefined,
      trendCode: score ? num(score, 'msdyn_scoretrend') : undefined,
      estimatedValue: num(r, 'estimatedvalue'),
      interactions: engagement ? (e?.count ?? 0) : undefined,
      lastInteractionOn: e?.lastOn,
      lastInteractionKind: e?.lastKind,
    };
  });
  return { candidates, engagementAvailable: engagement !== undefined };
}

interface Engagement {
  count: number;
  lastOn: string | undefined;
  lastKind: ActivityFact['kind'] | undefined;
}

/**
 * Interactions per lead from aggregates. The last interaction is the latest time an email, call,
 * task or appointment was recorded (createdon) or completed (actualend); a completion date in the
 * future (an open task's due date) is not an interaction yet and is ignored. Undefined when the
 * user cannot read activities.
 */
async function aggregateEngagement(ctx: ToolContext, ids: readonly string[]): Promise<Map<string, Engagement> | undefined> {
  const out = new Map<string, Engagement>();
  const now = ctx.now().getTime();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += AGGREGATE_CHUNK) chunks.push(ids.slice(i, i + AGGREGATE_CHUNK));
  const groups = async (chunk: readonly string[]): Promise<Row[]> => {
    try {
      return await ctx.dataverse.aggregate('activitypointers', {
        filter: and(inList('regardingobjectid', chunk.map((id) => guid(id))), inList('activitytypecode', [...ACTIVITY_TYPES])),
        groupBy: ['_regardingobjectid_value', 'activitytypecode'],
        aggregate: [
          { count: true, as: 'interactions' },
          { property: 'createdon', method: 'max', as: 'lastrecorded' },
          { property: 'actualend', method: 'max', as: 'lastended' },
        ],
      });
    } catch (err) {
      // More than 50,000 activities among these leads: halve the chunk until each half fits.
      if (err instanceof DataverseError && err.code?.toLowerCase() === AGGREGATE_LIMIT && chunk.length > 1) {
        const half = Math.ceil(chunk.length / 2);
        return [...(await groups(chunk.slice(0, half))), ...(await groups(chunk.slice(half)))];
      }
      throw err;
    }
  };
  try {
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        for (const g of await groups(chunk)) {
          const id = str(g, '_regardingobjectid_value')?.toLowerCase();
          const kind = str(g, 'activitytypecode') as ActivityFact['kind'] | undefined;
          if (!id || !kind) continue;
          const recorded = str(g, 'lastrecorded');
          const ended = str(g, 'lastended');
          const endedAt = ended ? Date.parse(ended) : Number.NaN;
          const on = endedAt <= now && (!recorded || endedAt > Date.parse(recorded)) ? ended : recorded;
          const e = out.get(id) ?? { count: 0, lastOn: undefined, lastKind: undefined };
          e.count += num(g, 'interactions') ?? 0;
          if (on && (!e.lastOn || Date.parse(on) > Date.parse(e.lastOn))) {
            e.lastOn = on;
            e.lastKind = kind;
          }
          out.set(id, e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, chunks.length) }, worker));
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'forbidden') return undefined;
    throw err;
  }
  return out;
}
