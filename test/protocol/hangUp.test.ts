import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { modernHeaders, modernRequest, startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ emulator: true });
}, 60_000);
afterAll(async () => {
  server?.emulator?.faults.clear();
  await server?.close();
});

describe('a client that hangs up mid-call', () => {
  it('2026-07-28: the node host keeps the hang-up apart from the Request, and the shared server still hears it', async () => {
    // Dataverse holds the answer far longer than the test waits: only the hang-up can end the call.
    server.emulator!.faults.add({ kind: 'latency', latencyMs: 60_000, match: { pathContains: 'WhoAmI' } });
    const shared = server.app.shared!;
    const hangUp = new AbortController();
    const sent = fetch(server.mcpUrl('sales'), {
      method: 'POST',
      headers: modernHeaders(await server.token('alice'), 'tools/call', 'whoami'),
      body: JSON.stringify(modernRequest('tools/call', { name: 'whoami', arguments: {} })),
      signal: hangUp.signal,
    }).catch((err: unknown) => err);
    await vi.waitFor(() => expect(shared.stats().open).toBe(1));
    hangUp.abort();
    expect(await sent).toBeInstanceOf(Error);
    // The exchange ends (its handler cancelled) without waiting for Dataverse.
    await vi.waitFor(() => expect(shared.stats().open).toBe(0));
    server.emulator!.faults.clear();
  });
});
