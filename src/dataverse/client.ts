import { randomUUID } from 'node:crypto';

import type { Logger } from '../telemetry/log.js';
import { type BatchPartResponse, changeSetBody, type ChangeSetRequest, MAX_BATCH_REQUESTS, parseBatchResponse } from './batch.js';
import { classify, DataverseError } from './errors.js';
import { type Aggregation, entityPath, guid, literal, ODataBuildError, type Query, renderApply, renderQuery } from './odata.js';
import { parseSearchResponse, searchBody, type SearchRequest, type SearchResults } from './search.js';

/** Supplies a Dataverse token for the current user; asked once per HTTP call. */
export interface DataverseTokenProvider {
  /** `forceRefresh`: the cached token was refused (revoked, claims challenge); get a new one. */
  getToken(signal?: AbortSignal, options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface RetryPolicy {
  /** Attempts including the first. */
  maxAttempts: number;
  /** Total time the client may spend waiting between attempts before giving up with "retry after". */
  maxTotalWaitMs: number;
  baseDelayMs: number;
}

export interface DataverseClientOptions {
  /** The org URL, e.g. https://contoso.crm.dynamics.com (no /api path). */
  url: string;
  tokens: DataverseTokenProvider;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Cancels every call of this client (e.g. the MCP request was cancelled). */
  signal?: AbortSignal;
  log?: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told once per HTTP attempt (telemetry); it must not throw, and anything it throws is ignored. */
  observe?: (call: DataverseCall) => void;
}

/**
 * One HTTP attempt as telemetry may see it: facts only. No URL (queries carry argument values), no
 * token, no body.
 */
export interface DataverseCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The first path segment: an entity set, action or function name, never a key or a query. */
  entity: string;
  /** The HTTP status, or undefined when no answer came (`failure` says why). */
  status: number | undefined;
  failure?: 'timeout' | 'cancelled' | 'network';
  /** Dataverse refused for service protection (429). */
  throttled: boolean;
  /** 1 for the first attempt; retries count up. */
  attempt: number;
  /** Until the status line arrived (or the attempt failed). */
  ms: number;
  /** Dataverse's request id (x-ms-service-request-id), or the client request id we sent. */
  requestId: string;
}

export type Row = Record<string, unknown>;

export interface Page<T extends Row = Row> {
  rows: T[];
  /** `@odata.count` when `count` was requested (Dataverse caps it at 5000). */
  count: number | undefined;
  /** Opaque continuation (relative to the Web API root) when more rows exist. */
  next: string | undefined;
}

export interface ListOptions {
  /** Rows per page (`Prefer: odata.maxpagesize`). */
  pageSize?: number;
  /** Stop after this many rows (whole pages only; the rest stays behind `next`). */
  maxRows?: number;
  /** Stop once the pages read exceed this many bytes of JSON. */
  maxBytes?: number;
}

const API_PATH = '/api/data/v9.2/';
/** The native Dataverse search endpoint (https://learn.microsoft.com/power-apps/developer/data-platform/search/overview). */
const SEARCH_PATH = '/api/search/v2.0/';
const ANNOTATIONS = 'odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname"';
const NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;
const LOGICAL_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DataverseError('timeout', 'The request was cancelled.', undefined, undefined, undefined));
      },
      { once: true },
    );
  });

/**
 * The only code that speaks HTTP to Dataverse. Typed helpers for the Web API; retries throttling
 * (429, always: Dataverse refused before running anything) and transient failures of reads
 * (503/502/504, network errors); writes are never retried after an ambiguous failure, so nothing
 * is applied twice. Every failure is one `DataverseError`.
 */
