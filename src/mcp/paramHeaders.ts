/**
 * SEP-2243 (2026-07-28): a tool argument declared with `x-mcp-header` is mirrored by the client
 * into an `Mcp-Param-<Name>` header, so gateways can act on it without reading the body. The
 * server must refuse a call whose header is missing, malformed or disagrees with the body (400,
 * -32020 HeaderMismatch). The SDK validates this only for its high-level McpServer, so the HTTP
 * layer checks it here for our tool descriptors.
 */

import type { HeaderReader } from '../auth/authenticate.js';

export interface ParamHeader {
  /** The top-level argument. */
  argument: string;
  /** The header suffix: `Mcp-Param-<name>`. */
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean';
}

export class ParamHeaderError extends Error {
  override name = 'ParamHeaderError';
}

const HEADER_KEY = 'x-mcp-header';
/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BASE64_SENTINEL = /^=\?base64\?(.*)\?=$/s;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRIMITIVE = new Set(['string', 'integer', 'number', 'boolean']);

/** Adds the declarations to a served input schema; a bad declaration is a definition bug and fails at start-up. */
export function declareParamHeaders(schema: Record<string, unknown>, headers: Readonly<Record<string, string>>, where: string): void {
  const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
  for (const [argument, name] of Object.entries(headers)) {
    const property = properties?.[argument];
    if (!property) throw new ParamHeaderError(`${where}: x-mcp-header on unknown argument "${argument}"`);
    property[HEADER_KEY] = name;
  }
  paramHeadersOf(schema, where);
}

/** The declarations of a served input schema (top-level primitive properties only, names unique ignoring case). */
export function paramHeadersOf(schema: Record<string, unknown>, where = 'tool'): ParamHeader[] {
  const properties = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const out: ParamHeader[] = [];
  const seen = new Set<string>();
  for (const [argument, property] of Object.entries(properties)) {
    const name = property[HEADER_KEY];
    if (name === undefined) continue;
    const type = property['type'];
    if (typeof name !== 'string' || !TOKEN.test(name)) throw new ParamHeaderError(`${where}: x-mcp-header of "${argument}" must be an RFC 9110 token`);
    if (typeof type !== 'string' || !PRIMITIVE.has(type)) throw new ParamHeaderError(`${where}: x-mcp-header only on string, integer, number or boolean arguments ("${argument}")`);
    if (seen.has(name.toLowerCase())) throw new ParamHeaderError(`${where}: x-mcp-header "${name}" declared twice`);
    seen.add(name.toLowerCase());
    out.push({ argument, name, type: type as ParamHeader['type'] });
  }
  return out;
}

/**
 * Why a call's `Mcp-Param-*` headers do not match its arguments, or undefined when they do. A
 * header counts only for an argument the body carries (null or absent: none expected).
 */
export function paramHeaderMismatch(declarations: readonly ParamHeader[], args: unknown, headers: HeaderReader): string | undefined {
  const given = args && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  for (const d of declarations) {
    const value = given[d.argument];
    if (value === undefined || value === null) continue;
    const header = `Mcp-Param-${d.name}`;
    const raw = headers.get(header);
    if (raw === null) return `Header mismatch: ${header} is required when the argument "${d.argument}" is sent (SEP-2243).`;
    const decoded = decode(raw.trim());
    if (decoded === undefined) return `Header mismatch: ${header} is not valid Base64 UTF-8 inside =?base64?…?=.`;
    if (!same(d.type, decoded, value)) return `Header mismatch: ${header} does not match the argument "${d.argument}".`;
  }
  return undefined;
}

function decode(raw: string): string | undefined {
  const wrapped = BASE64_SENTINEL.exec(raw);
  if (!wrapped) return raw;
  const payload = wrapped[1]!;
  if (!CANONICAL_BASE64.test(payload)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64'));
  } catch {
    return undefined;
  }
}

function same(type: ParamHeader['type'], header: string, value: unknown): boolean {
  if (type === 'integer' || type === 'number') return header !== '' && Number(header) === value;
  if (type === 'boolean') return header === String(value);
  return header === value;
}
