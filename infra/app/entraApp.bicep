// The server's Entra app registration, as code (Microsoft Graph Bicep extension, infra/bicepconfig.json):
// the delegated scope access_as_user that MCP clients ask for, v2 access tokens, the Dynamics CRM
// user_impersonation permission the on-behalf-of exchange needs, and (preferred) a federated
// credential that trusts the Function App's managed identity, so no client secret exists at all.
// README "Entra app registration with az" does the same by hand where this cannot run.
extension microsoftGraphV1

param uniqueName string
param displayName string
param tenantId string
@description('Object (principal) id of the Function App identity the federated credential trusts.')
param identityPrincipalId string
param federated bool
param grantAdminConsent bool

// Dynamics CRM (Dataverse) first-party app and its delegated user_impersonation permission.
var dynamicsCrmAppId = '00000007-0000-0000-c000-000000000000'
var userImpersonationScopeId = '78ce3f0f-a1ce-49c2-8cde-64b5c0896db4'

// First the registration itself, for its appId: the Application ID URI is api://<appId>, which
// a resource cannot name in its own declaration; entraAppDefinition.bicep completes it.
resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
}

module definition 'entraAppDefinition.bicep' = {
  name: 'entraAppDefinition'
  params: {
    uniqueName: uniqueName
    displayName: displayName
    appId: app.appId
    dynamicsCrmAppId: dynamicsCrmAppId
    userImpersonationScopeId: userImpersonationScopeId
  }
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

// On-behalf-of without a secret: the app presents a managed-identity token as its client assertion.
resource federatedCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = if (federated) {
  name: '${app.uniqueName}/function-app-identity'
  description: 'The Function App managed identity, used as the client credential of the on-behalf-of exchange.'
  audiences: [
    'api://AzureADTokenExchange'
  ]
  issuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
  subject: identityPrincipalId
}

resource dynamicsCrm 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: dynamicsCrmAppId
}

resource adminConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: dynamicsCrm.id
  scope: 'user_impersonation'
}

output clientId string = app.appId
output appIdUri string = definition.outputs.appIdUri
output servicePrincipalId string = servicePrincipal.id
