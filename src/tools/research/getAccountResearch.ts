import { z } from 'zod';

import { and, eq, guid } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { label, num, str } from '../shared.js';
import { EvidenceSchema, findAccount, LEAD_ALIASES, leadIdInput, money, optionalRead, researchText, startResearch } from './researchData.js';

export const getAccountResearch = defineTool({
  name: 'get_account_research',
  title: 'Account research',
  description:
    "Researches the lead's company from CRM data: firmographics (industry, size, revenue, location) and the relationship so far (existing account, open and won opportunities, open cases). Only CRM data you can read; no web sources.",
  input: leadIdInput,
  aliases: LEAD_ALIASES,
  output: z.object({
    leadId: z.string(),
    company: z.object({
      name: z.string(),
      accountId: z.string().optional().describe('Existing account, when there is one'),
      industry: z.string(),
      employees: z.number().optional(),
      revenue: z.string(),
      location: z.string(),
      website: z.string(),
    }),
    relationship: z.object({
      isExistingCustomer: z.boolean(),
      openOpportunities: z.number().optional(),
      wonOpportunities: z.number().optional(),
      openPipeline: z.string().optional().describe('Sum of estimated value of open opportunities'),
      openCases: z.number().optional(),
    }),
    evidence: z.array(EvidenceSchema),
    gaps: z.array(z.string()),
  }),
  kind: 'read',
  async run(args, ctx) {
    const { lead, ev, gaps } = await startResearch(ctx, args.leadId);
    const account = await findAccount(ctx, lead, gaps);
    const src = account ?? lead;
    const srcName = account ? 'account' : 'lead';
    const name = (account ? str(account, 'name') : str(lead, 'companyname')) ?? '';
    const industry = label(src, 'industrycode') ?? '';
    const employees = num(src, 'numberofemployees');
    const revenue = money(src, 'revenue') ?? '';
    const location = [str(src, 'address1_city'), str(src, 'address1_country')].filter(Boolean).join(', ');
    ev.add(account ? `${name} is an existing account (id ${str(account, 'accountid')}).` : `No account named "${name}" exists yet; firmographics come from the lead.`, account ? ['account.name'] : ['lead.companyname']);
    ev.add(industry && `Industry: ${industry}.`, [`${srcName}.industrycode`]);
    ev.add(employees !== undefined && `About ${employees.toLocaleString('en-US')} employees.`, [`${srcName}.numberofemployees`]);
    ev.add(revenue && `Annual revenue ${revenue}.`, [`${srcName}.revenue`]);
    ev.add(location && `Located in ${location}.`, [`${srcName}.address1_city`, `${srcName}.address1_country`]);

    let openOpportunities: number | undefined;
    let wonOpportunities: number | undefined;
    let openPipeline: string | undefined;
    let openCases: number | undefined;
    const accountId = account ? str(account, 'accountid') : undefined;
    if (accountId) {
      const opps = await optionalRead(
        () => ctx.dataverse.list('opportunities', { select: ['opportunityid', 'name', 'statecode', 'estimatedvalue'], filter: eq('_parentaccountid_value', guid(accountId)) }, { pageSize: 500, maxRows: 500 }),
        gaps,
        'Opportunities',
      );
      if (opps) {
        const open = opps.rows.filter((o) => o['statecode'] === 0);
        openOpportunities = open.length;
        wonOpportunities = opps.rows.filter((o) => o['statecode'] === 1).length;
        const sum = open.reduce((t, o) => t + (num(o, 'estimatedvalue') ?? 0), 0);
        openPipeline = `$${sum.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
        ev.add(`${openOpportunities} open opportunit${openOpportunities === 1 ? 'y' : 'ies'} worth ${openPipeline}; ${wonOpportunities} won before.`, ['opportunity.statecode', 'opportunity.estimatedvalue']);
      }
      const cases = await optionalRead(
        () => ctx.dataverse.list('incidents', { select: ['incidentid'], filter: and(eq('_customerid_value', guid(accountId)), eq('statecode', 0)), count: true, top: 1 }),
        gaps,
        'Cases',
      );
      if (cases) {
        openCases = cases.count ?? cases.rows.length;
        ev.add(`${openCases} open support case(s): check them before outreach.`, ['incident.statecode']);
      }
    }
    const data = {
      leadId: args.leadId,
      company: { name, ...(accountId && { accountId }), industry, ...(employees !== undefined && { employees }), revenue, location, website: str(src, 'websiteurl') ?? '' },
      relationship: {
        isExistingCustomer: (wonOpportunities ?? 0) > 0,
        ...(openOpportunities !== undefined && { openOpportunities }),
        ...(wonOpportunities !== undefined && { wonOpportunities }),
        ...(openPipeline && { openPipeline }),
        ...(openCases !== undefined && { openCases }),
      },
      evidence: ev.items,
      gaps,
    };
    return { data, text: researchText(ev, gaps) };
  },
});
