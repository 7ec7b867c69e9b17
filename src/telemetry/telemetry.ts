import { AsyncLocalStorage } from 'node:async_hooks';

import type { DataverseCall } from '../dataverse/client.js';
import type { Answer } from '../mcp/answer.js';
import type { Logger } from './log.js';

/**
 * What the server tells operators about its traffic: one request record per MCP exchange,
 * dependency records for Dataverse and Table Storage, events for confirmations and writes, cache
 * metrics. Every record is built here from facts the caller names (agent, era, method, tool,
 * status), each checked against a closed vocabulary or a strict pattern, so no token, argument
 * value, URL or body can reach a sink, whatever a caller passes. Sinks: Application Insights
 * (lazily loaded, see appInsights.ts) and, with LOG_FORMAT=json, structured log lines.
 */

export type Era = 'modern' | 'legacy';

export type ExchangeOutcome =
  | 'ok'
  | 'tool_error'
  | 'confirmation_required'
  | 'input_required'
  | 'declined'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rejected'
  | 'failed'
  | 'cancelled';

export type ConfirmationStage = 'asked' | 'given' | 'refused';
export type WriteOutcome = 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'unknown';
export type CacheName = 'obo' | 'metadata';

/** What one instance-to-instance relay step (Storage Queues) did; see InstanceMailbox. */
export interface RelayFacts {
  /** send: posted to a peer's queue; receive: handed on here; refused: failed authentication; failed: storage or handler trouble. */
  op: 'send' | 'receive' | 'refused' | 'failed';
  /** The mailbox kind (answer, sse, cancel); anything else is `other`. */
  kind?: string;
  /** send: `sent`, or `no-queue` (the peer has ended). */
  outcome?: 'sent' | 'no-queue';
  /** refused: why; failed: where. */
  reason?: 'signature' | 'instance' | 'expired' | 'malformed' | 'send' | 'poll' | 'handler';
  /** send: how long the post took; receive: from the sender's timestamp to hand-over (the hop's latency). */
  ms?: number;
}

/** The facts of one tool-level event; every field comes from the inventory or the route. */
export interface ToolFacts {
  agent: string;
  tool: string;
  era: Era;
}

/** One Dataverse HTTP attempt, as DataverseClient's `observe` option reports it. */
export type DataverseCallFacts = DataverseCall;

/** One Table Storage HTTP call (reported by the pipeline policy in src/sessions/tableStorage.ts). */
export interface StorageCallFacts {
  method: string;
  /** Table name (`mcpsessions`), or `Tables` for service calls. */
  table: string;
  status: number | undefined;
  ms: number;
  /** Storage's x-ms-request-id. */
  requestId: string | undefined;
}

/** A record as every sink receives it: only short, vetted strings and numbers. */
export type TelemetryRecord =
  | {
      type: 'request';
      name: string;
      time: string;
      durationMs: number;
      resultCode: number;
      success: boolean;
      operationId: string;
      properties: Record<string, string>;
    }
  | {
      type: 'dependency';
      system: 'dataverse' | 'tables';
      name: string;
      target: string;
      method: string;
      /** Scheme, host and the entity set or table only: never a key, a query or a continuation. */
      url: string;
      time: string;
      durationMs: number;
      resultCode: number;
      success: boolean;
      operationId: string | undefined;
      properties: Record<string, string>;
    }
  | { type: 'event'; name: string; time: string; operationId: string | undefined; properties: Record<string, string> }
  | { type: 'metric'; name: string; time: string; value: number; properties: Record<string, string> };

export interface TelemetrySink {
  emit(record: TelemetryRecord): void;
  /** Called once an exchange's response has been sent: a good moment for deferred work. */
  idle?(): void;
  flush(): Promise<void>;
}

/** The span of one MCP exchange: one HTTP request to /mcp/{agentId}, until its last byte. */
export interface Exchange {
  readonly requestId: string;
  /** Runs the handling of the exchange with this span current (see `currentExchange`). */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** What the request turned out to be. */
  set(facts: { era?: Era; method?: string; tool?: string }): void;
  /** Era, method and tool read off a parsed JSON-RPC body; the tool counts only if the agent serves it. */
  describe(body: unknown, era: Era, tools: { has(name: string): boolean }): void;
  /** The result a tools/call produced (only its kind is kept). */
  toolResult(result: unknown): void;
  /** Ends the span when the response body has been sent (or at once without a body); returns the response to send. */
  finish(response: Response): Response;
  finish(response: Answer): Answer;
}

