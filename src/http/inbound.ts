import type { IncomingMessage } from 'node:http';

import type { HeaderReader } from '../auth/authenticate.js';

/**
 * A request as the MCP entry reads it: method, URL and headers, and a web Request only for the
 * paths that hand the request to the SDK. On plain Node the hot path (a route's shared server, a
 * cached tools/list) never builds one: constructing a web Request (its URL, Headers and signal)
 * for every call was ~5 % of a trivial call's CPU, and more of its garbage.
 */
export interface InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderReader;
  /**
   * The request as a web Request, built at most once. It does not follow the client's hang-up (a
   * Request following a signal cost twice one that does not): hosts that keep the signal apart pass
   * it in HandleOptions.
   */
  web(): Request;
}

/** A web Request as an inbound one (the Functions host, whose runtime hands over a Request anyway). */
export function fromWebRequest(request: Request): InboundRequest {
  return { method: request.method, url: request.url, headers: request.headers, web: () => request };
}

/**
 * node:http's request as an inbound one. Node already lower-cased the names and joined repeated
 * values with ", " (dropping repeats of single-valued fields such as Authorization and Host), which
 * is what a web Request built from the same headers reads; `web()` builds exactly that Request.
 */
export function fromNodeRequest(req: IncomingMessage): InboundRequest {
  let built: Request | undefined;
  return {
    method: req.method ?? 'GET',
    url: urlOf(req),
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    web: () => (built ??= webRequestOf(req)),
  };
}

/** node:http's request as a web Request, following `signal` when given. */
export function webRequestOf(req: IncomingMessage, signal?: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return new Request(urlOf(req), { method: req.method ?? 'GET', headers, ...(signal && { signal }) });
}

function urlOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`;
}
