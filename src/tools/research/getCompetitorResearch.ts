import { z } from 'zod';

import { eq, guid } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { clip, str } from '../shared.js';
import { EvidenceSchema, findAccount, LEAD_ALIASES, leadIdInput, loadResearchLead, optionalRead } from './researchData.js';

const MentionSchema = z.object({
  competitor: z.string(),
  source: z.string().describe('lead, note, email or opportunity'),
  recordId: z.string(),
  on: z.string(),
  snippet: z.string(),
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const getCompetitorResearch = defineTool({
  name: 'get_competitor_research',
  title: 'Competitor research',
  description:
    "Finds competitors mentioned around a lead: the lead's description, its notes and emails, and the company's opportunities, matched against the competitor names configured for this agent. Only CRM data you can read; no web sources.",
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    competitorsConfigured: z.array(z.string()),
    mentions: z.array(MentionSchema),
    summary: z.array(z.object({ competitor: z.string(), mentions: z.number(), lastMentioned: z.string() })),
    evidence: z.array(EvidenceSchema),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const competitors = ctx.agent.research.competitors ?? [];
    const lead = await loadResearchLead(ctx, args.leadId);
    const gaps: string[] = [];
    if (competitors.length === 0) {
      return {
        data: { leadId: args.leadId, competitorsConfigured: [], mentions: [], summary: [], evidence: [], gaps: ['No competitor names are configured for this agent (agents.json: research.competitors).'] },
        text: 'No competitor names are configured for this agent, so there is nothing to look for. An administrator can list them in agents.json (research.competitors).',
      };
    }
    const texts: Array<{ source: string; id: string; on: string; text: string }> = [
      { source: 'lead', id: args.leadId, on: str(lead, 'createdon') ?? '', text: `${str(lead, 'subject') ?? ''}\n${str(lead, 'description') ?? ''}` },
    ];
    const notes = await optionalRead(
      () => ctx.dataverse.list('annotations', { select: ['annotationid', 'subject', 'notetext', 'createdon'], filter: eq('_objectid_value', guid(args.leadId)) }, { pageSize: 200, maxRows: 200 }),
      gaps,
      'Notes',
    );
    for (const n of notes?.rows ?? []) texts.push({ source: 'note', id: str(n, 'annotationid') ?? '', on: str(n, 'createdon') ?? '', text: `${str(n, 'subject') ?? ''}\n${str(n, 'notetext') ?? ''}` });
    const emails = await optionalRead(
      () => ctx.dataverse.list('emails', { select: ['activityid', 'subject', 'description', 'createdon'], filter: eq('_regardingobjectid_value', guid(args.leadId)) }, { pageSize: 200, maxRows: 200 }),
      gaps,
      'Emails',
    );
    for (const e of emails?.rows ?? []) texts.push({ source: 'email', id: str(e, 'activityid') ?? '', on: str(e, 'createdon') ?? '', text: `${str(e, 'subject') ?? ''}\n${(str(e, 'description') ?? '').replace(/<[^>]+>/g, ' ')}` });
    const account = await findAccount(ctx, lead, gaps);
    const accountId = account ? str(account, 'accountid') : undefined;
    if (accountId) {
      const opps = await optionalRead(
        () => ctx.dataverse.list('opportunities', { select: ['opportunityid', 'name', 'description', 'createdon'], filter: eq('_parentaccountid_value', guid(accountId)) }, { pageSize: 200, maxRows: 200 }),
        gaps,
        'Opportunities',
      );
      for (const o of opps?.rows ?? []) texts.push({ source: 'opportunity', id: str(o, 'opportunityid') ?? '', on: str(o, 'createdon') ?? '', text: `${str(o, 'name') ?? ''}\n${str(o, 'description') ?? ''}` });
    }

    const mentions: Array<z.infer<typeof MentionSchema>> = [];
    for (const competitor of competitors) {
      const re = new RegExp(`\\b${escapeRegExp(competitor)}\\b`, 'i');
      for (const t of texts) {
        const m = re.exec(t.text);
        if (!m) continue;
        const start = Math.max(0, m.index - 80);
        mentions.push({ competitor, source: t.source, recordId: t.id, on: t.on, snippet: clip(t.text.slice(start, m.index + competitor.length + 80).replace(/\s+/g, ' ').trim(), 200)! });
      }
    }
    const summary = competitors
      .map((c) => {
        const own = mentions.filter((m) => m.competitor === c);
        return { competitor: c, mentions: own.length, lastMentioned: own.map((m) => m.on).sort().at(-1) ?? '' };
      })
      .filter((s) => s.mentions > 0)
      .sort((a, b) => b.mentions - a.mentions);
    const evidence = mentions.slice(0, 20).map((m) => ({ fact: `${m.competitor} mentioned in ${m.source} (${m.on.slice(0, 10)}): "${m.snippet}"`, fields: [`${m.source}.${m.source === 'note' ? 'notetext' : 'description'}`] }));
    const text = summary.length
      ? `Competitors mentioned (${texts.length} records searched): ${summary.map((s) => `${s.competitor} ×${s.mentions}`).join(', ')}.\n${evidence.slice(0, 5).map((e) => `• ${e.fact}`).join('\n')}`
      : `None of the configured competitors (${competitors.join(', ')}) is mentioned in the ${texts.length} records searched.`;
    return { data: { leadId: args.leadId, competitorsConfigured: competitors, mentions, summary, evidence, gaps }, text: `${text}${gaps.length ? `\n${gaps.map((g) => `(gap) ${g}`).join('\n')}` : ''}` };
  },
});
