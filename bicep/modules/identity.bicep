// The user-assigned managed identity the function app runs as. User-assigned (rather than
// system-assigned) so every role assignment can be created before the app exists and survives
// the app being recreated.

@description('Managed identity name.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Client (application) id, used by the app to pick this identity.')
output clientId string = identity.properties.clientId

@description('Object (principal) id, the subject of role assignments.')
output principalId string = identity.properties.principalId
