import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { appInsightsSink } from '../../src/telemetry/appInsights.js';
import { createLogger, silentLogger } from '../../src/telemetry/log.js';
import { createTelemetry, currentExchange, logSink, type Telemetry, type TelemetryRecord } from '../../src/telemetry/telemetry.js';
import { expectEvery } from '../helpers/expectEvery.js';
import { type Ingestion, startIngestion } from './ingestion.js';

/**
 * What leaves the process: the real Application Insights SDK exports to an ingestion endpoint on
 * 127.0.0.1 that keeps every envelope; LOG_FORMAT=json lines are captured too. The traffic carries
 * a bearer token, argument values, a response body and a Dataverse query in every place a caller
 * could hand them over; none of them may appear in what was exported.
 */

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJvaWQiOiJhbGljZSIsInNjcCI6ImFjY2Vzc19hc191c2VyIn0.c2lnbmF0dXJlLXZhbHVl';
const ARGUMENT = 'ARG-VALUE-Contoso-7f3a';
const BODY = 'BODY-SECRET-91c2';
const REQUEST_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const FORBIDDEN = [TOKEN, TOKEN.split('.')[1]!, 'Bearer', ARGUMENT, BODY, '$filter', 'contains(', 'alice@contoso'];
const TOOLS = ['D365_Sales_ListLeads', 'D365_Sales_SendOutreachEmail'];

let ingestion: Ingestion;
let connectionString: string;
beforeAll(async () => {
  ingestion = await startIngestion();
  connectionString = ingestion.connectionString;
});
afterAll(async () => {
  await ingestion?.close();
});

/** One 2025-era tools/call as handleMcp and dispatch report it, with the secrets a careless caller would pass. */
async function traffic(telemetry: Telemetry): Promise<void> {
  const exchange = telemetry.exchange('sales', REQUEST_ID);
  const response = await exchange.run(async () => {
    const body = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'D365_Sales_ListLeads', arguments: { search: ARGUMENT, token: TOKEN } } };
    exchange.describe(body, 'legacy', new Set(['D365_Sales_ListLeads']));
    // Values that must never become dimensions, passed where a caller might.
    expect(currentExchange()).toBe(exchange);
    telemetry.dataverse(REQUEST_ID)({ method: 'GET', entity: `leads?$filter=contains(fullname,'${ARGUMENT}')`, status: 200, throttled: false, attempt: 1, ms: 12, requestId: `Bearer ${TOKEN}` });
    telemetry.dataverse(REQUEST_ID)({ method: 'GET', entity: 'leads', status: 429, throttled: true, attempt: 1, ms: 3, requestId: '5b1a3c4d-0000-4000-8000-000000000001' });
    telemetry.dataverse(REQUEST_ID)({ method: 'GET', entity: 'leads', status: 200, throttled: false, attempt: 2, ms: 20, requestId: '5b1a3c4d-0000-4000-8000-000000000002' });
    telemetry.storage({ method: 'GET', table: 'mcpsessions', status: 404, ms: 2, requestId: 'ab12cd34-0000-4000-8000-000000000003' });
    telemetry.confirmation('asked', { agent: 'sales', tool: 'D365_Sales_SendOutreachEmail', era: 'legacy', via: 'handle' });
    telemetry.confirmation('given', { agent: 'sales', tool: 'D365_Sales_SendOutreachEmail', era: 'legacy', via: 'handle' });
    telemetry.confirmation('refused', { agent: 'sales', tool: ARGUMENT, era: 'legacy', via: 'elicitation' });
    telemetry.write({ agent: 'sales', tool: 'D365_Sales_SendOutreachEmail', era: 'legacy', outcome: 'succeeded' });
    telemetry.cacheLookup('obo', true);
    telemetry.cacheLookup('metadata', false);
    exchange.toolResult({ content: [{ type: 'text', text: BODY }], isError: true });
    return new Response(`event: message\ndata: {"result":{"content":[{"text":"${BODY}"}]}}\n\n`, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  });
  // The span ends when the body has been sent, not when the handler returned.
  expect(await exchange.finish(response).text()).toContain(BODY);
  // A request naming an agent that does not exist, with a method a client made up.
  const probe = telemetry.exchange(`x-${ARGUMENT}`, REQUEST_ID);
  probe.set({ method: ARGUMENT, tool: TOKEN });
  probe.finish(new Response(null, { status: 404 }));
}

