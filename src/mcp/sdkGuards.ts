import { InitializeRequestSchema, JSONRPCErrorResponseSchema, JSONRPCRequestSchema, JSONRPCResultResponseSchema } from '@modelcontextprotocol/core';

/** What the SDK's message guards call on a schema (zod's safeParse, of which they read `success`). */
interface Parseable {
  safeParse(data: unknown, params?: unknown): { success: boolean; error?: unknown };
}

type Shape = Record<string, unknown>;

/**
 * For each guarded schema, a condition every message it accepts meets: a key the schema requires
 * (with its literal where it has one), or a key its `.strict()` refuses. Each is necessary, never
 * sufficient: a message that meets it is still parsed by the schema.
 */
const CONDITIONS: ReadonlyArray<readonly [Parseable, (m: Shape) => boolean]> = [
  // { jsonrpc: '2.0', id, method: string, params? }, strict (core's schemas: JSONRPCRequestSchema).
  [JSONRPCRequestSchema, (m) => m['jsonrpc'] === '2.0' && typeof m['method'] === 'string' && m['id'] !== undefined],
  // { jsonrpc: '2.0', id, result: object }, strict: no method.
  [JSONRPCResultResponseSchema, (m) => m['jsonrpc'] === '2.0' && m['result'] !== undefined && m['method'] === undefined],
  // { jsonrpc: '2.0', id?, error: { code, message, data? } }, strict: no method.
  [JSONRPCErrorResponseSchema, (m) => m['jsonrpc'] === '2.0' && m['error'] !== undefined && m['method'] === undefined],
  // RequestSchema extended with method: 'initialize' (no jsonrpc key in its shape).
  [InitializeRequestSchema, (m) => m['method'] === 'initialize'],
];

const quickened = new WeakSet<Parseable>();

/**
 * The SDK tells what a message is by parsing it against one schema after another
 * (isJSONRPCResultResponse, isJSONRPCErrorResponse, then isJSONRPCRequest) in its inbound
 * classification, again in its protocol's dispatch, and its 2025-era transport asks
 * isInitializeRequest twice. For a request, every guard before the last fails, and a failing zod
 * parse builds its issues first: an A/B (`npm run bench -- --compare`) measured 14 % of a 2026-07-28
 * call's CPU and 17 % of a 2025-era call's in those failures.
 *
 * This gives each of those schemas' safeParse a precondition: a message that cannot pass (see
 * CONDITIONS) fails without being parsed, with the same error, built from the schema only if
 * someone reads it. Every guard answers exactly as before (test/mcp/sdkGuards.test.ts compares
 * them on a corpus). The schemas are @modelcontextprotocol/core's, the objects the SDK's guards
 * read at every call. Idempotent.
 */
export function quickenSdkGuards(): void {
  for (const [schema, mayPass] of CONDITIONS) {
    if (quickened.has(schema)) continue;
    quickened.add(schema);
    const parse = schema.safeParse;
    Object.defineProperty(schema, 'safeParse', {
      configurable: true,
      writable: true,
      value(data: unknown, params?: unknown) {
        if (typeof data === 'object' && data !== null && mayPass(data as Shape)) return parse.call(schema, data, params);
        let refused: ReturnType<Parseable['safeParse']> | undefined;
        return {
          success: false,
          get error() {
            refused ??= parse.call(schema, data, params);
            return refused.error;
          },
        };
      },
    });
  }
}
