#!/bin/sh
# Creates the Event Grid subscription (bicep/subscription.bicep) once the function code is
# deployed: an AzureFunction endpoint is validated against the `processImage` function, which
# exists only after the package is running. Run by azd after `azd deploy`, or by hand after
# `az functionapp deployment source config-zip` with the variables below exported.
#
# Needs: AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, FUNCTION_APP_NAME, SYSTEM_TOPIC_NAME,
# BACKFILL_TOPIC_NAME, IMAGES_STORAGE_ACCOUNT (azd exports them to hooks) and the Azure CLI signed in.
set -eu
hook_name=postdeploy
# shellcheck source=scripts/hook-common.sh
. "$(dirname "$0")/hook-common.sh"

require_env AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP FUNCTION_APP_NAME SYSTEM_TOPIC_NAME BACKFILL_TOPIC_NAME IMAGES_STORAGE_ACCOUNT
require_az_login

cd "$(dirname "$0")/.."

# The host indexes functions a little after the deployment finishes: wait for processImage.
attempt=1
until az functionapp function show --subscription "$AZURE_SUBSCRIPTION_ID" \
  --resource-group "$AZURE_RESOURCE_GROUP" --name "$FUNCTION_APP_NAME" \
  --function-name processImage --query name --output tsv >/dev/null 2>&1; do
  if [ "$attempt" -ge "$HOOK_POLL_ATTEMPTS" ]; then
    hook_fail "processImage did not appear on $FUNCTION_APP_NAME after $HOOK_POLL_ATTEMPTS checks;" \
      "check 'az functionapp function list --subscription $AZURE_SUBSCRIPTION_ID -g $AZURE_RESOURCE_GROUP -n $FUNCTION_APP_NAME'"
  fi
  echo "$hook_name: waiting for processImage to be indexed ($attempt/$HOOK_POLL_ATTEMPTS)..."
  attempt=$((attempt + 1))
  sleep "$HOOK_POLL_SECONDS"
done

echo "$hook_name: creating the Event Grid subscriptions input/ and backfill topic -> processImage"
az deployment group create --subscription "$AZURE_SUBSCRIPTION_ID" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name event-subscription \
  --template-file bicep/subscription.bicep \
  --parameters bicep/subscription.bicepparam \
  --output none

echo "$hook_name: done. Upload an image into the input container of $IMAGES_STORAGE_ACCOUNT."
