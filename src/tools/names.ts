/**
 * Tool names by generation. Microsoft's first MCP servers used the `D365_*` names and the Dataverse
 * MCP server's `list_tables`, `read_query`, … ("classic"); the Dynamics 365 CX MCP Server renamed
 * the Sales and Service capabilities ("cx", https://learn.microsoft.com/dynamics365/developer/reference/mcp-tools/).
 * An agent chooses the names its clients know (`names` in agents.json): one handler serves a
 * capability under either name, with each generation's argument names as its reference uses them.
 *
 * Only capabilities with the same meaning and inputs under both names are mapped. A tool without
 * an entry has one name in both generations (the Dataverse record tools, the research tools, and
 * the pipeline tools, which exist only under their cx names).
 */
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
];

const BY_CLASSIC = new Map(NAME_MAP.map((m) => [m.classic, m]));
const BY_CX = new Map(NAME_MAP.map((m) => [m.cx, m]));

/** The mapping of a tool by either of its names. */
export function nameMapping(name: string): NameMapping | undefined {
  return BY_CLASSIC.get(name) ?? BY_CX.get(name);
}

/** Every name a tool declared as `name` is known by, in any generation. */
export function namesOf(name: string): string[] {
  const m = BY_CLASSIC.get(name);
  return m ? [m.classic, m.cx] : [name];
}
