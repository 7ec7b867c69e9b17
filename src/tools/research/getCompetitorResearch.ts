import { z } from 'zod';

import type { Row } from '../../dataverse/client.js';
import { eq, guid } from '../../dataverse/odata.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { clip, guidArg, orNotFound, rowsOf, str } from '../shared.js';
import { EvidenceSchema, findAccount, loadResearchLead, optionalRead } from './researchData.js';

const MentionSchema = z.object({
  competitor: z.string(),
  source: z.string().describe('lead, opportunity, note or email'),
  recordId: z.string(),
  on: z.string(),
  snippet: z.string(),
});

const CompetitorSchema = z.object({
  competitor: z.string(),
  competitorId: z.string().optional().describe('The competitor record, where CRM has one.'),
  mentions: z.number(),
  lastMentioned: z.string(),
  linkedTo: z.array(z.object({ opportunityId: z.string(), name: z.string() })).describe('Opportunities the competitor is recorded on (opportunitycompetitors).'),
  strengths: z.string().optional(),
  weaknesses: z.string().optional(),
  keyProduct: z.string().optional(),
  website: z.string().optional(),
});

const COMPETITOR_COLUMNS = ['competitorid', 'name', 'strengths', 'weaknesses', 'keyproduct', 'websiteurl'];
const LINKED = 'opportunitycompetitors_association';
/** Competitor records read as the catalogue of names to look for; more is unusual in one org. */
const CATALOGUE_SIZE = 100;

interface Competitor {
  name: string;
  id?: string;
  /** Names matched in text: the record's name and any configured name that is one of its words. */
  names: string[];
  profile?: Row;
  linkedTo: Array<{ opportunityId: string; name: string }>;
}

