// Dynamics 365 & Dataverse MCP server on Azure Functions (Flex Consumption), for `azd up`.
// Resource group, user-assigned identity, storage (shared keys off; the identity gets blob, queue
// and table data roles), Log Analytics + Application Insights with a workbook, Key Vault for the
// state secret and (when not federated) the on-behalf-of secret, the Entra app registration
// (Microsoft Graph Bicep extension) and the Function App with every setting the server reads.
// test/infra/templates.test.ts parses these files: no Bicep compiler installs on the dev machines.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Entra tenant whose users sign in (AUTH_TENANTS); empty: the tenant of the deployment.')
param tenantId string = ''

@minLength(1)
@description('The Dataverse organisation the tools act on, e.g. https://contoso.crm.dynamics.com (DATAVERSE_URL).')
param dataverseUrl string

@description('Agents configuration as JSON (AGENTS_JSON); empty: the agents.json deployed with the app.')
param agentsJson string = ''

@allowed([
  'managed-identity'
  'secret'
])
@description('On-behalf-of credential: a federated credential that trusts the app identity (preferred, no secret anywhere), or a client secret kept in Key Vault.')
param oboCredentialMode string = 'managed-identity'

@secure()
@description('Client secret of the server app, for oboCredentialMode=secret. Goes to Key Vault only; empty: set it there yourself (secret obo-client-secret).')
param oboClientSecret string = ''

@description('Create the server app registration here (Microsoft Graph extension; the deploying user needs to be allowed to create applications). false: pass serverAppClientId and serverAppIdUri.')
param createAppRegistration bool = true

@description('Also grant tenant-wide admin consent for Dynamics CRM user_impersonation (needs a Privileged Role or Cloud Application Administrator).')
param grantAdminConsent bool = false

@description('Client id of an existing server app registration (createAppRegistration=false).')
param serverAppClientId string = ''

@description('Application ID URI of that registration; empty: api://<serverAppClientId>.')
param serverAppIdUri string = ''

@minValue(0)
@maxValue(20)
@description('Always-ready instances for the HTTP functions: 0 scales from zero (cold starts), 1 or more keeps that many warm (billed).')
param alwaysReadyInstanceCount int = 0

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@secure()
@description('MCP_STATE_SECRET (32+ characters, shared by every instance). Empty: a new random one at each provision (pending confirmations and cursors then expire early).')
param mcpStateSecret string = ''

@secure()
@description('Used when mcpStateSecret is empty; not meant to be passed.')
param generatedStateSecret string = '${newGuid()}${newGuid()}'

@description('External base URL when a custom domain fronts the app; empty: https://<default host name>.')
param publicBaseUrl string = ''

@allowed([
  'embedded'
  'dataverse'
  'chat'
])
@description('Where summaries and drafts come from (COPILOT_PROVIDER): the embedded grounded generator, the org\'s Copilot APIs, or a chat endpoint.')
param copilotProvider string = 'embedded'

@description('Chat-completions URL (COPILOT_CHAT_URL, e.g. Azure OpenAI), reached with the app\'s identity; empty: none.')
param copilotChatUrl string = ''

@description('Model or deployment name at copilotChatUrl (COPILOT_CHAT_MODEL).')
param copilotChatModel string = ''

@description('Object id of the deploying user, given table data access for local runs against the deployed storage (optional).')
param principalId string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var effectiveTenantId = empty(tenantId) ? tenant().tenantId : tenantId
var functionAppName = 'func-mcp-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var tablesPrefix = 'mcp'
var stateSecret = empty(mcpStateSecret) ? generatedStateSecret : mcpStateSecret
var stateSecretEntry = [{ name: 'mcp-state-secret', value: stateSecret }]
var oboSecretEntry = oboCredentialMode == 'secret' && !empty(oboClientSecret) ? [{ name: 'obo-client-secret', value: oboClientSecret }] : []

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The app's identity: storage, Key Vault references, and the federated credential for on-behalf-of.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-mcp-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-mcp-${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stmcp${resourceToken}'
    location: location
    tags: tags
    // Identity only: no account keys, no SAS, no connection strings anywhere.
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
      ]
    }
    // Sessions, confirmation handles, audit rows, decision logs and knowledge chats (the server creates them too, idempotently).
    tableServices: {
      tables: [
        {
          name: '${tablesPrefix}sessions'
        }
        {
          name: '${tablesPrefix}handles'
        }
        {
          name: '${tablesPrefix}audit'
        }
        {
          name: '${tablesPrefix}decisions'
        }
        {
          name: '${tablesPrefix}chats'
        }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: 'log-mcp-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: 'appi-mcp-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
  }
}

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'vault'
  scope: rg
  params: {
    name: 'kv-mcp-${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: false
    softDeleteRetentionInDays: 7
    secrets: concat(stateSecretEntry, oboSecretEntry)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: vault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
  }
}

module entraApp 'app/entraApp.bicep' = if (createAppRegistration) {
  name: 'entraApp'
  scope: rg
  params: {
    uniqueName: 'dataverse-mcp-${resourceToken}'
    displayName: 'Dynamics 365 & Dataverse MCP (${environmentName})'
    tenantId: effectiveTenantId
    identityPrincipalId: identity.outputs.principalId
    federated: oboCredentialMode == 'managed-identity'
    grantAdminConsent: grantAdminConsent
  }
}

var clientId = createAppRegistration ? entraApp!.outputs.clientId : serverAppClientId
var appIdUri = createAppRegistration ? entraApp!.outputs.appIdUri : (empty(serverAppIdUri) ? 'api://${serverAppClientId}' : serverAppIdUri)

module functionApp 'app/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    appInsightsName: appInsights.outputs.name
    keyVaultUri: vault.outputs.uri
    alwaysReadyInstanceCount: alwaysReadyInstanceCount
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    tenantId: effectiveTenantId
    serverAppClientId: clientId
    serverAppIdUri: appIdUri
    oboCredentialMode: oboCredentialMode
    dataverseUrl: dataverseUrl
    agentsJson: agentsJson
    tablesPrefix: tablesPrefix
    publicBaseUrl: publicBaseUrl
    copilotProvider: copilotProvider
    copilotChatUrl: copilotChatUrl
    copilotChatModel: copilotChatModel
  }
  // Key Vault references resolve only once the identity may read the secrets.
  dependsOn: [
    rbac
  ]
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: appInsights.outputs.resourceId
    displayName: 'Dataverse MCP (${environmentName})'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = effectiveTenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output MCP_SERVER_APP_CLIENT_ID string = clientId
output MCP_SERVER_APP_ID_URI string = appIdUri
output MCP_SCOPE string = '${appIdUri}/access_as_user'
output MCP_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output MCP_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_NAME string = appInsights.outputs.name
