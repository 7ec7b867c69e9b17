import { invalidArgument, notFound, payloadError, resourceNotFound } from '../dataverseError.js';
import { isGuid } from '../ids.js';
import type { NavProperty, TableDef } from '../metadata/types.js';
import { quoteIdent } from '../store/store.js';
import { parseEntityReference, recordExists } from '../write/recordWriter.js';
import type { ApiResponse, RequestScope } from './apiTypes.js';

/**
 * Many-to-many links through the Web API (associate-disassociate-entities-using-web-api,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api):
 * `POST /opportunities(<id>)/opportunitycompetitors_association/$ref {"@odata.id": "…/competitors(<id>)"}`
 * and `DELETE /opportunities(<id>)/opportunitycompetitors_association(<id>)/$ref`, both 204. Linking
 * needs Append and AppendTo on both tables ("Associate": the privileges of both records).
 * Associating an already-linked pair is accepted and changes nothing.
 */
export function associationHandler(scope: RequestScope, table: TableDef, id: string, segment: string): ApiResponse {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\(([^)]*)\))?$/.exec(segment);
  const nav: NavProperty | undefined = m?.[1] ? scope.core.model.nav(table.logicalName, m[1]) : undefined;
  if (!nav || nav.kind !== 'manyToMany') throw resourceNotFound(segment);
  const target = scope.core.model.table(nav.target);
  if (!target) throw resourceNotFound(segment);
  for (const t of [table, target]) {
    scope.access.require('Append', t);
    scope.access.require('AppendTo', t);
  }
  if (!recordExists(scope.core.store, table, id)) throw notFound(table.logicalName, id);
  const method = scope.req.method;
  let otherId: string;
  if (method === 'POST') {
    if (m?.[2] !== undefined) throw invalidArgument(`POST to ${m[1]}/$ref takes the related record in "@odata.id", not in the URL.`);
    const body = scope.req.body as Record<string, unknown> | null;
    const ref = typeof body?.['@odata.id'] === 'string' ? parseEntityReference(scope.core.model, body['@odata.id']) : undefined;
    if (!ref || ref.table.logicalName !== target.logicalName) throw payloadError(table.entitySetName, `"@odata.id" must reference a ${target.logicalName} record, e.g. "${scope.req.baseUrl}${target.entitySetName}(<guid>)".`);
    otherId = ref.id;
  } else if (method === 'DELETE') {
    const key = (m?.[2] ?? '').replace(/^\{|\}$/g, '');
    const fromQuery = /\(([0-9a-fA-F-]{36})\)\s*$/.exec(scope.req.url.searchParams.get('$id') ?? '')?.[1];
    const chosen = isGuid(key) ? key : fromQuery;
    if (!chosen) throw invalidArgument(`DELETE ${m?.[1]}/$ref names the related record: ${m?.[1]}(<guid>)/$ref.`);
    otherId = chosen.toLowerCase();
  } else {
    throw invalidArgument(`The HTTP method '${method}' is not supported for $ref.`);
  }
  if (!recordExists(scope.core.store, target, otherId)) throw notFound(target.logicalName, otherId);
  const sql = `${quoteIdent(nav.intersect)} WHERE ${quoteIdent(nav.selfColumn)} = ? AND ${quoteIdent(nav.targetColumn)} = ?`;
  if (method === 'POST') {
    if (!scope.core.store.get(`SELECT 1 AS x FROM ${sql}`, [id, otherId])) {
      scope.core.store.run(`INSERT INTO ${quoteIdent(nav.intersect)} (${quoteIdent(nav.selfColumn)}, ${quoteIdent(nav.targetColumn)}) VALUES (?, ?)`, [id, otherId]);
    }
  } else {
    scope.core.store.run(`DELETE FROM ${sql}`, [id, otherId]);
  }
  return { status: 204 };
}
