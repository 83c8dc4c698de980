// serverless-img: everything except the Event Grid subscription (bicep/subscription.bicep),
// which can only be created once the function code is deployed.
//
// Resource-group scope: the whole system lives in one resource group that the operator (or azd)
// creates, so deploying needs rights on that group only, never on the subscription, and
// teardown is deleting the group.
targetScope = 'resourceGroup'

metadata description = 'Event-driven image pipeline: storage, monitoring, identity, Flex Consumption function app, RBAC, Event Grid system topic, diagnostics, alerts, availability test and an optional budget.'

// Bounds are the ones functions/config.ts enforces at start, so a bad value fails the
// deployment instead of the running app.
@description('One image made from every upload, written under the upload\'s name to its own container (see docs/configuration.md, IMG_RENDITIONS).')
type Rendition = {
  @minLength(3)
  @maxLength(63)
  container: string
  @minValue(1)
  @maxValue(16384)
  width: int
  @minValue(1)
  @maxValue(16384)
  height: int
  fit: 'inside' | 'cover' | 'contain'
  format: 'auto' | 'jpeg' | 'png' | 'webp' | 'avif'
  @minValue(1)
  @maxValue(100)
  quality: int
  @description('True: an animated GIF or WebP stays animated (see docs/configuration.md).')
  animated: bool?
  @description('Where a cover rendition is cropped: centre (when left out), entropy (most detail) or attention (the likely subject).')
  position: ('centre' | 'entropy' | 'attention')?
}

@description('Image processing limits and options, passed to the app as IMG_* settings.')
type ImageOptions = {
  @minValue(1)
  maxPixels: int
  @minValue(1)
  maxBytes: int
  @minValue(1)
  maxFrames: int
  includeGps: bool
  shrinkOnLoad: bool
  @description('Record a ThumbHash placeholder and its average colour in the metadata (IMG_PLACEHOLDER).')
  placeholder: bool
  @description('Record the dominant colour in the metadata (IMG_DOMINANT_COLOR).')
  dominantColor: bool
  @description('Record a 64-bit perceptual hash for near-duplicates in the metadata (IMG_PERCEPTUAL_HASH).')
  perceptualHash: bool
}

@description('Environment name (dev, test, prod...), part of every resource name.')
@minLength(1)
@maxLength(12)
param environmentName string

@description('Azure region of every resource; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Replication of the images account.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS'])
param imagesStorageSku string = 'Standard_LRS'

@description('Whether both storage accounts accept traffic from public networks (Entra ID auth is required either way). Disabled denies public networks except trusted Azure services, and needs enablePrivateEndpoints for the app to reach its storage.')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

@description('Create a virtual network, private endpoints for both storage accounts and outbound VNet integration for the app.')
param enablePrivateEndpoints bool = false

