import { z } from 'zod';

import { eq } from '../../dataverse/odata.js';
import { defineTool } from '../defineTool.js';
import { requireTable, tableAllowed } from '../dataverse/tableAccess.js';
import { guidArg, orNotFound } from '../shared.js';
import { activitySentence, appIdArg, brief, BriefFields, type GroundedLine, lastActivity, lookup, money, OPEN_OPPORTUNITY_COLUMNS, OpenOpportunity, rowsOf, str, toOpenOpportunity } from './accountData.js';

const CONTACT_COLUMNS = ['contactid', 'fullname', 'jobtitle', 'emailaddress1', 'telephone1', 'mobilephone', 'address1_city', 'statecode', 'createdon', '_parentcustomerid_value', '_ownerid_value'];

/**
 * `get_contact_summary` (get_contact_summary reference: `contactId`, optional `appId`): who the
 * person is, their company, the opportunities they are the customer of, and the last activity.
 * Two requests at once; every sentence names its fields.
 */
export const getContactSummary = defineTool({
  name: 'get_contact_summary',
  kind: 'read',
  title: 'Contact summary',
  description: 'Summarises one contact: role, company, how to reach them, open opportunities they are the customer of and the last activity, each sentence with the CRM fields it is based on.',
  input: z.object({ contactId: guidArg('The contact (its GUID; resolve a name with search_entities first).'), appId: appIdArg }),
  aliases: { msdyn_ContactId: 'contactId', ContactId: 'contactId', recordId: 'contactId' },
  output: z.object({
    contact: z.object({ contactId: z.string(), fullName: z.string(), jobTitle: z.string().optional(), email: z.string().optional(), phone: z.string().optional(), company: z.string().optional() }),
    openOpportunities: z.array(OpenOpportunity),
    ...BriefFields,
  }),
  async run(args, ctx) {
    requireTable(ctx, 'contact');
    const cols = await ctx.metadata.table('contact');
    const select = CONTACT_COLUMNS.filter((c) => cols.attributes.has(c.replace(/^_(.+)_value$/, '$1')));
    const withOpportunities = tableAllowed(ctx, 'opportunity');
    const [row, activity] = await Promise.all([
      orNotFound('contact', args.contactId, () =>
        ctx.dataverse.get('contacts', args.contactId, {
          select,
          expand: withOpportunities ? [{ nav: 'opportunity_customer_contacts', select: OPEN_OPPORTUNITY_COLUMNS, filter: eq('statecode', 0), orderby: [{ property: 'estimatedvalue', descending: true }], top: 10 }] : [],
        }),
      ),
      lastActivity(ctx, args.contactId),
    ]);
    const fullName = str(row, 'fullname') ?? '';
    const company = lookup(row, 'parentcustomerid');
    const email = str(row, 'emailaddress1');
    const phone = str(row, 'telephone1') ?? str(row, 'mobilephone');
    const jobTitle = str(row, 'jobtitle');
    const openOpportunities = rowsOf(row, 'opportunity_customer_contacts').map(toOpenOpportunity);
    const sentences: GroundedLine[] = [
      { text: `${fullName}${jobTitle ? `, ${jobTitle}` : ''}${company?.name ? ` at ${company.name}` : ''}.`, fields: ['fullname', 'jobtitle', '_parentcustomerid_value'] },
      ...(email || phone ? [{ text: `Reach them at ${[email, phone].filter(Boolean).join(' or ')}.`, fields: ['emailaddress1', 'telephone1'] }] : []),
    ];
    if (withOpportunities) {
      sentences.push(
        openOpportunities.length
          ? { text: `Customer of ${openOpportunities.length} open opportunit${openOpportunities.length === 1 ? 'y' : 'ies'}: ${openOpportunities.slice(0, 3).map((o) => `${o.name} (${money(o.estimatedRevenue)})`).join(', ')}.`, fields: ['opportunity_customer_contacts', 'estimatedvalue'] }
          : { text: 'No open opportunities with this contact as the customer.', fields: ['opportunity_customer_contacts'] },
      );
    }
    sentences.push(activitySentence(activity));
    const written = await brief(ctx, { table: 'contact', recordId: args.contactId, name: fullName, purpose: 'summary', sentences });
    return {
      data: {
        contact: { contactId: args.contactId, fullName, ...(jobTitle && { jobTitle }), ...(email && { email }), ...(phone && { phone }), ...(company?.name && { company: company.name }) },
        openOpportunities,
        summary: written.summary,
        sentences: written.sentences,
        source: written.source,
        notes: written.notes,
      },
      text: written.text,
      records: [{ table: 'contact', id: args.contactId, name: fullName }, ...(company ? [{ table: company.table || 'account', id: company.id, name: company.name }] : [])],
    };
  },
});
