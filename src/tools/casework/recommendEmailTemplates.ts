import { z } from 'zod';

import { defineTool } from '../defineTool.js';
import { caseLine } from '../service/caseFields.js';
import { CaseSlaSchema, incidentIdArg, loadCaseSla, type CaseSla } from './caseworkData.js';
import { caseTemplates, TemplateSchema, type TemplateView } from './templates.js';

const WORDS = /[a-z][a-z-]{3,}/g;
// Words that say nothing about a topic: a template matches a case on what both are about.
const STOP = new Set('the and for use with when your case that this from are has was not can our you will would about into been have they them their what which there here also only then than more most such says reply replies customer request problem please'.split(' '));
const words = (text: string) => new Set((text.toLowerCase().match(WORDS) ?? []).filter((w) => !STOP.has(w)));

/** Why a template fits the case: shared words, plus the case's state, priority and SLA, each named. */
function score(c: CaseSla, t: TemplateView): { score: number; reasons: string[] } {
  const about = words(`${t.title} ${t.description}`);
  const reasons: string[] = [];
  let s = 0;
  const shared = [...words(`${c.title} ${c.description}`)].filter((w) => about.has(w));
  if (shared.length) {
    s += shared.length;
    reasons.push(`mentions ${shared.slice(0, 4).join(', ')}`);
  }
  const signals: Array<[boolean, RegExp, string]> = [
    [/waiting for details/i.test(c.statusReason), /details|information/i, `the case is ${c.statusReason}`],
    [c.sla.some((k) => k.atRisk), /sla|urgent|escalat/i, 'its SLA is at risk'],
    [c.priority.toLowerCase() === 'high', /high priority|urgent|escalat/i, 'it is high priority'],
    [c.sla.some((k) => k.kpi === 'first_response' && k.state !== 'succeeded'), /first response|acknowledg/i, 'it has had no first response yet'],
  ];
  for (const [applies, pattern, reason] of signals) {
    if (applies && pattern.test(`${t.title} ${t.description}`)) {
      s += 3;
      reasons.push(reason);
    }
  }
  return { score: s, reasons };
}

/**
 * `recommend_email_templates` (MCP tool reference): the case templates that fit a case best, each
 * with the reasons it was chosen. Two requests (the case with its SLA, the templates).
 */
export const recommendEmailTemplates = defineTool({
  name: 'recommend_email_templates',
  kind: 'read',
  title: 'Recommend email templates',
  description: 'Suggests the email templates that fit a case best (from its title, description, status, priority and SLA), each with why. Apply one with apply_email_template.',
  input: z.object({ incidentId: incidentIdArg, top: z.number().int().min(1).max(10).default(3).describe('How many to suggest (1-10, default 3).') }),
  output: z.object({ case: CaseSlaSchema, templates: z.array(TemplateSchema.extend({ reasons: z.array(z.string()), score: z.number() })) }),
  async run(args, ctx) {
    const [{ view }, templates] = await Promise.all([loadCaseSla(ctx, args.incidentId), caseTemplates(ctx)]);
    const ranked = templates
      .map((t) => ({ ...t, ...score(view, t) }))
      .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
      .slice(0, args.top);
    const text = ranked.length
      ? [`Templates for ${caseLine(view)}:`, ...ranked.map((t, i) => `${i + 1}. "${t.title}" (templateId ${t.templateId})${t.reasons.length ? `: ${t.reasons.join('; ')}` : ': no specific match'}`), 'Apply one with apply_email_template.'].join('\n')
      : 'There are no case email templates you can use.';
    return { data: { case: view, templates: ranked }, text, records: [{ table: 'incident', id: view.caseId, name: view.title }] };
  },
});