@description('Memory of each function instance in MB (Flex Consumption). 512 MB cannot hold the host, the image threads and one 12 MP photo: the app refuses to start on it.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('Maximum number of function instances (Flex Consumption).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Object id of the principal that uploads images (portal, azcopy login). Not given: whoever deploys. Empty: nobody.')
param uploaderPrincipalId string?

@description('Kind of the uploading principal: User for a person, ServicePrincipal when a pipeline deploys (and so uploads), Group for a group\'s object id.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param uploaderPrincipalType string = 'User'

@description('Email address notified by the alerts and the budget; empty for none, which only a development environment may do.')
param alertEmail string = ''

@description('Whether the deployment refuses to go on without alertEmail: an environment other than dev must alert someone.')
param alertReceiverRequired bool = environmentName != 'dev'

@description('The images made from every upload (1 to 8, containers distinct): by default the resized image and the thumbnail. Each container is created, with the app\'s write role and the uploader\'s read role on it.')
@minLength(1)
@maxLength(8)
param renditions Rendition[] = [
  { container: 'output', width: 800, height: 600, fit: 'inside', format: 'auto', quality: 82 }
  { container: 'thumbnails', width: 150, height: 150, fit: 'cover', format: 'auto', quality: 82 }
]

@description('Cache-Control of every result (CDNs and browsers read it).')
param cacheControl string = 'public, max-age=86400'

@description('Image processing limits and options.')
param imageOptions ImageOptions = {
  maxPixels: 100000000
  maxBytes: 104857600
  maxFrames: 1000
  includeGps: true
  shrinkOnLoad: true
  placeholder: true
  dominantColor: true
  perceptualHash: true
}

@description('Images processed at once by one instance.')
@minValue(1)
@maxValue(256)
param concurrency int = 2

@description('Longest time one image may take, in milliseconds.')
@minValue(1000)
@maxValue(3600000)
param timeoutMs int = 120000

@description('Days logs are kept in the Log Analytics workspace.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Most MB the Log Analytics workspace (and so Application Insights) ingests per day; 0 for no cap. The default keeps a 31-day month under 5 GB.')
@minValue(0)
param dailyCapMb int = 160

@description('Percentage of image traces kept (IMG_TRACE_SAMPLING_RATIO); metrics, and so the failed-images alert, count every image at any percentage.')
@minValue(0)
@maxValue(100)
param traceSamplingPercent int = 100

@description('Monthly cost budget of the resource group, in the subscription\'s billing currency, e-mailed to alertEmail; 0 for none.')
@minValue(0)
param budgetAmount int = 0

@description('First month of the budget, yyyy-MM-01 (this month or later). Required with a budget; never change it afterwards: Azure cannot.')
param budgetStartDate string = ''

@description('Days dead-letter records are kept in the deadletter container before they are deleted; 0 keeps them.')
@minValue(0)
@maxValue(36500)
param deadLetterRetentionDays int = 30

@description('Defender for Storage with on-upload malware scanning on the images account (billed per account and per GB scanned).')
param malwareScanning bool = false

@description('Resource id of a resource group that already holds the private DNS zones privatelink.{blob,queue,table}.<storage suffix> (e.g. a hub\'s); empty creates them with the virtual network. Only with enablePrivateEndpoints.')
param privateDnsZonesResourceGroupId string = ''

@description('Oldest TLS version the function app accepts. 1.3 shuts out older clients; Event Grid and the availability test speak it.')
@allowed(['1.2', '1.3'])
param minTlsVersion string = '1.2'

@description('Infrastructure (double) encryption on both storage accounts. Azure sets it only when an account is created: false for accounts created before it was on.')
param infrastructureEncryption bool = true

@description('Probe GET /api/health from several regions and alert when it fails.')
param availabilityTest bool = true

// Refusals the parameters' own decorators cannot express, made when the deployment starts.
var alertReceiver = alertReceiverRequired && empty(alertEmail)
  ? fail('No alert receiver: set alertEmail (with azd: azd env set ALERT_EMAIL you@example.com). An environment other than dev must alert someone; a development environment sets alertReceiverRequired=false.')
  : alertEmail
var budgetStart = budgetAmount > 0 && (empty(budgetStartDate) || empty(alertEmail))
  ? fail('A budget needs alertEmail and budgetStartDate (yyyy-MM-01, this month or later; with azd: azd env set BUDGET_START_DATE 2026-01-01). Keep that date: Azure cannot change it later.')
  : budgetStartDate
var uploader = uploaderPrincipalId ?? deployer().objectId

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var baseName = 'img-${environmentName}-${resourceToken}'
var tags = {
  'azd-env-name': environmentName
  application: 'serverless-img'
}

var containers = {
  input: 'input'
  metadata: 'metadata'
  deadletter: 'deadletter'
  claims: 'claims'
}
var renditionContainers = map(renditions, rendition => rendition.container)
var deploymentContainerName = 'deployment-package'

// Names are computed here, not read back from module outputs, so every resource id is known
// before deployment starts (precise what-if, role assignment names stable across runs).
var names = {
  hostStorage: '${abbrs.storageAccount}host${resourceToken}'
  imagesStorage: '${abbrs.storageAccount}img${resourceToken}'
  identity: '${abbrs.managedIdentity}${baseName}'
  appInsights: '${abbrs.appInsights}${baseName}'
  systemTopic: '${abbrs.eventGridSystemTopic}${baseName}'
  completionTopic: '${abbrs.eventGridTopic}${baseName}-done'
  backfillTopic: '${abbrs.eventGridTopic}${baseName}-backfill'
  functionApp: '${abbrs.functionApp}${baseName}'
}

// What the function code reads (functions/config.ts); every value is plain configuration.
var imgSettings = {
  IMG_INPUT_CONTAINER: containers.input
  IMG_METADATA_CONTAINER: containers.metadata
  IMG_DEADLETTER_CONTAINER: containers.deadletter
  IMG_CLAIMS_CONTAINER: containers.claims
  IMG_RENDITIONS: string(renditions)
  IMG_CACHE_CONTROL: cacheControl
  IMG_MAX_PIXELS: string(imageOptions.maxPixels)
  IMG_MAX_BYTES: string(imageOptions.maxBytes)
  IMG_MAX_FRAMES: string(imageOptions.maxFrames)
  IMG_INCLUDE_GPS: imageOptions.includeGps ? 'true' : 'false'
  IMG_SHRINK_ON_LOAD: imageOptions.shrinkOnLoad ? 'true' : 'false'
  IMG_PLACEHOLDER: imageOptions.placeholder ? 'true' : 'false'
  IMG_DOMINANT_COLOR: imageOptions.dominantColor ? 'true' : 'false'
  IMG_PERCEPTUAL_HASH: imageOptions.perceptualHash ? 'true' : 'false'
  IMG_CONCURRENCY: string(concurrency)
  // The app derives its memory budget from the instance's memory (functions/limits/memory.ts).
  IMG_INSTANCE_MEMORY_MB: string(instanceMemoryMB)
  IMG_TIMEOUT_MS: string(timeoutMs)
  IMG_TELEMETRY_CONSOLE: 'false'
  IMG_TRACE_SAMPLING_RATIO: traceSamplingPercent == 100 ? '1' : '0.${padLeft(string(traceSamplingPercent), 2, '0')}'
}

module network 'modules/networking.bicep' = if (enablePrivateEndpoints) {
  name: 'network'
  params: {
    name: '${abbrs.virtualNetwork}${baseName}'
    location: location
    tags: tags
    existingDnsZonesResourceGroupId: privateDnsZonesResourceGroupId
  }
}

// Two accounts, hardened alike (see docs/architecture.md, "Why two storage accounts"): the host's own state
// and deployment package on one, user images on the other.
module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  params: {
    name: names.hostStorage
    location: location
    tags: tags
    containerNames: [deploymentContainerName]
    requireInfrastructureEncryption: infrastructureEncryption
    publicNetworkAccess: publicNetworkAccess
    privateEndpointSubnetId: enablePrivateEndpoints ? network!.outputs.privateEndpointSubnetId : ''
    privateDnsZoneIds: enablePrivateEndpoints
      ? {
          blob: network!.outputs.blobDnsZoneId
          queue: network!.outputs.queueDnsZoneId
          table: network!.outputs.tableDnsZoneId
        }
      : {}
  }
}

module imagesStorage 'modules/storage.bicep' = {
  name: 'images-storage'
  params: {
    name: names.imagesStorage
    location: location
    tags: tags
    skuName: imagesStorageSku
    containerNames: union(
      [containers.input, containers.metadata, containers.deadletter, containers.claims],
      renditionContainers
    )
    requireInfrastructureEncryption: infrastructureEncryption
    // A claim outlives its run only when an instance died holding it: a day is ample.
    expireAfterDays: union(
      deadLetterRetentionDays == 0 ? {} : { '${containers.deadletter}': deadLetterRetentionDays },
      { '${containers.claims}': 1 }
    )
    malwareScanning: malwareScanning
    publicNetworkAccess: publicNetworkAccess
    privateEndpointSubnetId: enablePrivateEndpoints ? network!.outputs.privateEndpointSubnetId : ''
    privateDnsZoneIds: enablePrivateEndpoints ? { blob: network!.outputs.blobDnsZoneId } : {}
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: '${abbrs.logAnalyticsWorkspace}${baseName}'
    appInsightsName: names.appInsights
    location: location
    tags: tags
    retentionInDays: logRetentionDays
    dailyCapMb: dailyCapMb
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'function-app'
  params: {
    name: names.functionApp
    planName: '${abbrs.appServicePlan}${baseName}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostBlobEndpoint: hostStorage.outputs.blobEndpoint
    hostQueueEndpoint: hostStorage.outputs.queueEndpoint
    hostTableEndpoint: hostStorage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    imagesBlobEndpoint: imagesStorage.outputs.blobEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    virtualNetworkSubnetId: enablePrivateEndpoints ? network!.outputs.appSubnetId : ''
    minTlsVersion: minTlsVersion
    // The completion topic's endpoint is Azure's to choose: read back from the topic.
    imgSettings: union(imgSettings, { IMG_EVENTS_TOPIC_ENDPOINT: completionTopic.outputs.endpoint })
  }
}

// Completion events for the apps downstream (functions/completion-events.ts), published by the
// app's identity alone.
module completionTopic 'modules/custom-topic.bicep' = {
  name: 'completion-topic'
  params: {
    name: names.completionTopic
    location: location
    tags: tags
    senderPrincipalId: identity.outputs.principalId
    senderKey: names.identity
    senderPrincipalType: 'ServicePrincipal'
    senderDescription: 'Pipeline: publish ImageProcessed, ImageFailed and ResultsDeleted.'
  }
}

// Backfill requests (`serverless-img backfill`, functions/backfill/), published by the
// uploader/operator alone; subscribed to processImage in subscription.bicep.
module backfillTopic 'modules/backfill-topic.bicep' = {
  name: 'backfill-topic'
  params: {
    name: names.backfillTopic
    location: location
    tags: tags
    operatorPrincipalId: uploader
    operatorPrincipalType: uploaderPrincipalType
    imagesStorageName: names.imagesStorage
    deadLetterContainerName: containers.deadletter
  }
  dependsOn: [imagesStorage]
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'event-grid'
  params: {
    name: names.systemTopic
    location: location
    tags: tags
    imagesStorageName: names.imagesStorage
  }
  dependsOn: [imagesStorage]
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    appIdentityName: names.identity
    systemTopicName: names.systemTopic
    uploaderPrincipalId: uploader
    uploaderPrincipalType: uploaderPrincipalType
    hostStorageName: names.hostStorage
    imagesStorageName: names.imagesStorage
    inputContainerName: containers.input
    resultContainerNames: concat(renditionContainers, [containers.metadata])
    deadLetterContainerName: containers.deadletter
    claimsContainerName: containers.claims
    appInsightsName: names.appInsights
  }
  dependsOn: [identity, eventGrid, hostStorage, imagesStorage, monitoring]
}

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  params: {
    workspaceId: monitoring.outputs.workspaceId
    imagesStorageName: names.imagesStorage
    systemTopicName: names.systemTopic
    functionAppName: names.functionApp
  }
  dependsOn: [imagesStorage, eventGrid, functionApp]
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    actionGroupName: '${abbrs.actionGroup}${baseName}'
    logAlertPrefix: '${abbrs.scheduledQueryRule}${baseName}'
    metricAlertPrefix: '${abbrs.metricAlert}${baseName}'
    location: location
    tags: tags
    alertEmail: alertReceiver
    appInsightsId: monitoring.outputs.appInsightsId
    workspaceId: monitoring.outputs.workspaceId
    // A custom topic (e.g. completion events) is added here with its own nameSuffix. Ids from
    // names, not module outputs, so every alert rule is known before deployment starts.
    eventGridTopics: [
      {
        id: resourceId('Microsoft.EventGrid/systemTopics', names.systemTopic)
        type: 'Microsoft.EventGrid/systemTopics'
        nameSuffix: ''
      }
      {
        id: resourceId('Microsoft.EventGrid/topics', names.completionTopic)
        type: 'Microsoft.EventGrid/topics'
        nameSuffix: '-completions'
      }
    ]
  }
  dependsOn: [eventGrid, completionTopic]
}

