import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, type TestClient } from '../helpers/mcpClient.js';

/** Azure ends an HTTP-triggered function at 230 s whatever functionTimeout says: a tool call ends first. */
let server: TestServer;
let alice: TestClient;
beforeAll(async () => {
  server = await startTestServer({ emulator: true, env: { TOOL_TIMEOUT_SECONDS: '2' } });
  alice = await connect(server, 'alice', 'sales');
  // Warm the token exchange and the metadata, so the measured calls wait only on the delayed request.
  await alice.call('D365_Sales_ListLeads', { top: 1 });
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await server?.close();
});

describe('one deadline per tool call', () => {
  it('a call that Dataverse keeps waiting ends with a clear answer at the deadline', async () => {
    // Far longer than the deadline, so the outcome does not hinge on how busy the machine is.
    server.emulator!.faults.add({ kind: 'latency', latencyMs: 30_000, count: 5, match: { pathContains: '/leads' } });
    const r = await alice.call('D365_Sales_ListLeads', { top: 5 });
    expect(r.isError).toBe(true);
    expect(r.text).toBe('List leads: did not finish within the time one call may take (Dataverse was slow or throttling). Try again, or narrow the request.');
    server.emulator!.faults.clear();
  });

  it('throttling that outlasts the deadline is not waited out', async () => {
    server.emulator!.faults.add({ kind: 'throttle', retryAfterSeconds: 1, count: 50, match: { pathContains: '/leads' } });
    const r = await alice.call('D365_Sales_ListLeads', { top: 5 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^List leads: did not finish within the time one call may take/);
    server.emulator!.faults.clear();
  });
});
