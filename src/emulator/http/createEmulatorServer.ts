import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorCore } from '../emulatorCore.js';
import { DataverseError, ErrorCode, payloadError, resourceNotFound } from '../dataverseError.js';
import type { FaultRule, Faults } from '../faults.js';
import { validateFaultRule } from '../faults.js';
import type { Principal } from '../security/roles.js';
import type { ApiResponse } from './apiTypes.js';
import { parsePrefer } from './apiTypes.js';
import { executeBatch } from './batch.js';
import { routeSearchApi, routeWebApi } from './routeWebApi.js';

export const API_PREFIX = '/api/data/v9.2/';
/** The native Dataverse search endpoint (https://learn.microsoft.com/power-apps/developer/data-platform/search/overview). */
export const SEARCH_PREFIX = '/api/search/v2.0/';
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * "The maximum length of URL accepted by is 32 KB (32768 characters)"; inside a $batch body up to
 * 64 KB (compose-http-requests-handle-errors, Maximum URL length,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors).
 * The status of a longer one is not documented: 414 URI Too Long here.
 */
export const MAX_URL_LENGTH = 32_768;
const LOG_LIMIT = 1000;

export interface EmulatorRequestLogEntry {
  method: string;
  /** Path and query string. */
  path: string;
  status: number;
  /** Entra object id of the caller, when a token was verified. */
  objectId: string | null;
  ms: number;
  /** Latency a fault rule added before answering (0 when none fired). */
  delayedMs: number;
  requestId: string;
  time: string;
}

