#!/bin/sh
# Waits until the function app's identity can write its deployment container, so that the
# code deployment right after `azd provision` does not fail with 403: Flex Consumption writes
# the package with that identity, whose role (Storage Blob Data Owner on the host account) was
# assigned seconds earlier and takes effect only once Azure has propagated it.
#
# What can be seen from outside: the assignment in Azure Resource Manager, and its age. The
# hook waits for the first (bounded: HOOK_POLL_ATTEMPTS x HOOK_POLL_SECONDS, 5 minutes), then
# until the assignment is ROLE_SETTLE_SECONDS old (default 120). A later provision finds it old
# and goes straight on.
#
# Needs: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, HOST_STORAGE_ACCOUNT,
# APP_IDENTITY_PRINCIPAL_ID (main.bicep's outputs; azd exports them to hooks), the Azure CLI
# signed in, and node (to read the assignment's date).
set -eu
hook_name=postprovision
# shellcheck source=scripts/hook-common.sh
. "$(dirname "$0")/hook-common.sh"

BLOB_DATA_OWNER=b7e6dc6d-f1e8-4753-8033-0f276bb0955b
ROLE_SETTLE_SECONDS="${ROLE_SETTLE_SECONDS:-120}"

require_env AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP HOST_STORAGE_ACCOUNT APP_IDENTITY_PRINCIPAL_ID
require_az_login

account_id=$(az storage account show --subscription "$AZURE_SUBSCRIPTION_ID" \
  --resource-group "$AZURE_RESOURCE_GROUP" --name "$HOST_STORAGE_ACCOUNT" --query id --output tsv) ||
  hook_fail "cannot read storage account $HOST_STORAGE_ACCOUNT in $AZURE_RESOURCE_GROUP"

# The assignment's creation time, or nothing while Resource Manager does not list it yet.
assigned_on() {
  az role assignment list --subscription "$AZURE_SUBSCRIPTION_ID" --scope "$account_id" \
    --query "[?principalId=='$APP_IDENTITY_PRINCIPAL_ID' && ends_with(roleDefinitionId, '$BLOB_DATA_OWNER')].createdOn | [0]" \
    --output tsv 2>/dev/null || true
}

attempt=1
created=$(assigned_on)
while [ -z "$created" ]; do
  if [ "$attempt" -ge "$HOOK_POLL_ATTEMPTS" ]; then
    hook_fail "the app identity $APP_IDENTITY_PRINCIPAL_ID still has no Storage Blob Data Owner" \
      "role on $HOST_STORAGE_ACCOUNT; the code deployment would fail with 403. Check the 'rbac'" \
      "deployment in $AZURE_RESOURCE_GROUP, then run 'azd provision' again."
  fi
  echo "$hook_name: waiting for the app identity's role on $HOST_STORAGE_ACCOUNT ($attempt/$HOOK_POLL_ATTEMPTS)..."
  attempt=$((attempt + 1))
  sleep "$HOOK_POLL_SECONDS"
  created=$(assigned_on)
done

age=$(node -e 'const t = Date.parse(process.argv[1]); process.stdout.write(String(Number.isNaN(t) ? 0 : Math.max(0, Math.floor((Date.now() - t) / 1000))))' "$created")
if [ "$age" -lt "$ROLE_SETTLE_SECONDS" ]; then
  wait_seconds=$((ROLE_SETTLE_SECONDS - age))
  echo "$hook_name: the app identity's role was assigned ${age}s ago; waiting ${wait_seconds}s for it to take effect before the code is deployed"
  sleep "$wait_seconds"
fi
echo "$hook_name: the app identity can write its deployment container (role assigned $created)"
