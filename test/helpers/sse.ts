import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

/** One frame of a text/event-stream: an event (`message` unless named) or a comment line. */
export type SseFrame = { type: 'event'; event: string; data: string } | { type: 'comment'; text: string };

/** Reads a text/event-stream body frame by frame, as a client sees it on the wire. */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private readonly frames: SseFrame[] = [];
  private ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.getReader();
  }

  /** The next frame, or null once the stream has ended. */
  async next(): Promise<SseFrame | null> {
    while (this.frames.length === 0 && !this.ended) {
      const { done, value } = await this.reader.read();
      if (done) this.ended = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
      this.parse();
    }
    return this.frames.shift() ?? null;
  }

  /** The next event's data, skipping comments; null at the end of the stream. */
  async nextEvent(): Promise<{ event: string; data: string } | null> {
    for (;;) {
      const frame = await this.next();
      if (frame === null) return null;
      if (frame.type === 'event') return frame;
    }
  }

  /** The next `message` event as a JSON-RPC message. */
  async nextMessage(): Promise<Record<string, unknown>> {
    const e = await this.nextEvent();
    if (!e) throw new Error('the stream ended before a message arrived');
    expectEvent(e, 'message');
    return JSON.parse(e.data) as Record<string, unknown>;
  }

  cancel(): Promise<void> {
    return this.reader.cancel().catch(() => undefined);
  }

  private parse(): void {
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.frames.push({ type: 'comment', text: line.slice(1).trim() });
        else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) this.frames.push({ type: 'event', event, data: data.join('\n') });
    }
  }
}

function expectEvent(e: { event: string }, name: string): void {
  if (e.event !== name) throw new Error(`expected a ${name} event, got ${e.event}`);
}

/** A raw legacy SSE stream: its response, the endpoint it named, the session id in it, and a reader. */
export interface RawStream {
  response: Response;
  endpoint: string;
  sessionId: string;
  reader: SseReader;
  abort(): void;
}

export async function openRawStream(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<RawStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(token && { authorization: `Bearer ${token}` }), ...headers },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw Object.assign(new Error(`stream refused: ${response.status}`), { response });
  const reader = new SseReader(response.body);
  const first = await reader.nextEvent();
  if (!first) throw new Error('the stream ended before its endpoint event');
  expectEvent(first, 'endpoint');
  const sessionId = new URL(first.data, url).searchParams.get('sessionId') ?? '';
  return { response, endpoint: first.data, sessionId, reader, abort: () => abort.abort() };
}

/** POSTs one JSON-RPC message to a legacy SSE message URL. */
export function postMessage(url: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }), ...headers },
    body: JSON.stringify(body),
  });
}

export interface SseClient {
  client: Client;
  transport: SSEClientTransport;
  /** Every `message` event the stream carried, parsed, in order (what crossed the wire). */
  received: Array<Record<string, unknown>>;
  /** URLs every POST went to. */
  posts: URL[];
  /** The session id of the stream (from the message URL). */
  sessionId(): string;
  close(): Promise<void>;
}

/**
 * The 1.x SDK's SSEClientTransport with a Client, as a 2024-11-05 client connects. `routePost`
 * picks the instance each POST goes to (a load balancer between instances); the stream goes where
 * `streamUrl` points. Every event on the stream is recorded as it arrives.
 */
export async function connectSseClient(options: {
  streamUrl: string;
  token: string;
  capabilities?: Record<string, object>;
  routePost?: (body: unknown) => string | undefined;
  setup?: (client: Client) => void;
}): Promise<SseClient> {
  const received: Array<Record<string, unknown>> = [];
  const posts: URL[] = [];
  const viaRoutes: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if ((init?.method ?? 'GET').toUpperCase() === 'POST') {
      const target = options.routePost?.(JSON.parse(String(init?.body ?? 'null')));
      if (target) url.host = new URL(target).host;
      posts.push(url);
      return fetch(url, init);
    }
    const response = await fetch(url, init);
    if (!response.body) return response;
    const [mine, theirs] = response.body.tee();
    void (async () => {
      const reader = new SseReader(mine);
      for (let e = await reader.nextEvent(); e; e = await reader.nextEvent()) if (e.event === 'message') received.push(JSON.parse(e.data) as Record<string, unknown>);
    })().catch(() => undefined);
    return new Response(theirs, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const transport = new SSEClientTransport(new URL(options.streamUrl), { requestInit: { headers: { Authorization: `Bearer ${options.token}` } }, fetch: viaRoutes });
  const client = new Client({ name: 'sse-test', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(transport);
  return {
    client,
    transport,
    received,
    posts,
    sessionId: () => posts[0]?.searchParams.get('sessionId') ?? '',
    close: () => client.close(),
  };
}

/** Waits (by polling, never by a fixed delay) until `check` holds; fails after `tries` looks. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}
