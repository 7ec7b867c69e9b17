import { payloadError } from '../dataverseError.js';
import type { RequestScope } from '../http/apiTypes.js';
import type { TableDef } from '../metadata/types.js';
import type { SqlValue } from '../store/store.js';

export type JsonObject = Record<string, unknown>;

export function actionTable(scope: RequestScope, name: string): TableDef {
  const t = scope.core.model.table(name);
  if (!t) throw new Error(`missing table ${name}`);
  return t;
}

/**
 * Checks an action payload: required parameters present with the right JSON type, nothing unknown
 * (parameters of the action reference pages, e.g. https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/sendemail).
 */
export function actionParameters(
  entitySet: string,
  action: string,
  body: unknown,
  spec: Record<string, { type: 'boolean' | 'integer' | 'object' | 'string' | 'any'; required: boolean }>,
): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw payloadError(entitySet, `The request body of '${action}' must be a JSON object.`);
  const b = body as JsonObject;
  for (const key of Object.keys(b)) {
    if (!(key in spec)) throw payloadError(entitySet, `The parameter '${key}' in the request payload is not a valid parameter for the operation '${action}'.`);
  }
  const missing = Object.entries(spec)
    .filter(([k, s]) => s.required && (b[k] === undefined || b[k] === null))
    .map(([k]) => k);
  if (missing.length) {
    throw payloadError(entitySet, `One or more parameters of the operation '${action}' are missing from the request payload. The missing parameters are: ${missing.join(', ')}.`);
  }
  for (const [k, s] of Object.entries(spec)) {
    const v = b[k];
    if (v === undefined || v === null || s.type === 'any') continue;
    const ok =
      s.type === 'boolean' ? typeof v === 'boolean' : s.type === 'integer' ? Number.isInteger(v) : s.type === 'string' ? typeof v === 'string' : typeof v === 'object' && !Array.isArray(v);
    if (!ok) {
      const edm = { boolean: 'Edm.Boolean', integer: 'Edm.Int32', string: 'Edm.String', object: 'Microsoft.Dynamics.CRM.crmbaseentity' }[s.type];
      throw payloadError(entitySet, `Cannot convert the literal '${JSON.stringify(v)}' to the expected type '${edm}' for the parameter '${k}'.`);
    }
  }
  return b;
}

/** The non-null columns of a row, for carrying a lead's values into the records it becomes. */
export function copyColumns(row: Record<string, SqlValue>, columns: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const c of columns) {
    const v = row[c];
    if (v !== null && v !== undefined) out[c] = v;
  }
  return out;
}
