import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type Answer, PreparedAnswer } from '../mcp/answer.js';
import { ReportedHangUp } from '../mcp/hangUp.js';
import { handleFile } from './handleFile.js';
import { handleMcp, handleWellKnown, type PreReadBody } from './handleMcp.js';
import { fromNodeRequest, webRequestOf } from './inbound.js';
import { handleLegacyMessage, handleLegacyStream } from './legacySse.js';
import type { McpApp } from './mcpApp.js';
import { httpError } from './responses.js';

export interface NodeHostOptions {
  host?: string;
  port?: number;
  /** Extra readiness checks for /health (e.g. the embedded emulator and identity provider). */
  healthChecks?: Record<string, () => Promise<boolean>>;
  allowedOrigins?: readonly string[];
  allowedHosts?: readonly string[];
}

export interface NodeHost {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const MCP_ROUTE = /^\/mcp\/([^/?#]+)\/?$/;
/** The legacy HTTP+SSE transport (2024-11-05): the stream, and where its messages are POSTed. */
const LEGACY_ROUTE = /^\/mcp\/([^/?#]+)\/(sse|message)\/?$/;
/** Signed download links of knowledge documents (get_reference). */
const FILE_ROUTE = /^\/mcp\/([^/?#]+)\/files\/([^/?#]+)$/;

/**
 * Serves the same handlers as the Azure Functions entry on plain node:http: /mcp/{agentId}, the
 * legacy /mcp/{agentId}/sse and /mcp/{agentId}/message, knowledge downloads at
 * /mcp/{agentId}/files/{token}, the RFC 9728 well-known documents and /health.
 */
export async function startNodeHost(app: McpApp, options: NodeHostOptions = {}): Promise<NodeHost> {
  const listener = await listenNodeHost(options);
  return listener.serve(app, options);
}

/** A host that holds its port and answers 503 until it is given the app to serve. */
export interface ListeningHost {
  url: string;
  serve(app: McpApp, options?: Omit<NodeHostOptions, 'host' | 'port'>): NodeHost;
  close(): Promise<void>;
}

/**
 * Binds the port first, so the app can be built with its real public URL: probing a free port and
 * binding it later races every other process on the machine for it (parallel test workers do).
 */
export async function listenNodeHost(options: Pick<NodeHostOptions, 'host' | 'port'> = {}): Promise<ListeningHost> {
  let serving: { app: McpApp; options: NodeHostOptions } | undefined;
  const server = createServer((req, res) => {
    if (!serving) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"starting"}');
      return;
    }
    const { app } = serving;
    void route(req, res, app, serving.options).catch((err: unknown) => {
      app.log.error('host failure', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal_error"}');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  let closing: Promise<void> | undefined;
  // Once only: the embedded host closes both the listener and the host it became.
  const close = (app?: McpApp) =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Streams end first (their sessions too), so clients see a clean end rather than a cut socket.
      await app?.streams.close();
      server.closeAllConnections();
      await closed;
    })());
  return {
    url,
    serve(app, serveOptions = {}) {
      serving = { app, options: { ...options, ...serveOptions } };
      return { server, url, close: () => close(app) };
    },
    close: () => close(serving?.app),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, app: McpApp, options: NodeHostOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  // No AbortController unless a handler asks for the signal (most calls never do).
  const hangUp = new ReportedHangUp();
  res.on('close', () => {
    if (!res.writableFinished) hangUp.hangUp();
  });

  const file = FILE_ROUTE.exec(path);
  if (file) {
    req.resume();
    return writeResponse(res, await handleFile(webRequestOf(req, hangUp.signal), safeDecode(file[1] ?? ''), file[2] ?? '', app, options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}));
  }
  const mcp = MCP_ROUTE.exec(path);
  const legacy = mcp ? undefined : LEGACY_ROUTE.exec(path);
  if (mcp || legacy) {
    // A request to /mcp/{agentId} most likely goes to one of the route's shared servers, which read
    // node's own request and take the hang-up signal apart; only the SDK's handlers get a web Request.
    const apart = mcp !== null;
    const agentId = safeDecode((mcp ?? legacy)?.[1] ?? '');
    const handleOptions = {
      // The body is read only after the agent and the token checked out.
      readBody: () => readBody(req, app.config.maxBodyBytes),
      ...(apart && { hangUp }),
      ...(options.allowedOrigins && { allowedOrigins: options.allowedOrigins }),
      ...(options.allowedHosts && { allowedHosts: options.allowedHosts }),
    };
    if (mcp) return writeResponse(res, await handleMcp(fromNodeRequest(req), agentId, app, handleOptions));
    const request = webRequestOf(req, hangUp.signal);
    if (legacy?.[2] === 'sse') return writeResponse(res, await handleLegacyStream(request, agentId, app, handleOptions));
    // 202 at once; the app tracks the work, which delivers its answers on the stream.
    return writeResponse(res, (await handleLegacyMessage(request, agentId, app, handleOptions)).response);
  }
  if (path.startsWith('/.well-known/')) return writeResponse(res, handleWellKnown(webRequestOf(req, hangUp.signal), app));
  if (path === '/health') return writeResponse(res, await health(app, options.healthChecks ?? {}));
  return writeResponse(res, httpError(404, 'not_found', 'Not found. MCP endpoints live at /mcp/{agentId}.'));
}

let cachedHealth: { at: number; app: McpApp; body: { status: string; parts: Record<string, string> }; ok: boolean } | undefined;

/** Readiness of the app and its parts; a healthy answer is reused for a few seconds, and nothing about the configuration is revealed. */
export async function health(app: McpApp, checks: Record<string, () => Promise<boolean>>): Promise<Response> {
  if (cachedHealth && cachedHealth.app === app && Date.now() - cachedHealth.at < 5000) {
    return Response.json(cachedHealth.body, { status: cachedHealth.ok ? 200 : 503 });
  }
  const parts: Record<string, 'ok' | 'unavailable'> = {};
  const all: Record<string, () => Promise<boolean>> = {
    tables: async () => {
      // A point read of a row that never exists: a 404 proves the table answers.
      await app.sessions.get('0'.repeat(43));
      return true;
    },
    ...checks,
  };
  await Promise.all(
    Object.entries(all).map(async ([name, check]) => {
      parts[name] = (await check().catch(() => false)) ? 'ok' : 'unavailable';
    }),
  );
  const ok = Object.values(parts).every((p) => p === 'ok');
  const body = { status: ok ? 'ok' : 'degraded', parts };
  // Only a healthy answer is reused: while starting up, every probe looks afresh.
  cachedHealth = ok ? { at: Date.now(), app, body, ok } : undefined;
  return Response.json(body, { status: ok ? 200 : 503 });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Reads the body straight off the socket, stopping once it exceeds the limit. With 'data' events,
 * not `for await`: the async iterator's promise per chunk was a few per cent of a small call.
 */
function readBody(req: IncomingMessage, limit: number): Promise<PreReadBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  // Closed while the token was being checked: 'close' has been and gone.
  if (req.destroyed) return Promise.resolve('client-closed');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    // A client that hangs up mid-body ('error' is ECONNRESET "aborted"; its abort signal fires too).
    req.once('error', () => resolve('client-closed'));
    req.once('close', () => {
      if (!req.complete) resolve('client-closed');
    });
  });
}

async function writeResponse(res: ServerResponse, response: Answer): Promise<void> {
  if (response instanceof PreparedAnswer) {
    res.writeHead(response.status, { ...response.headers, 'content-length': String(response.byteLength) }).end(response.body);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (!response.body) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (!(headers['content-type'] ?? '').toString().startsWith('text/event-stream')) {
    // A whole answer (JSON): one write with Content-Length instead of chunk after chunk of a stream,
    // which cost a writev per chunk and most of this function's time under load.
    // As bytes: decoding the body to a string only for node:http to encode it again cost a tenth of
    // a large answer's time (a 90 KB tools/list). The head and the body still go in one writev.
    let body: Buffer;
    try {
      body = Buffer.from(await response.arrayBuffer());
    } catch {
      res.destroy();
      return;
    }
    headers['content-length'] = String(body.byteLength);
    res.writeHead(response.status, headers).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  // SSE bodies are streamed chunk by chunk so notifications reach the client as they happen.
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await once(res, 'drain');
    }
    res.end();
  } catch {
    res.destroy();
  }
}
