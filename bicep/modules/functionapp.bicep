// The function app on the Flex Consumption plan (FC1, Linux, Node.js). It runs as the
// user-assigned identity and reaches every dependency with it: the deployment package, the host
// storage, the images and Application Insights. No app setting carries a key or a SAS.

@description('Function app name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to every resource; the app also gets azd-service-name.')
param tags object

@description('azd service name from azure.yaml, so `azd deploy` finds this app.')
param azdServiceName string = 'functions'

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (app settings pick the identity with it).')
param identityClientId string

@description('Blob endpoint of the host storage account (no trailing slash).')
param hostBlobEndpoint string

@description('Queue endpoint of the host storage account.')
param hostQueueEndpoint string

@description('Table endpoint of the host storage account.')
param hostTableEndpoint string

@description('Container on the host account that holds the deployment package.')
param deploymentContainerName string

@description('Blob endpoint of the images storage account (no trailing slash).')
param imagesBlobEndpoint string

@description('Application Insights connection string (not a secret: key auth is disabled).')
param appInsightsConnectionString string

@description('Memory of each instance in MB.')
@allowed([2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on scale-out.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Node.js major version (Node 20 reached its end of life in April 2026).')
@allowed(['20', '22'])
param nodeVersion string = '22'

@description('Oldest TLS version the app and its SCM site accept from clients.')
@allowed(['1.2', '1.3'])
param minTlsVersion string = '1.2'

@description('Subnet for outbound virtual network integration; empty for none.')
param virtualNetworkSubnetId string = ''

@description('Our own settings (IMG_*), already rendered as strings.')
param imgSettings object

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Identity-based connections only: `__credential` + `__clientId` tell the host and our code to
// use the user-assigned identity; nothing here is a secret.
var platformSettings = {
  AzureWebJobsStorage__blobServiceUri: hostBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: hostQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: hostTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  IMAGES_STORAGE__blobServiceUri: imagesBlobEndpoint
  IMAGES_STORAGE__credential: 'managedidentity'
  IMAGES_STORAGE__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': azdServiceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: minTlsVersion
      scmMinTlsVersion: minTlsVersion
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(union(platformSettings, imgSettings)): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// Basic (user name + password) publishing is off for both FTP and the SCM site: deployments
// authenticate with Entra ID (azd, `az functionapp deployment`).
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Resource id of the function app.')
output id string = app.id

@description('Name of the function app.')
output name string = app.name

@description('Default host name, e.g. func-x.azurewebsites.net.')
output defaultHostName string = app.properties.defaultHostName
