// Parameters for `azd provision` / `azd up`: azd exports its environment (AZURE_ENV_NAME,
// AZURE_LOCATION, and anything set with `azd env set`) to this file.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
param enablePrivateEndpoints = bool(readEnvironmentVariable('ENABLE_PRIVATE_ENDPOINTS', 'false'))
param publicNetworkAccess = readEnvironmentVariable('PUBLIC_NETWORK_ACCESS', 'Enabled')
