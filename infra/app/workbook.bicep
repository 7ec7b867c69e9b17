// Saved views over the server's telemetry (src/telemetry): calls per tool, error rate, p95
// latency, Dataverse 429s, confirmations asked vs given, cache hit rates.
param location string
param tags object
param appInsightsId string
param displayName string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'dataverse-mcp-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(loadJsonContent('../monitoring/workbook.json'))
  }
}

output id string = workbook.id
