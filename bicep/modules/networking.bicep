// Optional private networking (off by default): a virtual network with a subnet for private
// endpoints and one delegated to Flex Consumption for the app's outbound traffic, each behind a
// network security group (many organisations deny subnets without one by policy), and the
// private DNS zones that make the storage endpoints resolve to their private addresses: created
// and linked here, or existing ones (e.g. a hub's) used as they are.

@description('Virtual network name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Address space of the virtual network.')
param addressPrefix string = '10.40.0.0/16'

@description('Resource id of a resource group that already holds the zones privatelink.{blob,queue,table}.<storage suffix>; empty creates them here and links them to this network.')
param existingDnsZonesResourceGroupId string = ''

var privateEndpointSubnetName = 'snet-private-endpoints'
var appSubnetName = 'snet-app'
var storageServices = ['blob', 'queue', 'table']
var createDnsZones = empty(existingDnsZonesResourceGroupId)

// The platform's default rules (virtual network in, load balancer in, deny the rest in; outbound
// open) are what both subnets need: no custom rule, only the group a policy looks for.
resource subnetNsgs 'Microsoft.Network/networkSecurityGroups@2024-05-01' = [
  for subnet in [privateEndpointSubnetName, appSubnetName]: {
    name: 'nsg-${name}-${subnet}'
    location: location
    tags: tags
    properties: {
      securityRules: []
    }
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
          networkSecurityGroup: {
            id: subnetNsgs[0].id
          }
        }
      }
      {
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 2)
          networkSecurityGroup: {
            id: subnetNsgs[1].id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

resource privateEndpointSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: privateEndpointSubnetName
}

resource appSubnet 'Microsoft.Network/virtualNetworks/subnets@2024-05-01' existing = {
  parent: vnet
  name: appSubnetName
}

resource dnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for service in (createDnsZones ? storageServices : []): {
    name: 'privatelink.${service}.${environment().suffixes.storage}'
    location: 'global'
    tags: tags
  }
]

resource dnsZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (service, i) in (createDnsZones ? storageServices : []): {
    parent: dnsZones[i]
    name: 'link-${name}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

// Existing zones are named as Azure names them; only their resource group is configurable.
var existingScope = split(existingDnsZonesResourceGroupId, '/')
var zoneIds = [
  for service in storageServices: createDnsZones
    ? resourceId('Microsoft.Network/privateDnsZones', 'privatelink.${service}.${environment().suffixes.storage}')
    : resourceId(
        existingScope[2],
        existingScope[4],
        'Microsoft.Network/privateDnsZones',
        'privatelink.${service}.${environment().suffixes.storage}'
      )
]

@description('Subnet for private endpoints.')
output privateEndpointSubnetId string = privateEndpointSubnet.id

@description('Subnet the function app integrates with for outbound traffic.')
output appSubnetId string = appSubnet.id

@description('Private DNS zone of blob endpoints.')
output blobDnsZoneId string = zoneIds[0]

@description('Private DNS zone of queue endpoints.')
output queueDnsZoneId string = zoneIds[1]

@description('Private DNS zone of table endpoints.')
output tableDnsZoneId string = zoneIds[2]
