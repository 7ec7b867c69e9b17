import { inputRequired, type InputRequiredResult, MissingRequiredClientCapabilityError } from '@modelcontextprotocol/server';

import type { Exchange, PromptDefinition, RawTool, ResourceSource } from '../surface.js';

/**
 * The fixture surface the official conformance suite expects (its "everything" server: tools
 * `test_*`, resources `test://…`, prompts `test_*`), served only on `testOnly` agents with the
 * `conformance` tool set, through the same server, auth and dispatch as every product agent. The
 * texts are the ones the suite checks.
 */

// 1×1 red PNG and a minimal WAV, as the suite's fixture uses.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const noArgs = { type: 'object' as const, properties: {} };
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

function tool(name: string, description: string, call: RawTool['call'], inputSchema: RawTool['descriptor']['inputSchema'] = noArgs): RawTool {
  return { toolset: 'conformance', descriptor: { name, description, inputSchema, annotations }, call };
}

const stringArg = (name: string, description: string) => ({ type: 'object' as const, properties: { [name]: { type: 'string', description } }, required: [name] });

/** The text of an accepted form answer's field. */
function answered(exchange: Exchange, key: string, field: string): string | undefined {
  const response = exchange.inputResponses?.[key] as { action?: unknown; content?: Record<string, unknown> } | undefined;
  const value = response?.content?.[field];
  return typeof value === 'string' ? value : undefined;
}

const form = (message: string, properties: Record<string, unknown>, required: string[] = Object.keys(properties)) =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties, required } as never });

const sample = (prompt: string, maxTokens: number) => inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

const caps = (exchange: Exchange) => exchange.clientCapabilities as { elicitation?: unknown; sampling?: unknown; roots?: unknown };

async function ask(exchange: Exchange, inputRequests: InputRequiredResult['inputRequests'], state?: Record<string, unknown>): Promise<InputRequiredResult> {
  return inputRequired({ inputRequests, ...(state && { requestState: await exchange.seal(state) }) });
}

function elicitationSummary(exchange: Exchange, key: string): string {
  const r = exchange.inputResponses?.[key] as { action?: unknown; content?: unknown } | undefined;
  return `action=${String(r?.action)}, content=${JSON.stringify(r?.content ?? {})}`;
}

const SEP1034_SCHEMA = {
  name: { type: 'string', description: 'User name', default: 'John Doe' },
  age: { type: 'integer', description: 'User age', default: 30 },
  score: { type: 'number', description: 'User score', default: 95.5 },
  status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
  verified: { type: 'boolean', description: 'Verification status', default: true },
};

