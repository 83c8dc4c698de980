// Parameters for `azd provision` / `azd up`: azd passes its environment (AZURE_ENV_NAME,
// AZURE_LOCATION, anything set with `azd env set`, and in a pipeline the workflow's `env`) to
// this file. A variable that is unset or empty leaves main.bicep's default in force; the
// defaults are repeated here only because a parameters file cannot leave a value out.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')

var enablePrivateEndpointsText = readEnvironmentVariable('ENABLE_PRIVATE_ENDPOINTS', '')
param enablePrivateEndpoints = empty(enablePrivateEndpointsText) ? false : bool(enablePrivateEndpointsText)
var publicNetworkAccessText = readEnvironmentVariable('PUBLIC_NETWORK_ACCESS', '')
param publicNetworkAccess = empty(publicNetworkAccessText) ? 'Enabled' : publicNetworkAccessText
param privateDnsZonesResourceGroupId = readEnvironmentVariable('PRIVATE_DNS_ZONES_RESOURCE_GROUP_ID', '')

// Who uploads: UPLOADER_PRINCIPAL_ID unset means whoever deploys (a person, or the pipeline's
// service principal), `none` means nobody; AZURE_PRINCIPAL_TYPE says what kind that principal
// is (a pipeline sets ServicePrincipal, or role assignments fail with UnmatchedPrincipalType).
var uploader = readEnvironmentVariable('UPLOADER_PRINCIPAL_ID', '')
param uploaderPrincipalId = empty(uploader) ? null : (uploader == 'none' ? '' : uploader)
var principalTypeText = readEnvironmentVariable('AZURE_PRINCIPAL_TYPE', '')
param uploaderPrincipalType = empty(principalTypeText) ? 'User' : principalTypeText

// Cost and hardening.
var dailyCapText = readEnvironmentVariable('DAILY_CAP_MB', '')
param dailyCapMb = empty(dailyCapText) ? 160 : int(dailyCapText)
var samplingText = readEnvironmentVariable('TRACE_SAMPLING_PERCENT', '')
param traceSamplingPercent = empty(samplingText) ? 100 : int(samplingText)
var budgetText = readEnvironmentVariable('BUDGET_AMOUNT', '')
param budgetAmount = empty(budgetText) ? 0 : int(budgetText)
param budgetStartDate = readEnvironmentVariable('BUDGET_START_DATE', '')
var deadLetterDaysText = readEnvironmentVariable('DEAD_LETTER_RETENTION_DAYS', '')
param deadLetterRetentionDays = empty(deadLetterDaysText) ? 30 : int(deadLetterDaysText)
var malwareScanningText = readEnvironmentVariable('MALWARE_SCANNING', '')
param malwareScanning = empty(malwareScanningText) ? false : bool(malwareScanningText)
var minTlsText = readEnvironmentVariable('MIN_TLS_VERSION', '')
param minTlsVersion = empty(minTlsText) ? '1.2' : minTlsText
var infrastructureEncryptionText = readEnvironmentVariable('INFRASTRUCTURE_ENCRYPTION', '')
param infrastructureEncryption = empty(infrastructureEncryptionText) ? true : bool(infrastructureEncryptionText)
