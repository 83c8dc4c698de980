// Parameters of the Event Grid subscription, read from the environment the post-deploy hook
// (scripts/postdeploy.sh) runs in: azd exports main.bicep's outputs under these names, and the
// `az` steps of docs/deploy.md set them from `az deployment group show`.
using 'subscription.bicep'

param systemTopicName = readEnvironmentVariable('SYSTEM_TOPIC_NAME', 'evgt-unset')
param functionAppName = readEnvironmentVariable('FUNCTION_APP_NAME', 'func-unset')
param imagesStorageName = readEnvironmentVariable('IMAGES_STORAGE_ACCOUNT', 'stunset')
param backfillTopicName = readEnvironmentVariable('BACKFILL_TOPIC_NAME', 'evgt-unset')
