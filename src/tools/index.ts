import { fixturePrompts, fixtureResources, fixtureTools } from './conformance/index.js';
import { bulkTools } from './bulk/index.js';
import { coreTools } from './core/index.js';
import { filesTools } from './files/index.js';
import { dataverseTools } from './dataverse/index.js';
import { knowledgeTools } from './knowledge/index.js';
import { pipelineTools } from './pipeline/index.js';
import { caseworkTools, peopleTools } from './casework/index.js';
import type { RegisteredTool } from './defineTool.js';
import { engagementTools } from './engagement/index.js';
import { recordsTools } from './records/index.js';
import { researchTools } from './research/index.js';
import { salesTools } from './sales/index.js';
import { recordResources, tableResources } from './dataverse/resources.js';
import { salesPrompts } from './sales/prompts.js';
import { serviceTools } from './service/index.js';
import { prepareAccountBriefing, servicePrompts } from './service/prompts.js';
import type { PromptDefinition, RawTool, ResourceSource } from './surface.js';
import { viewResources } from './views/resources.js';

/** Every tool the server knows, by tool set (one folder each). Agents choose by tool set, allowlist and read-only mode. */
export const ALL_TOOLS: readonly RegisteredTool[] = [...coreTools, ...salesTools, ...serviceTools, ...dataverseTools, ...researchTools, ...knowledgeTools, ...pipelineTools, ...bulkTools, ...filesTools, ...recordsTools, ...engagementTools, ...caseworkTools, ...peopleTools];

/** Every prompt; an agent lists those of its tool sets whose tools it serves. */
export const ALL_PROMPTS: readonly PromptDefinition[] = [...salesPrompts, ...servicePrompts, prepareAccountBriefing, ...fixturePrompts];

/** Every resource family; an agent serves those of its tool sets. */
export const ALL_RESOURCES: readonly ResourceSource[] = [tableResources, recordResources, fixtureResources, viewResources];

/** Tools that shape their own MCP results: the conformance fixture, on test-only agents. */
export const RAW_TOOLS: readonly RawTool[] = fixtureTools;
