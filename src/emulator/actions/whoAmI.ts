import type { ApiResponse, RequestScope } from '../http/apiTypes.js';

/** `GET /WhoAmI` → WhoAmIResponse {BusinessUnitId, UserId, OrganizationId} (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions#unbound-functions). */
export function whoAmI(scope: RequestScope): ApiResponse {
  return {
    status: 200,
    body: {
      '@odata.context': `${scope.req.baseUrl}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
      BusinessUnitId: scope.req.principal.businessUnitId,
      UserId: scope.req.principal.systemUserId,
      OrganizationId: scope.core.organizationId,
    },
  };
}