interface Text {
  source: string;
  id: string;
  on: string;
  text: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const wordsOf = (name: string) => name.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/**
 * Competitor records and configured names as one list: a configured "Fabrikam" is the record
 * "Fabrikam Systems" (its words appear in the record's name), so a mention counts once, under the record.
 */
export function competitorList(records: readonly Row[], configured: readonly string[]): Competitor[] {
  const list: Competitor[] = records.map((r) => {
    const name = str(r, 'name') ?? '';
    return { name, id: str(r, 'competitorid'), names: [name], profile: r, linkedTo: [] };
  });
  for (const c of configured) {
    const words = wordsOf(c);
    const owner = list.find((r) => r.id && words.every((w) => wordsOf(r.name).includes(w)));
    if (owner) {
      if (!owner.names.some((n) => n.toLowerCase() === c.toLowerCase())) owner.names.push(c);
    } else if (!list.some((r) => r.names.some((n) => n.toLowerCase() === c.toLowerCase()))) {
      list.push({ name: c, names: [c], linkedTo: [] });
    }
  }
  return list.filter((c) => c.name.trim().length >= 2);
}

function noteText(n: Row): Text {
  return { source: 'note', id: str(n, 'annotationid') ?? '', on: str(n, 'createdon') ?? '', text: `${str(n, 'subject') ?? ''}\n${str(n, 'notetext') ?? ''}` };
}

function emailText(e: Row): Text {
  return { source: 'email', id: str(e, 'activityid') ?? '', on: str(e, 'createdon') ?? '', text: `${str(e, 'subject') ?? ''}\n${(str(e, 'description') ?? '').replace(/<[^>]+>/g, ' ')}` };
}

function opportunityText(o: Row): Text {
  return { source: 'opportunity', id: str(o, 'opportunityid') ?? '', on: str(o, 'createdon') ?? '', text: `${str(o, 'name') ?? ''}\n${str(o, 'description') ?? ''}` };
}

/** Notes and emails regarding the record, each a gap when the role cannot read it (two requests, in parallel). */
async function notesAndEmails(ctx: ToolContext, id: string, gaps: string[]): Promise<Text[]> {
  const [notes, emails] = await Promise.all([
    optionalRead(
      () => ctx.dataverse.list('annotations', { select: ['annotationid', 'subject', 'notetext', 'createdon'], filter: eq('_objectid_value', guid(id)) }, { pageSize: 200, maxRows: 200 }),
      gaps,
      'Notes',
    ),
    optionalRead(
      () => ctx.dataverse.list('emails', { select: ['activityid', 'subject', 'description', 'createdon'], filter: eq('_regardingobjectid_value', guid(id)) }, { pageSize: 200, maxRows: 200 }),
      gaps,
      'Emails',
    ),
  ]);
  return [...(notes?.rows ?? []).map(noteText), ...(emails?.rows ?? []).map(emailText)];
}

function link(list: Competitor[], opportunity: Row): void {
  const ref = { opportunityId: str(opportunity, 'opportunityid') ?? '', name: str(opportunity, 'name') ?? '' };
  for (const c of rowsOf(opportunity, LINKED)) {
    const id = str(c, 'competitorid')?.toLowerCase();
    let entry = list.find((e) => e.id?.toLowerCase() === id);
    if (!entry) {
      // Linked but beyond the catalogue page: the expanded row carries its profile too.
      entry = { name: str(c, 'name') ?? '', id: str(c, 'competitorid'), names: [str(c, 'name') ?? ''], profile: c, linkedTo: [] };
      list.push(entry);
    }
    if (!entry.linkedTo.some((l) => l.opportunityId === ref.opportunityId)) entry.linkedTo.push(ref);
  }
}

const recordTypes = ['lead', 'opportunity'] as const;

/**
 * `get_competitor_research`: competitors around a lead (Microsoft's Sales Qualification agent, `msdyn_LeadId`)
 * or an opportunity (the CX Sales server's `recordId` + `recordType`,
 * https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/get_competitor_research). It looks
 * for the org's competitor records and the names configured for the agent in the record's text, notes and
 * emails, and adds the competitors recorded on the opportunity (or on the lead's company's opportunities)
 * with their strengths and weaknesses. Only CRM data the user can read; no web sources.
 */
export const getCompetitorResearch = defineTool({
  name: 'get_competitor_research',
  title: 'Competitor research',
  description:
    "Finds the competitors around a lead or an opportunity: the ones recorded on the opportunity (or on the lead's company's opportunities) and the ones mentioned in its description, notes and emails, with each competitor's strengths and weaknesses from CRM. Looks for the org's competitor records and the names configured for this agent. Only CRM data you can read; no web sources.",
  input: z.object({
    recordId: guidArg('The lead or opportunity to research (leadId, msdyn_LeadId and LeadId are accepted for a lead).'),
    recordType: z.enum(recordTypes).optional().describe('lead (default) or opportunity.'),
  }),
  aliases: { leadId: 'recordId', msdyn_LeadId: 'recordId', LeadId: 'recordId', leadid: 'recordId' },
  output: z.object({
    recordId: z.string(),
    recordType: z.enum(recordTypes),
    leadId: z.string().optional().describe('The lead researched, for a lead (the Sales Qualification agent shape).'),
    name: z.string(),
    competitorsConfigured: z.array(z.string()),
    competitors: z.array(CompetitorSchema).describe('Competitors recorded on or mentioned around the record, most mentioned first.'),
    mentions: z.array(MentionSchema),
    summary: z.array(z.object({ competitor: z.string(), mentions: z.number(), lastMentioned: z.string() })),
    evidence: z.array(EvidenceSchema),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const recordType = args.recordType ?? 'lead';
    const configured = ctx.agent.research.competitors ?? [];
    const gaps: string[] = [];
    const catalogue = optionalRead(
      () => ctx.dataverse.list('competitors', { select: COMPETITOR_COLUMNS, orderby: [{ property: 'name' }], top: CATALOGUE_SIZE }),
      gaps,
      'Competitor records',
    );
    const texts: Text[] = [];
    let name: string;
    let opportunities: Row[] = [];
    if (recordType === 'opportunity') {
      const [opp] = await Promise.all([
        orNotFound('opportunity', args.recordId, () =>
          ctx.dataverse.get('opportunities', args.recordId, { select: ['opportunityid', 'name', 'description', 'createdon'], expand: [{ nav: LINKED, select: COMPETITOR_COLUMNS, top: 50 }] }),
        ),
        catalogue,
      ]);
      name = str(opp, 'name') ?? '';
      opportunities = [opp];
      texts.push(opportunityText(opp), ...(await notesAndEmails(ctx, args.recordId, gaps)));
    } else {
      const [lead] = await Promise.all([loadResearchLead(ctx, args.recordId), catalogue]);
      name = str(lead, 'fullname') ?? str(lead, 'subject') ?? '';
      texts.push({ source: 'lead', id: args.recordId, on: str(lead, 'createdon') ?? '', text: `${str(lead, 'subject') ?? ''}\n${str(lead, 'description') ?? ''}` });
      const [around, account] = await Promise.all([notesAndEmails(ctx, args.recordId, gaps), findAccount(ctx, lead, gaps)]);
      texts.push(...around);
      const accountId = account ? str(account, 'accountid') : undefined;
      if (accountId) {
        const opps = await optionalRead(
          () =>
            ctx.dataverse.list(
              'opportunities',
              { select: ['opportunityid', 'name', 'description', 'createdon'], filter: eq('_parentaccountid_value', guid(accountId)), expand: [{ nav: LINKED, select: COMPETITOR_COLUMNS }] },
              { pageSize: 200, maxRows: 200 },
            ),
          gaps,
          'Opportunities',
        );
        opportunities = opps?.rows ?? [];
        texts.push(...opportunities.map(opportunityText));
      }
    }
    const list = competitorList((await catalogue)?.rows ?? [], configured);
    for (const o of opportunities) link(list, o);
    const base = { recordId: args.recordId, recordType, ...(recordType === 'lead' && { leadId: args.recordId }), name, competitorsConfigured: [...configured] };
    if (list.length === 0) {
      const why = 'No competitor records are readable in CRM and no competitor names are configured for this agent (agents.json: research.competitors).';
      return { data: { ...base, competitors: [], mentions: [], summary: [], evidence: [], gaps: [...gaps, why] }, text: `${why} There is nothing to look for.` };
    }

    const mentions: Array<z.infer<typeof MentionSchema>> = [];
    for (const c of list) {
      const re = new RegExp(`\\b(?:${c.names.map(escapeRegExp).join('|')})\\b`, 'iu');
      for (const t of texts) {
        const m = re.exec(t.text);
        if (!m) continue;
        const start = Math.max(0, m.index - 80);
        mentions.push({ competitor: c.name, source: t.source, recordId: t.id, on: t.on, snippet: clip(t.text.slice(start, m.index + m[0].length + 80).replace(/\s+/g, ' ').trim(), 200)! });
      }
    }
    const competitors = list
      .map((c): z.infer<typeof CompetitorSchema> => {
        const own = mentions.filter((m) => m.competitor === c.name);
        const p = c.profile;
        return {
          competitor: c.name,
          ...(c.id && { competitorId: c.id }),
          mentions: own.length,
          lastMentioned: own.map((m) => m.on).sort().at(-1) ?? '',
          linkedTo: c.linkedTo,
          ...(p && str(p, 'strengths') && { strengths: clip(str(p, 'strengths'), 500) }),
          ...(p && str(p, 'weaknesses') && { weaknesses: clip(str(p, 'weaknesses'), 500) }),
          ...(p && str(p, 'keyproduct') && { keyProduct: str(p, 'keyproduct') }),
          ...(p && str(p, 'websiteurl') && { website: str(p, 'websiteurl') }),
        };
      })
      .filter((c) => c.mentions > 0 || c.linkedTo.length > 0)
      .sort((a, b) => b.mentions - a.mentions || b.linkedTo.length - a.linkedTo.length || a.competitor.localeCompare(b.competitor));
    const summary = competitors.filter((c) => c.mentions > 0).map((c) => ({ competitor: c.competitor, mentions: c.mentions, lastMentioned: c.lastMentioned }));
    const evidence = [
      ...competitors.flatMap((c) => c.linkedTo.map((l) => ({ fact: `${c.competitor} is recorded as a competitor on "${l.name}".`, fields: ['opportunity.opportunitycompetitors'] }))),
      ...mentions.map((m) => ({ fact: `${m.competitor} mentioned in ${m.source} (${m.on.slice(0, 10)}): "${m.snippet}"`, fields: [`${m.source}.${m.source === 'note' ? 'notetext' : m.source === 'opportunity' ? 'name,description' : 'description'}`] })),
    ].slice(0, 20);
    const lines = competitors.slice(0, 5).map((c) => {
      const parts = [c.mentions ? `mentioned ×${c.mentions}` : '', c.linkedTo.length ? `recorded on ${c.linkedTo.map((l) => `"${l.name}"`).join(', ')}` : ''].filter(Boolean);
      const profile = [c.strengths && `strengths: ${c.strengths}`, c.weaknesses && `weaknesses: ${c.weaknesses}`].filter(Boolean).join('; ');
      return `• ${c.competitor}: ${parts.join(', ')}${profile ? ` (${profile})` : ''}`;
    });
    const what = `${recordType} "${name}"`;
    const text = competitors.length
      ? `Competitors around ${what} (${texts.length} records searched):\n${lines.join('\n')}${evidence.length ? `\n${evidence.slice(0, 5).map((e) => `• ${e.fact}`).join('\n')}` : ''}`
      : `No competitor is recorded on or mentioned around ${what} (${texts.length} records searched for ${list.length} competitor names).`;
    return {
      data: { ...base, competitors, mentions, summary, evidence, gaps },
      text: `${text}${gaps.length ? `\n${gaps.map((g) => `(gap) ${g}`).join('\n')}` : ''}`,
      records: [{ table: recordType, id: args.recordId, name }],
    };
  },
});
