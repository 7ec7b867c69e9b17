import { describe, expect, it } from 'vitest';

import { portIsFree } from '../../src/dev/azurite.js';
import { listenNodeHost } from '../../src/http/nodeHost.js';
import { modernHeaders, modernRequest, startTestServer } from '../helpers/harness.js';

describe('the node host', () => {
  it('holds its port before it has an app, answering 503 with Retry-After, and closes once', async () => {
    const listener = await listenNodeHost();
    const port = Number(new URL(listener.url).port);
    // Nobody else can take the port while the app is being built.
    expect(await portIsFree(port)).toBe(false);
    const early = await fetch(`${listener.url}/health`);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(await early.json()).toEqual({ error: 'starting' });
    await Promise.all([listener.close(), listener.close()]);
    expect(await portIsFree(port)).toBe(true);
  });

  it('is built with the public URL of the port it already holds', async () => {
    const server = await startTestServer();
    try {
      expect(server.config.publicBaseUrl).toBe(server.url);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("writes a shared server's answer with the UTF-8 length of its text", async () => {
    const server = await startTestServer({ emulator: true });
    try {
      const literal = 'Zoë Müller – 東京';
      const served = server.app.shared!.stats().served;
      const res = await fetch(server.mcpUrl('dataverse'), {
        method: 'POST',
        headers: modernHeaders(await server.token('alice'), 'tools/call', 'read_query'),
        body: JSON.stringify(modernRequest('tools/call', { name: 'read_query', arguments: { sql_query: `SELECT name FROM account WHERE name = '${literal}'` } })),
      });
      const text = await res.text();
      expect(server.app.shared!.stats().served).toBe(served + 1);
      expect(res.status).toBe(200);
      // The executed SQL comes back with the literal in it: more bytes than characters. A length
      // counted in characters would cut the answer short of its end.
      const answer = JSON.parse(text) as { result: { structuredContent: { executedSql: string } } };
      expect(answer.result.structuredContent.executedSql).toContain(literal);
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    } finally {
      await server.close();
    }
  });
});
