import { invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { isGuid } from '../ids.js';
import type { TableDef } from '../metadata/types.js';
import { bulkMessageAvailable, type BulkMessage } from '../seed/sdkMessages.js';
import { createRecord, loadRow, updateRecord } from '../write/recordWriter.js';
import { actionParameters, type JsonObject } from './actionParameters.js';

/**
 * The bulk operation messages CreateMultiple and UpdateMultiple, bound to an entity set:
 * `POST /<set>/Microsoft.Dynamics.CRM.CreateMultiple` with `{ "Targets": [ … ] }` → 200 with the
 * `Ids` of the created rows; `…/UpdateMultiple` → 204 (CreateMultiple action,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/createmultiple;
 * UpdateMultiple action, https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/updatemultiple;
 * "Use bulk operation messages", https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations).
 *
 * Rules kept, each from those pages:
 * - `Targets` is the one parameter, required, a collection of records (the action's Parameters table).
 * - Every item names its table with `@odata.type` ("You must specify the @odata.type annotation with
 *   every item in the Targets parameter"), and all are of the bound table ("multiple records of the
 *   same type in a single request").
 * - Standard tables are all or nothing: an error on one record rolls the whole request back (bulk
 *   operations, "Standard and elastic table usage"). Each record is checked as its single Create or
 *   Update would be: privileges, column values, required columns, duplicate keys.
 * - UpdateMultiple needs each record's key, never creates, and refuses the same record twice
 *   ("Duplicate records in UpdateMultiple Targets parameter").
 * An empty `Targets` is refused (not documented: the service has nothing to do).
 */
export function bulkAction(segment: string): ((scope: RequestScope, table: TableDef) => ApiResponse) | undefined {
  if (segment === 'Microsoft.Dynamics.CRM.CreateMultiple') return createMultiple;
  if (segment === 'Microsoft.Dynamics.CRM.UpdateMultiple') return updateMultiple;
  return undefined;
}

function targetsOf(scope: RequestScope, table: TableDef, action: string): JsonObject[] {
  const p = actionParameters(table.entitySetName, action, scope.req.body, { Targets: { type: 'any', required: true } });
  const targets = p['Targets'];
  if (!Array.isArray(targets)) throw payloadError(table.entitySetName, `The parameter 'Targets' of '${action}' must be a collection of '${table.logicalName}' records.`);
  if (targets.length === 0) throw invalidArgument(`The parameter 'Targets' of '${action}' contains no records.`);
  const expected = `Microsoft.Dynamics.CRM.${table.logicalName}`;
  return targets.map((t, i) => {
    if (!t || typeof t !== 'object' || Array.isArray(t)) throw payloadError(table.entitySetName, `Item ${i} of 'Targets' is not a record.`);
    const type = (t as JsonObject)['@odata.type'];
    if (type === undefined) throw payloadError(table.entitySetName, `Item ${i} of 'Targets' has no '@odata.type' annotation; every item must name its type, e.g. '${expected}'.`);
    if (String(type).replace(/^#/, '') !== expected) {
      throw payloadError(table.entitySetName, `A resource with type '${String(type).replace(/^#/, '')}' was found, but it is not assignable to the expected type '${expected}'. All records in 'Targets' must be of the same table.`);
    }
    return t as JsonObject;
  });
}

/** Only where the org lists the message for the table in sdkmessagefilter (bulk-operations, Availability with standard tables). */
function requireAvailable(scope: RequestScope, table: TableDef, message: BulkMessage): void {
  if (table.readOnly || !bulkMessageAvailable(scope.core.store, message, table.logicalName)) throw invalidArgument(`The '${table.logicalName}' entity does not support ${message}.`);
}

function createMultiple(scope: RequestScope, table: TableDef): ApiResponse {
  requireAvailable(scope, table, 'CreateMultiple');
  const targets = targetsOf(scope, table, 'CreateMultiple');
  const ids = scope.core.store.transaction(() => targets.map((t) => createRecord(scope.write, table, t)));
  return { status: 200, body: { '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse`, Ids: ids } };
}

function updateMultiple(scope: RequestScope, table: TableDef): ApiResponse {
  requireAvailable(scope, table, 'UpdateMultiple');
  const targets = targetsOf(scope, table, 'UpdateMultiple');
  const pk = table.primaryIdAttribute;
  const seen = new Set<string>();
  const keyed = targets.map((t, i) => {
    const raw = t[pk];
    if (typeof raw !== 'string' || !isGuid(raw)) throw invalidArgument(`Item ${i} of 'Targets' has no '${pk}': UpdateMultiple needs the key of every record it updates.`);
    const id = raw.toLowerCase();
    if (seen.has(id)) throw invalidArgument(`The record ${table.logicalName} ${id} is in 'Targets' more than once; UpdateMultiple does not accept duplicate records.`);
    seen.add(id);
    const body = { ...t };
    delete body[pk];
    return { id, body };
  });
  scope.core.store.transaction(() => {
    for (const { id, body } of keyed) {
      const current = loadRow(scope.core.store, table, id);
      if (!current) throw notFound(table.logicalName, id);
      updateRecord(scope.write, table, id, body, current);
    }
  });
  return { status: 204 };
}
