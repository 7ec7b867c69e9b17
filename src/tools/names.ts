/**
 * Tool names by generation. Microsoft's first MCP servers used the `D365_*` names and the Dataverse
 * MCP server's `list_tables`, `read_query`, … ("classic"); the Dynamics 365 CX MCP Server renamed
 * the Sales and Service capabilities ("cx", https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/).
 * An agent chooses the names its clients know (`names` in agents.json): one handler serves a
 * capability under either name, with each generation's argument names as its reference uses them.
 *
 * Only capabilities with the same meaning and inputs under both names are mapped. A tool without
 * an entry has one name in both generations (the Dataverse record tools, the research tools, and
 * the pipeline tools, which exist only under their cx names), unless GENERATION_ONLY serves it in
 * one generation only.
 */
import type { NameGeneration } from './toolsets.js';

export { NAME_GENERATIONS, type NameGeneration } from './toolsets.js';

export interface NameMapping {
  classic: string;
  cx: string;
  /** Argument names that differ: classic name → cx name. */
  params?: Readonly<Record<string, string>>;
}

export const NAME_MAP: readonly NameMapping[] = [
  // get_lead_summary: `leadId` (https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/get_lead_summary).
  { classic: 'D365_Sales_InvokeLeadSummary', cx: 'get_lead_summary' },
  // qualify_lead: `leadId`, `createAccount`, `createContact`, `createOpportunity` (qualify_lead reference).
  { classic: 'D365_Sales_QualifyLeadToOpportunity', cx: 'qualify_lead' },
  // list_cases: `search`, `priority`, `top` (list_cases reference).
  { classic: 'D365_CustomerService_ListCases', cx: 'list_cases' },
  // update_case: the case is `incidentId` (update_case reference).
  { classic: 'D365_CustomerService_UpdateCase', cx: 'update_case', params: { caseId: 'incidentId' } },
  // list_accounts: `accountId`, `search`, `top` (list_accounts reference).
  { classic: 'D365_CustomerService_ListAccounts', cx: 'list_accounts' },
  // answer_knowledge_question: the question is `question` (answer_knowledge_question reference); the
  // per-agent endpoint of the reference documents calls the same capability `chat` with `message`.
  { classic: 'chat', cx: 'answer_knowledge_question', params: { message: 'question' } },
];

const BY_CLASSIC = new Map(NAME_MAP.map((m) => [m.classic, m]));
const BY_CX = new Map(NAME_MAP.map((m) => [m.cx, m]));

/** The mapping of a tool by either of its names. */
export function nameMapping(name: string): NameMapping | undefined {
  return BY_CLASSIC.get(name) ?? BY_CX.get(name);
}

/**
 * Tools one generation serves and the other does not (`both` serves them all). The Dataverse MCP
 * server's 2026 tool shape folded `list_tables` and `describe_table` into `describe` and `search`
 * and renamed its data search `search_data` ("Improve Dataverse MCP server quality with updated
 * tools", https://learn.microsoft.com/power-platform/release-plan/2026wave1/data-platform/improve-dataverse-mcp-server-quality-updated-tools):
 * their inputs differ, so they are separate tools rather than a name mapping, and an agent on one
 * generation lists only that generation's discovery tools.
 */
export const GENERATION_ONLY: Readonly<Record<string, 'classic' | 'cx'>> = {
  list_tables: 'classic',
  describe_table: 'classic',
  describe: 'cx',
  search: 'cx',
  search_data: 'cx',
  // The CX close_case resolves or cancels; the classic close tool only resolves: each generation lists its own.
  D365_CustomerService_CloseCase: 'classic',
  close_case: 'cx',
};

/** Whether an agent on `generation` serves the tool declared as `name`. */
export function servedIn(name: string, generation: NameGeneration): boolean {
  const only = GENERATION_ONLY[name];
  return only === undefined || generation === 'both' || generation === only;
}

/** Every name a tool declared as `name` is known by, in any generation. */
export function namesOf(name: string): string[] {
  const m = BY_CLASSIC.get(name);
  return m ? [m.classic, m.cx] : [name];
}
