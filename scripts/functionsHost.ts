/**
 * A stand-in for the Azure Functions Node.js worker, for the bundled-entry test and the cold-start
 * bench. Like the worker, it answers `require('@azure/functions-core')` with its API, imports the
 * entry files, asks the programming model for its capabilities and runs the appStart hooks. It
 * reports what was registered (name, bindings: trigger, route, methods, auth level), the
 * capabilities (HTTP streaming gives an `HttpUri`: the library's proxy the host forwards requests
 * to), the hooks and how long the import took.
 *
 * With MCP_HOST_INVOKE set (a JSON-RPC body) it then invokes the `mcp` function the way the host
 * does with streaming on: the HTTP request goes to the proxy with `x-ms-invocation-id`, the
 * invocation goes through the programming model's InvocationModel, and the answer comes back over
 * the proxy. It reports status, headers, body and when the answer was complete (ms since process
 * start). Usage: node functionsHost.js <entry.js>... ; prints one JSON line on stdout.
 */
import Module from 'node:module';
import { pathToFileURL } from 'node:url';

interface Binding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  [key: string]: unknown;
}

interface Registration {
  name: string;
  bindings: Record<string, Binding>;
}

type Callback = (...args: unknown[]) => unknown;

interface InvocationModelLike {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: Callback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<unknown>;
}

interface ProgrammingModelLike {
  name: string;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
  getInvocationModel(coreContext: unknown): InvocationModelLike;
}

export interface HostReport {
  /** From process start until the first entry's import began (node and this harness). */
  startupMs: number;
  /** Importing every entry, in ms. */
  importMs: number;
  programmingModel: string | undefined;
  capabilities: Record<string, string>;
  hooks: string[];
  registrations: Registration[];
  invocation?: { status: number; headers: Record<string, string>; body: string; completedAtMs: number };
  /** With MCP_HOST_REPEAT: the same request once more on the now warm app, in ms. */
  warmMs?: number;
}

const registered = new Map<string, { metadata: Registration; callback: Callback }>();
const hooks: Array<{ name: string; callback: (context: unknown) => unknown }> = [];
let model: ProgrammingModelLike | undefined;

const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1040.0',
  setProgrammingModel(m: ProgrammingModelLike) {
    model = m;
  },
  getProgrammingModel: () => model,
  registerFunction(metadata: Registration, callback: Callback) {
    registered.set(metadata.name, { metadata: { name: metadata.name, bindings: metadata.bindings }, callback });
    return { dispose() {} };
  },
  registerHook(name: string, callback: (context: unknown) => unknown) {
    hooks.push({ name, callback });
    return { dispose() {} };
  },
  // Present since host 4.28; @azure/functions checks it before turning HTTP streaming on.
  log: () => undefined,
  Disposable: class {
    dispose() {}
  },
};

// What the worker does: `require('@azure/functions-core')` answers with its API.
type RequireFn = (this: unknown, id: string) => unknown;
const proto = (Module as unknown as { prototype: { require: RequireFn } }).prototype;
const originalRequire = proto.require;
proto.require = function (this: unknown, id: string) {
  return id === '@azure/functions-core' ? coreApi : originalRequire.call(this, id);
};

async function main(): Promise<void> {
  const entries = process.argv.slice(2);
  if (entries.length === 0) throw new Error('usage: functionsHost <entry.js>...');
  const started = performance.now();
  for (const entry of entries) await import(pathToFileURL(entry).href);
  const importMs = performance.now() - started;
  const capabilities = model ? await model.getCapabilities({}) : {};
  // As the worker does once the entries are loaded, before any invocation.
  for (const hook of hooks.filter((h) => h.name === 'appStart')) await hook.callback({ hookData: {}, appHookData: {} });
  const report: HostReport = {
    startupMs: started,
    importMs,
    programmingModel: model?.name,
    capabilities,
    hooks: hooks.map((h) => h.name),
    registrations: [...registered.values()].map((r) => r.metadata),
  };
  const body = process.env['MCP_HOST_INVOKE'];
  if (body !== undefined) {
    report.invocation = await invokeMcp(body, capabilities['HttpUri']);
    if (process.env['MCP_HOST_REPEAT']) {
      const again = performance.now();
      await invokeMcp(body, capabilities['HttpUri']);
      report.warmMs = performance.now() - again;
    }
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  // The streaming proxy and the app keep handles open; this process has said all it had to say.
  process.exit(0);
}

/** One invocation of `mcp`, as the host makes it with HTTP streaming: request over the proxy, invocation over "RPC". */
async function invokeMcp(body: string, proxyUri: string | undefined): Promise<HostReport['invocation']> {
  const fn = registered.get('mcp');
  if (!fn || !model) throw new Error('no function named mcp was registered');
  if (!proxyUri) throw new Error('HTTP streaming is off: the programming model offered no HttpUri');
  const agentId = process.env['MCP_HOST_AGENT'] ?? 'sales';
  const publicUrl = new URL(process.env['PUBLIC_BASE_URL'] ?? 'http://127.0.0.1:7071');
  const invocationId = crypto.randomUUID();
  const headers: Record<string, string> = {
    authorization: `Bearer ${process.env['MCP_HOST_TOKEN'] ?? ''}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    host: publicUrl.host,
  };
  const version = process.env['MCP_HOST_PROTOCOL_VERSION'];
  // 2026-07-28 requests repeat the version and method in headers.
  if (version) Object.assign(headers, { 'mcp-protocol-version': version, 'mcp-method': methodOf(body) });

  const trigger = Object.entries(fn.metadata.bindings).find(([, b]) => b.type === 'httpTrigger');
  if (!trigger) throw new Error('mcp has no httpTrigger binding');
  const answer = fetch(new URL(`mcp/${agentId}`, proxyUri), {
    method: 'POST',
    headers: { ...headers, 'x-ms-invocation-id': invocationId, 'x-forwarded-host': publicUrl.host, 'x-forwarded-proto': publicUrl.protocol.replace(':', '') },
    body,
  });
  // The host sends headers and route parameters as trigger metadata; the body travels over the proxy.
  const invocation = model.getInvocationModel({
    invocationId,
    metadata: { name: 'mcp', bindings: fn.metadata.bindings },
    request: {
      inputData: [{ name: trigger[0], data: {} }],
      triggerMetadata: { Headers: { json: JSON.stringify(headers) }, agentId: { string: agentId } },
    },
    log: () => undefined,
    state: undefined,
  });
  const { context, inputs } = await invocation.getArguments();
  const result = await invocation.invokeFunction(context, inputs, fn.callback);
  await invocation.getResponse(context, result);
  const response = await answer;
  const text = await response.text();
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    out[key] = value;
  });
  return { status: response.status, headers: out, body: text, completedAtMs: performance.now() };
}

function methodOf(body: string): string {
  const parsed = JSON.parse(body) as { method?: unknown };
  return typeof parsed.method === 'string' ? parsed.method : '';
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
