// An Event Grid custom topic taking CloudEvents 1.0, with Entra ID auth only (no access keys),
// and the one principal that may publish to it (EventGrid Data Sender, on this topic alone).

@description('Custom topic name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Object id of the principal that publishes to the topic.')
param senderPrincipalId string

@description('A name of the sender known before deployment (the role assignment\'s name derives from it, so what-if is precise).')
param senderKey string

@description('Its principal type.')
@allowed(['ServicePrincipal', 'User', 'Group'])
param senderPrincipalType string

@description('Why the sender holds the role (the role assignment\'s description).')
param senderDescription string

@description('Whether the sender gets the role (false: nobody may publish, e.g. no uploader). Known before deployment, unlike a principal id read back from an identity.')
param grantSender bool = true

@description('Give the topic a system-assigned identity (its subscriptions dead-letter with it).')
param systemAssignedIdentity bool = false

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: systemAssignedIdentity ? { type: 'SystemAssigned' } : null
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    // Publishers authenticate with Entra ID; keys and SAS tokens are refused.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantSender) {
  name: guid(topic.id, senderKey, eventGridDataSender)
  scope: topic
  properties: {
    principalId: senderPrincipalId
    principalType: senderPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    description: senderDescription
  }
}

@description('Resource id of the topic.')
output id string = topic.id

@description('Name of the topic.')
output name string = topic.name

@description('The endpoint publishers post to.')
output endpoint string = topic.properties.endpoint

@description('Principal id of the topic\'s system-assigned identity (empty without one).')
output principalId string = systemAssignedIdentity ? topic.identity!.principalId : ''
