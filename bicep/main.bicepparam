// Parameters for `azd provision` / `azd up`: azd exports its environment (AZURE_ENV_NAME,
// AZURE_LOCATION, and anything set with `azd env set`) to this file. Every value below has the
// default main.bicep would use when its variable is not set.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
param enablePrivateEndpoints = bool(readEnvironmentVariable('ENABLE_PRIVATE_ENDPOINTS', 'false'))
param publicNetworkAccess = readEnvironmentVariable('PUBLIC_NETWORK_ACCESS', 'Enabled')
param privateDnsZonesResourceGroupId = readEnvironmentVariable('PRIVATE_DNS_ZONES_RESOURCE_GROUP_ID', '')

// Who uploads: UPLOADER_PRINCIPAL_ID unset means whoever deploys (a person, or the pipeline's
// service principal), `none` means nobody; AZURE_PRINCIPAL_TYPE says what kind that principal
// is (a pipeline sets ServicePrincipal, or role assignments fail with UnmatchedPrincipalType).
var uploader = readEnvironmentVariable('UPLOADER_PRINCIPAL_ID', '')
param uploaderPrincipalId = empty(uploader) ? null : (uploader == 'none' ? '' : uploader)
param uploaderPrincipalType = readEnvironmentVariable('AZURE_PRINCIPAL_TYPE', 'User')

// Cost.
param dailyCapMb = int(readEnvironmentVariable('DAILY_CAP_MB', '160'))
param traceSamplingPercent = int(readEnvironmentVariable('TRACE_SAMPLING_PERCENT', '100'))
param budgetAmount = int(readEnvironmentVariable('BUDGET_AMOUNT', '0'))
param budgetStartDate = readEnvironmentVariable('BUDGET_START_DATE', '')
param deadLetterRetentionDays = int(readEnvironmentVariable('DEAD_LETTER_RETENTION_DAYS', '30'))
param malwareScanning = bool(readEnvironmentVariable('MALWARE_SCANNING', 'false'))
param minTlsVersion = readEnvironmentVariable('MIN_TLS_VERSION', '1.2')
param infrastructureEncryption = bool(readEnvironmentVariable('INFRASTRUCTURE_ENCRYPTION', 'true'))
