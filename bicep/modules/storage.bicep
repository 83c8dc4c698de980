// One hardened storage account. Both accounts of the system (Functions host, images) come from
// this module, so they are hardened alike by construction: Entra ID only (no shared keys, no
// SAS), no anonymous blob access, TLS 1.2, HTTPS only, infrastructure (double) encryption,
// optional private endpoints, optional expiry of whole containers' blobs and optional Defender
// for Storage malware scanning.

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Blob containers to create, all private.')
param containerNames string[]

@description('Replication of the account.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_RAGRS'])
param skuName string = 'Standard_LRS'

@description('Enabled: any network may reach the account (Entra ID auth still required). Disabled: public networks are denied, except trusted Azure services; reach it through private endpoints.')
@allowed(['Enabled', 'Disabled'])
param publicNetworkAccess string = 'Enabled'

@description('Days a deleted blob or container can still be restored.')
@minValue(1)
@maxValue(365)
param softDeleteDays int = 7

@description('Subnet for private endpoints; empty for none.')
param privateEndpointSubnetId string = ''

@description('Storage services that get a private endpoint (blob, queue, table), each mapped to its private DNS zone id.')
param privateDnsZoneIds object = {}

@description('Encrypt at the infrastructure layer too (a second key, double encryption). Azure accepts it only when the account is created: an account that exists without it must keep false.')
param requireInfrastructureEncryption bool = true

@description('Containers whose blobs are deleted a number of days after their last change, as { <container>: <days> }; empty for none.')
param expireAfterDays object = {}

@description('Turn on Defender for Storage with on-upload malware scanning for this account (billed per account and per GB scanned).')
param malwareScanning bool = false

@description('Most GB malware scanning may scan in a month before it stops (a cost cap).')
@minValue(1)
param malwareScanningCapGBPerMonth int = 5000

var usePrivateEndpoints = !empty(privateEndpointSubnetId)

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    isHnsEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // "Disabled" closes the public endpoint with a deny-by-default firewall rather than the
    // account's publicNetworkAccess switch: a fully disabled endpoint ignores the trusted-service
    // exception, and Event Grid's system topic writes dead letters through it with its managed
    // identity. Private endpoints are unaffected either way.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
      ipRules: []
      virtualNetworkRules: []
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: requireInfrastructureEncryption
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

// Lifecycle management: e.g. Event Grid's dead-letter records are evidence for a while, then
// only cost. Runs once a day; a deleted blob stays restorable for the soft-delete period.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = if (!empty(expireAfterDays)) {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        for rule in items(expireAfterDays): {
          name: 'expire-${rule.key}'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob', 'appendBlob']
              prefixMatch: ['${rule.key}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: rule.value
                }
              }
            }
          }
        }
      ]
    }
  }
}

// Untrusted uploads: Defender scans each new blob and writes the verdict as a blob index tag
// (which raises no BlobCreated). Overrides whatever the subscription's plan says, for this
// account only.
resource defender 'Microsoft.Security/defenderForStorageSettings@2022-12-01-preview' = if (malwareScanning) {
  name: 'current'
  scope: account
  properties: {
    isEnabled: true
    overrideSubscriptionLevelSettings: true
    malwareScanning: {
      onUpload: {
        isEnabled: true
        capGBPerMonth: malwareScanningCapGBPerMonth
      }
    }
    sensitiveDataDiscovery: {
      isEnabled: false
    }
  }
}

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for service in (usePrivateEndpoints ? items(privateDnsZoneIds) : []): {
    name: 'pep-${name}-${service.key}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: privateEndpointSubnetId
      }
      privateLinkServiceConnections: [
        {
          name: '${name}-${service.key}'
          properties: {
            privateLinkServiceId: account.id
            groupIds: [service.key]
          }
        }
      ]
    }
  }
]

resource privateDnsZoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (service, i) in (usePrivateEndpoints ? items(privateDnsZoneIds) : []): {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: service.key
          properties: {
            privateDnsZoneId: service.value
          }
        }
      ]
    }
  }
]

@description('Resource id of the account.')
output id string = account.id

@description('Name of the account.')
output name string = account.name

@description('Blob endpoint without a trailing slash, e.g. https://<account>.blob.core.windows.net.')
output blobEndpoint string = 'https://${account.name}.blob.${environment().suffixes.storage}'

@description('Queue endpoint without a trailing slash.')
output queueEndpoint string = 'https://${account.name}.queue.${environment().suffixes.storage}'

@description('Table endpoint without a trailing slash.')
output tableEndpoint string = 'https://${account.name}.table.${environment().suffixes.storage}'
