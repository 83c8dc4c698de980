// Log Analytics workspace and a workspace-based Application Insights component that accepts
// only Entra ID-authenticated telemetry (local, key-based auth disabled). The workspace has a
// daily ingestion cap, which also covers Application Insights (its data lives in the workspace).

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Days logs are kept.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Most MB the workspace ingests per day before it stops collecting until its daily reset; 0 for no cap. 160 keeps a month under 5 GB.')
@minValue(0)
@maxValue(1000000)
param dailyCapMb int = 160

// Bicep has no fractional numbers: the cap in GB is written out as decimal text and parsed.
var dailyQuotaGb = dailyCapMb == 0
  ? -1
  : json('${dailyCapMb / 1000}.${padLeft(string(dailyCapMb % 1000), 3, '0')}')

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

@description('Resource id of the Application Insights component.')
output appInsightsId string = appInsights.id

@description('Name of the Application Insights component.')
output appInsightsName string = appInsights.name

// The connection string names the ingestion endpoint and component; it grants nothing on its
// own because local auth is disabled: ingestion needs an Entra token with Monitoring Metrics Publisher.
@description('Application Insights connection string (not a secret: key-based ingestion is disabled).')
output appInsightsConnectionString string = appInsights.properties.ConnectionString

@description('Resource id of the Log Analytics workspace.')
output workspaceId string = workspace.id