export interface ServerDeps {
  core: EmulatorCore;
  faults: Faults;
  verifyToken: (token: string) => Promise<{ objectId: string }>;
  log: EmulatorRequestLogEntry[];
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new DataverseError(400, ErrorCode.QueryError, 'The request URL is not correctly percent-encoded.');
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The HTTP front: request ids, faults, auth, body limits, JSON, logging. */
export function createEmulatorServer(deps: ServerDeps, getOrigin: () => string): Server {
  const { core, faults } = deps;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string>, method: string): void => {
    const h: Record<string, string> = { 'OData-Version': '4.0', ...headers };
    if (body !== undefined && status !== 204 && status !== 304) {
      const text = JSON.stringify(body);
      h['Content-Type'] = 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8';
      h['Content-Length'] = String(Buffer.byteLength(text));
      res.writeHead(status, h);
      res.end(method === 'HEAD' ? undefined : text);
    } else {
      res.writeHead(status, h);
      res.end();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const clientRequestId = headerValue(req, 'x-ms-client-request-id');
    const baseHeaders: Record<string, string> = { REQ_ID: requestId, 'x-ms-service-request-id': requestId };
    if (clientRequestId) baseHeaders['x-ms-client-request-id'] = clientRequestId;
    let objectId: string | null = null;
    let status = 500;
    let delayedMs = 0;
    const finish = (s: number, body: unknown, headers: Record<string, string> = {}) => {
      status = s;
      send(res, s, body, { ...baseHeaders, ...headers }, method);
    };
    const log = () => {
      deps.log.push({ method, path: rawPath, status, objectId, ms: Math.round((performance.now() - started) * 1000) / 1000, delayedMs, requestId, time: new Date().toISOString() });
      if (deps.log.length > LOG_LIMIT) deps.log.splice(0, deps.log.length - LOG_LIMIT);
    };

    try {
      const origin = getOrigin();
      const url = new URL(rawPath, origin);
      const path = url.pathname;

      if (path.startsWith('/_emulator/')) {
        if (!isLoopback(req.socket.remoteAddress)) {
          finish(403, new DataverseError(403, ErrorCode.PrivilegeDenied, 'Emulator control endpoints are available on loopback only.').toBody());
          return;
        }
        await handleControl(req, method, path, finish);
        return;
      }

      if (origin.length + rawPath.length > MAX_URL_LENGTH) {
        finish(414, new DataverseError(414, ErrorCode.QueryError, `The request URL is longer than ${MAX_URL_LENGTH} characters.`).toBody());
        return;
      }

      const isSearch = path.startsWith(SEARCH_PREFIX);
      if (!isSearch && !path.startsWith(API_PREFIX) && path !== API_PREFIX.slice(0, -1)) {
        finish(404, resourceNotFound(path.replace(/^\//, '')).toBody());
        return;
      }

      // Faults fire before anything else, like a gateway in front of the service.
      const fired: FaultRule[] = faults.take(method, `${path}${url.search}`);
      for (const f of fired) {
        if (f.kind !== 'latency') continue;
        delayedMs += f.latencyMs ?? 1000;
        await sleep(f.latencyMs ?? 1000);
      }
      const blocking = fired.find((f) => f.kind !== 'latency');
      if (blocking?.kind === 'drop') {
        status = 0;
        req.socket.destroy();
        return;
      }
      // "429 Too Many Requests" with Retry-After, the number-of-requests limit of 6000 in 300 seconds
      // (service protection API limits, https://learn.microsoft.com/power-apps/developer/data-platform/api-limits).
      if (blocking?.kind === 'throttle') {
        finish(429, new DataverseError(429, ErrorCode.RequestsLimit, 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.').toBody(), {
          'Retry-After': String(blocking.retryAfterSeconds ?? 5),
        });
        return;
      }
      // "503 Service Unavailable: … when the web API service isn't available" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors#identify-status-codes).
      if (blocking?.kind === 'unavailable') {
        finish(
          503,
          new DataverseError(503, ErrorCode.Unexpected, 'The service is temporarily unavailable. Please try again later.').toBody(),
          blocking.retryAfterSeconds !== undefined ? { 'Retry-After': String(blocking.retryAfterSeconds) } : {},
        );
        return;
      }

      const auth = headerValue(req, 'authorization');
      const token = auth && /^Bearer\s+(.+)$/i.exec(auth)?.[1];
      const challenge = { 'WWW-Authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize, resource_id=${origin}/` };
      if (!token) {
        finish(401, new DataverseError(401, ErrorCode.Unauthenticated, 'The requested resource requires authentication.').toBody(), challenge);
        return;
      }
      try {
        objectId = (await deps.verifyToken(token.trim())).objectId;
      } catch {
        finish(401, new DataverseError(401, ErrorCode.Unauthenticated, 'The requested resource requires authentication.').toBody(), challenge);
        return;
      }
      const principal: Principal = core.principalFor(objectId);

      let body: unknown;
      if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
        let raw: Buffer;
        try {
          raw = await readBody(req);
        } catch (e) {
          // "413 Payload Too Large: … when the request length is too large" (compose-http-requests-handle-errors, Identify status codes).
          if (e instanceof BodyTooLarge) {
            finish(413, new DataverseError(413, ErrorCode.InvalidArgument, `The request body exceeds the maximum size of ${MAX_BODY_BYTES} bytes.`).toBody(), { Connection: 'close' });
            return;
          }
          throw e;
        }
        if (!isSearch && method === 'POST' && path === `${API_PREFIX}$batch`) {
          const batch = executeBatch(
            core,
            { body: raw.toString('utf8'), contentType: headerValue(req, 'content-type'), principal, prefer: headerValue(req, 'prefer'), origin, apiPrefix: API_PREFIX },
            (inner) => routeWebApi(core, inner),
          );
          status = batch.status;
          res.writeHead(batch.status, { 'OData-Version': '4.0', ...baseHeaders, ...batch.headers, 'Content-Length': String(Buffer.byteLength(batch.text)) });
          res.end(batch.text);
          return;
        }
        // "Every request that includes JSON data in the request body must include a Content-Type header with a
        // value of application/json"; "the Web API only supports JSON" (compose-http-requests-handle-errors, HTTP headers).
        const contentType = headerValue(req, 'content-type') ?? '';
        if (raw.length > 0 && contentType && !/application\/json/i.test(contentType)) {
          finish(415, new DataverseError(415, ErrorCode.InvalidArgument, `Content-Type '${contentType}' is not supported; send application/json.`).toBody());
          return;
        }
        if (raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch (e) {
            const set = path.slice(isSearch ? SEARCH_PREFIX.length : API_PREFIX.length).split(/[(/?]/)[0] ?? '';
            throw payloadError(set, `Invalid JSON. ${e instanceof Error ? e.message : ''}`.trim());
          }
        }
      }

      const result: ApiResponse = (isSearch ? routeSearchApi : routeWebApi)(core, {
        method,
        url,
        path: safeDecode(path.slice(isSearch ? SEARCH_PREFIX.length : API_PREFIX.length)),
        headers: {
          'if-match': headerValue(req, 'if-match'),
          'if-none-match': headerValue(req, 'if-none-match'),
        },
        body,
        principal,
        prefer: parsePrefer(headerValue(req, 'prefer')),
        baseUrl: `${origin}${isSearch ? SEARCH_PREFIX : API_PREFIX}`,
      });
      finish(result.status, result.body, result.headers ?? {});
    } catch (e) {
      if (e instanceof DataverseError) finish(e.status, e.toBody(), { ...e.headers });
      else finish(500, { error: { code: ErrorCode.Unexpected, message: 'An unexpected error occurred.' } });
    } finally {
      log();
    }
  };

  const handleControl = async (req: IncomingMessage, method: string, path: string, finish: (s: number, b: unknown, h?: Record<string, string>) => void) => {
    if (path === '/_emulator/health' && method === 'GET') {
      finish(200, { status: 'ok', organizationId: core.organizationId, anchorTime: core.anchorTime.toISOString(), now: core.clock.now().toISOString(), seed: core.seed });
      return;
    }
    if (path === '/_emulator/outbox' && method === 'GET') {
      finish(200, { value: core.outbox });
      return;
    }
    if (path === '/_emulator/seed/leads' && method === 'POST') {
      // Many more open leads on demand (benchmarks): {"count": 10000, "seed"?: n, "createdWithinDays"?: n}.
      try {
        const raw = await readBody(req);
        const body = JSON.parse(raw.toString('utf8') || '{}') as { count?: unknown; seed?: unknown; createdWithinDays?: unknown };
        const count = Number(body.count);
        const seed = body.seed === undefined ? undefined : Number(body.seed);
        const days = body.createdWithinDays === undefined ? undefined : Number(body.createdWithinDays);
        if ((seed !== undefined && !Number.isInteger(seed)) || (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650))) throw new Error('seed and createdWithinDays must be whole numbers (createdWithinDays 1-3650).');
        finish(201, core.seedLeads({ count, ...(seed !== undefined && { seed }), ...(days !== undefined && { createdWithinDays: days }) }));
      } catch (e) {
        finish(400, { error: { code: ErrorCode.InvalidArgument, message: e instanceof Error ? e.message : 'Invalid seed request.' } });
      }
      return;
    }
    if (path === '/_emulator/outbox/deliver' && method === 'POST') {
      // Server-side synchronization on demand: Pending Send emails become Sent.
      finish(200, { value: core.deliverMail() });
      return;
    }
    if (path === '/_emulator/faults') {
      if (method === 'GET') {
        finish(200, { value: faults.active });
        return;
      }
      if (method === 'DELETE') {
        faults.clear();
        finish(204, undefined);
        return;
      }
      if (method === 'POST') {
        let rule: FaultRule;
        try {
          const raw = await readBody(req);
          rule = validateFaultRule(JSON.parse(raw.toString('utf8')));
        } catch (e) {
          finish(400, { error: { code: ErrorCode.InvalidArgument, message: e instanceof Error ? e.message : 'Invalid fault rule.' } });
          return;
        }
        faults.add(rule);
        finish(201, { value: faults.active });
        return;
      }
    }
    finish(404, resourceNotFound(path.replace(/^\//, '')).toBody());
  };

  // Node's default header limit (16 KB, request line included) is below Dataverse's URL limit.
  const server = createServer({ maxHeaderSize: 2 * MAX_URL_LENGTH }, (req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5000;
  return server;
}

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
