import azureFunctions, { type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { buildApp } from '../src/app/buildApp.js';
import { loadConfig } from '../src/config/config.js';
import type { McpApp } from '../src/http/mcpApp.js';
import { type Answer, PreparedAnswer } from '../src/mcp/answer.js';
import { createLogger } from '../src/telemetry/log.js';

/** The Functions host: streamed bodies on, so SSE responses flow as they are written. */
azureFunctions.app.setup({ enableHttpStream: true });

let appPromise: Promise<McpApp> | undefined;

/** Built once per worker on first use (cold start), then shared by every invocation. */
export function getApp(): Promise<McpApp> {
  appPromise ??= (async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel, { host: 'functions' });
    // Telemetry (Application Insights, LOG_FORMAT=json) is set up by buildApp from the same config.
    return buildApp({ config, log });
  })();
  appPromise.catch((err: unknown) => {
    // A failed start (e.g. storage briefly unreachable) must not poison the worker forever; the
    // next invocation tries again. Said once per attempt, or a bad setting would only show as 503s.
    appPromise = undefined;
    createLogger('error', { host: 'functions' }).error('app start failed', { error: err instanceof Error ? err.message : String(err) });
  });
  return appPromise;
}

// The worker runs appStart hooks once the entries are loaded, before the host sends the first
// invocation: building the app then overlaps the host's own start-up instead of the cold request.
azureFunctions.app.hook.appStart(() => {
  void getApp().catch(() => undefined);
});

// When the worker stops (scale-in, deployment): its legacy SSE streams end with their sessions, its
// delivery queue is deleted, and records still buffered are sent before it goes.
azureFunctions.app.hook.appTerminate(async () => {
  const app = await appPromise?.catch(() => undefined);
  await app?.close();
});

/** Functions request → web Request. The body stays a stream; nothing is buffered here. */
export function toWebRequest(req: HttpRequest): Request {
  const method = req.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && req.body !== null;
  return new Request(req.url, {
    method,
    headers: req.headers,
    ...(hasBody && { body: req.body, duplex: 'half' }),
  } as RequestInit);
}

/** Web Response → Functions response; a streamed body (SSE) is handed over as a stream, a prepared one as its bytes. */
export function toResponseInit(response: Answer): HttpResponseInit {
  if (response instanceof PreparedAnswer) return { status: response.status, headers: { ...response.headers }, body: response.body };
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return { status: response.status, headers, ...(response.body && { body: response.body }) };
}

export function unavailable(): HttpResponseInit {
  return {
    status: 503,
    headers: { 'content-type': 'application/json', 'retry-after': '5' },
    body: JSON.stringify({ error: 'starting', message: 'The server is starting or its storage is unreachable; retry shortly.' }),
  };
}