const SEP1330_SCHEMA = {
  untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
  titledSingle: {
    type: 'string',
    description: 'Select one option with titles',
    oneOf: [
      { const: 'value1', title: 'First Option' },
      { const: 'value2', title: 'Second Option' },
      { const: 'value3', title: 'Third Option' },
    ],
  },
  legacyEnum: { type: 'string', description: 'Select one option (legacy)', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
  untitledMulti: { type: 'array', description: 'Select multiple options', minItems: 1, maxItems: 3, items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
  titledMulti: {
    type: 'array',
    description: 'Select multiple options with titles',
    minItems: 1,
    maxItems: 3,
    items: {
      anyOf: [
        { const: 'value1', title: 'First Choice' },
        { const: 'value2', title: 'Second Choice' },
        { const: 'value3', title: 'Third Choice' },
      ],
    },
  },
};

export const fixtureTools: readonly RawTool[] = [
  tool('test_simple_text', 'Tests simple text content response', async () => text('This is a simple text response for testing.')),
  tool('test_image_content', 'Tests image content response', async () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] })),
  tool('test_audio_content', 'Tests audio content response', async () => ({ content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] })),
  tool('test_embedded_resource', 'Tests embedded resource content response', async () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  })),
  tool('test_multiple_content_types', 'Tests response with multiple content types (text, image, resource)', async () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  })),
  tool('test_tool_with_logging', 'Tests tool that emits log messages during execution', async (_args, _ctx, exchange) => {
    for (const message of ['Tool execution started', 'Tool processing data', 'Tool execution completed']) await exchange.log('info', message);
    return text('Tool with logging executed successfully');
  }),
  tool('test_tool_with_progress', 'Tests tool that reports progress notifications', async (_args, _ctx, exchange) => {
    for (const step of [0, 50, 100]) await exchange.progress(step, 100, `Completed step ${step} of 100`);
    return text('Progress reported');
  }),
  tool('test_error_handling', 'Tests error response handling', async () => ({ content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }], isError: true })),
  tool(
    'test_sampling',
    'Tests server-initiated sampling (LLM completion request)',
    async (args, _ctx, exchange) => {
      const reply = exchange.inputResponses?.['completion'] as { content?: { text?: unknown } } | undefined;
      if (reply) return text(`LLM response: ${typeof reply.content?.text === 'string' ? reply.content.text : 'No response'}`);
      return ask(exchange, { completion: sample(String(args['prompt'] ?? ''), 100) });
    },
    stringArg('prompt', 'The prompt to send to the LLM'),
  ),
  tool(
    'test_elicitation',
    'Tests server-initiated elicitation (user input request)',
    async (args, _ctx, exchange) => {
      if (exchange.inputResponses?.['answer']) return text(`User response: ${elicitationSummary(exchange, 'answer')}`);
      return ask(exchange, { answer: form(String(args['message'] ?? ''), { response: { type: 'string', description: "User's response" } }) });
    },
    stringArg('message', 'The message to show the user'),
  ),
  tool('test_elicitation_sep1034_defaults', 'Tests elicitation with default values per SEP-1034', async (_args, _ctx, exchange) => {
    if (exchange.inputResponses?.['form']) return text(`Elicitation completed: ${elicitationSummary(exchange, 'form')}`);
    return ask(exchange, { form: form('Please review and update the form fields with defaults', SEP1034_SCHEMA, []) });
  }),
  tool('test_elicitation_sep1330_enums', 'Tests elicitation with enum schema improvements per SEP-1330', async (_args, _ctx, exchange) => {
    if (exchange.inputResponses?.['form']) return text(`Elicitation completed: ${elicitationSummary(exchange, 'form')}`);
    return ask(exchange, { form: form('Please select options from the enum fields', SEP1330_SCHEMA, []) });
  }),
  // SEP-2575 (stateless): a tool that needs sampling refuses a client that did not declare it.
  tool('test_missing_capability', 'Test tool requiring sampling', async (_args, _ctx, exchange) => {
    if (!caps(exchange).sampling) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { sampling: {} } });
    return text('Success');
  }),
  tool('test_streaming_elicitation', 'Diagnostic tool validating response progress streams', async (_args, _ctx, exchange) => {
    await exchange.progress(50, 100, 'Halfway');
    return text('Streaming complete');
  }),
  tool('test_logging_tool', 'Diagnostic logging validator tool', async (_args, _ctx, exchange) => {
    await exchange.log('info', 'Diagnostic trace logging activated');
    return text('Logging evaluated');
  }),
  // SEP-2243: an argument clients mirror into Mcp-Param-Region; the HTTP layer checks header and body agree.
  tool('test_custom_header', 'Tests an argument mirrored into an Mcp-Param header (SEP-2243)', async (args) => text(`Region: ${String(args['region'])}`), {
    type: 'object',
    properties: { region: { type: 'string', description: 'Region to route to', 'x-mcp-header': 'Region' } },
    required: ['region'],
  }),
  // SEP-1613 / SEP-2106: JSON Schema 2020-12 keywords survive tools/list as declared.
  tool('json_schema_2020_12_tool', 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)', async (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`), {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
    properties: {
      name: { type: 'string' },
      address: { $ref: '#/$defs/address' },
      contactMethod: { type: 'string', enum: ['phone', 'email'] },
      phone: { type: 'string' },
      email: { type: 'string' },
    },
    allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
    if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
    then: { required: ['phone'] },
    else: { required: ['email'] },
    additionalProperties: false,
  }),
  // SEP-2322 multi round-trip requests.
  tool('test_input_required_result_elicitation', 'MRTR: returns InputRequiredResult with elicitation request', async (_args, _ctx, exchange) => {
    const name = answered(exchange, 'user_name', 'name');
    if (name !== undefined) return text(`Hello, ${name}!`);
    return ask(exchange, { user_name: form('What is your name?', { name: { type: 'string' } }) });
  }),
  tool('test_input_required_result_sampling', 'MRTR: returns InputRequiredResult with sampling request', async (_args, _ctx, exchange) => {
    const reply = exchange.inputResponses?.['sample_request'] as { content?: { text?: unknown } } | undefined;
    if (reply) return text(`Sampling result: ${typeof reply.content?.text === 'string' ? reply.content.text : 'no response'}`);
    return ask(exchange, { sample_request: sample('What is the capital of France?', 100) });
  }),
  tool('test_input_required_result_list_roots', 'MRTR: returns InputRequiredResult with roots/list request', async (_args, _ctx, exchange) => {
    const reply = exchange.inputResponses?.['roots_request'] as { roots?: unknown } | undefined;
    if (reply) return text(`Found ${Array.isArray(reply.roots) ? reply.roots.length : 0} root(s)`);
    return ask(exchange, { roots_request: inputRequired.listRoots() });
  }),
  tool('test_input_required_result_request_state', 'MRTR: returns InputRequiredResult with requestState', async (_args, _ctx, exchange) => {
    const ok = (exchange.inputResponses?.['confirm'] as { content?: { ok?: unknown } } | undefined)?.content?.ok;
    if (exchange.state?.['kind'] === 'request-state' && ok === true) return text('state-ok: requestState validated');
    return ask(exchange, { confirm: form('Please confirm', { ok: { type: 'boolean' } }) }, { kind: 'request-state' });
  }),
  tool('test_input_required_result_multiple_inputs', 'MRTR: returns InputRequiredResult with multiple input requests', async (_args, _ctx, exchange) => {
    const r = exchange.inputResponses;
    if (exchange.state?.['kind'] === 'multiple-inputs' && r?.['user_name'] && r['greeting'] && r['client_roots']) {
      const greeting = (r['greeting'] as { content?: { text?: unknown } }).content?.text;
      const roots = (r['client_roots'] as { roots?: unknown }).roots;
      return text(`Name: ${answered(exchange, 'user_name', 'name') ?? 'unknown'}; Greeting: ${typeof greeting === 'string' ? greeting : 'Hello there!'}; Roots: ${Array.isArray(roots) ? roots.length : 0}`);
    }
    return ask(
      exchange,
      { user_name: form('What is your name?', { name: { type: 'string' } }), greeting: sample('Generate a greeting', 50), client_roots: inputRequired.listRoots() },
      { kind: 'multiple-inputs' },
    );
  }),
  tool('test_input_required_result_multi_round', 'MRTR: multi-round InputRequiredResult workflow', async (_args, _ctx, exchange) => {
    const round = exchange.state?.['round'];
    const name = answered(exchange, 'step1', 'name');
    if (round === 1 && name !== undefined) {
      return ask(exchange, { step2: form('Step 2: What is your favorite color?', { color: { type: 'string' } }) }, { round: 2, name });
    }
    const color = answered(exchange, 'step2', 'color');
    if (round === 2 && color !== undefined) return text(`Multi-round complete for ${String(exchange.state?.['name'] ?? 'friend')} who likes ${color}`);
    return ask(exchange, { step1: form('Step 1: What is your name?', { name: { type: 'string' } }) }, { round: 1 });
  }),
  // Tampered state never reaches the tool: the server's verification refuses it (-32602) first.
  tool('test_input_required_result_tampered_state', 'MRTR: HMAC-signed requestState integrity test', async (_args, _ctx, exchange) => {
    if (exchange.state?.['kind'] === 'tamper-test' && exchange.inputResponses?.['confirm']) return text('integrity-ok: state verified');
    return ask(exchange, { confirm: form('Please confirm', { ok: { type: 'boolean' } }) }, { kind: 'tamper-test' });
  }),
  tool('test_input_required_result_capabilities', 'MRTR: respects client capabilities in inputRequests', async (_args, _ctx, exchange) => {
    const responses = Object.keys(exchange.inputResponses ?? {});
    if (responses.length) return text(`capabilities-ok: received ${responses.join(',')}`);
    const declared = caps(exchange);
    const requests: InputRequiredResult['inputRequests'] = {
      ...(declared.elicitation !== undefined && { elicit_input: form('Elicitation input', { value: { type: 'string' } }) }),
      ...(declared.sampling !== undefined && { sample_input: sample('Sample request', 50) }),
    };
    if (Object.keys(requests ?? {}).length === 0) return text('No supported capabilities declared');
    return ask(exchange, requests, { kind: 'capabilities-test' });
  }),
];

