import type { ListPromptsResult, ListResourceTemplatesResult, ListToolsResult, Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';

import type { AgentConfig } from '../config/agents.js';
import type { AgentSettings, RegisteredTool } from '../tools/defineTool.js';
import { type NameMapping, nameMapping, namesOf, servedIn } from '../tools/names.js';
import type { PromptDefinition, RawTool, ResourceSource, ResourceTemplateSpec } from '../tools/surface.js';
import type { DiscoveryFilter } from './discovery.js';
import { declareParamHeaders, type ParamHeader, paramHeadersOf } from './paramHeaders.js';

/** What one agent serves (computed once at start-up): tools, prompts, resources, and how they see the agent. */
export interface AgentTools {
  settings: AgentSettings;
  title: string;
  instructions: string | undefined;
  tools: ReadonlyMap<string, CompiledTool>;
  /**
   * The name each listed tool is served under, by the name it is declared under (classic where it
   * has two): prompts and completions name tools as declared, and the agent's generation decides
   * what the model is told to call.
   */
  servedNames: ReadonlyMap<string, string>;
  /** Privilege-filtered discovery (absent when the agent lists every tool to everyone). */
  discovery?: DiscoveryFilter | undefined;
  /** Tools that shape their own results (the conformance fixture). */
  raw: ReadonlyMap<string, RawTool>;
  listResult: ListToolsResult;
  prompts: ReadonlyMap<string, PromptDefinition>;
  promptList: ListPromptsResult;
  resources: readonly ResourceSource[];
  /** The resource templates by URI template (completions name them so). */
  templates: ReadonlyMap<string, ResourceTemplateSpec>;
  templateList: ListResourceTemplatesResult;
}

/**
 * The prompts and resources an agent serves: those of its tool sets, and of the prompts only those
 * whose tools it lists (a read-only route offers no prompt that ends in a write).
 */
export function surfaceForAgent(
  settings: AgentSettings,
  /** Declared names of the tools the agent lists. */
  served: ReadonlySet<string>,
  prompts: readonly PromptDefinition[],
  resources: readonly ResourceSource[],
): Pick<AgentTools, 'prompts' | 'promptList' | 'resources' | 'templates' | 'templateList'> {
  const ofAgent = (toolsets: readonly string[]) => toolsets.some((t) => (settings.toolsets as readonly string[]).includes(t));
  const listed = prompts.filter((p) => ofAgent(p.toolsets) && p.uses.every((tool) => served.has(tool)));
  const sources = resources.filter((r) => ofAgent(r.toolsets));
  const templates = sources.flatMap((r) => r.templates);
  return {
    prompts: new Map(listed.map((p) => [p.name, p])),
    promptList: {
      prompts: listed.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        arguments: p.arguments.map((a) => ({ name: a.name, description: a.description, required: a.required === true })),
      })),
    },
    resources: sources,
    templates: new Map(templates.map((t) => [t.uriTemplate, t])),
    templateList: {
      resourceTemplates: templates.map((t) => ({ uriTemplate: t.uriTemplate, name: t.name, title: t.title, description: t.description, mimeType: t.mimeType })),
    },
  };
}

/** A tool with its wire descriptor computed once per process (never per request). */
export interface CompiledTool {
  def: RegisteredTool;
  /** The input as served: confirmable tools also accept `confirmationHandle`. */
  input: z.ZodObject;
  /** The output as served: confirmable tools wrap their result in a status envelope. */
  output: z.ZodObject;
  descriptor: Tool;
  /** SEP-2243 argument headers the client mirrors (checked by the HTTP layer in 2026-07-28). */
  paramHeaders: readonly ParamHeader[];
}

const ConfirmationSchema = z.object({
  handle: z.string().describe('Pass this back as confirmationHandle, with the same arguments, once the user agrees'),
  expiresAt: z.string().describe('ISO 8601 time after which the handle no longer works'),
  summary: z.string().describe('What will happen; show it to the user'),
  details: z.record(z.string(), z.string()).describe('The facts the user is agreeing to'),
});