module availability 'modules/availability.bicep' = if (availabilityTest) {
  name: 'availability'
  params: {
    name: '${abbrs.availabilityTest}${baseName}-health'
    alertName: '${abbrs.metricAlert}${baseName}-health'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    appHostName: functionApp.outputs.defaultHostName
    actionGroupId: alerts.outputs.actionGroupId
  }
}

module budget 'modules/budget.bicep' = if (budgetAmount > 0) {
  name: 'budget'
  params: {
    name: '${abbrs.budget}${baseName}'
    amount: max(budgetAmount, 1)
    contactEmails: [alertEmail]
    startDate: budgetStart
  }
}

// Outputs in upper case become azd environment values; the post-deploy hook and docs/deploy.md's
// `az` steps read them to create the Event Grid subscription. None is a secret.
@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = resourceGroup().name

@description('Name of the function app.')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Public host name of the function app (health check: https://<host>/api/health).')
output FUNCTION_APP_HOST string = functionApp.outputs.defaultHostName

@description('Name of the images storage account (upload into its input container).')
output IMAGES_STORAGE_ACCOUNT string = imagesStorage.outputs.name

@description('Name of the Functions host storage account.')
output HOST_STORAGE_ACCOUNT string = hostStorage.outputs.name

@description('Container on the host account the app pulls its deployment package from.')
output DEPLOYMENT_CONTAINER_NAME string = deploymentContainerName

@description('Object id of the function app\'s identity (the post-provision hook waits for its role on the deployment container).')
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Name of the Event Grid system topic on the images account.')
output SYSTEM_TOPIC_NAME string = eventGrid.outputs.name

@description('Name of the Application Insights component.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName

@description('Name of the Event Grid custom topic the completion events go to (consumers subscribe to it).')
output EVENTS_TOPIC_NAME string = completionTopic.outputs.name

@description('Endpoint of the completion topic (the app\'s IMG_EVENTS_TOPIC_ENDPOINT).')
output EVENTS_TOPIC_ENDPOINT string = completionTopic.outputs.endpoint

@description('Name of the Event Grid custom topic backfill requests go to (subscribed to processImage by subscription.bicep).')
output BACKFILL_TOPIC_NAME string = backfillTopic.outputs.name

@description('Endpoint of the backfill topic: serverless-img backfill --topic-endpoint (or IMG_BACKFILL_TOPIC_ENDPOINT).')
output BACKFILL_TOPIC_ENDPOINT string = backfillTopic.outputs.endpoint