const user = (content: object) => ({ role: 'user' as const, content }) as never;

export const fixturePrompts: readonly PromptDefinition[] = [
  {
    name: 'test_simple_prompt',
    title: 'Simple Test Prompt',
    description: 'A simple prompt without arguments',
    arguments: [],
    toolsets: ['conformance'],
    uses: [],
    get: async () => ({ messages: [user({ type: 'text', text: 'This is a simple prompt for testing.' })] }),
  },
  {
    name: 'test_prompt_with_arguments',
    title: 'Prompt With Arguments',
    description: 'A prompt with required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true, complete: async (value) => ['test', 'testing', 'tested'].filter((v) => v.startsWith(value)) },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    toolsets: ['conformance'],
    uses: [],
    get: async (args) => ({ messages: [user({ type: 'text', text: `Prompt with arguments: arg1='${args['arg1']}', arg2='${args['arg2']}'` })] }),
  },
  {
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt With Embedded Resource',
    description: 'A prompt that includes an embedded resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }],
    toolsets: ['conformance'],
    uses: [],
    get: async (args) => ({
      messages: [
        user({ type: 'resource', resource: { uri: args['resourceUri'], mimeType: 'text/plain', text: 'Embedded resource content for testing.' } }),
        user({ type: 'text', text: 'Please process the embedded resource above.' }),
      ],
    }),
  },
  {
    name: 'test_prompt_with_image',
    title: 'Prompt With Image',
    description: 'A prompt that includes image content',
    arguments: [],
    toolsets: ['conformance'],
    uses: [],
    get: async () => ({ messages: [user({ type: 'image', data: PNG, mimeType: 'image/png' }), user({ type: 'text', text: 'Please analyze the image above.' })] }),
  },
  {
    name: 'test_input_required_result_prompt',
    title: 'Prompt needing input',
    description: 'MRTR: prompt that requires elicitation input',
    arguments: [],
    toolsets: ['conformance'],
    uses: [],
    async get(_args, _ctx, exchange) {
      const context = answered(exchange, 'user_context', 'context');
      if (context !== undefined) return { messages: [user({ type: 'text', text: `Prompt with context: ${context}` })] };
      return ask(exchange, { user_context: form('What context should the prompt use?', { context: { type: 'string' } }) });
    },
  },
];

