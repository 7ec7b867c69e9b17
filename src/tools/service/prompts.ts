import type { GetPromptResult } from '@modelcontextprotocol/server';

import type { Row } from '../../dataverse/client.js';
import { and, eq, guid, or, queryFunction, startsWith } from '../../dataverse/odata.js';
import { completeNames, type NamedRecords, resolveNamed } from '../completions.js';
import { ToolError } from '../defineTool.js';
import { recordUri } from '../dataverse/resources.js';
import { lookup, str } from '../shared.js';
import { type Completer, COMPLETION_LIMIT, type PromptDefinition, type SurfaceContext } from '../surface.js';
import { CASE_COLUMNS, CASE_STATE, caseLine, toCase } from './caseFields.js';

const user = (text: string): GetPromptResult['messages'][number] => ({ role: 'user', content: { type: 'text', text } });

const ACTIVE_CASES: NamedRecords = { noun: 'active case', entitySet: 'incidents', idField: 'incidentid', nameField: 'title', scope: eq('statecode', CASE_STATE.active), select: ['ticketnumber'] };
const CASES_BY_NUMBER: NamedRecords = { ...ACTIVE_CASES, nameField: 'ticketnumber', select: ['title'] };
/** Ticket numbers look like CAS-01001-X1Y2Z3 (the prefix and format are set per org). */
const TICKET = /^[A-Z]{2,10}-\d[\w-]*/;

/**
 * Active cases by title or ticket number. Titles repeat ("Account locked…" is common), so each
 * value leads with the ticket number, which is what the prompt then resolves.
 */
export const completeCase: Completer = async (value, ctx) => {
  const typed = value.trim().slice(0, 100);
  const page = await ctx.dataverse.list(
    'incidents',
    {
      select: ['ticketnumber', 'title'],
      filter: and(ACTIVE_CASES.scope, typed && or(startsWith('ticketnumber', typed), startsWith('title', typed))),
      orderby: [{ property: 'createdon', descending: true }],
      top: COMPLETION_LIMIT,
    },
    { maxRows: COMPLETION_LIMIT },
  );
  return page.rows.flatMap((r) => {
    const number = str(r, 'ticketnumber');
    return number ? [`${number} ${str(r, 'title') ?? ''}`.trim()] : [];
  });
};

/** A case by id, by ticket number (what completion offers, title after it), or by title. */
export function resolveCase(ctx: SurfaceContext, value: string): Promise<Row> {
  const ticket = TICKET.exec(value.trim())?.[0];
  return ticket ? resolveNamed(ctx, CASES_BY_NUMBER, ticket) : resolveNamed(ctx, ACTIVE_CASES, value);
}

const USERS: NamedRecords = { noun: 'user', entitySet: 'systemusers', idField: 'systemuserid', nameField: 'fullname', scope: eq('isdisabled', false) };

export const draftCaseReply: PromptDefinition = {
  name: 'draft_case_reply',
  title: 'Draft a reply to a case',
  description: "Drafts a reply to the customer of one active case from the case's facts, shows it for review, and sends it only after you confirm.",
  arguments: [
    { name: 'case', description: 'The active case: its title, ticket number (e.g. CAS-01001) or id.', required: true, complete: completeCase },
    { name: 'points', description: 'What the reply should say, in your words (optional).' },
  ],
  toolsets: ['service'],
  uses: ['D365_CustomerService_DraftEmailResponse', 'D365_CustomerService_SendEmailResponse'],
  async get(args, ctx) {
    const row = await resolveCase(ctx, args['case'] ?? '');
    const id = String(row['incidentid']);
    const title = str(row, 'title') ?? id;
    const number = str(row, 'ticketnumber');
    const points = args['points']?.trim().slice(0, 1000);
    const draft = { caseId: id, ...(points && { instructions: points }) };
    const text = [
      `Draft a reply to the customer of case ${number ? `${number} ` : ''}"${title}" (caseId ${id}).`,
      '',
      `1. Call D365_CustomerService_DraftEmailResponse with ${JSON.stringify(draft)}.`,
      '2. Show me the recipient, subject and body, and the facts the draft is based on. If it has no recipient, tell me why and stop.',
      '3. Only if I approve the text, call D365_CustomerService_SendEmailResponse with the same caseId and the approved subject and body; the tool asks me to confirm before the email goes out.',
    ].join('\n');
    return { description: `Reply to ${number ?? title}`, messages: [user(text), { role: 'user', content: { type: 'resource_link', uri: recordUri('incident', id), name: title, mimeType: 'application/json' } }] };
  },
};

