/** Small response builders so every status carries the same JSON shapes. */

import { type Answer, PreparedAnswer } from '../mcp/answer.js';

/** A plain HTTP error (before any JSON-RPC processing): `{ error, message }`. */
export function httpError(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, message }, { status, headers });
}

/** The client hung up first: 499 (nginx's "client closed request", as the SDK answers), never sent. */
export function clientClosed(): Response {
  return new Response(null, { status: 499 });
}

/** A JSON-RPC error response, echoing the request id when it could be read. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  id: string | number | null = null,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id }, { status, headers });
}

export function requestIdOf(body: unknown): string | number | null {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}

/**
 * `response` with extra headers (bodies stream through untouched). The caller hands the response
 * over: its headers are set in place when they are mutable (every Response built here or by the
 * SDK, and every prepared answer), which spares a Response and a Headers copy per request; a fetched
 * response's immutable headers are copied.
 */
export function withHeaders(response: Response, headers: Record<string, string>): Response;
export function withHeaders(response: Answer, headers: Record<string, string>): Answer;
export function withHeaders(response: Answer, headers: Record<string, string>): Answer {
  if (response instanceof PreparedAnswer) {
    for (const [k, v] of Object.entries(headers)) response.headers[k.toLowerCase()] = v;
    return response;
  }
  try {
    for (const [k, v] of Object.entries(headers)) response.headers.set(k, v);
    return response;
  } catch {
    // Immutable headers (a Response from fetch): copy below.
  }
  const merged = new Headers(response.headers);
  for (const [k, v] of Object.entries(headers)) merged.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: merged });
}
