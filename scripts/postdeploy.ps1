# The PowerShell twin of postdeploy.sh (azd runs it on Windows): creates the Event Grid
# subscription (bicep/subscription.bicep) once the function code is deployed, because an
# AzureFunction endpoint is validated against the `processImage` function.
#
# Needs: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, FUNCTION_APP_NAME, SYSTEM_TOPIC_NAME, BACKFILL_TOPIC_NAME,
# IMAGES_STORAGE_ACCOUNT (azd exports them to hooks) and the Azure CLI signed in.
$script:HookName = 'postdeploy'
. (Join-Path $PSScriptRoot 'hook-common.ps1')

Assert-Env 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'FUNCTION_APP_NAME', 'SYSTEM_TOPIC_NAME', 'BACKFILL_TOPIC_NAME', 'IMAGES_STORAGE_ACCOUNT'
Assert-AzLogin

Set-Location (Join-Path $PSScriptRoot '..')

# The host indexes functions a little after the deployment finishes: wait for processImage.
$attempt = 1
while ($true) {
  az functionapp function show --subscription $env:AZURE_SUBSCRIPTION_ID `
    --resource-group $env:AZURE_RESOURCE_GROUP --name $env:FUNCTION_APP_NAME `
    --function-name processImage --query name --output tsv *> $null
  if ($LASTEXITCODE -eq 0) { break }
  if ($attempt -ge $script:HookPollAttempts) {
    Stop-Hook ("processImage did not appear on $($env:FUNCTION_APP_NAME) after $($script:HookPollAttempts) checks; " +
      "check 'az functionapp function list --subscription $($env:AZURE_SUBSCRIPTION_ID) -g $($env:AZURE_RESOURCE_GROUP) -n $($env:FUNCTION_APP_NAME)'")
  }
  Write-Output "$($script:HookName): waiting for processImage to be indexed ($attempt/$($script:HookPollAttempts))..."
  $attempt++
  Start-Sleep -Seconds $script:HookPollSeconds
}

Write-Output "$($script:HookName): creating the Event Grid subscription input/ -> processImage"
az deployment group create --subscription $env:AZURE_SUBSCRIPTION_ID `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --name event-subscription `
  --template-file bicep/subscription.bicep `
  --parameters bicep/subscription.bicepparam `
  --output none
if ($LASTEXITCODE -ne 0) { Stop-Hook 'the Event Grid subscription deployment failed (see above)' }

Write-Output "$($script:HookName): done. Upload an image into the input container of $($env:IMAGES_STORAGE_ACCOUNT)."