const QUEUES: NamedRecords = { noun: 'queue', entitySet: 'queues', idField: 'queueid', nameField: 'name', scope: eq('statecode', 0) };

export const triageNewCases: PromptDefinition = {
  name: 'triage_new_cases',
  title: 'Triage new cases',
  description: "Reviews the active cases that arrived recently (in one queue, or created, and optionally only one owner's), proposes priority and next step for each, and changes nothing without your confirmation.",
  arguments: [
    { name: 'queue', description: 'Only cases that entered this queue (its name, e.g. "Tier 1 Support"; optional).', complete: completeNames(QUEUES) },
    { name: 'owner', description: 'Only cases owned by this user: a full name, or "me" (optional).', complete: async (value, ctx, resolved) => ['me', ...(await completeNames(USERS)(value, ctx, resolved))].filter((v) => v.toLowerCase().startsWith(value.trim().toLowerCase())) },
    { name: 'days', description: 'Cases created (or, with a queue, queued) in the last N calendar days (default 1: yesterday and today).' },
  ],
  toolsets: ['service'],
  uses: ['D365_CustomerService_ListCases', 'D365_CustomerService_UpdateCase'],
  async get(args, ctx) {
    const daysText = args['days']?.trim();
    const days = daysText ? Number(daysText) : 1;
    if (!Number.isInteger(days) || days < 1 || days > 90) throw new ToolError('days: give a whole number from 1 to 90.', 'invalid_argument');
    const ownerText = args['owner']?.trim();
    let owner: { id: string; name: string } | undefined;
    if (ownerText && ownerText.toLowerCase() === 'me') {
      const me = await ctx.user();
      owner = { id: me.systemUserId, name: me.fullName ?? 'you' };
    } else if (ownerText) {
      const row = await resolveNamed(ctx, USERS, ownerText);
      owner = { id: String(row['systemuserid']), name: str(row, 'fullname') ?? ownerText };
    }
    const queueText = args['queue']?.trim();
    const queueRow = queueText ? await resolveNamed(ctx, QUEUES, queueText) : undefined;
    const queue = queueRow && { id: String(queueRow['queueid']), name: str(queueRow, 'name') ?? queueText ?? '' };
    // One request: the cases themselves (through their queue items for a queue), so the model starts from the right set.
    const listed = queue
      ? await ctx.dataverse.list(
          'queueitems',
          {
            select: ['queueitemid', 'enteredon', '_workerid_value'],
            filter: and(eq('statecode', 0), eq('_queueid_value', guid(queue.id)), eq('objectid_incident/statecode', CASE_STATE.active), queryFunction('LastXDays', 'enteredon', days), owner && eq('objectid_incident/_ownerid_value', guid(owner.id))),
            expand: [{ nav: 'objectid_incident', select: CASE_COLUMNS }],
            orderby: [{ property: 'enteredon', descending: true }],
          },
          { maxRows: 50 },
        )
      : await ctx.dataverse.list(
          'incidents',
          {
            select: CASE_COLUMNS,
            filter: and(eq('statecode', CASE_STATE.active), queryFunction('LastXDays', 'createdon', days), owner && eq('_ownerid_value', guid(owner.id))),
            orderby: [{ property: 'createdon', descending: true }],
          },
          { maxRows: 50 },
        );
    const rows = queue ? listed.rows.flatMap((r) => (r['objectid_incident'] && typeof r['objectid_incident'] === 'object' ? [{ c: toCase(r['objectid_incident'] as Row), worker: lookup(r, 'workerid')?.name }] : [])) : listed.rows.map((r) => ({ c: toCase(r), worker: undefined }));
    const period = `in the last ${days} calendar day${days === 1 ? '' : 's'}`;
    const scope = queue ? `active cases that entered queue "${queue.name}" ${period}${owner ? ` owned by ${owner.name}` : ''}` : `active cases created ${period}${owner ? ` owned by ${owner.name}` : ''}`;
    if (rows.length === 0) return { description: `No ${scope}`, messages: [user(`There are no ${scope} that I can see. Tell me so, and offer to widen the search (more days${queue ? ', another queue' : ''}, or any owner).`)] };
    const pick = queue && ctx.serves('pick_case_from_queue');
    const text = [
      `Triage the ${scope}${listed.next ? ' (the 50 newest are listed; say there are more)' : ''}:`,
      '',
      ...rows.map(({ c, worker }) => `- ${caseLine(c)}${queue ? (worker ? `; worked by ${worker}` : '; waiting in the queue') : ''}`),
      '',
      '1. For each case, propose a priority (high, normal or low) and the next step, with a one-line reason from the case facts. Call D365_CustomerService_ListCases with its caseId if you need more detail.',
      '2. Present them as a table: Case, Customer, Current priority, Proposed priority, Next step, Reason.',
      '3. Only for the changes I approve, call D365_CustomerService_UpdateCase; the tool asks me to confirm before anything changes.',
      ...(pick ? [`4. If I want to take the next waiting case myself, call pick_case_from_queue with queueId ${queue.id}; it asks me to confirm first.`] : []),
    ].join('\n');
    return { description: `Triage ${rows.length} ${scope}`, messages: [user(text)] };
  },
};

