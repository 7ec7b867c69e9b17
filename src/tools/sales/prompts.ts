import type { GetPromptResult } from '@modelcontextprotocol/server';

import { eq } from '../../dataverse/odata.js';
import { completeNames, type NamedRecords, resolveNamed } from '../completions.js';
import { ToolError } from '../defineTool.js';
import { recordUri } from '../dataverse/resources.js';
import { str } from '../shared.js';
import type { PromptDefinition } from '../surface.js';
import { LEAD_STATE, leadScoring, NO_SCORING_NOTE } from './leadData.js';

const user = (text: string): GetPromptResult['messages'][number] => ({ role: 'user', content: { type: 'text', text } });

/** The ranking factors of D365_Sales_PrioritizeLeads a seller can weigh. */
const SIGNALS = {
  score: 'predictive score (0-100)',
  recency: 'how recent the last interaction is',
  interactions: 'number of emails, calls, tasks and appointments',
  value: 'estimated value',
} as const;
type Signal = keyof typeof SIGNALS;

/** The lead-prioritisation walkthrough's weights. */
const DEFAULT_WEIGHTS = 'score=0.5,recency=0.3,interactions=0.2';

function parseWeights(text: string): Array<[Signal, number]> {
  const pairs: Array<[Signal, number]> = [];
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
    const [name = '', value = ''] = part.split(/[=:]/).map((s) => s.trim());
    if (!(name in SIGNALS)) throw new ToolError(`weights: "${name.slice(0, 30)}" is not a signal; use ${Object.keys(SIGNALS).join(', ')} (e.g. "${DEFAULT_WEIGHTS}").`, 'invalid_argument');
    const weight = Number(value);
    if (!Number.isFinite(weight) || weight < 0 || weight > 100) throw new ToolError(`weights: ${name} needs a number from 0 to 100 (e.g. ${name}=0.5).`, 'invalid_argument');
    if (pairs.some(([n]) => n === name)) throw new ToolError(`weights: ${name} is given twice.`, 'invalid_argument');
    pairs.push([name as Signal, weight]);
  }
  const total = pairs.reduce((sum, [, w]) => sum + w, 0);
  if (total <= 0) throw new ToolError('weights: at least one weight must be above 0.', 'invalid_argument');
  // Normalised, so "score=5,recency=3,interactions=2" means the same as the default.
  return pairs.filter(([, w]) => w > 0).map(([n, w]) => [n, Math.round((w / total) * 1000) / 1000]);
}

function integerArg(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ToolError(`${name}: give a whole number from ${min} to ${max}.`, 'invalid_argument');
  return n;
}

export const prioritizeHotLeads: PromptDefinition = {
  name: 'prioritize_hot_leads',
  title: 'Prioritise hot leads',
  description: 'Ranks recent open leads with explicit weights through D365_Sales_PrioritizeLeads, explains each ranking and proposes next steps; nothing is qualified or sent without your confirmation.',
  arguments: [
    { name: 'days', description: 'Leads created in the last N calendar days (default 7).' },
    { name: 'minimumScore', description: 'Lowest predictive score to consider, 0-100 (default 70; ignored where the organisation has no predictive scoring).' },
    { name: 'weights', description: `Ranking weights over ${Object.keys(SIGNALS).join(', ')} (default "${DEFAULT_WEIGHTS}").` },
  ],
  toolsets: ['sales'],
  uses: ['D365_Sales_PrioritizeLeads', 'D365_Sales_QualifyLeadToOpportunity'],
  async get(args, ctx) {
    const days = integerArg('days', args['days'], 7, 1, 3650);
    const minimumScore = integerArg('minimumScore', args['minimumScore'], 70, 0, 100);
    const weights = parseWeights(args['weights'] ?? DEFAULT_WEIGHTS);
    // The tool ranks, normalises and says what it left out (no predictive scoring, unreadable activities): the model only reports.
    const call = {
      status: 'open',
      createdWithinDays: days,
      ...(minimumScore > 0 && { minScore: minimumScore }),
      weights: Object.fromEntries(weights),
      top: 20,
      summarizeTop: 3,
    };
    const scoring = await leadScoring(ctx);
    const text = [
      'Help me prioritise my hot leads.',
      '',
      `1. Call D365_Sales_PrioritizeLeads with ${JSON.stringify(call)}. It ranks every matching lead by ${weights.map(([n, w]) => `${SIGNALS[n]} × ${w}`).join(', ')}, each scaled to 0-1, and keeps the ranking in my decision log.`,
      "2. Present its table as it comes: Lead, Company, Score, Last interaction, Total, Hot, Rationale, Recommended action. Do not re-rank or recompute it; show the weights, the data timestamp and any notes it returns, and each factor's contribution when I ask why.",
      '3. For the first three, use the summaries it returns to describe intent and the last interaction.',
      '4. Only if I confirm a lead, call D365_Sales_QualifyLeadToOpportunity for it; the tool asks me to confirm again before anything changes. Never qualify or send an email on your own.',
      ...(scoring ? [] : ['', `${NO_SCORING_NOTE} The ranking tool leaves the score out, spreads its weight over the other signals and says so.`]),
    ].join('\n');
    return { description: `Hot leads of the last ${days} days, ranked by ${weights.map(([n, w]) => `${n} ${w}`).join(', ')}`, messages: [user(text)] };
  },
};

const LEADS: NamedRecords = {
  noun: 'lead',
  entitySet: 'leads',
  idField: 'leadid',
  nameField: 'fullname',
  scope: eq('statecode', LEAD_STATE.open),
  select: ['companyname', 'subject'],
};

export const qualifyLead: PromptDefinition = {
  name: 'qualify_lead',
  title: 'Assess and qualify a lead',
  description: 'Summarises one open lead, assesses it against your ideal customer profile, and qualifies it into an opportunity once you confirm.',
  arguments: [{ name: 'lead', description: 'The open lead: its full name or id.', required: true, complete: completeNames(LEADS) }],
  toolsets: ['sales'],
  uses: ['D365_Sales_InvokeLeadSummary', 'D365_Sales_QualifyLeadToOpportunity'],
  async get(args, ctx) {
    const lead = await resolveNamed(ctx, LEADS, args['lead'] ?? '');
    const id = String(lead['leadid']);
    const name = str(lead, 'fullname') ?? id;
    const company = str(lead, 'companyname');
    const text = [
      `Help me decide whether to qualify the lead ${name}${company ? ` of ${company}` : ''} (leadId ${id}).`,
      '',
      `1. Call D365_Sales_InvokeLeadSummary with leadId ${id}.`,
      ...(ctx.agent.toolsets.includes('research') ? [`2. Call get_lead_qualification_assessment with leadId ${id} for the fit against our ideal customer profile.`] : []),
      '3. Give me your recommendation with its reasons, and what you would create (account, contact, opportunity).',
      `4. Only if I agree, call D365_Sales_QualifyLeadToOpportunity with leadId ${id}; the tool asks me to confirm before anything changes.`,
    ].join('\n');
    return {
      description: `Qualify ${name}`,
      messages: [user(text), { role: 'user', content: { type: 'resource_link', uri: recordUri('lead', id), name, mimeType: 'application/json' } }],
    };
  },
};

export const salesPrompts: readonly PromptDefinition[] = [prioritizeHotLeads, qualifyLead];
