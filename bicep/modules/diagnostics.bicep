// Diagnostic settings that send platform logs to the Log Analytics workspace, in
// resource-specific tables: writes and deletes on the images account (StorageBlobLogs; reads
// are left out, they are every download of the pipeline), Event Grid's failed deliveries
// (AegDeliveryFailureLogs) and the function app's host and function logs (FunctionAppLogs).
// All of it counts against the workspace's daily cap.

@description('Resource id of the Log Analytics workspace.')
param workspaceId string

@description('Name of the images storage account.')
param imagesStorageName string

@description('Name of the Event Grid system topic.')
param systemTopicName string

@description('Name of the function app.')
param functionAppName string

var settingName = 'to-log-analytics'

resource imagesStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: imagesStorageName
}

resource imagesBlobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: imagesStorage
  name: 'default'
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource imagesBlobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: imagesBlobService
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
    ]
  }
}

resource systemTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: systemTopic
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'DeliveryFailures', enabled: true }
    ]
  }
}

resource functionAppDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: functionApp
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'FunctionAppLogs', enabled: true }
    ]
  }
}
