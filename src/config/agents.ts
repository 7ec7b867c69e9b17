import { readFileSync } from 'node:fs';
import { z } from 'zod';

// What tools need of an agent is declared with the tools; the configuration validates it.
import { ResearchSchema } from '../tools/research/settings.js';
import { PrioritizationSchema } from '../tools/sales/settings.js';
import { NAME_GENERATIONS, TOOLSETS } from '../tools/toolsets.js';

/** Where summaries, drafts and answers come from (COPILOT_PROVIDER, or per agent): see src/copilot/provider.ts. */
export const COPILOT_PROVIDERS = ['embedded', 'dataverse', 'chat'] as const;

const agentIdPattern = /^[a-z][a-z0-9-]{0,62}$/;

export const AgentConfigSchema = z
  .object({
    id: z.string().regex(agentIdPattern, 'lower-case letters, digits and dashes, starting with a letter'),
    title: z.string().min(1).max(100),
    description: z.string().max(1000).optional(),
    /** Agent-level MCP toggle; a disabled agent answers 403. */
    enabled: z.boolean().default(true),
    /** A read-only agent lists no write tool, whatever else is configured. */
    readOnly: z.boolean().default(false),
    /**
     * Which writes ask the user first. `all` (default): every write. `destructive-and-outbound`:
     * only deletes, sends, qualification, closing cases and schema changes.
     */
    confirmWrites: z.enum(['all', 'destructive-and-outbound']).default('all'),
    toolsets: z.array(z.enum(TOOLSETS)).min(1),
    /**
     * Which tool names the route serves: `classic` (D365_*, as the first Microsoft servers; default),
     * `cx` (the Dynamics 365 CX MCP Server's names and argument names) or `both`. One handler per
     * capability either way (src/tools/names.ts).
     */
    names: z.enum(NAME_GENERATIONS).default('classic'),
    /** Optional allowlist of tool names (after toolsets and read-only filtering). */
    tools: z.array(z.string().min(1).max(128)).optional(),
    /** Table allowlist for the dataverse tools and read_query (logical names). Absent = the built-in CRM tables. */
    tables: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}\*?$/, 'a table logical name, or a prefix ending in * such as new_*')).optional(),
    /** Accepted token audiences for this route. Absent = the service default (AUTH_AUDIENCES). */
    audiences: z.array(z.string().min(1)).optional(),
    /** Delegated scopes a token must carry for this route. Absent = the service default (AUTH_REQUIRED_SCOPES). */
    requiredScopes: z.array(z.string().min(1)).optional(),
    /** Settings of the research tool set (ideal customer profile, competitor names). */
    research: ResearchSchema.optional(),
    /**
     * Customer-facing drafts (case replies) may quote the case's notes. Notes are internal by
     * default: a reply never repeats them unless this is set.
     */
    quoteCaseNotes: z.boolean().default(false),
    /**
     * What delete_entity_record may delete on this agent: `notes-and-activities` (default; as the
     * Dynamics 365 CX MCP Server restricts it) or `any` allowed table.
     */
    recordDeletes: z.enum(['notes-and-activities', 'any']).default('notes-and-activities'),
    /**
     * Which tools a user is listed: `privileges` (default) only those their Dataverse security roles
     * let them run (src/tools/discovery.ts); `all` every tool of the agent, as Microsoft's servers do.
     */
    discovery: z.enum(['privileges', 'all']).default('privileges'),
    /**
     * The Copilot provider of this agent instead of the deployment's COPILOT_PROVIDER, e.g. `embedded`
     * on an agent whose data must not reach a chat endpoint; `chat` needs COPILOT_CHAT_URL.
     */
    copilot: z.enum(COPILOT_PROVIDERS).optional(),
    /** Defaults of D365_Sales_PrioritizeLeads (weights, hot threshold); a call may override them. */
    prioritization: PrioritizationSchema.optional(),
    /** Shown to the model as the server's instructions. */
    instructions: z.string().max(4000).optional(),
    /** Fixture routes (e.g. for the conformance suite): only served when ENABLE_TEST_AGENTS=true. */
    testOnly: z.boolean().default(false),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

export const AgentsFileSchema = z
  .object({
    $schema: z.string().optional(),
    agents: z.array(AgentConfigSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, agent] of file.agents.entries()) {
      if (agent.toolsets.includes('conformance') && !agent.testOnly) {
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'toolsets'], message: 'the conformance fixture is for testOnly agents only' });
      }
      if (seen.has(agent.id)) {
        ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id "${agent.id}"` });
      }
      seen.add(agent.id);
    }
  });

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses and validates an agents document; the message lists every problem with its path. */
export function parseAgents(json: unknown, source: string): AgentConfig[] {
  const parsed = AgentsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid agents configuration in ${source}:\n${problems}`);
  }
  return parsed.data.agents;
}

export function loadAgentsFile(path: string): AgentConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`Agents configuration not found at ${path} (set AGENTS_FILE or AGENTS_JSON).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`Agents configuration at ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseAgents(json, path);
}
