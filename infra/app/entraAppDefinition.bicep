// The rest of the server app registration, once its appId is known (see entraApp.bicep).
extension microsoftGraphV1

param uniqueName string
param displayName string
param appId string
param dynamicsCrmAppId string
param userImpersonationScopeId string

var appIdUri = 'api://${appId}'

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: [
    appIdUri
  ]
  api: {
    // v2 tokens (issuer https://login.microsoftonline.com/<tenant>/v2.0); v1 is accepted too.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: guid(uniqueName, 'access_as_user')
        type: 'User'
        value: 'access_as_user'
        isEnabled: true
        adminConsentDisplayName: 'Use Dynamics 365 through the MCP server'
        adminConsentDescription: 'Lets MCP clients (Copilot Studio, VS Code, Claude) call the Dynamics 365 & Dataverse MCP server as the signed-in user.'
        userConsentDisplayName: 'Use Dynamics 365 through the MCP server'
        userConsentDescription: 'Lets your MCP client call Dynamics 365 on your behalf, with your own permissions.'
      }
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: dynamicsCrmAppId
      resourceAccess: [
        {
          id: userImpersonationScopeId
          type: 'Scope'
        }
      ]
    }
  ]
}

output appIdUri string = appIdUri
