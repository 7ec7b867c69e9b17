import { notFound } from '../dataverseError.js';
import type { ApiResponse, RequestScope } from '../http/apiTypes.js';
import { stableGuid } from '../ids.js';
import { grantedPrivileges } from '../security/roles.js';
import { actionTable } from './actionParameters.js';

/**
 * `GET /systemusers(<id>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges`: every privilege the
 * user's security roles grant, with its depth.
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions
 * (bound function example) and …/webapi/reference/roleprivilege (the RolePrivilege shape). The
 * emulator's roles grant everything at organisation depth, so Depth is always `Global`.
 */
export function retrieveUserPrivileges(scope: RequestScope, systemUserId: string): ApiResponse {
  const users = actionTable(scope, 'systemuser');
  scope.access.require('Read', users);
  const store = scope.core.store;
  const user = store.get(`SELECT systemuserid, businessunitid FROM systemuser WHERE systemuserid = ?`, [systemUserId]);
  if (!user) throw notFound('systemuser', systemUserId);
  const roles = store
    .all(`SELECT r.name AS name FROM systemuserroles sr JOIN role r ON r.roleid = sr.roleid WHERE sr.systemuserid = ?`, [systemUserId])
    .map((r) => String(r.name));
  const businessUnitId = typeof user.businessunitid === 'string' ? user.businessunitid : scope.core.businessUnitId;
  return {
    status: 200,
    body: {
      '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse`,
      RolePrivileges: grantedPrivileges(roles, scope.core.model).map((name) => ({
        Depth: 'Global',
        PrivilegeId: stableGuid(`privilege:${name}`),
        BusinessUnitId: businessUnitId,
        PrivilegeName: name,
      })),
    },
  };
}