export interface Telemetry {
  /** Whether any sink listens (callers may skip work that only feeds telemetry). */
  readonly enabled: boolean;
  exchange(agentId: string, requestId: string): Exchange;
  /** An observer for a DataverseClient serving `requestId` (pass as its `observe` option). */
  dataverse(requestId: string): (call: DataverseCallFacts) => void;
  /** Table Storage calls; correlated with the exchange current when they were made. */
  storage(call: StorageCallFacts): void;
  confirmation(stage: ConfirmationStage, facts: ToolFacts & { via: 'handle' | 'elicitation' }): void;
  write(facts: ToolFacts & { outcome: WriteOutcome }): void;
  cacheLookup(cache: CacheName, hit: boolean): void;
  /** One relay step between instances: counted, and timed where it has a duration (no queue name, URL or payload). */
  relay(facts: RelayFacts): void;
  /** Sends everything recorded so far (loads Application Insights first if it has not been). */
  flush(): Promise<void>;
}

export interface TelemetryClock {
  /** Wall-clock time in ms (record timestamps). */
  now(): number;
  /** Monotonic ms (durations). */
  monotonic(): number;
}

const systemTelemetryClock: TelemetryClock = { now: Date.now, monotonic: () => performance.now() };

export interface TelemetryOptions {
  sinks: readonly TelemetrySink[];
  /** Configured agent ids: any other id (an unknown route) is recorded as `(unknown)`. */
  agents: readonly string[];
  /** Every tool name the server has: any other name (a client's typo, an argument passed by mistake) is `unknown`. */
  tools: readonly string[];
  /** Host names recorded as dependency targets. */
  dataverseHost?: string;
  tablesHost?: string;
  clock?: TelemetryClock;
  log?: Logger;
}

const storage = new AsyncLocalStorage<LiveExchange>();

/** The exchange whose handling is running (inside `Exchange.run`), if any. */
export function currentExchange(): Exchange | undefined {
  return storage.getStore();
}

/** MCP methods recorded by name; anything else a client sends is `other`. */
const METHODS = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
]);

const NAME = /^[A-Za-z0-9_.-]{1,80}$/;
const RELAY_OPS = new Set(['send', 'receive', 'refused', 'failed']);
const RELAY_KINDS = new Set(['answer', 'sse', 'cancel']);
const RELAY_REASONS = new Set(['signature', 'instance', 'expired', 'malformed', 'send', 'poll', 'handler']);
const HOST = /^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
const HEX_UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'MERGE', 'OPTIONS']);

function vetted(value: string | undefined, pattern: RegExp, fallback: string): string {
  return value !== undefined && pattern.test(value) ? value : fallback;
}

function methodName(method: unknown): string {
  return typeof method === 'string' && METHODS.has(method) ? method : 'other';
}

/** App Insights operation ids are 32 hex digits: our request ids (UUIDs) without dashes. */
function operationIdOf(requestId: string): string {
  return HEX_UUID.test(requestId) ? requestId.replace(/-/g, '').toLowerCase() : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The kind of a tools/call result, from its shape alone. */
export function toolOutcomeOf(result: unknown): ExchangeOutcome {
  if (!isRecord(result)) return 'ok';
  if (result['resultType'] === 'input_required') return 'input_required';
  if (result['isError'] === true) return 'tool_error';
  const structured = result['structuredContent'];
  if (isRecord(structured)) {
    if (structured['status'] === 'confirmation_required') return 'confirmation_required';
    if (structured['status'] === 'cancelled') return 'declined';
  }
  return 'ok';
}

function outcomeOfStatus(status: number): ExchangeOutcome | undefined {
  if (status >= 500) return 'failed';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status >= 400) return 'rejected';
  return undefined;
}

class LiveExchange implements Exchange {
  private era: Era | undefined;
  private method: string | undefined;
  private tool: string | undefined;
  private toolOutcome: ExchangeOutcome | undefined;
  private ended = false;
  private readonly startedAt: number;
  private readonly started: number;
  readonly operationId: string;

  constructor(
    private readonly telemetry: LiveTelemetry,
    private readonly agent: string,
    readonly requestId: string,
  ) {
    this.startedAt = telemetry.clock.now();
    this.started = telemetry.clock.monotonic();
    this.operationId = operationIdOf(requestId);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return storage.run(this, fn);
  }

  set(facts: { era?: Era; method?: string; tool?: string }): void {
    if (facts.era !== undefined) this.era = facts.era === 'legacy' ? 'legacy' : 'modern';
    if (facts.method !== undefined) this.method = methodName(facts.method);
    if (facts.tool !== undefined) this.tool = this.telemetry.toolName(facts.tool);
  }

  describe(body: unknown, era: Era, tools: { has(name: string): boolean }): void {
    this.set({ era });
    if (Array.isArray(body)) {
      this.method = 'batch';
      return;
    }
    if (!isRecord(body)) return;
    this.method = methodName(body['method']);
    if (this.method === 'tools/call') {
      const params = body['params'];
      const name = isRecord(params) ? params['name'] : undefined;
      this.tool = typeof name === 'string' && tools.has(name) ? this.telemetry.toolName(name) : 'unknown';
    }
  }

