import { toIso } from '../clock.js';
import { invalidArgument, notFound, payloadError } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { createRecord, loadRow, parseEntityReference, systemUpdate } from '../write/recordWriter.js';
import type { JsonObject } from './actionParameters.js';
import { actionParameters, actionTable } from './actionParameters.js';

/**
 * `POST /CloseIncident` with an IncidentResolution entity and a resolved Status; both parameters are
 * required and it returns nothing (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/closeincident;
 * an entity parameter carries @odata.type as in use-web-api-actions,
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-actions).
 */
export function closeIncident(scope: RequestScope): ApiResponse {
  const p = actionParameters('incidents', 'CloseIncident', scope.req.body, {
    IncidentResolution: { type: 'object', required: true },
    Status: { type: 'integer', required: true },
  });
  const resolution = { ...(p.IncidentResolution as JsonObject) };
  const type = resolution['@odata.type'];
  if (type !== undefined && String(type).replace(/^#/, '') !== 'Microsoft.Dynamics.CRM.incidentresolution') {
    throw payloadError('incidents', `The IncidentResolution parameter must be of type 'Microsoft.Dynamics.CRM.incidentresolution'.`);
  }
  delete resolution['@odata.type'];
  const bind = resolution['incidentid@odata.bind'];
  if (typeof bind !== 'string') throw invalidArgument(`The IncidentResolution must reference the case through 'incidentid@odata.bind'.`);
  const ref = parseEntityReference(scope.core.model, bind);
  if (!ref || ref.table.logicalName !== 'incident') throw payloadError('incidents', `'incidentid@odata.bind' must reference an incident, e.g. '/incidents(<guid>)'.`);
  const incident = actionTable(scope, 'incident');
  const resolutionT = actionTable(scope, 'incidentresolution');
  // "CloseIncident message privileges" (https://learn.microsoft.com/previous-versions/dynamicscrm-2016/developers-guide/gg334798(v=crm.8)):
  // the resolution is an activity appended to the case, and the case is written.
  scope.access.require('Write', incident);
  scope.access.require('AppendTo', incident);
  for (const op of ['Create', 'Read', 'Write', 'Append'] as const) scope.access.require(op, resolutionT);
  const row = loadRow(scope.core.store, incident, ref.id);
  if (!row) throw notFound('incident', ref.id);
  const status = p.Status as number;
  const option = incident.attributes.find((a) => a.logicalName === 'statuscode')?.options?.find((o) => o.value === status);
  if (option?.state !== 1) throw invalidArgument(`${status} is not a valid status code for state code IncidentState.Resolved on incident with Id ${ref.id}.`);
  if (row.statecode !== 0) {
    throw invalidArgument(`The case with Id ${ref.id} is already ${row.statecode === 1 ? 'resolved' : 'cancelled'}. Reactivate it before resolving it again.`);
  }
  scope.core.store.transaction(() => {
    createRecord(scope.write, resolutionT, { ...resolution, statecode: 1, statuscode: 2, actualend: toIso(scope.write.now) });
    systemUpdate(scope.write, incident, ref.id, { statecode: 1, statuscode: status });
    // Its queue items are deactivated by the update (write/serviceDeskRules.ts).
  });
  return { status: 204 };
}