export class DataverseClient {
  readonly apiBase: string;
  /** The org URL (no path): where records open in Dynamics 365. */
  readonly orgUrl: string;
  private readonly searchBase: string;
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly options: DataverseClientOptions) {
    this.orgUrl = options.url.replace(/\/+$/, '');
    this.apiBase = `${this.orgUrl}${API_PATH}`;
    this.searchBase = `${this.orgUrl}${SEARCH_PATH}`;
    this.retry = { maxAttempts: 4, maxTotalWaitMs: 20_000, baseDelayMs: 250, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Lists rows; follows `@odata.nextLink` within the row and byte budgets, returning `next` for the rest. */
  async list<T extends Row = Row>(entitySet: string, query: Query, options: ListOptions = {}): Promise<Page<T>> {
    const path = `${checkName(entitySet)}?${renderQuery(query)}`;
    return this.readPages<T>(path, options);
  }

  /**
   * Grouped aggregates in one request (`$apply`). Dataverse aggregates at most 50,000 rows per query
   * (`0x8004E023` AggregateQueryRecordLimit): callers narrow the filter, and may split and retry.
   */
  async aggregate<T extends Row = Row>(entitySet: string, aggregation: Aggregation): Promise<T[]> {
    const res = await this.request<{ value?: T[] }>('GET', `${checkName(entitySet)}?${renderApply(aggregation)}`);
    return res.body?.value ?? [];
  }

  /** Continues a listing from a `next` value returned earlier (only paths under this org's Web API). */
  async continue<T extends Row = Row>(next: string, options: ListOptions = {}): Promise<Page<T>> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\?[^#]*$/.test(next) || next.includes('..')) {
      throw new DataverseError('validation', 'The continuation is not valid for this organisation.', 400, undefined, undefined);
    }
    return this.readPages<T>(next, options);
  }

  async get<T extends Row = Row>(entitySet: string, id: string, query: Pick<Query, 'select' | 'expand'>): Promise<T> {
    const qs = renderQuery(query);
    return (await this.request<T>('GET', `${entityPath(entitySet, id)}${qs ? `?${qs}` : ''}`)).body as T;
  }

  /** Creates a row; returns its id (and the row when `select` is given, via return=representation). */
  async create(
    entitySet: string,
    body: Row,
    options: { select?: readonly string[]; primaryId?: string } = {},
  ): Promise<{ id: string; row: Row | undefined }> {
    const qs = options.select ? `?${renderQuery({ select: options.select })}` : '';
    const res = await this.request<Row>('POST', `${checkName(entitySet)}${qs}`, body, {
      prefer: options.select ? ['return=representation'] : [],
    });
    const fromHeader = recordIdOf(res.headers.get('odata-entityid'));
    const row = options.select ? res.body : undefined;
    const fromRow = options.primaryId ? row?.[options.primaryId] : undefined;
    const id = fromHeader ?? (typeof fromRow === 'string' ? fromRow : findId(row));
    if (!id) throw new DataverseError('failed', 'Dataverse did not return the id of the created record.', res.status, undefined, res.requestId);
    return { id: id.toLowerCase(), row };
  }

  /**
   * Updates a row. `ifMatch` is an ETag (optimistic concurrency: 412 when the row changed) or `*`
   * (default), which makes sure the PATCH never creates a row by accident.
   */
  async update(entitySet: string, id: string, body: Row, options: { ifMatch?: string; select?: readonly string[] } = {}): Promise<Row | undefined> {
    const qs = options.select ? `?${renderQuery({ select: options.select })}` : '';
    const res = await this.request<Row>('PATCH', `${entityPath(entitySet, id)}${qs}`, body, {
      ifMatch: options.ifMatch ?? '*',
      prefer: options.select ? ['return=representation'] : [],
    });
    return options.select ? res.body : undefined;
  }

  async delete(entitySet: string, id: string): Promise<void> {
    await this.request('DELETE', entityPath(entitySet, id));
  }

  /**
   * Links two rows through a many-to-many relationship (`POST …/<nav>/$ref` with `@odata.id`), or
   * removes the link (`DELETE …/<nav>(<id>)/$ref`): associate-disassociate-entities-using-web-api.
   */
  async associate(entitySet: string, id: string, navigation: string, target: { entitySet: string; id: string }): Promise<void> {
    await this.request('POST', `${entityPath(entitySet, id)}/${checkName(navigation)}/$ref`, { '@odata.id': `${this.apiBase}${entityPath(target.entitySet, target.id)}` });
  }

  async disassociate(entitySet: string, id: string, navigation: string, target: { id: string }): Promise<void> {
    await this.request('DELETE', `${entityPath(entitySet, id)}/${entityPath(navigation, target.id)}/$ref`);
  }

  /** A bound action, e.g. `leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead`. */
  async boundAction<T = unknown>(entitySet: string, id: string, action: string, body: Row): Promise<T> {
    return (await this.request<T>('POST', `${entityPath(entitySet, id)}/Microsoft.Dynamics.CRM.${checkName(action)}`, body)).body as T;
  }

  /** An action bound to an entity set, e.g. `leads/Microsoft.Dynamics.CRM.CreateMultiple` (bulk-operations). */
  async collectionAction<T = unknown>(entitySet: string, action: string, body: Row): Promise<T> {
    return (await this.request<T>('POST', `${checkName(entitySet)}/Microsoft.Dynamics.CRM.${checkName(action)}`, body)).body as T;
  }

  /**
   * Writes in one `$batch` change set: all of them or none (execute-batch-operations-using-web-api).
   * For tables without the bulk messages; at most MAX_BATCH_REQUESTS. The responses come back in
   * request order; a failure rolls the set back and is thrown as the failing request's error.
   */
  async changeSet(requests: readonly ChangeSetRequest[]): Promise<BatchPartResponse[]> {
    if (requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) throw new ODataBuildError(`a change set holds 1 to ${MAX_BATCH_REQUESTS} requests`);
    for (const r of requests) checkName(r.path.split(/[(/?]/)[0] ?? '');
    const { contentType, body } = changeSetBody(requests, new URL(this.apiBase).pathname);
    const res = await this.request<string>('POST', '$batch', undefined, { raw: { contentType, body } });
    const parts = parseBatchResponse(res.body ?? '', res.headers.get('content-type'));
    if (!parts || parts.length !== requests.length) throw new DataverseError('failed', 'Dataverse returned a batch response that does not answer every request.', res.status, undefined, res.requestId);
    return parts;
  }

  /** An unbound action, e.g. `CloseIncident`. */
  async action<T = unknown>(action: string, body: Row): Promise<T> {
    return (await this.request<T>('POST', checkName(action), body)).body as T;
  }

  /** An unbound function without parameters, e.g. `WhoAmI`. */
  async callFunction<T = unknown>(name: string): Promise<T> {
    return (await this.request<T>('GET', checkName(name))).body as T;
  }

  /**
   * An unbound function with string parameters, passed as parameter aliases
   * (`Name(RecordId=@p1)?@p1='…'`): the value stays out of the path segment, which Dataverse limits
   * to 260 characters ("Maximum OData Segment length", compose-http-requests-handle-errors,
   * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors).
   */
  async callFunctionWith<T = unknown>(name: string, parameters: Readonly<Record<string, string>>): Promise<T> {
    const entries = Object.entries(parameters);
    const args = entries.map(([k], i) => `${checkName(k)}=@p${i + 1}`).join(',');
    const aliases = entries.map(([, v], i) => `@p${i + 1}=${encodeURIComponent(literal(v))}`).join('&');
    return (await this.request<T>('GET', `${checkName(name)}(${args})${aliases ? `?${aliases}` : ''}`)).body as T;
  }

  /**
   * Dataverse search as the user: only rows their privileges let them read come back. A read, so
   * it is retried like one; Dataverse search has its own, lower limits (one request per second per
   * user, 150 per minute per org) and answers 429 with Retry-After past them (search overview,
   * Service protection limits).
   */
  async search(request: SearchRequest): Promise<SearchResults> {
    const res = await this.request<unknown>('POST', 'query', searchBody(request), { search: true });
    const parsed = parseSearchResponse(res.body);
    if ('error' in parsed) throw new DataverseError('failed', parsed.error, res.status, undefined, res.requestId);
    return parsed;
  }

  async whoAmI(): Promise<{ UserId: string; BusinessUnitId: string; OrganizationId: string }> {
    return this.callFunction('WhoAmI');
  }

  /** Every privilege a user's security roles (and teams) grant, with its depth. */
  async retrieveUserPrivileges(systemUserId: string): Promise<Array<{ PrivilegeName: string; Depth: string }>> {
    const res = await this.request<{ RolePrivileges?: Array<{ PrivilegeName?: unknown; Depth?: unknown }> }>(
      'GET',
      `${entityPath('systemusers', systemUserId)}/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`,
    );
    return (res.body?.RolePrivileges ?? []).flatMap((p) => (typeof p.PrivilegeName === 'string' ? [{ PrivilegeName: p.PrivilegeName, Depth: String(p.Depth ?? '') }] : []));
  }

  /**
   * Read-only Dataverse SQL through the Web API `?sql=` option, first page only. The SQL takes no TOP
   * ("TOP and OFFSET ... FETCH aren't supported in queries. Use Prefer: odata.maxpagesize",
   * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/sql), so `pageSize`
   * limits the rows; `more` says Dataverse offered a next page, which is not read.
   */
  async sql<T extends Row = Row>(entitySet: string, sql: string, options: { pageSize: number }): Promise<{ rows: T[]; more: boolean }> {
    const res = await this.request<{ value?: T[]; '@odata.nextLink'?: unknown }>('GET', `${checkName(entitySet)}?sql=${encodeURIComponent(sql)}`, undefined, {
      prefer: [maxPageSize(options.pageSize)],
    });
    return { rows: res.body?.value ?? [], more: typeof res.body?.['@odata.nextLink'] === 'string' };
  }

  /** Table metadata: `EntityDefinitions` with optional property filter. */
  async entityDefinitions<T extends Row = Row>(select: readonly string[], filter?: Query['filter']): Promise<T[]> {
    const qs = renderQuery({ select, ...(filter && { filter }) });
    return ((await this.request<{ value?: T[] }>('GET', `EntityDefinitions?${qs}`)).body?.value ?? []) as T[];
  }

  async entityDefinition<T extends Row = Row>(logicalName: string, select: readonly string[], attributesSelect?: readonly string[], read: MetadataRead = {}): Promise<T> {
    const expand = attributesSelect ? `&$expand=Attributes($select=${attributesSelect.map(checkName).join(',')})` : '';
    return (await this.request<T>('GET', `${definitionPath(logicalName)}?${renderQuery({ select })}${expand}`, undefined, consistency(read))).body as T;
  }

  /** Attributes of one table, optionally of one metadata type (e.g. `PicklistAttributeMetadata`) with an expand. */
  async attributes<T extends Row = Row>(logicalName: string, select: readonly string[], cast?: string, expand?: string, read: MetadataRead = {}): Promise<T[]> {
    const castPath = cast ? `/Microsoft.Dynamics.CRM.${checkName(cast)}` : '';
    const expandQs = expand ? `&$expand=${encodeURIComponent(expand)}` : '';
    const path = `${definitionPath(logicalName)}/Attributes${castPath}?${renderQuery({ select })}${expandQs}`;
    return ((await this.request<{ value?: T[] }>('GET', path, undefined, consistency(read))).body?.value ?? []) as T[];
  }

  /** A table's relationships of one kind (`ManyToOne`: its lookups), with the selected properties. */
  async relationships<T extends Row = Row>(logicalName: string, kind: 'ManyToOne' | 'OneToMany' | 'ManyToMany', select: readonly string[]): Promise<T[]> {
    const path = `${definitionPath(logicalName)}/${kind}Relationships?${renderQuery({ select })}`;
    return ((await this.request<{ value?: T[] }>('GET', path)).body?.value ?? []) as T[];
  }

  async createTable(metadata: Row): Promise<string | undefined> {
    const res = await this.request('POST', 'EntityDefinitions', metadata);
    return /\(([0-9a-fA-F-]{36})\)/.exec(res.headers.get('odata-entityid') ?? '')?.[1];
  }

  async createColumn(logicalName: string, metadata: Row): Promise<void> {
    await this.request('POST', `${definitionPath(logicalName)}/Attributes`, metadata);
  }

  async deleteTable(logicalName: string): Promise<void> {
    await this.request('DELETE', definitionPath(logicalName));
  }

  private async readPages<T extends Row>(firstPath: string, options: ListOptions): Promise<Page<T>> {
    const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
    const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    const prefer = options.pageSize ? [maxPageSize(options.pageSize)] : [];
    const rows: T[] = [];
    let bytes = 0;
    let count: number | undefined;
    let path: string | undefined = firstPath;
    while (path !== undefined) {
      const res: Response_<{ value?: T[]; '@odata.nextLink'?: string; '@odata.count'?: number }> = await this.request('GET', path, undefined, { prefer });
      const page = res.body ?? {};
      rows.push(...(page.value ?? []));
      bytes += res.bytes;
      count ??= typeof page['@odata.count'] === 'number' ? page['@odata.count'] : undefined;
      path = page['@odata.nextLink'] ? this.relative(page['@odata.nextLink']) : undefined;
      if (rows.length >= maxRows || bytes >= maxBytes) break;
    }
    return { rows, count, next: path };
  }

  /**
   * nextLink → path under the Web API root; refuses links that point anywhere else. Compared as
   * parsed URLs (scheme, host and port as URL normalises them: host case, default port), not as text.
   */
  private relative(link: string): string {
    const outside = () => new DataverseError('failed', 'Dataverse returned a paging link outside this organisation.', undefined, undefined, undefined);
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw outside();
    }
    const base = new URL(this.apiBase);
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname) || url.username || url.password) throw outside();
    return `${url.pathname.slice(base.pathname.length)}${url.search}`;
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    extra: { prefer?: readonly string[]; ifMatch?: string; strong?: boolean; search?: boolean; raw?: { contentType: string; body: string } } = {},
  ): Promise<Response_<T>> {
    const url = `${extra.search ? this.searchBase : this.apiBase}${path}`;
    const entity = extra.search ? 'search' : (path.split(/[?(/]/)[0] ?? '');
    // A search query is a POST that changes nothing: safe to retry.
    const idempotent = method === 'GET' || extra.search === true;
    let waited = 0;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const clientRequestId = randomUUID();
      const started = Date.now();
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
      // Token failures (e.g. on-behalf-of consent missing) are not transport failures: they surface as-is.
      const token = await this.options.tokens.getToken(signal, refreshed ? { forceRefresh: true } : undefined);
      let res: Response;
      try {
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'odata-maxversion': '4.0',
          'odata-version': '4.0',
          'x-ms-client-request-id': clientRequestId,
          prefer: [ANNOTATIONS, ...(extra.prefer ?? [])].join(','),
        };
        if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
        if (extra.raw) headers['content-type'] = extra.raw.contentType;
        if (extra.ifMatch) headers['if-match'] = extra.ifMatch;
        if (extra.strong) headers['consistency'] = 'Strong';
        const payload = extra.raw ? extra.raw.body : body !== undefined ? JSON.stringify(body) : undefined;
        res = await this.fetchImpl(url, { method, headers, ...(payload !== undefined && { body: payload }), signal });
      } catch (err) {
        if (err instanceof DataverseError) throw err;
        const cancelled = this.options.signal?.aborted === true;
        const timedOut = timeout.aborted;
        this.observe({ method, entity, status: undefined, failure: cancelled ? 'cancelled' : timedOut ? 'timeout' : 'network', throttled: false, attempt, ms: Date.now() - started, requestId: clientRequestId });
        const delay = this.backoff(attempt);
        if (!cancelled && idempotent && attempt < this.retry.maxAttempts && waited + delay <= this.retry.maxTotalWaitMs) {
          waited += delay;
          await this.sleep(delay, this.options.signal);
          continue;
        }
        this.options.log?.warn('dataverse call failed', { method, entity, attempt, error: cancelled ? 'cancelled' : timedOut ? 'timeout' : 'network' });
        if (!idempotent) {
          throw new DataverseError(
            'unknown_outcome',
            `Dataverse ${cancelled ? 'was still working when the request was cancelled' : timedOut ? 'did not answer in time' : 'could not be reached'}, so it is unknown whether the change was applied. Check the record before trying again.`,
            undefined,
            undefined,
            clientRequestId,
          );
        }
        if (cancelled) throw new DataverseError('timeout', 'The request was cancelled.', undefined, undefined, clientRequestId);
        throw new DataverseError(timedOut ? 'timeout' : 'unavailable', 'Dataverse could not be reached.', undefined, undefined, clientRequestId);
      }

      const requestId = res.headers.get('x-ms-service-request-id') ?? res.headers.get('req_id') ?? clientRequestId;
      this.observe({ method, entity, status: res.status, throttled: res.status === 429, attempt, ms: Date.now() - started, requestId });
      this.options.log?.debug('dataverse call', { method, entity, status: res.status, ms: Date.now() - started, requestId, attempt });
      if (res.ok) {
        const text = res.status === 204 ? '' : await res.text();
        // A batch answers multipart text; the caller parses it.
        if (extra.raw) return { status: res.status, headers: res.headers, body: text as T, bytes: text.length, requestId };
        let parsed: T | undefined;
        if (text) {
          try {
            parsed = JSON.parse(text) as T;
          } catch {
            throw new DataverseError('failed', 'Dataverse returned a response that is not JSON.', res.status, undefined, requestId);
          }
        }
        return { status: res.status, headers: res.headers, body: parsed, bytes: text.length, requestId };
      }

      if (res.status === 401 && !refreshed) {
        // Dataverse refused the token before doing anything: drop the cached one and try once more.
        await res.body?.cancel().catch(() => undefined);
        refreshed = true;
        continue;
      }
      const { code, message } = await readError(res);
      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      const retryable = res.status === 429 || (idempotent && (res.status === 503 || res.status === 502 || res.status === 504));
      if (retryable && attempt < this.retry.maxAttempts) {
        const delay = retryAfter !== undefined ? retryAfter * 1000 + Math.floor(Math.random() * 250) : this.backoff(attempt);
        if (waited + delay <= this.retry.maxTotalWaitMs) {
          waited += delay;
          this.options.log?.info('dataverse retry', { method, entity, status: res.status, delayMs: delay, attempt });
          await this.sleep(delay, this.options.signal);
          continue;
        }
      }
      if (!idempotent && (res.status === 502 || res.status === 503 || res.status === 504)) {
        // A gateway may have passed the write on before failing: its fate is unknown.
        throw new DataverseError(
          'unknown_outcome',
          `Dataverse answered ${res.status} (${message}), so it is unknown whether the change was applied. Check the record before trying again.`,
          res.status,
          code,
          requestId,
          retryAfter,
        );
      }
      throw new DataverseError(classify(res.status, code), message, res.status, code, requestId, res.status === 429 ? (retryAfter ?? 30) : retryAfter);
    }
  }

  private observe(call: DataverseCall): void {
    try {
      this.options.observe?.(call);
    } catch {
      // Telemetry never breaks a Dataverse call.
    }
  }

  private backoff(attempt: number): number {
    const base = this.retry.baseDelayMs * 2 ** (attempt - 1);
    return Math.floor(base * (0.5 + Math.random()));
  }
}

