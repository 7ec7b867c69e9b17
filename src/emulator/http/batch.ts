import { randomUUID } from 'node:crypto';

import type { EmulatorCore } from '../emulatorCore.js';
import { DataverseError, ErrorCode } from '../dataverseError.js';
import type { Principal } from '../security/roles.js';
import { multipartBoundary, multipartSections, partHeaders } from '../../dataverse/batch.js';
import { type ApiRequest, type ApiResponse, parsePrefer } from './apiTypes.js';

/**
 * `POST /api/data/v9.2/$batch` ("Execute batch operations using the Web API",
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api;
 * OData 4.0 part 1, 11.7 Batch Requests). What it keeps:
 * - The body is `multipart/mixed` with a boundary; each part is `application/http` (one request)
 *   or a nested `multipart/mixed` change set whose parts are requests.
 * - "Batch requests can contain up to 1000 individual requests and can't contain other batch
 *   requests"; "GET requests are not allowed within change sets".
 * - A change set is atomic: "if any one of the operations fails, any completed operations will be
 *   rolled back".
 * - Without `Prefer: odata.continue-on-error` the batch stops at the first failing request and
 *   answers with its status, the error as the one part; with it, 200 and every response in order.
 * - `Content-ID: n` in a change set makes `$n` stand for the URI of the row that request created,
 *   in later URLs and `@odata.bind` / `@odata.id` values of the same change set; a reference to an
 *   id not yet declared is refused ("Content-ID Reference: '$1' does not exist in the batch context").
 * - Each response part carries the request's status line, headers (OData-EntityId, Location) and
 *   JSON body; change set responses are wrapped in a `changesetresponse_` part.
 * Not documented, kept strict: every request inside needs an absolute path under this org's Web API
 * (or a relative one, or `$n`), and a JSON body where it has one.
 */

export const MAX_BATCH_REQUESTS = 1000;

/** Runs one request of the batch as the caller; throws DataverseError like the top-level router. */
export type RunRequest = (req: ApiRequest) => ApiResponse;

interface Part {
  headers: Map<string, string>;
  body: string;
}

interface InnerRequest {
  method: string;
  target: string;
  headers: Map<string, string>;
  body: string;
  contentId: string | undefined;
}

interface InnerResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  contentId: string | undefined;
}

const bad = (message: string) => new DataverseError(400, ErrorCode.InvalidArgument, message);

/** Splits a multipart body on its boundary (RFC 2046); a body without its closing boundary is refused. */
function parts(body: string, boundary: string): Part[] {
  const { sections, closed } = multipartSections(body, boundary);
  if (!closed) throw bad(`The multipart body does not end with '--${boundary}--'.`);
  return sections.map(parsePart);
}

/** Headers, a blank line, then the content; a line that is no header is refused. */
function parsePart(lines: readonly string[]): Part {
  const { headers, next } = partHeaders(lines, 0, (line) => {
    throw bad(`The batch part header '${line.slice(0, 80)}' is not a header.`);
  });
  return { headers, body: lines.slice(next).join('\r\n') };
}

/** An application/http part: request line, headers, blank line, body. */
function innerRequest(part: Part): InnerRequest {
  const type = part.headers.get('content-type') ?? '';
  if (!/^application\/http\b/i.test(type)) throw bad(`A batch part must be 'application/http' or a 'multipart/mixed' change set, not '${type.slice(0, 80)}'.`);
  const lines = part.body.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() !== '');
  const m = /^(GET|POST|PATCH|PUT|DELETE)\s+(\S+)\s+HTTP\/1\.1$/.exec((lines[start] ?? '').trim());
  if (!m) throw bad(`The batch part does not start with a request line such as 'POST /api/data/v9.2/accounts HTTP/1.1'.`);
  const rest = parsePart(lines.slice(start + 1));
  return { method: m[1]!, target: m[2]!, headers: rest.headers, body: rest.body.trim(), contentId: part.headers.get('content-id') ?? rest.headers.get('content-id') };
}

/**
 * Runs a batch. `run` executes one inner request; `transaction` runs a change set all or nothing
 * (the store's transaction: a throw rolls it back).
 */
