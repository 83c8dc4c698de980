#!/bin/sh
# Creates the Event Grid subscription (bicep/subscription.bicep) once the function code is
# deployed: an AzureFunction endpoint is validated against the `processImage` function, which
# exists only after the package is running. Run by azd after `azd deploy`, or by hand after
# `az functionapp deployment source config-zip` with the variables below exported (README).
#
# Needs: AZURE_RESOURCE_GROUP, FUNCTION_APP_NAME, SYSTEM_TOPIC_NAME, IMAGES_STORAGE_ACCOUNT
# (main.bicep's outputs; azd exports them to hooks).
set -eu

for name in AZURE_RESOURCE_GROUP FUNCTION_APP_NAME SYSTEM_TOPIC_NAME IMAGES_STORAGE_ACCOUNT; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set (export the outputs of bicep/main.bicep first)" >&2
    exit 2
  fi
done

cd "$(dirname "$0")/.."

# The host indexes functions a little after the deployment finishes: wait for processImage.
attempt=1
until az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "$FUNCTION_APP_NAME" --function-name processImage --query name --output tsv >/dev/null 2>&1; do
  if [ "$attempt" -ge 30 ]; then
    echo "postdeploy: processImage did not appear on $FUNCTION_APP_NAME after 5 minutes;" >&2
    echo "  check 'az functionapp function list -g $AZURE_RESOURCE_GROUP -n $FUNCTION_APP_NAME'" >&2
    exit 1
  fi
  echo "postdeploy: waiting for processImage to be indexed ($attempt/30)..."
  attempt=$((attempt + 1))
  sleep 10
done

echo "postdeploy: creating the Event Grid subscription input/ -> processImage"
az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name event-subscription \
  --template-file bicep/subscription.bicep \
  --parameters bicep/subscription.bicepparam \
  --output none

echo "postdeploy: done. Upload an image: see README 'Deploy to Azure' step 4."
