// The Function App: Flex Consumption, Node 22, user-assigned identity for everything it reaches,
// and every app setting the server reads (src/config/config.ts). Secrets are Key Vault references.
param name string
param location string
param tags object
param planId string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param appInsightsName string
@description('https://<vault>.vault.azure.net/')
param keyVaultUri string
param alwaysReadyInstanceCount int
param maximumInstanceCount int
param instanceMemoryMB int
param tenantId string
param serverAppClientId string
param serverAppIdUri string
@allowed([
  'managed-identity'
  'secret'
])
param oboCredentialMode string
param dataverseUrl string
param agentsJson string
param tablesPrefix string
param publicBaseUrl string
@allowed([
  'embedded'
  'dataverse'
  'chat'
])
param copilotProvider string
param copilotChatUrl string
param copilotChatModel string

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var secretRef = '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/'

// The Functions host's own storage, through the identity (the account has shared keys off).
var hostSettings = {
  AzureWebJobsStorage__blobServiceUri: storageAccount.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageAccount.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
}

// Read by libraries, not by src/config: the cloud role name Application Insights shows.
var librarySettings = {
  OTEL_SERVICE_NAME: 'dataverse-mcp'
}

var serverSettings = {
  MCP_ENABLED: 'true'
  ENABLE_TEST_AGENTS: 'false'
  TABLES_ACCOUNT_URL: storageAccount.properties.primaryEndpoints.table
  TABLES_MANAGED_IDENTITY_CLIENT_ID: identityClientId
  TABLES_PREFIX: tablesPrefix
  // Each instance's delivery queue (legacy SSE streams, answers to server→client requests), same identity.
  QUEUES_ACCOUNT_URL: storageAccount.properties.primaryEndpoints.queue
  MCP_STATE_SECRET: '${secretRef}mcp-state-secret/)'
  AUTH_AUTHORITY: environment().authentication.loginEndpoint
  AUTH_TENANTS: tenantId
  AUTH_CLIENT_ID: serverAppClientId
  AUTH_APP_ID_URI: serverAppIdUri
  AUTH_REQUIRED_SCOPES: 'access_as_user'
  AUTH_OBO_MODE: oboCredentialMode
  DATAVERSE_URL: dataverseUrl
  TOOL_TIMEOUT_SECONDS: '120'
  LOG_LEVEL: 'info'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  COPILOT_PROVIDER: copilotProvider
}

// Federated (preferred): the app registration trusts this identity, so no secret exists at all.
var managedIdentityObo = { AUTH_MANAGED_IDENTITY_CLIENT_ID: identityClientId }
var secretObo = { AUTH_CLIENT_SECRET: '${secretRef}obo-client-secret/)' }
var oboSettings = oboCredentialMode == 'managed-identity' ? managedIdentityObo : secretObo

var agentsSettings = empty(agentsJson) ? {} : { AGENTS_JSON: agentsJson }
var baseUrlSettings = empty(publicBaseUrl) ? {} : { PUBLIC_BASE_URL: publicBaseUrl }
// A chat-completions endpoint (Azure OpenAI), reached with the app's identity: no key is deployed.
// The identity needs the Cognitive Services OpenAI User role on that resource.
var copilotChatSettings = empty(copilotChatUrl) ? {} : {
  COPILOT_CHAT_URL: copilotChatUrl
  COPILOT_CHAT_MODEL: copilotChatModel
  COPILOT_CHAT_AUTH: 'managed-identity'
  COPILOT_CHAT_MANAGED_IDENTITY_CLIENT_ID: identityClientId
}

// Warm instances for the HTTP functions (the `http` group): each one spares a cold start.
var alwaysReady = alwaysReadyInstanceCount > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstanceCount }] : []

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: '${name}-site'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: planId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [
        identityId
      ]
    }
    keyVaultAccessIdentityResourceId: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    appSettingsKeyValuePairs: union(hostSettings, librarySettings, serverSettings, oboSettings, agentsSettings, baseUrlSettings, copilotChatSettings)
  }
}

output name string = site.outputs.name
output uri string = 'https://${site.outputs.defaultHostname}'