/** Adds the confirmation handle parameter and the status envelope to a confirmable tool. */
function servedSchemas(def: RegisteredTool): { input: z.ZodObject; output: z.ZodObject } {
  if (def.kind === 'read') return { input: def.input, output: def.output };
  return {
    input: def.input.extend({
      confirmationHandle: z
        .string()
        .max(64)
        .optional()
        .describe(
          'Leave empty on the first call: it returns a preview and a handle. After the user agrees, call again with the same arguments and this handle.',
        ),
    }),
    output: z.object({
      status: z.enum(['completed', 'confirmation_required', 'cancelled']).describe('completed: the change was made; confirmation_required: nothing changed yet'),
      confirmation: ConfirmationSchema.optional().describe('Present when status is confirmation_required'),
      result: def.output.optional().describe('Present when status is completed'),
    }),
  };
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export class ToolDefinitionError extends Error {
  override name = 'ToolDefinitionError';
}

type JsonObject = { [key: string]: unknown };

/**
 * JSON Schema that Copilot Studio and other strict clients accept: object root, no `$ref`/`$defs`,
 * no type arrays, no root unions. Violations are definition bugs, so they fail at start-up.
 * `pattern` is dropped where a `format` already says the same thing (zod's date-time regex is noise
 * to a model).
 */
export function toClientSafeJsonSchema(schema: z.ZodType, io: 'input' | 'output', where: string): JsonObject {
  const raw = z.toJSONSchema(schema, { io, reused: 'inline', unrepresentable: 'throw' }) as JsonObject;
  delete raw['$schema'];
  if (raw['type'] !== 'object') throw new ToolDefinitionError(`${where}: root must be an object schema`);
  for (const k of ['anyOf', 'oneOf', 'allOf', '$ref', 'not']) {
    if (k in raw) throw new ToolDefinitionError(`${where}: root must not use ${k}`);
  }
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const obj = node as JsonObject;
    if ('$ref' in obj || '$defs' in obj || 'definitions' in obj) throw new ToolDefinitionError(`${where}: $ref at ${path}`);
    if (Array.isArray(obj['type'])) throw new ToolDefinitionError(`${where}: type array at ${path} (avoid nullable)`);
    if (typeof obj['format'] === 'string' && 'pattern' in obj) delete obj['pattern'];
    // zod spells "any value" as `{}`; `true` says the same thing explicitly (linters flag the former).
    const extra = obj['additionalProperties'];
    if (extra && typeof extra === 'object' && Object.keys(extra).length === 0) obj['additionalProperties'] = true;
    for (const [k, v] of Object.entries(obj)) if (typeof v === 'object') visit(v, `${path}.${k}`);
  };
  visit(raw, '$');
  return raw;
}

/** Hints, confirmation and audit follow from the tool's kind (defineTool); what remains to check is the wire shape. */
export function compileTool(def: RegisteredTool): CompiledTool {
  if (!TOOL_NAME.test(def.name)) throw new ToolDefinitionError(`invalid tool name "${def.name}"`);
  const a = def.annotations;
  const { input, output } = servedSchemas(def);
  const inputSchema = toClientSafeJsonSchema(input, 'input', `${def.name} input`);
  if (def.headers) declareParamHeaders(inputSchema, def.headers, def.name);
  const descriptor: Tool = {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: inputSchema as Tool['inputSchema'],
    outputSchema: toClientSafeJsonSchema(output, 'output', `${def.name} output`) as Tool['outputSchema'],
    annotations: { title: def.title, ...a },
  };
  return { def, input, output, descriptor, paramHeaders: paramHeadersOf(inputSchema, def.name) };
}

/**
 * The tools one agent route lists: its tool sets, minus write tools on a read-only route, narrowed
 * by the optional allowlist (either generation's names), under the agent's name generation
 * (classic, cx or both; src/tools/names.ts). Computed once per agent at start-up.
 */
export function toolsForAgent(agent: AgentConfig, all: readonly CompiledTool[]): CompiledTool[] {
  const allow = agent.tools ? new Set(agent.tools) : undefined;
  if (allow) {
    const known = new Set(all.flatMap((t) => namesOf(t.def.name)));
    const unknown = [...allow].filter((n) => !known.has(n));
    if (unknown.length) throw new ToolDefinitionError(`agent "${agent.id}" allows unknown tools: ${unknown.join(', ')}`);
  }
  const generation = agent.names ?? 'classic';
  return all
    .filter((t) => agent.toolsets.includes(t.def.toolset) && (!agent.readOnly || t.def.annotations.readOnlyHint) && servedIn(t.def.name, generation))
    .flatMap((t) => {
      const mapping = nameMapping(t.def.name);
      if (!mapping) return [t];
      if (generation === 'classic') return [t];
      const cx = renamed(t, mapping);
      return generation === 'cx' ? [cx] : [t, cx];
    })
    .filter((t) => !allow || namesOf(canonicalName(t)).some((n) => allow.has(n)));
}

/** The name a tool is declared under (its classic name where it has two). */
export function canonicalName(tool: CompiledTool): string {
  return canonical.get(tool) ?? tool.def.name;
}

/** Declared name → served name for an agent's tools; under `both` a tool keeps its declared name. */
export function servedNamesOf(tools: readonly CompiledTool[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tools) {
    const declared = canonicalName(t);
    if (!out.has(declared) || t.def.name === declared) out.set(declared, t.def.name);
  }
  return out;
}

/**
 * Rewrites declared tool names in text (prompts, tool descriptions) to the names this agent serves
 * (`D365_CustomerService_ListCases` → `list_cases`). Only identifier-like names are rewritten: a
 * declared name that is also a plain word (`chat`) stays, so prose is never mangled.
 */
export function renameTools(text: string, servedNames: ReadonlyMap<string, string>): string {
  const r = renamerOf(servedNames);
  return r ? text.replace(r.pattern, (name) => r.to.get(name) ?? name) : text;
}

/** Whether this agent serves any tool under another name than it is declared with. */
export function renamesTools(servedNames: ReadonlyMap<string, string>): boolean {
  return renamerOf(servedNames) !== undefined;
}

const renamers = new WeakMap<ReadonlyMap<string, string>, { pattern: RegExp; to: ReadonlyMap<string, string> } | null>();