interface Response_<T> {
  status: number;
  headers: Headers;
  body: T | undefined;
  bytes: number;
  requestId: string;
}

/**
 * Metadata reads right after a schema change ask for strong consistency: the service caches
 * metadata for about 30 s, so a plain read may not see a table or column just created. Microsoft's
 * Dataverse SDK sends `Consistency: Strong` for exactly this (no Learn page documents the header).
 */
export interface MetadataRead {
  strong?: boolean;
}

function consistency(read: MetadataRead): { strong?: boolean } {
  return read.strong ? { strong: true } : {};
}

/** `odata.maxpagesize` within what Dataverse honours: 1 to 5000 (larger requests are ignored; page-results doc). */
function maxPageSize(rows: number): string {
  return `odata.maxpagesize=${Math.max(1, Math.min(5000, Math.floor(rows)))}`;
}

/** The row id at the end of an `OData-EntityId` (`…/accounts(<id>)`), as Dataverse writes it after a create. */
export function recordIdOf(entityId: string | null | undefined): string | undefined {
  return /\(([0-9a-fA-F-]{36})\)\s*$/.exec(entityId ?? '')?.[1];
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw new ODataBuildError(`invalid name: ${JSON.stringify(name.slice(0, 64))}`);
  return name;
}

function definitionPath(logicalName: string): string {
  if (!LOGICAL_NAME.test(logicalName)) throw new ODataBuildError(`invalid table name: ${JSON.stringify(logicalName.slice(0, 64))}`);
  return `EntityDefinitions(LogicalName=${literal(logicalName)})`;
}

function findId(row: Row | undefined): string | undefined {
  if (!row) return undefined;
  const etagless = Object.entries(row).find(([k, v]) => k.endsWith('id') && !k.startsWith('_') && typeof v === 'string' && guidOk(v));
  return etagless?.[1] as string | undefined;
}

function guidOk(v: string): boolean {
  try {
    guid(v);
    return true;
  } catch {
    return false;
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function readError(res: Response): Promise<{ code: string | undefined; message: string }> {
  const text = await res.text().catch(() => '');
  // A failed batch answers with the failing request's response as its one part.
  const part = parseBatchResponse(text, res.headers.get('content-type'))?.find((p) => p.status >= 400);
  if (part) {
    const error = (part.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    return { code: typeof error?.code === 'string' ? error.code : undefined, message: typeof error?.message === 'string' ? error.message.slice(0, 1000) : `HTTP ${part.status}` };
  }
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const message = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
    return { code: typeof body.error?.code === 'string' ? body.error.code : undefined, message: message.slice(0, 1000) };
  } catch {
    return { code: undefined, message: `HTTP ${res.status}` };
  }
}
