import { z } from 'zod';

import type { Icp } from './settings.js';
import { daysBetween } from '../../copilot/text.js';
import type { Row } from '../../dataverse/client.js';
import { defineTool } from '../defineTool.js';
import { scoreOf } from '../sales/leadData.js';
import { clip, label, num, str } from '../shared.js';
import { findAccount, LEAD_ALIASES, leadIdInput, loadResearchLead, seniority, timeline } from './researchData.js';

/** Used when an agent configures no ideal customer profile; every value is visible in the result. */
export const DEFAULT_ICP: Icp = { minEmployees: 50, minBudget: 25_000, minScore: 60 };

const CriterionSchema = z.object({
  criterion: z.string(),
  expected: z.string(),
  actual: z.string(),
  result: z.enum(['met', 'not_met', 'unknown']),
  fields: z.array(z.string()),
});
type Criterion = z.infer<typeof CriterionSchema>;

const TIMEFRAME_SOON = new Set(['Immediate', 'This Quarter', 'Next Quarter', 'This Year']);

export function assess(lead: Row, account: Row | undefined, lastContact: string | undefined, icp: Icp, now: Date): Criterion[] {
  const out: Criterion[] = [];
  const firmo = account ?? lead;
  const src = account ? 'account' : 'lead';
  const add = (criterion: string, expected: string, actual: string | undefined, ok: boolean | undefined, fields: string[]) =>
    out.push({ criterion, expected, actual: actual ?? 'not recorded', result: ok === undefined ? 'unknown' : ok ? 'met' : 'not_met', fields });

  if (icp.industries?.length) {
    const industry = label(firmo, 'industrycode');
    add('Industry', icp.industries.join(' / '), industry, industry === undefined ? undefined : icp.industries.some((i) => i.toLowerCase() === industry.toLowerCase()), [`${src}.industrycode`]);
  }
  if (icp.countries?.length) {
    const country = str(firmo, 'address1_country');
    add('Country', icp.countries.join(' / '), country, country === undefined ? undefined : icp.countries.some((c) => c.toLowerCase() === country.toLowerCase()), [`${src}.address1_country`]);
  }
  if (icp.minEmployees !== undefined) {
    const n = num(firmo, 'numberofemployees');
    add('Company size', `≥ ${icp.minEmployees} employees`, n?.toString(), n === undefined ? undefined : n >= icp.minEmployees, [`${src}.numberofemployees`]);
  }
  if (icp.minRevenue !== undefined) {
    const r = num(firmo, 'revenue');
    add('Annual revenue', `≥ ${icp.minRevenue}`, r === undefined ? undefined : label(firmo, 'revenue'), r === undefined ? undefined : r >= icp.minRevenue, [`${src}.revenue`]);
  }
  if (icp.minBudget !== undefined) {
    const b = num(lead, 'budgetamount');
    add('Budget', `≥ ${icp.minBudget}`, b === undefined ? undefined : label(lead, 'budgetamount'), b === undefined ? undefined : b >= icp.minBudget, ['lead.budgetamount']);
  }
  if (icp.minScore !== undefined) {
    const score = scoreOf(lead);
    const s = score ? num(score, 'msdyn_score') : undefined;
    add('Predictive score', `≥ ${icp.minScore}`, s?.toString(), s === undefined ? undefined : s >= icp.minScore, ['msdyn_predictivescore.msdyn_score']);
  }
  if (icp.preferredSources?.length) {
    const source = label(lead, 'leadsourcecode');
    add('Lead source', icp.preferredSources.join(' / '), source, source === undefined ? undefined : icp.preferredSources.some((p) => p.toLowerCase() === source.toLowerCase()), ['lead.leadsourcecode']);
  }
  const authority = seniority(str(lead, 'jobtitle'), icp.decisionMakerTitles);
  add('Authority', 'a decision maker', `${authority.level} (${authority.basis})`, authority.authority === 'unknown' ? undefined : authority.authority === 'high', ['lead.jobtitle']);
  const need = [str(lead, 'subject'), str(lead, 'description')].filter(Boolean).join(' — ');
  add('Need', 'a stated need', need ? clip(need, 120) : undefined, need ? true : undefined, ['lead.subject', 'lead.description']);
  const timeframe = label(lead, 'purchasetimeframe');
  add('Timeline', 'buying within the year', timeframe, timeframe === undefined || timeframe === 'Unknown' ? undefined : TIMEFRAME_SOON.has(timeframe), ['lead.purchasetimeframe']);
  add('Engagement', 'contact in the last 30 days', lastContact?.slice(0, 10), lastContact === undefined ? false : daysBetween(lastContact, now) <= 30, ['activitypointer.createdon']);
  return out;
}

export function grade(criteria: Criterion[]): { fitScore: number; grade: string; recommendation: string } {
  const met = criteria.filter((c) => c.result === 'met').length;
  const judged = criteria.filter((c) => c.result !== 'unknown').length;
  const fitScore = judged ? Math.round((met / judged) * 100) : 0;
  const g = fitScore >= 80 ? 'A' : fitScore >= 60 ? 'B' : fitScore >= 40 ? 'C' : 'D';
  const missing = criteria.filter((c) => c.result !== 'met').map((c) => c.criterion.toLowerCase());
  const recommendation =
    g === 'A'
      ? 'Strong fit: qualify to an opportunity (ask the user to confirm).'
      : g === 'B'
        ? `Good fit: confirm ${missing.slice(0, 3).join(', ')} on the next call, then qualify.`
        : g === 'C'
          ? `Partial fit: keep nurturing; gaps in ${missing.slice(0, 3).join(', ')}.`
          : 'Weak fit: deprioritise or disqualify after a last check.';
  return { fitScore, grade: g, recommendation };
}

export const getLeadQualificationAssessment = defineTool({
  name: 'get_lead_qualification_assessment',
  title: 'Lead qualification assessment',
  description:
    "Assesses a lead against the agent's ideal customer profile (industry, country, size, revenue, budget, score, source) and BANT-style signals (authority, need, timeline, engagement). Each criterion shows expected vs actual and the fields used; returns a fit score, grade (A-D) and recommendation.",
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    criteria: z.array(CriterionSchema),
    fitScore: z.number().describe('Share of judged criteria met, 0-100'),
    grade: z.string(),
    recommendation: z.string(),
    profile: z.string().describe('Which ideal customer profile was used'),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const lead = await loadResearchLead(ctx, args.leadId);
    const gaps: string[] = [];
    const account = await findAccount(ctx, lead, gaps);
    const items = await timeline(ctx, args.leadId, gaps);
    const lastContact = items.map((i) => i.on).filter(Boolean).sort().at(-1);
    const configured = ctx.agent.research.icp;
    const criteria = assess(lead, account, lastContact, configured ?? DEFAULT_ICP, ctx.now());
    const g = grade(criteria);
    const lines = criteria.map((c) => `${c.result === 'met' ? '✓' : c.result === 'not_met' ? '✗' : '?'} ${c.criterion}: ${c.actual} (expected ${c.expected})`);
    return {
      data: { leadId: args.leadId, criteria, ...g, profile: configured ? 'agent ideal customer profile' : 'default profile (configure research.icp in agents.json)', gaps },
      text: `Fit ${g.fitScore}/100, grade ${g.grade}. ${g.recommendation}\n${lines.join('\n')}${gaps.length ? `\n${gaps.map((x) => `(gap) ${x}`).join('\n')}` : ''}`,
    };
  },
});
