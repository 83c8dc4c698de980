# Shared by the azd hooks (postprovision.ps1, postdeploy.ps1); dot-sourced, not run. The
# PowerShell twin of hook-common.sh, for azd on Windows (pwsh 7).
#
# The hooks talk to Azure through the Azure CLI, which keeps its own sign-in apart from azd's:
# every call names azd's subscription (AZURE_SUBSCRIPTION_ID) instead of trusting the CLI's
# default one, and a CLI that is not signed in to it is said so at once.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Messages start with the hook's name, which the dot-sourcing script sets first.
if (-not (Get-Variable -Name HookName -Scope Script -ErrorAction SilentlyContinue)) { $script:HookName = 'hook' }

# Poll interval and attempts of every wait; tests and impatient people shorten them.
$script:HookPollSeconds = if ($env:HOOK_POLL_SECONDS) { [int]$env:HOOK_POLL_SECONDS } else { 10 }
$script:HookPollAttempts = if ($env:HOOK_POLL_ATTEMPTS) { [int]$env:HOOK_POLL_ATTEMPTS } else { 30 }

function Stop-Hook([string]$Message) {
  [Console]::Error.WriteLine("$($script:HookName): $Message")
  exit 1
}

# Exits 2 naming the first variable that is unset or empty.
function Assert-Env([string[]]$Names) {
  foreach ($name in $Names) {
    if ([string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name))) {
      [Console]::Error.WriteLine("$($script:HookName): $name is not set (azd sets it from bicep/main.bicep's outputs; by hand, set it)")
      exit 2
    }
  }
}

# The Azure CLI must be signed in and see azd's subscription.
function Assert-AzLogin {
  az account show --subscription $env:AZURE_SUBSCRIPTION_ID --query id --output tsv *> $null
  if ($LASTEXITCODE -ne 0) {
    Stop-Hook ("the Azure CLI cannot use subscription $($env:AZURE_SUBSCRIPTION_ID). Sign it in: " +
      "'az login' (a person) or 'azure/login' (a pipeline); azd's own sign-in does not reach it.")
  }
}
