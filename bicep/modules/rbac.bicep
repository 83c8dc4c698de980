// Every role assignment of the system, each scoped as narrowly as the service allows.
// Shared keys are off on both accounts, so these data-plane roles are the only way in.

@description('Name of the function app\'s user-assigned identity.')
param appIdentityName string

@description('Name of the Event Grid system topic (its system-assigned identity dead-letters).')
param systemTopicName string

@description('Principal that uploads images (portal, azcopy); empty grants nobody.')
param uploaderPrincipalId string

@description('Kind of the uploading principal.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param uploaderPrincipalType string

@description('Name of the Functions host storage account.')
param hostStorageName string

@description('Name of the images storage account.')
param imagesStorageName string

@description('Container the pipeline reads from.')
param inputContainerName string

@description('Containers the pipeline writes results to (every rendition\'s, and metadata).')
param resultContainerNames string[]

@description('Container Event Grid writes undeliverable events to.')
param deadLetterContainerName string

@description('Container where instances claim an input name (a blob lease) while one of them processes it.')
param claimsContainerName string

@description('Name of the Application Insights component.')
param appInsightsName string

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var grantUploader = !empty(uploaderPrincipalId)

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' existing = {
  name: appIdentityName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

// Assignment names hash the identity's resource id (known before deployment), not its
// principal id (known only once it exists).
var appPrincipalId = appIdentity.properties.principalId
var topicPrincipalId = systemTopic.identity.principalId

resource hostStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: hostStorageName
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: imagesStorageName
}

resource imagesBlobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: imagesStorage
  name: 'default'
}

resource inputContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: imagesBlobService
  name: inputContainerName
}

resource resultContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = [
  for containerName in resultContainerNames: {
    parent: imagesBlobService
    name: containerName
  }
]

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: imagesBlobService
  name: deadLetterContainerName
}

resource claimsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' existing = {
  parent: imagesBlobService
  name: claimsContainerName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// --- Function app identity on the host account --------------------------------------------
// Account scope is deliberate here: the host creates and leases its own containers
// (azure-webjobs-hosts, azure-webjobs-secrets) and reads the deployment package, so it needs
// Blob Data Owner on the account. This account holds no user data; that is why it is separate.
resource appHostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appIdentity.id, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    description: 'Functions host: locks, keys and the deployment package on the host account.'
  }
}

// No queue role: neither of the app's triggers (Event Grid, HTTP) uses the host's queues.
// The host writes diagnostic events to tables in AzureWebJobsStorage.
resource appHostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appIdentity.id, roles.storageTableDataContributor)
  scope: hostStorage
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageTableDataContributor
    )
    description: 'Functions host: diagnostic event tables on the host account.'
  }
}

// --- Function app identity on the images account: container scope only -------------------
// The pipeline only downloads from `input` (it never changes or deletes a user's upload).
resource appInputReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(inputContainer.id, appIdentity.id, roles.storageBlobDataReader)
  scope: inputContainer
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    description: 'Pipeline: read uploaded images.'
  }
}

// The pipeline writes, conditionally overwrites (eTag-keyed) and, on BlobDeleted, removes its
// results: Contributor on each result container, nothing account-wide.
resource appResultContributors 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in resultContainerNames: {
    name: guid(resultContainers[i].id, appIdentity.id, roles.storageBlobDataContributor)
    scope: resultContainers[i]
    properties: {
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId(
        'Microsoft.Authorization/roleDefinitions',
        roles.storageBlobDataContributor
      )
      description: 'Pipeline: write results to ${containerName}.'
    }
  }
]

// Instances claim an input name with a lease on a small blob there (create, lease, delete):
// Contributor on that one container, which holds nothing else.
resource appClaimsContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(claimsContainer.id, appIdentity.id, roles.storageBlobDataContributor)
  scope: claimsContainer
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageBlobDataContributor
    )
    description: 'Pipeline: claim input names while processing them.'
  }
}

// --- Function app identity on Application Insights ---------------------------------------
// Local auth is disabled on the component, so telemetry is accepted only from an identity that
// holds Monitoring Metrics Publisher on it (the narrowest scope: this one component).
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    description: 'Pipeline: publish telemetry with Entra ID.'
  }
}

// --- Event Grid system topic identity ----------------------------------------------------
// Dead-lettering with the topic's managed identity (no SAS) needs write access to the
// dead-letter container, and only to it.
resource topicDeadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, systemTopic.id, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageBlobDataContributor
    )
    description: 'Event Grid: write undeliverable events to the dead-letter container.'
  }
}

// --- The uploading person (or group / pipeline) ------------------------------------------
// With shared keys off, the portal's upload and `azcopy login` use the signed-in principal's
// data-plane roles: Contributor on `input` to drop files in (and remove them) ...
resource uploaderInputContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUploader) {
  name: guid(inputContainer.id, uploaderPrincipalId, roles.storageBlobDataContributor)
  scope: inputContainer
  properties: {
    principalId: uploaderPrincipalId
    principalType: uploaderPrincipalType
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageBlobDataContributor
    )
    description: 'Uploader: add images to input.'
  }
}

// ... and Reader on the results to look at what the pipeline made of them.
resource uploaderResultReaders 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in resultContainerNames: if (grantUploader) {
    name: guid(resultContainers[i].id, uploaderPrincipalId, roles.storageBlobDataReader)
    scope: resultContainers[i]
    properties: {
      principalId: uploaderPrincipalId
      principalType: uploaderPrincipalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
      description: 'Uploader: read results in ${containerName}.'
    }
  }
]

// The uploader is also who must see why an event was dead-lettered: Reader, not Contributor.
resource uploaderDeadLetterReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUploader) {
  name: guid(deadLetterContainer.id, uploaderPrincipalId, roles.storageBlobDataReader)
  scope: deadLetterContainer
  properties: {
    principalId: uploaderPrincipalId
    principalType: uploaderPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    description: 'Uploader: read dead-lettered events.'
  }
}