/** One pattern per agent (its renamed names, escaped, longest first), compiled once: each name is replaced once, in one pass. */
function renamerOf(servedNames: ReadonlyMap<string, string>): { pattern: RegExp; to: ReadonlyMap<string, string> } | undefined {
  let r = renamers.get(servedNames);
  if (r === undefined) {
    const to = new Map([...servedNames].filter(([declared, served]) => declared !== served && declared.includes('_')));
    const names = [...to.keys()].sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
    r = names.length ? { pattern: new RegExp(`(?<![A-Za-z0-9_])(?:${names.join('|')})(?![A-Za-z0-9_])`, 'g'), to } : null;
    renamers.set(servedNames, r);
  }
  return r ?? undefined;
}

/**
 * The tools/list answer of an agent: descriptions name other tools as this agent serves them, and a
 * tool with an interactive view links it (`_meta.ui.resourceUri`, MCP Apps): hosts without the
 * extension ignore it and use the text and structuredContent as before.
 */
export function listedDescriptors(tools: readonly CompiledTool[], servedNames: ReadonlyMap<string, string>, viewUri: (declared: string) => string | undefined = () => undefined): ListToolsResult['tools'] {
  return tools.map((t) => {
    const d = t.descriptor;
    const description = d.description === undefined ? undefined : renameTools(d.description, servedNames);
    const uri = viewUri(canonicalName(t));
    if (description === d.description && !uri) return d;
    return { ...d, ...(description !== d.description && { description }), ...(uri && { _meta: { ...d._meta, ui: { resourceUri: uri } } }) };
  });
}

/** Copilot Studio takes at most 128 tools from one server and advises staying at or below 40 (tool limits). */
export const MAX_AGENT_TOOLS = 128;
export const ADVISED_AGENT_TOOLS = 40;

/** Refuses an agent over the hard limit; returns a warning above the advised number, else undefined. */
export function checkToolCount(agentId: string, count: number): string | undefined {
  if (count > MAX_AGENT_TOOLS) {
    throw new ToolDefinitionError(`agent "${agentId}" lists ${count} tools; clients such as Copilot Studio take at most ${MAX_AGENT_TOOLS}. Narrow its toolsets or set "tools".`);
  }
  return count > ADVISED_AGENT_TOOLS ? `agent "${agentId}" lists ${count} tools, more than the ${ADVISED_AGENT_TOOLS} Copilot Studio advises; models choose less well from long lists.` : undefined;
}

const variants = new WeakMap<CompiledTool, CompiledTool>();
const canonical = new WeakMap<CompiledTool, string>();

/**
 * The same handler under its other generation's name and argument names: the schema advertises
 * the cx names, calls are mapped back before validation, and the classic argument names stay
 * accepted as aliases. Compiled once per tool and process.
 */
export function renamed(tool: CompiledTool, mapping: NameMapping): CompiledTool {
  const cached = variants.get(tool);
  if (cached) return cached;
  const def = tool.def;
  const toCx = mapping.params ?? {};
  const toClassic = Object.fromEntries(Object.entries(toCx).map(([classic, cx]) => [cx, classic]));
  const rename = (k: string, map: Readonly<Record<string, string>>) => map[k] ?? k;
  const input = z.object(Object.fromEntries(Object.entries(def.input.shape).map(([k, v]) => [rename(k, toCx), v]))) as unknown as z.ZodObject;
  const variant = compileTool({
    ...def,
    name: mapping.cx,
    input,
    aliases: {
      ...Object.fromEntries(Object.entries(def.aliases ?? {}).map(([alias, target]) => [alias, rename(target, toCx)])),
      ...Object.fromEntries(Object.entries(toCx).map(([classic, cx]) => [classic, cx])),
    },
    headers: def.headers && Object.fromEntries(Object.entries(def.headers).map(([arg, header]) => [rename(arg, toCx), header])),
    bind(raw) {
      const mapped = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.fromEntries(Object.entries(raw).map(([k, v]) => [rename(k, toClassic), v])) : raw;
      const bound = def.bind(mapped);
      // Errors name the arguments as this generation calls them.
      if (!bound.ok) for (const issue of bound.error.issues) if (typeof issue.path[0] === 'string') issue.path[0] = rename(issue.path[0], toCx);
      return bound;
    },
  });
  variants.set(tool, variant);
  canonical.set(variant, def.name);
  return variant;
}

/** The SEP-2243 argument headers of a tool this agent serves (none for an unknown tool). */
export function paramHeadersFor(agent: AgentTools, tool: string): readonly ParamHeader[] {
  const compiled = agent.tools.get(tool);
  if (compiled) return compiled.paramHeaders;
  const raw = agent.raw.get(tool);
  return raw ? rawHeaders(raw) : [];
}

const rawDeclarations = new WeakMap<RawTool, readonly ParamHeader[]>();
function rawHeaders(raw: RawTool): readonly ParamHeader[] {
  let found = rawDeclarations.get(raw);
  if (!found) rawDeclarations.set(raw, (found = paramHeadersOf(raw.descriptor.inputSchema as Record<string, unknown>, raw.descriptor.name)));
  return found;
}
