import { z } from 'zod';

import { eq } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound } from '../shared.js';
import { activitySentence, appIdArg, brief, BriefFields, type GroundedLine, label, lastActivity, lookup, money, num, OPEN_OPPORTUNITY_COLUMNS, OpenOpportunity, rowsOf, str, toOpenOpportunity } from './accountData.js';

const ACCOUNT_COLUMNS = ['accountid', 'name', 'accountnumber', 'industrycode', 'revenue', 'numberofemployees', 'address1_city', 'address1_country', 'websiteurl', 'telephone1', 'statecode', 'createdon', '_primarycontactid_value', '_parentaccountid_value', '_ownerid_value'];

/**
 * `get_account_summary` (get_account_summary reference: `accountId`, optional `appId`): a concise
 * account brief. Two requests at once: the account with its contacts, open opportunities, open
 * cases (where the agent and the user's role allow cases) and child accounts expanded, and its
 * newest activity. Every sentence names the fields it comes from.
 */
export const getAccountSummary = defineTool({
  name: 'get_account_summary',
  kind: 'read',
  title: 'Account summary',
  description: 'Summarises one account as a brief: industry, size, location, primary contact, contacts, open opportunities and their value, open cases, child accounts and the last activity, each sentence with the CRM fields it is based on.',
  input: z.object({ accountId: guidArg('The account (its GUID; resolve a name with search_entities first).'), appId: appIdArg }),
  aliases: { msdyn_AccountId: 'accountId', AccountId: 'accountId', recordId: 'accountId' },
  output: z.object({
    account: z.object({ accountId: z.string(), name: z.string(), industry: z.string().optional(), owner: z.string().optional(), primaryContact: z.string().optional(), parentAccount: z.string().optional() }),
    contacts: z.array(z.object({ contactId: z.string(), fullName: z.string(), jobTitle: z.string().optional() })),
    openOpportunities: z.array(OpenOpportunity),
    openCases: z.array(z.object({ caseId: z.string(), title: z.string(), priority: z.string().optional() })),
    childAccounts: z.array(z.object({ accountId: z.string(), name: z.string() })),
    ...BriefFields,
  }),
  async run(args, ctx) {
    requireTable(ctx, 'account');
    const withCases = tableAllowed(ctx, 'incident') && (await ctx.privileges.allows({ table: 'incident', ops: ['Read'] }));
    const withOpportunities = tableAllowed(ctx, 'opportunity');
    const withContacts = tableAllowed(ctx, 'contact');
    const [row, activity] = await Promise.all([
      orNotFound('account', args.accountId, () =>
        ctx.dataverse.get('accounts', args.accountId, {
          select: ACCOUNT_COLUMNS,
          expand: [
            ...(withContacts ? [{ nav: 'contact_customer_accounts', select: ['contactid', 'fullname', 'jobtitle'], orderby: [{ property: 'fullname' }], top: 10 }] : []),
            ...(withOpportunities ? [{ nav: 'opportunity_customer_accounts', select: OPEN_OPPORTUNITY_COLUMNS, filter: eq('statecode', 0), orderby: [{ property: 'estimatedvalue', descending: true }], top: 10 }] : []),
            ...(withCases ? [{ nav: 'incident_customer_accounts', select: ['incidentid', 'title', 'prioritycode', 'statecode'], filter: eq('statecode', 0), top: 10 }] : []),
            { nav: 'account_parent_account', select: ['accountid', 'name'], orderby: [{ property: 'name' }], top: 10 },
          ],
        }),
      ),
      lastActivity(ctx, args.accountId),
    ]);
    const name = str(row, 'name') ?? '';
    const contacts = rowsOf(row, 'contact_customer_accounts').map((c) => ({ contactId: str(c, 'contactid') ?? '', fullName: str(c, 'fullname') ?? '', ...(str(c, 'jobtitle') && { jobTitle: str(c, 'jobtitle')! }) }));
    const openOpportunities = rowsOf(row, 'opportunity_customer_accounts').map(toOpenOpportunity);
    const openCases = rowsOf(row, 'incident_customer_accounts').map((c) => ({ caseId: str(c, 'incidentid') ?? '', title: str(c, 'title') ?? '', ...(label(c, 'prioritycode') && { priority: label(c, 'prioritycode')! }) }));
    const childAccounts = rowsOf(row, 'account_parent_account').map((c) => ({ accountId: str(c, 'accountid') ?? '', name: str(c, 'name') ?? '' }));
    const industry = label(row, 'industrycode');
    const primary = lookup(row, 'primarycontactid');
    const parent = lookup(row, 'parentaccountid');
    const owner = lookup(row, 'ownerid');
    const sentences: GroundedLine[] = [];
    const where = [str(row, 'address1_city'), str(row, 'address1_country')].filter(Boolean).join(', ');
    const employees = num(row, 'numberofemployees');
    sentences.push({
      text: `${name}${industry ? ` is in ${industry}` : ''}${where ? `${industry ? ',' : ' is'} based in ${where}` : ''}${employees !== undefined ? ` with ${employees} employees` : ''}${num(row, 'revenue') !== undefined ? ` and annual revenue ${money(num(row, 'revenue'))}` : ''}.`,
      fields: ['name', 'industrycode', 'address1_city', 'address1_country', 'numberofemployees', 'revenue'],
    });
    if (parent?.name) sentences.push({ text: `Part of ${parent.name}.`, fields: ['_parentaccountid_value'] });
    if (primary?.name || contacts.length) {
      sentences.push({ text: `${primary?.name ? `Primary contact: ${primary.name}.` : ''}${contacts.length ? ` ${contacts.length} contact(s) on file${contacts.length ? `: ${contacts.slice(0, 5).map((c) => c.fullName + (c.jobTitle ? ` (${c.jobTitle})` : '')).join(', ')}` : ''}.` : ''}`.trim(), fields: ['_primarycontactid_value', 'contact_customer_accounts'] });
    }
    if (withOpportunities) {
      const total = openOpportunities.reduce((s, o) => s + (o.estimatedRevenue ?? 0), 0);
      sentences.push(
        openOpportunities.length
          ? { text: `${openOpportunities.length} open opportunit${openOpportunities.length === 1 ? 'y' : 'ies'} worth ${money(total)} in all; the largest is ${openOpportunities[0]!.name} (${money(openOpportunities[0]!.estimatedRevenue)}).`, fields: ['opportunity_customer_accounts', 'estimatedvalue'] }
          : { text: 'No open opportunities.', fields: ['opportunity_customer_accounts'] },
      );
    }
    if (withCases) sentences.push({ text: openCases.length ? `${openCases.length} open case(s): ${openCases.slice(0, 3).map((c) => c.title).join('; ')}.` : 'No open cases.', fields: ['incident_customer_accounts'] });
    if (childAccounts.length) sentences.push({ text: `${childAccounts.length} child account(s): ${childAccounts.slice(0, 5).map((c) => c.name).join(', ')}.`, fields: ['account_parent_account'] });
    sentences.push(activitySentence(activity));
    if (owner?.name) sentences.push({ text: `Owned by ${owner.name}.`, fields: ['_ownerid_value'] });
    const written = await brief(ctx, { table: 'account', recordId: args.accountId, name, purpose: 'summary', sentences }, withCases ? [] : ['Cases are not included: this agent or your security role does not allow reading them.']);
    return {
      data: {
        account: { accountId: args.accountId, name, ...(industry && { industry }), ...(owner?.name && { owner: owner.name }), ...(primary?.name && { primaryContact: primary.name }), ...(parent?.name && { parentAccount: parent.name }) },
        contacts,
        openOpportunities,
        openCases,
        childAccounts,
        summary: written.summary,
        sentences: written.sentences,
        source: written.source,
        notes: written.notes,
      },
      text: written.text,
      records: [{ table: 'account', id: args.accountId, name }, ...openOpportunities.map((o) => ({ table: 'opportunity', id: o.opportunityId, name: o.name }))],
    };
  },
});