const ACCOUNTS: NamedRecords = { noun: 'account', entitySet: 'accounts', idField: 'accountid', nameField: 'name', scope: eq('statecode', 0), select: ['accountnumber'] };

export const prepareAccountBriefing: PromptDefinition = {
  name: 'prepare_account_briefing',
  title: 'Prepare an account briefing',
  description: 'Gathers one account\'s record, open cases, leads and research into a briefing for a meeting or call.',
  arguments: [{ name: 'account', description: 'The account: its name or id.', required: true, complete: completeNames(ACCOUNTS) }],
  toolsets: ['sales', 'service'],
  uses: [],
  async get(args, ctx) {
    const row = await resolveNamed(ctx, ACCOUNTS, args['account'] ?? '');
    const id = String(row['accountid']);
    const name = str(row, 'name') ?? id;
    const steps = [
      ctx.serves('D365_CustomerService_ListAccounts') && `Call D365_CustomerService_ListAccounts with accountId ${id} for its details and contacts.`,
      ctx.serves('D365_CustomerService_ListCases') && `Call D365_CustomerService_ListCases with customerId ${id} and state "all" for its cases; note the open ones and any pattern.`,
      ctx.serves('D365_Sales_ListLeads') && `Call D365_Sales_ListLeads with search "${name.replace(/"/g, '')}" for open leads from this company.`,
      ctx.serves('get_account_research') && 'For an open lead from this company, call get_account_research with its leadId for firmographics and fit.',
    ].filter((s): s is string => typeof s === 'string');
    const text = [
      `Prepare a one-page briefing on the account ${name} (accountId ${id}); its record is attached.`,
      '',
      ...steps.map((s, i) => `${i + 1}. ${s}`),
      `${steps.length + 1}. Write the briefing: who they are, the relationship so far, open issues or opportunities, and three talking points. Say which facts come from which record; do not invent any.`,
    ].join('\n');
    const record = await ctx.readResource(recordUri('account', id));
    const attached = record?.contents[0];
    return {
      description: `Briefing on ${name}`,
      messages: [
        user(text),
        attached && 'text' in attached
          ? { role: 'user', content: { type: 'resource', resource: { uri: attached.uri, mimeType: attached.mimeType ?? 'application/json', text: attached.text } } }
          : { role: 'user', content: { type: 'resource_link', uri: recordUri('account', id), name, mimeType: 'application/json' } },
      ],
    };
  },
};

export const servicePrompts: readonly PromptDefinition[] = [triageNewCases, draftCaseReply];