  toolResult(result: unknown): void {
    this.toolOutcome = toolOutcomeOf(result);
  }

  finish(response: Response): Response;
  finish(response: Answer): Answer;
  finish(response: Answer): Answer {
    const status = response.status;
    // A whole answer (JSON) is complete already: the span ends now. Wrapping its body in another
    // stream and Response cost more than the rest of a small call's telemetry.
    if (!(response instanceof Response) || !response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      this.end(status);
      return response;
    }
    const reader = response.body.getReader();
    const end = (cancelled: boolean) => this.end(status, cancelled);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end(false);
          } else {
            controller.enqueue(value);
          }
        } catch (err) {
          end(true);
          controller.error(err);
        }
      },
      cancel(reason) {
        end(true);
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status, statusText: response.statusText, headers: response.headers });
  }

  private end(status: number, cancelled = false): void {
    if (this.ended) return;
    this.ended = true;
    const outcome: ExchangeOutcome = outcomeOfStatus(status) ?? (cancelled ? 'cancelled' : (this.toolOutcome ?? 'ok'));
    const method = this.method ?? (status >= 400 ? 'none' : 'other');
    const properties: Record<string, string> = { agent: this.agent, method, outcome, status: String(status), requestId: this.requestId };
    if (this.era) properties['era'] = this.era;
    if (this.tool) properties['tool'] = this.tool;
    this.telemetry.emit({
      type: 'request',
      name: `MCP ${method}`,
      time: new Date(this.startedAt).toISOString(),
      durationMs: Math.max(0, this.telemetry.clock.monotonic() - this.started),
      resultCode: status,
      success: status < 400 && outcome !== 'tool_error' && outcome !== 'failed',
      operationId: this.operationId,
      properties,
    });
    this.telemetry.idle();
  }
}

class LiveTelemetry implements Telemetry {
  readonly enabled = true;
  readonly clock: TelemetryClock;
  private readonly agents: ReadonlySet<string>;
  private readonly tools: ReadonlySet<string>;
  private readonly dataverseHost: string;
  private readonly tablesHost: string;

  constructor(private readonly options: TelemetryOptions) {
    this.clock = options.clock ?? systemTelemetryClock;
    this.agents = new Set(options.agents);
    this.tools = new Set(options.tools);
    this.dataverseHost = vetted(options.dataverseHost, HOST, 'dataverse');
    this.tablesHost = vetted(options.tablesHost, HOST, 'tables');
  }

