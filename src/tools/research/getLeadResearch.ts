import { z } from 'zod';

import { and, eq, guid, ne } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { label, str } from '../shared.js';
import { EvidenceSchema, LEAD_ALIASES, leadIdInput, optionalRead, researchText, seniority, startResearch } from './researchData.js';

export const getLeadResearch = defineTool({
  name: 'get_lead_research',
  title: 'Lead research',
  description:
    "Researches the person behind a lead from CRM data: role and likely decision-making authority, contact preferences, and any existing relationship (matching contact, other leads from the same company). Only CRM data you can read; no web sources.",
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    person: z.object({
      name: z.string(),
      jobTitle: z.string(),
      seniority: z.string(),
      decisionAuthority: z.string().describe('high, medium, low or unknown'),
      authorityBasis: z.string(),
      email: z.string(),
      phone: z.string(),
      doNotEmail: z.boolean(),
      doNotPhone: z.boolean(),
    }),
    relationship: z.object({
      existingContactId: z.string().optional(),
      otherLeadsFromCompany: z.array(z.object({ leadId: z.string(), name: z.string(), topic: z.string(), state: z.string() })),
    }),
    evidence: z.array(EvidenceSchema),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const { lead, ev, gaps } = await startResearch(ctx, args.leadId);
    const name = str(lead, 'fullname') ?? '';
    const title = str(lead, 'jobtitle');
    const s = seniority(title, ctx.agent.research.icp?.decisionMakerTitles);
    ev.add(title && `${name} is ${title}${str(lead, 'companyname') ? ` at ${str(lead, 'companyname')}` : ''}.`, ['lead.fullname', 'lead.jobtitle', 'lead.companyname']);
    ev.add(`Likely decision-making authority: ${s.authority} (${s.basis}).`, ['lead.jobtitle']);
    const email = str(lead, 'emailaddress1');
    const doNotEmail = lead['donotemail'] === true;
    const doNotPhone = lead['donotphone'] === true;
    ev.add(doNotEmail && 'They asked not to be emailed.', ['lead.donotemail']);
    ev.add(doNotPhone && 'They asked not to be phoned.', ['lead.donotphone']);

    let existingContactId = str(lead, '_parentcontactid_value');
    if (!existingContactId && email) {
      const match = await optionalRead(() => ctx.dataverse.list('contacts', { select: ['contactid', 'fullname'], filter: eq('emailaddress1', email), top: 1 }), gaps, 'Contacts');
      existingContactId = match?.rows[0] ? str(match.rows[0], 'contactid') : undefined;
    }
    ev.add(existingContactId && `They already exist as a contact (id ${existingContactId}).`, ['lead.parentcontactid', 'contact.emailaddress1']);

    const company = str(lead, 'companyname');
    const others = company
      ? await optionalRead(
          () =>
            ctx.dataverse.list('leads', {
              select: ['leadid', 'fullname', 'subject', 'statecode'],
              filter: and(eq('companyname', company), ne('leadid', guid(args.leadId))),
              orderby: [{ property: 'createdon', descending: true }],
              top: 10,
            }),
          gaps,
          'Other leads',
        )
      : undefined;
    const otherLeads = (others?.rows ?? []).map((r) => ({ leadId: str(r, 'leadid') ?? '', name: str(r, 'fullname') ?? '', topic: str(r, 'subject') ?? '', state: label(r, 'statecode') ?? '' }));
    ev.add(otherLeads.length > 0 && `${otherLeads.length} other lead(s) from ${company}: ${otherLeads.slice(0, 3).map((o) => `${o.name} (${o.state})`).join(', ')}.`, ['lead.companyname']);

    const data = {
      leadId: args.leadId,
      person: {
        name,
        jobTitle: title ?? '',
        seniority: s.level,
        decisionAuthority: s.authority,
        authorityBasis: s.basis,
        email: email ?? '',
        phone: str(lead, 'telephone1') ?? str(lead, 'mobilephone') ?? '',
        doNotEmail,
        doNotPhone,
      },
      relationship: { ...(existingContactId && { existingContactId }), otherLeadsFromCompany: otherLeads },
      evidence: ev.items,
      gaps,
    };
    return { data, text: researchText(ev, gaps) };
  },
});
