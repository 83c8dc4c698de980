# shellcheck shell=sh
# Shared by the azd hooks (postprovision.sh, postdeploy.sh); sourced, not run. POSIX sh.
#
# The hooks talk to Azure through the Azure CLI, which keeps its own sign-in apart from azd's:
# every call names azd's subscription (AZURE_SUBSCRIPTION_ID) instead of trusting the CLI's
# default one, and a CLI that is not signed in to it is said so at once.

# Messages start with the hook's name, which the sourcing script sets first.
hook_name="${hook_name:-hook}"

# Poll interval and attempts of every wait; the defaults are the ones in the messages below,
# tests shorten them.
HOOK_POLL_SECONDS="${HOOK_POLL_SECONDS:-10}"
HOOK_POLL_ATTEMPTS="${HOOK_POLL_ATTEMPTS:-30}"

hook_fail() {
  echo "$hook_name: $*" >&2
  exit 1
}

# require_env NAME...: exits 2 naming the first variable that is unset or empty.
require_env() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
      echo "$hook_name: $name is not set (azd sets it from bicep/main.bicep's outputs; by hand, export it)" >&2
      exit 2
    fi
  done
}

# require_az_login: the Azure CLI must be signed in and see azd's subscription.
require_az_login() {
  if ! az account show --subscription "$AZURE_SUBSCRIPTION_ID" --query id --output tsv >/dev/null 2>&1; then
    hook_fail "the Azure CLI cannot use subscription $AZURE_SUBSCRIPTION_ID. Sign it in:" \
      "'az login' (a person) or 'azure/login' (a pipeline); azd's own sign-in does not reach it."
  fi
}
