import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The interactive views (MCP Apps, `io.modelcontextprotocol/ui`): HTML pages a host shows beside a
 * tool's result. Each is built by `scripts/buildViews.ts` from `views/<entry>.ts` into one
 * self-contained file (script and styles inline, no external origin) under `dist/views/`.
 */
export interface ViewSpec {
  /** File name under dist/views/ (without .html) and the last part of its URI. */
  name: string;
  /** The source under views/. */
  entry: string;
  uri: string;
  title: string;
  description: string;
  /** Declared names of the tools whose results it shows. */
  tools: readonly string[];
  /** Declared names of the tools it calls through the host, told to the page as the agent serves them. */
  calls: Readonly<Record<string, string>>;
}

export const VIEW_URI_PREFIX = 'ui://dataverse-mcp/';

export const VIEWS: readonly ViewSpec[] = [
  {
    name: 'lead-ranking',
    entry: 'leadRanking.ts',
    uri: `${VIEW_URI_PREFIX}lead-ranking.html`,
    title: 'Hot lead ranking',
    description: 'The ranked leads with their weights: sort, change the weights and re-rank, qualify a lead (the server asks to confirm).',
    tools: ['D365_Sales_PrioritizeLeads'],
    calls: { rankTool: 'D365_Sales_PrioritizeLeads', qualifyTool: 'D365_Sales_QualifyLeadToOpportunity' },
  },
  {
    name: 'case-list',
    entry: 'caseList.ts',
    uri: `${VIEW_URI_PREFIX}case-list.html`,
    title: 'Case list',
    description: 'Cases with priority, state and SLA: filter by state, priority, text or SLA state, and open a case.',
    tools: ['D365_CustomerService_ListCases', 'query_cases_by_sla_status'],
    calls: { listTool: 'D365_CustomerService_ListCases', slaTool: 'query_cases_by_sla_status', caseTool: 'get_case' },
  },
  {
    name: 'case-card',
    entry: 'caseCard.ts',
    uri: `${VIEW_URI_PREFIX}case-card.html`,
    title: 'Case card',
    description: 'One case with its SLA, queue, latest notes and emails: draft and save a reply, or resolve it (the server asks first).',
    tools: ['get_case'],
    calls: { draftTool: 'D365_CustomerService_DraftEmailResponse', saveDraftTool: 'draft_email', closeTool: 'close_case', closeClassicTool: 'D365_CustomerService_CloseCase' },
  },
  {
    name: 'lead-card',
    entry: 'leadCard.ts',
    uri: `${VIEW_URI_PREFIX}lead-card.html`,
    title: 'Lead card',
    description: 'The grounded lead summary sentence by sentence with its fields, the next step, a draft outreach, and qualify (the server asks first).',
    tools: ['D365_Sales_InvokeLeadSummary'],
    calls: { qualifyTool: 'D365_Sales_QualifyLeadToOpportunity', draftTool: 'D365_Sales_DraftOutreachEmail' },
  },
  {
    name: 'account-briefing',
    entry: 'accountBriefing.ts',
    uri: `${VIEW_URI_PREFIX}account-briefing.html`,
    title: 'Account briefing',
    description: 'An account with its brief, open opportunities, contacts, open cases and child accounts; open an opportunity.',
    tools: ['get_account_summary', 'summarize_account'],
    calls: { opportunityTool: 'get_opportunity_summary' },
  },
  {
    name: 'opportunity-quote',
    entry: 'opportunityQuote.ts',
    uri: `${VIEW_URI_PREFIX}opportunity-quote.html`,
    title: 'Opportunity and its quotes',
    description: 'An opportunity with its product lines and quotes: create a quote, activate a draft, convert an active quote to an order (the server asks first).',
    tools: ['get_opportunity_summary'],
    calls: { createQuoteTool: 'create_quote_from_opportunity', activateTool: 'set_quote_active', convertTool: 'convert_quote_to_order', summaryTool: 'get_opportunity_summary' },
  },
];

/** Where the built pages may be: dist/views seen from the compiled sources, from the sources (tests), or from the Functions bundle's entries and chunks. */
function candidates(): string[] {
  const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
  return [process.env['VIEWS_DIR'], here('../../../views/'), here('../../../dist/views/'), here('../views/'), here('../../views/')].filter((d): d is string => Boolean(d));
}

const cache = new Map<string, string | null>();

/** The built page of a view, or undefined when it was not built (the tools then carry no view). */
export function viewHtml(view: ViewSpec): string | undefined {
  let html = cache.get(view.name);
  if (html === undefined) {
    const dir = candidates().find((d) => existsSync(`${d}${d.endsWith('/') ? '' : '/'}${view.name}.html`));
    html = dir ? readFileSync(`${dir}${dir.endsWith('/') ? '' : '/'}${view.name}.html`, 'utf8') : null;
    cache.set(view.name, html);
  }
  return html ?? undefined;
}

/** The placeholder buildViews leaves for the agent's settings, replaced when the page is read. */
export const VIEW_CONFIG_PLACEHOLDER = '"__VIEW_CONFIG__"';

/** The view that shows a tool's results, when it was built. */
export function viewFor(declaredTool: string): ViewSpec | undefined {
  const view = VIEWS.find((v) => v.tools.includes(declaredTool));
  return view && viewHtml(view) !== undefined ? view : undefined;
}
