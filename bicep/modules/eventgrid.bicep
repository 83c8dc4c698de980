// The Event Grid system topic of the images account. It lives with the infrastructure (not with
// the subscription) so its managed identity exists, and can be granted the dead-letter
// container, before any event subscription needs it.

@description('System topic name.')
param name string

@description('Azure region (the storage account\'s).')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the images storage account whose events the topic publishes.')
param imagesStorageName string

resource imagesStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: imagesStorageName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: imagesStorage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

@description('Resource id of the system topic.')
output id string = topic.id

@description('Name of the system topic.')
output name string = topic.name

@description('Principal id of the topic\'s system-assigned identity (for the dead-letter role).')
output principalId string = topic.identity.principalId
