import { InitializeRequestSchema, JSONRPCErrorResponseSchema, JSONRPCRequestSchema, JSONRPCResultResponseSchema } from '@modelcontextprotocol/core';
import { classifyInboundRequest, isInitializeRequest, isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/server';
import { beforeAll, describe, expect, it } from 'vitest';

import { quickenSdkGuards } from '../../src/mcp/sdkGuards.js';

type SafeParse = (data: unknown) => { success: boolean; error?: { issues: unknown[] } };
interface Schema {
  safeParse: SafeParse;
}

const SCHEMAS: Record<string, Schema> = {
  request: JSONRPCRequestSchema as unknown as Schema,
  result: JSONRPCResultResponseSchema as unknown as Schema,
  error: JSONRPCErrorResponseSchema as unknown as Schema,
  initialize: InitializeRequestSchema as unknown as Schema,
};

/**
 * zod's own safeParse, from the schema's prototype chain (quickening shadows it on the instance).
 * zod defines it as a getter that binds it to the instance; called without one, it gives the method.
 */
function zodParse(schema: Schema): SafeParse {
  for (let proto = Object.getPrototypeOf(schema) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const own = Object.getOwnPropertyDescriptor(proto, 'safeParse');
    const method = (own?.value ?? own?.get?.call(null)) as SafeParse | undefined;
    if (method) return (data) => method.call(schema, data);
  }
  throw new Error('zod schema without safeParse');
}

const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: {} } };
const initialize = { jsonrpc: '2.0', id: 'i', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
const result = { jsonrpc: '2.0', id: 7, result: { content: [] } };
const failure = { jsonrpc: '2.0', id: 7, error: { code: -32602, message: 'bad' } };

/** Every kind of message, and each with the changes that make one schema or another refuse or accept it. */
const CORPUS: unknown[] = [
  request,
  initialize,
  result,
  failure,
  { jsonrpc: '2.0', id: 2, method: 'ping' },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', error: { code: -32700, message: 'parse' } },
  { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse' } },
  { method: 'initialize', params: initialize.params },
  { method: 'initialize' },
  { ...initialize, params: { protocolVersion: '2025-11-25' } },
  ...[request, initialize, result, failure].flatMap((m) => [
    { ...m, jsonrpc: '1.0' },
    { ...m, jsonrpc: undefined },
    { ...m, id: undefined },
    { ...m, id: 1.5 },
    { ...m, id: 'x' },
    { ...m, extra: true },
    { ...m, method: undefined },
    { ...m, method: 'tools/call' },
    { ...m, method: 42 },
    { ...m, result: undefined },
    { ...m, result: {} },
    { ...m, result: null },
    { ...m, error: undefined },
    { ...m, error: { code: 1, message: 'm' } },
    { ...m, error: {} },
    Object.create(m) as object,
  ]),
  null,
  undefined,
  0,
  'request',
  true,
  [],
  [request],
];

describe('quickenSdkGuards', () => {
  beforeAll(() => quickenSdkGuards());

  it('leaves every guard answering as zod does, with the same error', () => {
    let compared = 0;
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const zod = zodParse(schema);
      for (const message of CORPUS) {
        const expected = zod(message);
        const actual = schema.safeParse(message);
        const label = `${name}: ${JSON.stringify(message)}`;
        expect(actual.success, label).toBe(expected.success);
        if (!expected.success) expect(actual.error?.issues, label).toEqual(expected.error?.issues);
        compared++;
      }
    }
    // Each schema accepts something in the corpus, so the comparison covers both answers.
    for (const [name, schema] of Object.entries(SCHEMAS)) expect(CORPUS.some((m) => schema.safeParse(m).success), name).toBe(true);
    expect(compared).toBe(CORPUS.length * 4);
  });

  it("is what the SDK's own guards run: a message that cannot pass is refused before zod reads it", () => {
    const reads: string[] = [];
    const watched = (message: object) => new Proxy(message, { get: (target, key, receiver) => (reads.push(String(key)), Reflect.get(target, key, receiver)) });
    // zod reads a schema's keys in turn; the conditions stop at the first key that cannot pass.
    zodParse(SCHEMAS['result']!)(watched(request));
    expect(reads).toContain('id');

    reads.length = 0;
    expect(isJSONRPCResultResponse(watched(request))).toBe(false);
    expect(isJSONRPCErrorResponse(watched(request))).toBe(false);
    expect(isJSONRPCRequest(watched(result))).toBe(false);
    expect(isInitializeRequest(watched(request))).toBe(false);
    expect(reads).not.toContain('id');
    expect(reads).not.toContain('params');

    // And what can pass is still parsed whole.
    expect(isJSONRPCRequest(request)).toBe(true);
    expect(isJSONRPCResultResponse(result)).toBe(true);
    expect(isJSONRPCErrorResponse(failure)).toBe(true);
    expect(isInitializeRequest(initialize)).toBe(true);
  });

  it("keeps the SDK's classification of each kind of body", () => {
    const classify = (body: unknown) => classifyInboundRequest({ httpMethod: 'POST', body }).kind;
    expect(classify(result)).toBe('legacy');
    expect(classify(failure)).toBe('legacy');
    expect(classify(initialize)).toBe('legacy');
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe('legacy');
    const modern = classifyInboundRequest({
      httpMethod: 'POST',
      body: { ...request, params: { ...request.params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } },
      protocolVersionHeader: '2026-07-28',
      mcpMethodHeader: 'tools/call',
      mcpNameHeader: 'x',
    });
    expect(modern.kind).toBe('modern');
  });

  it('is idempotent', () => {
    const before = SCHEMAS['request']!.safeParse;
    quickenSdkGuards();
    expect(SCHEMAS['request']!.safeParse).toBe(before);
  });
});
