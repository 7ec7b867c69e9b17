import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fromNodeRequest, webRequestOf } from '../../src/http/inbound.js';

/** A node:http server that hands over the IncomingMessage of each raw request written to it. */
let port = 0;
let received: (req: IncomingMessage) => void = () => undefined;
const server = createServer((req, res) => {
  received(req);
  res.end();
});

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `head` (request line and header lines) as written, with no client library normalising it. */
function incoming(head: string[]): Promise<IncomingMessage> {
  const req = new Promise<IncomingMessage>((resolve) => (received = resolve));
  const socket = connect(port, '127.0.0.1', () => socket.end(`${head.join('\r\n')}\r\n\r\n`));
  socket.resume();
  return req;
}

describe('the node request view reads what a web Request of the same request reads', () => {
  it('headers by any case, repeated values, repeated single-valued fields, absent ones', async () => {
    const req = await incoming([
      'POST /mcp/sales?x=1 HTTP/1.1',
      'Host: example.test:8443',
      'Content-Type: application/json',
      'Accept: application/json',
      'Accept: text/event-stream',
      'X-Thing: a',
      'x-thing: b',
      'Authorization: Bearer first',
      'Authorization: Bearer second',
      'Mcp-Name:   padded   ',
      'Cookie: a=1',
      'Cookie: b=2',
      'Content-Length: 0',
    ]);
    const view = fromNodeRequest(req);
    const web = webRequestOf(req);
    for (const name of ['host', 'Content-Type', 'ACCEPT', 'x-thing', 'authorization', 'mcp-name', 'cookie', 'origin', 'mcp-session-id']) {
      expect(view.headers.get(name), name).toBe(web.headers.get(name));
    }
    expect(view.headers.get('accept')).toBe('application/json, text/event-stream');
    expect(view.headers.get('origin')).toBeNull();
    expect(view.method).toBe(web.method);
    expect(view.url).toBe(web.url);
    expect(view.url).toBe('http://example.test:8443/mcp/sales?x=1');
  });

  it('builds its web Request once, without the hang-up signal; the legacy routes get one that follows it', async () => {
    const req = await incoming(['GET /mcp/sales HTTP/1.1', 'Host: 127.0.0.1']);
    const view = fromNodeRequest(req);
    expect(view.web()).toBe(view.web());
    const hangUp = new AbortController();
    const following = webRequestOf(req, hangUp.signal);
    hangUp.abort();
    expect(following.signal.aborted).toBe(true);
    expect(view.web().signal.aborted).toBe(false);
  });
});
