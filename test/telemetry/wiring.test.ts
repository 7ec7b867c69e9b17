import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestServer, type TestServer } from '../helpers/harness.js';
import { connect, resultOf, type TestClient } from '../helpers/mcpClient.js';
import { type Envelope, type Ingestion, startIngestion } from './ingestion.js';

/**
 * The telemetry as the server emits it (src/http, src/mcp and src/app call src/telemetry), exported
 * by the real SDK to a loopback ingestion endpoint: one request per MCP exchange, Dataverse and
 * Table Storage dependencies, confirmation and write events, cache metrics; and none of the token,
 * argument values or bodies that went through.
 */
const MARKER = 'WIRING-MARKER-5d1e';

let ingestion: Ingestion;
let server: TestServer;
let alice: TestClient;
let token: string;
beforeAll(async () => {
  ingestion = await startIngestion();
  server = await startTestServer({ emulator: true, env: { APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString } });
  token = await server.token('alice');
  alice = await connect(server, 'alice', 'dataverse');
}, 60_000);
afterAll(async () => {
  await alice?.close();
  await server?.close();
  await ingestion?.close();
});

const props = (e: Envelope) => e.data.baseData.properties ?? {};

describe('telemetry wired through the server', () => {
  it('records exchanges, dependencies, confirmations, writes and cache lookups, and nothing a user sent or got', async () => {
    const found = await alice.call('read_query', { sql_query: `SELECT name FROM account WHERE name = '${MARKER}'` });
    expect(found.isError).toBeFalsy();
    const account = ((await alice.call('read_query', { sql_query: "SELECT TOP 1 accountid FROM account WHERE name = 'Fourth Coffee'" })).data['rows'] as Array<{ accountid: string }>)[0]!.accountid;
    const args = { table_name: 'account', record_id: account, update_data: { description: MARKER } };
    const asked = await alice.call('update_record', args);
    expect(asked.data['status']).toBe('confirmation_required');
    resultOf(await alice.call('update_record', { ...args, confirmationHandle: (asked.data['confirmation'] as { handle: string }).handle }));
    await server.app.telemetry.flush();

    const envelopes = ingestion.envelopes();
    const of = (type: string) => envelopes.filter((e) => e.data.baseType === type);
    const requests = of('RequestData');
    expect(requests.map((r) => r.data.baseData.name)).toEqual(expect.arrayContaining(['MCP initialize', 'MCP tools/call']));
    const calls = requests.filter((r) => props(r)['method'] === 'tools/call');
    expect(calls.map((c) => `${props(c)['tool']}:${props(c)['outcome']}`)).toEqual(
      expect.arrayContaining(['read_query:ok', 'update_record:confirmation_required', 'update_record:ok']),
    );
    for (const c of calls) expect(props(c)).toMatchObject({ agent: 'dataverse', era: 'legacy' });

    const dependencies = of('RemoteDependencyData');
    expect(dependencies.some((d) => props(d)['system'] === 'dataverse' && props(d)['dataverseRequestId'])).toBe(true);
    expect(dependencies.some((d) => props(d)['system'] === 'tables')).toBe(true);
    // A dependency made while serving a request carries its operation id.
    const operations = new Set(requests.map((r) => r.tags?.['ai.operation.id']));
    expect(dependencies.filter((d) => props(d)['system'] === 'dataverse').every((d) => operations.has(d.tags?.['ai.operation.id']))).toBe(true);

    const events = of('EventData').map((e) => `${e.data.baseData.name}:${props(e)['tool']}:${props(e)['via'] ?? props(e)['outcome']}`);
    expect(events).toEqual(expect.arrayContaining(['confirmation asked:update_record:handle', 'confirmation given:update_record:handle', 'write:update_record:succeeded']));

    const metrics = of('MetricData').flatMap((m) => (m.data.baseData['metrics'] as Array<{ name: string }>).map((x) => `${x.name}:${props(m)['cache']}`));
    expect(metrics).toEqual(expect.arrayContaining(['cache hit:obo', 'cache hit:metadata']));

    const exported = ingestion.bodies.join('\n');
    for (const secret of [MARKER, token, token.split('.')[1]!, 'Bearer', 'sql=', 'SELECT', 'Fourth Coffee', account]) expect(exported, secret.slice(0, 24)).not.toContain(secret);
  });
});
