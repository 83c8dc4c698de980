// The `dev` environment, deployed into resource group rg-serverless-img-dev:
//   az group create --name rg-serverless-img-dev --location <region>
//   az deployment group create --resource-group rg-serverless-img-dev \
//     --template-file bicep/main.bicep --parameters bicep/main.dev.bicepparam
using 'main.bicep'

param environmentName = 'dev'
param imagesStorageSku = 'Standard_LRS'
param publicNetworkAccess = 'Enabled'
param enablePrivateEndpoints = false
param instanceMemoryMB = 2048
param maximumInstanceCount = 10
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
