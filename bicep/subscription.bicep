// The Event Grid subscriptions that deliver blob events and backfill requests to `processImage`.
// Deployed after the code (azd's post-deploy hook, or the `az` steps of docs/deploy.md): an AzureFunction
// endpoint is validated against the function, which exists only once the package is running.
targetScope = 'resourceGroup'

metadata description = 'Event Grid subscription: images account system topic -> processImage, with retries and identity-based dead-lettering.'

@description('Name of the Event Grid system topic on the images account (main.bicep output SYSTEM_TOPIC_NAME).')
@minLength(3)
param systemTopicName string

@description('Name of the function app (main.bicep output FUNCTION_APP_NAME).')
@minLength(2)
param functionAppName string

@description('Name of the images storage account (main.bicep output IMAGES_STORAGE_ACCOUNT).')
@minLength(3)
@maxLength(24)
param imagesStorageName string

@description('Name of the event subscription.')
param subscriptionName string = 'evgs-process-image'

@description('Name of the backfill custom topic (main.bicep output BACKFILL_TOPIC_NAME).')
@minLength(3)
param backfillTopicName string

@description('Name of the backfill topic\'s subscription to the function.')
param backfillSubscriptionName string = 'evgs-backfill-process-image'

@description('Event Grid function to deliver to.')
param functionName string = 'processImage'

@description('Container whose blobs trigger processing.')
param inputContainerName string = 'input'

@description('Container for events that could not be delivered.')
param deadLetterContainerName string = 'deadletter'

@description('Delivery attempts before an event is dead-lettered (Event Grid backs off from 10 s up to hours between them).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

@description('Minutes an event is retried at most before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource imagesStorage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: imagesStorageName
}

// One event per invocation: each image is its own unit of work, retry and dead letter.
var destination = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionApp.id}/functions/${functionName}'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}

// The trailing "/blobs/" keeps containers such as "input-archive" out.
var inputBlobs = '/blobServices/default/containers/${inputContainerName}/blobs/'

var retryPolicy = {
  maxDeliveryAttempts: maxDeliveryAttempts
  eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
}

// Each topic's own managed identity writes its dead letters (it holds Storage Blob Data
// Contributor on this container only, see modules/rbac.bicep and modules/backfill-topic.bicep):
// no SAS, no key.
var deadLetter = {
  identity: {
    type: 'SystemAssigned'
  }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: imagesStorage.id
      blobContainerName: deadLetterContainerName
    }
  }
}

resource processImage 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: destination
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted']
      subjectBeginsWith: inputBlobs
      isSubjectCaseSensitive: false
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

resource backfillTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: backfillTopicName
}

// Backfill requests (serverless-img backfill) reach the same function with the same filter on
// the input container, the same retries and the same dead-letter container as blob events.
resource backfill 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: backfillTopic
  name: backfillSubscriptionName
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: destination
    filter: {
      includedEventTypes: ['ServerlessImg.BackfillRequested']
      subjectBeginsWith: inputBlobs
      isSubjectCaseSensitive: false
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

@description('Resource id of the event subscription.')
output id string = processImage.id

@description('Resource id of the backfill topic\'s subscription.')
output backfillId string = backfill.id