describe('telemetry export', () => {
  it('sends requests, dependencies, events and metrics through Application Insights, and no token, argument value or body', async () => {
    const records: TelemetryRecord[] = [];
    const telemetry = createTelemetry({
      sinks: [appInsightsSink({ connectionString, log: silentLogger, loadAfterMs: 3_600_000 }), { emit: (r) => records.push(r), flush: async () => undefined }],
      agents: ['sales'],
      tools: TOOLS,
      dataverseHost: 'contoso.crm.dynamics.com',
      tablesHost: 'stmcp.table.core.windows.net',
    });
    await traffic(telemetry);
    await telemetry.flush();

    const exported = ingestion.bodies.join('\n');
    const envelopes = ingestion.envelopes();
    const of = (baseType: string) => envelopes.filter((e) => e.data.baseType === baseType);

    const requests = of('RequestData');
    expect(requests.map((r) => r.data.baseData.name).sort()).toEqual(['MCP other', 'MCP tools/call']);
    const call = requests.find((r) => r.data.baseData.name === 'MCP tools/call')!;
    expect(call.data.baseData.properties).toMatchObject({ agent: 'sales', era: 'legacy', method: 'tools/call', tool: 'D365_Sales_ListLeads', outcome: 'tool_error', status: '200', requestId: REQUEST_ID });
    expect(call.data.baseData['success']).toBe(false);
    expect(call.tags?.['ai.operation.id']).toBe(REQUEST_ID.replace(/-/g, ''));
    const probe = requests.find((r) => r.data.baseData.name === 'MCP other')!;
    expect(probe.data.baseData.properties).toMatchObject({ agent: '(unknown)', method: 'other', tool: 'unknown', outcome: 'not_found' });

    const dependencies = of('RemoteDependencyData');
    expect(dependencies.map((d) => d.data.baseData.name).sort()).toEqual(['GET /api/data/v9.2/leads', 'GET /api/data/v9.2/leads', 'GET /api/data/v9.2/other', 'GET /mcpsessions']);
    // The URL names the host and the entity set or table, nothing more.
    expectEvery(dependencies, (d) => expect(String(d.data.baseData['data'])).toMatch(/^https:\/\/[a-z0-9.-]+\/(api\/data\/v9\.2\/)?[A-Za-z0-9_]+$/));
    expectEvery(dependencies.filter((d) => d.data.baseData.properties?.['system'] === 'dataverse'), (d) => {
      expect(d.data.baseData['target']).toBe('contoso.crm.dynamics.com');
      expect(d.tags?.['ai.operation.id']).toBe(REQUEST_ID.replace(/-/g, ''));
    });
    expect(dependencies.find((d) => d.data.baseData.properties?.['throttled'] === 'true')?.data.baseData['resultCode']).toBe('429');
    expect(dependencies.some((d) => d.data.baseData.properties?.['attempt'] === '2')).toBe(true);
    expect(dependencies.find((d) => d.data.baseData.name === 'GET /api/data/v9.2/other')?.data.baseData.properties?.['dataverseRequestId']).toBe('invalid');
    expect(dependencies.find((d) => d.data.baseData.name === 'GET /mcpsessions')?.data.baseData['target']).toBe('stmcp.table.core.windows.net');

    const events = of('EventData').map((e) => ({ name: e.data.baseData.name, ...e.data.baseData.properties }));
    expect(events.map((e) => e.name).sort()).toEqual(['confirmation asked', 'confirmation given', 'confirmation refused', 'write']);
    expect(events.find((e) => e.name === 'confirmation refused')).toMatchObject({ tool: 'unknown', via: 'elicitation' });
    expect(events.find((e) => e.name === 'write')).toMatchObject({ outcome: 'succeeded', tool: 'D365_Sales_SendOutreachEmail' });

    const metrics = of('MetricData');
    expect(metrics.length).toBeGreaterThan(0);
    expect(exported).toContain('cache hit');

    for (const secret of FORBIDDEN) expect(exported, `exported telemetry contains ${secret.slice(0, 24)}`).not.toContain(secret);
    // The in-process records are the same vetted facts.
    for (const secret of FORBIDDEN) expect(JSON.stringify(records), secret.slice(0, 24)).not.toContain(secret);
  });

  it('LOG_FORMAT=json prints the same records as log lines, and nothing secret', async () => {
    const lines: string[] = [];
    const telemetry = createTelemetry({ sinks: [logSink(createLogger('info', {}, { write: (_l, line) => lines.push(line) }))], agents: ['sales'], tools: TOOLS });
    await traffic(telemetry);
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; type: string; name: string });
    expectEvery(parsed, (p) => expect(p.msg).toBe('telemetry'), 'telemetry log lines');
    expect(parsed.map((p) => `${p.type}:${p.name}`)).toEqual(
      expect.arrayContaining(['request:MCP tools/call', 'dependency:GET leads', 'dependency:GET mcpsessions', 'event:confirmation asked', 'event:write', 'metric:cache hit']),
    );
    for (const secret of FORBIDDEN) expect(lines.join('\n'), secret.slice(0, 24)).not.toContain(secret);
  });

  it('loads the SDK only after the first exchange has been answered, or on flush', async () => {
    let loads = 0;
    let loaded!: () => void;
    const wasLoaded = new Promise<void>((resolve) => (loaded = resolve));
    const sink = appInsightsSink({
      connectionString,
      log: silentLogger,
      loadAfterMs: 3_600_000,
      importSdk: async () => {
        loads++;
        loaded();
        return { TelemetryClient: (await import('applicationinsights')).TelemetryClient };
      },
    });
    const telemetry = createTelemetry({ sinks: [sink], agents: ['sales'], tools: TOOLS });
    const exchange = telemetry.exchange('sales', REQUEST_ID);
    telemetry.cacheLookup('obo', false);
    const response = exchange.finish(new Response('{"jsonrpc":"2.0","id":1,"result":{}}', { status: 200 }));
    // Handled and answered while the SDK is not even being imported.
    expect(loads).toBe(0);
    await response.text();
    await wasLoaded;
    expect(loads).toBe(1);
    await telemetry.flush();
    expect(loads).toBe(1);
  });

  it('a JSON answer is passed on as it is and recorded at once; an SSE answer when its last byte is read', async () => {
    const records: TelemetryRecord[] = [];
    const telemetry = createTelemetry({ sinks: [{ emit: (r) => records.push(r), flush: async () => undefined }], agents: ['sales'], tools: TOOLS });
    const json = Response.json({ jsonrpc: '2.0', id: 1, result: {} });
    expect(telemetry.exchange('sales', REQUEST_ID).finish(json)).toBe(json);
    expect(records.filter((r) => r.type === 'request')).toHaveLength(1);
    const sse = new Response('event: message\ndata: {}\n\n', { headers: { 'content-type': 'text/event-stream' } });
    const streamed = telemetry.exchange('sales', REQUEST_ID).finish(sse);
    expect(streamed).not.toBe(sse);
    expect(records.filter((r) => r.type === 'request')).toHaveLength(1);
    await streamed.text();
    expect(records.filter((r) => r.type === 'request')).toHaveLength(2);
  });

  it('costs nothing when off: no sink, no span wrapping', async () => {
    const telemetry = createTelemetry({ sinks: [], agents: ['sales'], tools: TOOLS });
    expect(telemetry.enabled).toBe(false);
    const original = new Response('x', { status: 200 });
    expect(telemetry.exchange('sales', REQUEST_ID).finish(original)).toBe(original);
  });
});
