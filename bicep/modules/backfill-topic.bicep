// The backfill topic: `serverless-img backfill` publishes ServerlessImg.BackfillRequested here
// (CloudEvents 1.0, Entra ID only) as the uploader/operator, who alone holds EventGrid Data
// Sender on it. Its subscription to processImage (subscription.bicep, after the code is deployed)
// dead-letters with the topic's own identity, which may write the dead-letter container only.

@description('Custom topic name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Object id of the uploader/operator who runs the backfill.')
param operatorPrincipalId string

@description('Its principal type.')
@allowed(['ServicePrincipal', 'User', 'Group'])
param operatorPrincipalType string

@description('Name of the images storage account.')
param imagesStorageName string

@description('The container dead letters go to.')
param deadLetterContainerName string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

module topic 'custom-topic.bicep' = {
  name: 'backfill-topic-resource'
  params: {
    name: name
    location: location
    tags: tags
    senderPrincipalId: operatorPrincipalId
    senderKey: 'uploader'
    senderPrincipalType: operatorPrincipalType
    senderDescription: 'Operator: serverless-img backfill publishes ServerlessImg.BackfillRequested.'
    // No uploader (uploaderPrincipalId empty): nobody may publish.
    grantSender: !empty(operatorPrincipalId)
    systemAssignedIdentity: true
  }
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: imagesStorageName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: imagesStorage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

// Named from ids known before deployment; the principal is read back from the topic.
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, resourceId('Microsoft.EventGrid/topics', name), storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: topic.outputs.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    description: 'Backfill topic: dead-letter the requests processImage could not take.'
  }
}

@description('Name of the topic.')
output name string = topic.outputs.name

@description('The endpoint the backfill command publishes to.')
output endpoint string = topic.outputs.endpoint
