import type { ApiResponse, RequestScope } from '../http/apiTypes.js';

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