const STATIC: Record<string, { mimeType: string; text?: string; blob?: string; name: string; title: string; description: string }> = {
  'test://static-text': { name: 'static-text', title: 'Static Text Resource', description: 'A static text resource for testing', mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
  'test://static-binary': { name: 'static-binary', title: 'Static Binary Resource', description: 'A static binary resource (image) for testing', mimeType: 'image/png', blob: PNG },
  'test://watched-resource': { name: 'watched-resource', title: 'Watched Resource', description: 'A resource clients may subscribe to', mimeType: 'text/plain', text: 'Watched resource content' },
};
const TEMPLATE = /^test:\/\/template\/([^/]+)\/data$/;

export const fixtureResources: ResourceSource = {
  toolsets: ['conformance'],
  // Accepted and acknowledged; a stateless server has no stream to push updates on.
  subscribable: true,
  templates: [{ uriTemplate: 'test://template/{id}/data', name: 'template', title: 'Resource Template', description: 'A resource template with parameter substitution', mimeType: 'application/json' }],
  list: async () => Object.entries(STATIC).map(([uri, r]) => ({ uri, name: r.name, title: r.title, description: r.description, mimeType: r.mimeType })),
  async read(uri) {
    const fixed = STATIC[uri];
    if (fixed) return { contents: [{ uri, mimeType: fixed.mimeType, ...(fixed.blob ? { blob: fixed.blob } : { text: fixed.text ?? '' }) }] };
    const id = TEMPLATE.exec(uri)?.[1];
    if (id === undefined) return undefined;
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id: decodeURIComponent(id), templateTest: true, data: `Data for ID: ${decodeURIComponent(id)}` }) }] };
  },
};