  emit(record: TelemetryRecord): void {
    for (const sink of this.options.sinks) {
      try {
        sink.emit(record);
      } catch (err) {
        // A sink failing must never fail a request.
        this.options.log?.debug('telemetry sink failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  idle(): void {
    for (const sink of this.options.sinks) sink.idle?.();
  }

  private agentName(agentId: string): string {
    return this.agents.has(agentId) && NAME.test(agentId) ? agentId : '(unknown)';
  }

  toolName(tool: string): string {
    return this.tools.has(tool) && NAME.test(tool) ? tool : 'unknown';
  }

  exchange(agentId: string, requestId: string): Exchange {
    return new LiveExchange(this, this.agentName(agentId), vetted(requestId, REQUEST_ID, 'invalid'));
  }

  dataverse(requestId: string): (call: DataverseCallFacts) => void {
    const operationId = operationIdOf(requestId);
    const ours = vetted(requestId, REQUEST_ID, 'invalid');
    return (call) => {
      const method = HTTP_METHODS.has(call.method) ? call.method : 'OTHER';
      const entity = vetted(call.entity, NAME, 'other');
      const properties: Record<string, string> = {
        attempt: String(Math.max(1, Math.floor(call.attempt))),
        throttled: String(call.throttled === true),
        dataverseRequestId: vetted(call.requestId, REQUEST_ID, 'invalid'),
        requestId: ours,
      };
      if (call.failure) properties['failure'] = ['timeout', 'cancelled', 'network'].includes(call.failure) ? call.failure : 'network';
      this.emit({
        type: 'dependency',
        system: 'dataverse',
        name: `${method} ${entity}`,
        target: this.dataverseHost,
        method,
        url: `https://${this.dataverseHost}/api/data/v9.2/${entity}`,
        time: new Date(this.clock.now() - call.ms).toISOString(),
        durationMs: Math.max(0, call.ms),
        resultCode: call.status ?? 0,
        success: call.status !== undefined && call.status < 400,
        operationId: operationId || undefined,
        properties,
      });
    };
  }

  storage(call: StorageCallFacts): void {
    const current = storage.getStore();
    const method = HTTP_METHODS.has(call.method) ? call.method : 'OTHER';
    const table = vetted(call.table, NAME, 'other');
    const properties: Record<string, string> = {};
    if (call.requestId !== undefined) properties['storageRequestId'] = vetted(call.requestId, REQUEST_ID, 'invalid');
    if (current) properties['requestId'] = current.requestId;
    this.emit({
      type: 'dependency',
      system: 'tables',
      name: `${method} ${table}`,
      target: this.tablesHost,
      method,
      url: `https://${this.tablesHost}/${table}`,
      time: new Date(this.clock.now() - call.ms).toISOString(),
      durationMs: Math.max(0, call.ms),
      resultCode: call.status ?? 0,
      // 404 on a point read is an answer ("no such session"), not a failure of the dependency.
      success: call.status !== undefined && (call.status < 400 || call.status === 404 || call.status === 409),
      operationId: current?.operationId || undefined,
      properties,
    });
  }

  private toolEvent(name: string, facts: ToolFacts, extra: Record<string, string>): void {
    const current = storage.getStore();
    this.emit({
      type: 'event',
      name,
      time: new Date(this.clock.now()).toISOString(),
      operationId: current?.operationId || undefined,
      properties: {
        agent: this.agentName(facts.agent),
        tool: this.toolName(facts.tool),
        era: facts.era === 'legacy' ? 'legacy' : 'modern',
        ...(current && { requestId: current.requestId }),
        ...extra,
      },
    });
  }

  confirmation(stage: ConfirmationStage, facts: ToolFacts & { via: 'handle' | 'elicitation' }): void {
    const via = facts.via === 'elicitation' ? 'elicitation' : 'handle';
    const name = stage === 'asked' ? 'confirmation asked' : stage === 'given' ? 'confirmation given' : 'confirmation refused';
    this.toolEvent(name, facts, { via });
  }

  write(facts: ToolFacts & { outcome: WriteOutcome }): void {
    const outcome = ['succeeded', 'partial', 'failed', 'cancelled', 'unknown'].includes(facts.outcome) ? facts.outcome : 'unknown';
    this.toolEvent('write', facts, { outcome });
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    this.emit({
      type: 'metric',
      name: 'cache hit',
      time: new Date(this.clock.now()).toISOString(),
      value: hit ? 1 : 0,
      properties: { cache: cache === 'obo' ? 'obo' : 'metadata' },
    });
  }

  relay(facts: RelayFacts): void {
    const op = RELAY_OPS.has(facts.op) ? facts.op : 'failed';
    const properties: Record<string, string> = { kind: facts.kind !== undefined && RELAY_KINDS.has(facts.kind) ? facts.kind : 'other' };
    if (facts.outcome === 'sent' || facts.outcome === 'no-queue') properties['outcome'] = facts.outcome;
    if (facts.reason !== undefined) properties['reason'] = RELAY_REASONS.has(facts.reason) ? facts.reason : 'other';
    const timed = (op === 'send' || op === 'receive') && typeof facts.ms === 'number' && Number.isFinite(facts.ms);
    this.emit({
      type: 'metric',
      // Durations for sends and receives (their count comes with them); a count of one otherwise.
      name: op === 'send' ? 'relay send ms' : op === 'receive' ? 'relay latency ms' : op === 'refused' ? 'relay refused' : 'relay failed',
      time: new Date(this.clock.now()).toISOString(),
      value: timed ? Math.max(0, Math.round(facts.ms!)) : op === 'send' || op === 'receive' ? 0 : 1,
      properties,
    });
  }

  async flush(): Promise<void> {
    await Promise.all(this.options.sinks.map((s) => s.flush().catch(() => undefined)));
  }
}

class NoExchange implements Exchange {
  constructor(readonly requestId: string) {}
  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
  set(): void {}
  describe(): void {}
  toolResult(): void {}
  finish(response: Response): Response;
  finish(response: Answer): Answer;
  finish(response: Answer): Answer {
    return response;
  }
}

/** Telemetry that records nothing and costs nothing (no connection string, no LOG_FORMAT=json). */
export const noTelemetry: Telemetry = {
  enabled: false,
  exchange: (_agentId, requestId) => new NoExchange(requestId),
  dataverse: () => () => undefined,
  storage: () => undefined,
  confirmation: () => undefined,
  write: () => undefined,
  cacheLookup: () => undefined,
  relay: () => undefined,
  flush: async () => undefined,
};

export function createTelemetry(options: TelemetryOptions): Telemetry {
  return options.sinks.length === 0 ? noTelemetry : new LiveTelemetry(options);
}

/** LOG_FORMAT=json: every record printed as one structured log line (`"msg":"telemetry"`). */
export function logSink(log: Logger): TelemetrySink {
  return {
    emit: (record) => log.info('telemetry', { ...record }),
    flush: async () => undefined,
  };
}

/** Host of a URL, for dependency targets; undefined when it is not a URL. */
export function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
