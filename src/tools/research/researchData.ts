import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { DataverseError } from '../../dataverse/errors.js';
import { eq, guid } from '../../dataverse/odata.js';
import type { ToolContext } from '../defineTool.js';
import { guidArg, label, orNotFound, str } from '../shared.js';
import { getLead } from '../sales/leadData.js';

/** Microsoft's Sales Qualification Agent tools name the argument `msdyn_LeadId` or `LeadId`; both work here. */
export const LEAD_ALIASES = { msdyn_LeadId: 'leadId', LeadId: 'leadId', leadid: 'leadId' };
export const leadIdInput = z.object({ leadId: guidArg('The lead to research (msdyn_LeadId and LeadId are accepted too).') });

/** One finding and the CRM fields it rests on. */
export const EvidenceSchema = z.object({ fact: z.string(), fields: z.array(z.string()) });
export type Evidence = z.infer<typeof EvidenceSchema>;

export class EvidenceList {
  readonly items: Evidence[] = [];
  add(fact: string | false | undefined, fields: string[]): void {
    if (fact) this.items.push({ fact, fields });
  }
}

export const RESEARCH_LEAD_COLUMNS = [
  'description',
  'industrycode',
  'revenue',
  'numberofemployees',
  'address1_city',
  'address1_country',
  'websiteurl',
  'purchasetimeframe',
  'donotemail',
  'donotphone',
  'mobilephone',
  '_parentcontactid_value',
] as const;

export async function loadResearchLead(ctx: ToolContext, leadId: string): Promise<Row> {
  return getLead(ctx, leadId, RESEARCH_LEAD_COLUMNS);
}

/** A read the user's role may refuse; a refusal is recorded as a gap instead of failing the tool. */
export async function optionalRead<T>(read: () => Promise<T>, gaps: string[], what: string): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof DataverseError && err.kind === 'forbidden') {
      gaps.push(`${what} could not be read with your security role${err.privileges.length ? ` (${err.privileges.join(', ')})` : ''}.`);
      return undefined;
    }
    throw err;
  }
}

const SENIORITY: Array<{ level: string; authority: 'high' | 'medium' | 'low'; words: RegExp }> = [
  { level: 'C-level executive', authority: 'high', words: /\b(chief|ceo|cfo|cio|cto|coo|cmo|president|founder|owner|managing director)\b/i },
  { level: 'Vice president', authority: 'high', words: /\b(vp|vice president|svp|evp)\b/i },
  { level: 'Head / director', authority: 'high', words: /\b(head|director)\b/i },
  { level: 'Manager', authority: 'medium', words: /\b(manager|lead|principal|supervisor)\b/i },
];

/** Decision-making authority from the job title, with the word that decided it. */
export function seniority(title: string | undefined, extraWords: readonly string[] = []): { level: string; authority: 'high' | 'medium' | 'low' | 'unknown'; basis: string } {
  if (!title) return { level: 'Unknown', authority: 'unknown', basis: 'no job title recorded' };
  const extra = extraWords.find((w) => title.toLowerCase().includes(w.toLowerCase()));
  if (extra) return { level: 'Configured decision maker', authority: 'high', basis: `title contains "${extra}"` };
  for (const s of SENIORITY) {
    const m = s.words.exec(title);
    if (m) return { level: s.level, authority: s.authority, basis: `title contains "${m[0]}"` };
  }
  return { level: 'Individual contributor', authority: 'low', basis: 'no seniority word in the title' };
}

/** The account behind a lead: its existing-account lookup, else an account with the same name. */
export async function findAccount(ctx: ToolContext, lead: Row, gaps: string[]): Promise<Row | undefined> {
  const select = ['accountid', 'name', 'accountnumber', 'industrycode', 'revenue', 'numberofemployees', 'address1_city', 'address1_country', 'websiteurl', '_primarycontactid_value', 'statecode', 'createdon'];
  const parent = str(lead, '_parentaccountid_value');
  if (parent) return optionalRead(() => ctx.dataverse.get('accounts', parent, { select }), gaps, 'The existing account');
  const company = str(lead, 'companyname');
  if (!company) return undefined;
  const page = await optionalRead(() => ctx.dataverse.list('accounts', { select, filter: eq('name', company), top: 1 }), gaps, 'Accounts');
  return page?.rows[0];
}

export interface TimelineItem {
  type: string;
  subject: string;
  on: string;
  direction: 'incoming' | 'outgoing' | undefined;
  /** The activity's state label, for display only (labels are localised). */
  state: string;
  /** Still open (statecode 0): decided on the number, never the label. */
  open: boolean;
}

/** Activities regarding a record, with email direction (two queries, whatever the number of activities). */
export async function timeline(ctx: ToolContext, regardingId: string, gaps: string[]): Promise<TimelineItem[]> {
  const nowIso = ctx.now().toISOString();
  const acts = await optionalRead(
    () =>
      ctx.dataverse.list(
        'activitypointers',
        {
          select: ['activityid', 'activitytypecode', 'subject', 'createdon', 'actualend', 'statecode'],
          filter: eq('_regardingobjectid_value', guid(regardingId)),
          orderby: [{ property: 'createdon', descending: true }],
        },
        { pageSize: 500, maxRows: 500 },
      ),
    gaps,
    'Activities',
  );
  if (!acts) return [];
  const emails = await optionalRead(
    () =>
      ctx.dataverse.list('emails', { select: ['activityid', 'directioncode'], filter: eq('_regardingobjectid_value', guid(regardingId)) }, { pageSize: 500, maxRows: 500 }),
    gaps,
    'Emails',
  );
  const direction = new Map((emails?.rows ?? []).map((e) => [String(e['activityid']).toLowerCase(), e['directioncode'] === true ? 'outgoing' : 'incoming'] as const));
  return acts.rows.map((a) => {
    const ended = str(a, 'actualend');
    return {
      type: str(a, 'activitytypecode') ?? 'activity',
      subject: str(a, 'subject') ?? '',
      on: ended && ended <= nowIso ? ended : (str(a, 'createdon') ?? ''),
      direction: direction.get(String(a['activityid']).toLowerCase()),
      state: label(a, 'statecode') ?? '',
      open: a['statecode'] === 0,
    };
  });
}

export const money = (row: Row, field: string): string | undefined => (row[field] == null ? undefined : label(row, field));

/** The common start of a research tool: the lead, an evidence list and a place for gaps. */
export async function startResearch(ctx: ToolContext, leadId: string): Promise<{ lead: Row; ev: EvidenceList; gaps: string[] }> {
  return { lead: await loadResearchLead(ctx, leadId), ev: new EvidenceList(), gaps: [] };
}

/** Findings as bullets, then what could not be read. */
export function researchText(ev: EvidenceList, gaps: readonly string[]): string {
  return [...ev.items.map((e) => `• ${e.fact}`), ...gaps.map((g) => `(gap) ${g}`)].join('\n');
}