export function executeBatch(
  core: EmulatorCore,
  input: { body: string; contentType: string | undefined; principal: Principal; prefer: string | undefined; origin: string; apiPrefix: string },
  run: RunRequest,
): { status: number; headers: Record<string, string>; text: string } {
  const boundary = multipartBoundary(input.contentType);
  if (!boundary) throw bad("A $batch request needs 'Content-Type: multipart/mixed; boundary=batch_<id>'.");
  const continueOnError = /(^|,)\s*odata\.continue-on-error\b/i.test(input.prefer ?? '');
  const top = parts(input.body, boundary);
  const plan = top.map((p) => {
    const nested = multipartBoundary(p.headers.get('content-type'));
    if (!nested) return { changeSet: false, requests: [innerRequest(p)] };
    const requests = parts(p.body, nested).map(innerRequest);
    const get = requests.find((r) => r.method === 'GET');
    if (get) throw bad('GET requests are not allowed within change sets.');
    return { changeSet: true, requests };
  });
  const count = plan.reduce((n, p) => n + p.requests.length, 0);
  if (count > MAX_BATCH_REQUESTS) throw bad(`A batch can contain up to ${MAX_BATCH_REQUESTS} requests; this one has ${count}.`);
  if (count === 0) throw bad('The batch contains no requests.');

  const base = `${input.origin}${input.apiPrefix}`;
  const responses: Array<{ changeSet: boolean; items: InnerResponse[] }> = [];
  let failed: InnerResponse | undefined;
  for (const step of plan) {
    if (!step.changeSet) {
      const r = runOne(step.requests[0]!, new Map(), base, input, run);
      responses.push({ changeSet: false, items: [r] });
      if (r.status >= 400) {
        failed ??= r;
        if (!continueOnError) break;
      }
      continue;
    }
    const ids = new Map<string, string>();
    const items: InnerResponse[] = [];
    let error: InnerResponse | undefined;
    try {
      core.store.transaction(() => {
        for (const req of step.requests) {
          const r = runOne(req, ids, base, input, run);
          if (r.status >= 400) {
            error = r;
            throw new ChangeSetFailed();
          }
          items.push(r);
          const entity = r.headers['OData-EntityId'];
          if (req.contentId && entity) ids.set(req.contentId, entity);
        }
      });
      responses.push({ changeSet: true, items });
    } catch (e) {
      if (!(e instanceof ChangeSetFailed)) throw e;
      // The change set was rolled back: only its error is answered.
      responses.push({ changeSet: false, items: [error!] });
      failed ??= error;
      if (!continueOnError) break;
    }
  }
  const status = failed && !continueOnError ? failed.status : 200;
  const shown = failed && !continueOnError ? [{ changeSet: false, items: [failed] }] : responses;
  const batchBoundary = `batchresponse_${randomUUID()}`;
  const out: string[] = [];
  for (const r of shown) {
    out.push(`--${batchBoundary}`);
    if (r.changeSet) {
      const cs = `changesetresponse_${randomUUID()}`;
      out.push(`Content-Type: multipart/mixed; boundary=${cs}`, '');
      for (const item of r.items) out.push(`--${cs}`, ...responsePart(item));
      out.push(`--${cs}--`);
    } else {
      out.push(...responsePart(r.items[0]!));
    }
  }
  out.push(`--${batchBoundary}--`, '');
  return { status, headers: { 'Content-Type': `multipart/mixed; boundary=${batchBoundary}` }, text: out.join('\r\n') };
}

class ChangeSetFailed extends Error {}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 412: 'Precondition Failed', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function responsePart(r: InnerResponse): string[] {
  const lines = ['Content-Type: application/http', 'Content-Transfer-Encoding: binary', ...(r.contentId ? [`Content-ID: ${r.contentId}`] : []), '', `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? ''}`.trimEnd(), 'OData-Version: 4.0'];
  for (const [k, v] of Object.entries(r.headers)) lines.push(`${k}: ${v}`);
  if (r.body !== undefined && r.status !== 204) lines.push('Content-Type: application/json; odata.metadata=minimal', '', JSON.stringify(r.body));
  else lines.push('');
  return lines;
}

const SYSTEM_RESOURCES = new Set(['batch', 'metadata', 'entity', 'crossjoin', 'all', 'root']);

/** `$n` at the start of a URL or as a whole bind value: the entity a request of this change set created. */
function resolveReference(value: string, ids: ReadonlyMap<string, string>): string {
  const m = /^\$([A-Za-z0-9_-]+)(.*)$/.exec(value);
  // OData's own resources ($batch, $metadata, …) are not references.
  if (!m || SYSTEM_RESOURCES.has(m[1]!)) return value;
  const entity = ids.get(m[1]!);
  if (!entity) throw bad(`Content-ID Reference: '$${m[1]}' does not exist in the batch context.`);
  return `${entity}${m[2]}`;
}

function withReferences(body: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) out[k] = typeof v === 'string' && (k.endsWith('@odata.bind') || k === '@odata.id') ? resolveReference(v, ids) : v;
  return out;
}

function runOne(req: InnerRequest, ids: ReadonlyMap<string, string>, base: string, input: { principal: Principal; origin: string; apiPrefix: string }, run: RunRequest): InnerResponse {
  try {
    const target = resolveReference(req.target, ids);
    const url = new URL(target, base);
    if (url.origin !== new URL(base).origin || !url.pathname.startsWith(input.apiPrefix)) throw bad(`The batch request URL '${target.slice(0, 200)}' is not under this organisation's Web API.`);
    if (url.pathname.slice(input.apiPrefix.length).startsWith('$batch')) throw bad('A batch cannot contain another batch.');
    let body: unknown;
    if (req.body) {
      const type = req.headers.get('content-type') ?? '';
      if (!/application\/json/i.test(type)) throw new DataverseError(415, ErrorCode.InvalidArgument, `Content-Type '${type.slice(0, 80)}' is not supported; send application/json.`);
      try {
        body = withReferences(JSON.parse(req.body), ids);
      } catch (e) {
        if (e instanceof DataverseError) throw e;
        throw bad('Invalid JSON in a batch request.');
      }
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice(input.apiPrefix.length));
    } catch {
      throw new DataverseError(400, ErrorCode.QueryError, 'The request URL is not correctly percent-encoded.');
    }
    const res = run({
      method: req.method,
      url,
      path,
      headers: { 'if-match': req.headers.get('if-match'), 'if-none-match': req.headers.get('if-none-match') },
      body,
      principal: input.principal,
      prefer: parsePrefer(req.headers.get('prefer')),
      baseUrl: base,
    });
    const headers: Record<string, string> = {};
    const entity = res.headers?.['OData-EntityId'];
    if (entity) headers['Location'] = entity;
    for (const [k, v] of Object.entries(res.headers ?? {})) if (k !== 'Content-Type') headers[k] = v;
    return { status: res.status, headers, body: res.body, contentId: req.contentId };
  } catch (e) {
    if (e instanceof DataverseError) return { status: e.status, headers: { ...e.headers }, body: e.toBody(), contentId: req.contentId };
    return { status: 500, headers: {}, body: { error: { code: ErrorCode.Unexpected, message: 'An unexpected error occurred.' } }, contentId: req.contentId };
  }
}
