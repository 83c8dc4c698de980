# The PowerShell twin of postprovision.sh (azd runs it on Windows): waits until the function
# app's identity can write its deployment container, so that the code deployment right after
# `azd provision` does not fail with 403. What can be seen from outside is the role assignment
# in Azure Resource Manager and its age: the hook waits for the first (bounded, 5 minutes by
# default), then until the assignment is ROLE_SETTLE_SECONDS old (default 120).
#
# Needs: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, HOST_STORAGE_ACCOUNT,
# APP_IDENTITY_PRINCIPAL_ID (azd exports them to hooks) and the Azure CLI signed in.
$script:HookName = 'postprovision'
. (Join-Path $PSScriptRoot 'hook-common.ps1')

$BlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
$RoleSettleSeconds = if ($env:ROLE_SETTLE_SECONDS) { [int]$env:ROLE_SETTLE_SECONDS } else { 120 }

Assert-Env 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'HOST_STORAGE_ACCOUNT', 'APP_IDENTITY_PRINCIPAL_ID'
Assert-AzLogin

$accountId = az storage account show --subscription $env:AZURE_SUBSCRIPTION_ID `
  --resource-group $env:AZURE_RESOURCE_GROUP --name $env:HOST_STORAGE_ACCOUNT --query id --output tsv
if ($LASTEXITCODE -ne 0) {
  Stop-Hook "cannot read storage account $($env:HOST_STORAGE_ACCOUNT) in $($env:AZURE_RESOURCE_GROUP)"
}

# The assignment's creation time, or $null while Resource Manager does not list it yet. Filtered
# here rather than with --query, which cmd.exe (az.cmd) would have to pass through unharmed.
function Get-AssignedOn {
  $json = az role assignment list --subscription $env:AZURE_SUBSCRIPTION_ID --scope $accountId --output json 2>$null
  if ($LASTEXITCODE -ne 0 -or -not $json) { return $null }
  $match = @(($json -join [Environment]::NewLine) | ConvertFrom-Json | Where-Object {
      $_.principalId -eq $env:APP_IDENTITY_PRINCIPAL_ID -and $_.roleDefinitionId.EndsWith($BlobDataOwner)
    }) | Select-Object -First 1
  if ($null -eq $match) { return $null }
  return [DateTimeOffset]$match.createdOn
}

$attempt = 1
$created = Get-AssignedOn
while ($null -eq $created) {
  if ($attempt -ge $script:HookPollAttempts) {
    Stop-Hook ("the app identity $($env:APP_IDENTITY_PRINCIPAL_ID) still has no Storage Blob Data Owner " +
      "role on $($env:HOST_STORAGE_ACCOUNT); the code deployment would fail with 403. Check the 'rbac' " +
      "deployment in $($env:AZURE_RESOURCE_GROUP), then run 'azd provision' again.")
  }
  Write-Output "$($script:HookName): waiting for the app identity's role on $($env:HOST_STORAGE_ACCOUNT) ($attempt/$($script:HookPollAttempts))..."
  $attempt++
  Start-Sleep -Seconds $script:HookPollSeconds
  $created = Get-AssignedOn
}

$age = [Math]::Max(0, [int][Math]::Floor(([DateTimeOffset]::UtcNow - $created).TotalSeconds))
if ($age -lt $RoleSettleSeconds) {
  $waitSeconds = $RoleSettleSeconds - $age
  Write-Output "$($script:HookName): the app identity's role was assigned ${age}s ago; waiting ${waitSeconds}s for it to take effect before the code is deployed"
  Start-Sleep -Seconds $waitSeconds
}
Write-Output "$($script:HookName): the app identity can write its deployment container (role assigned $($created.ToString('o')))"
