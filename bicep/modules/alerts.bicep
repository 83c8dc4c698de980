// Alerts that tell an operator something went wrong, wired to one action group:
// - images that failed processing, counted from the app's metrics (never sampled);
// - Event Grid, per topic: delivery attempts that failed (the early sign of a broken endpoint,
//   hours before anything is dead-lettered), events dead-lettered, and events dropped (lost
//   because even dead-lettering failed);
// - the workspace reaching its daily cap, after which the log alerts above see nothing.

@description('Action group name.')
param actionGroupName string

@description('Prefix of the log (scheduled query) alert rule names.')
param logAlertPrefix string

@description('Prefix of the metric alert rule names.')
param metricAlertPrefix string

@description('Azure region of the log alert rules.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Email address notified by the alerts; empty for an action group without receivers.')
param alertEmail string

@description('Resource id of the Application Insights component.')
param appInsightsId string

@description('Resource id of the Log Analytics workspace (for the daily-cap alert).')
param workspaceId string

@description('Event Grid topics to watch: the images account\'s system topic and any custom topic. The system topic\'s nameSuffix is empty, which keeps its alert names as they were.')
param eventGridTopics EventGridTopic[]

@description('Failed images within the window that fire the alert.')
@minValue(1)
param failedImagesThreshold int = 1

@description('Failed delivery attempts within 15 minutes tolerated before the delivery alert fires (0: the first one fires it).')
@minValue(0)
param deliveryFailureThreshold int = 0

@description('An Event Grid topic watched by the delivery alerts.')
type EventGridTopic = {
  @description('Resource id of the topic.')
  id: string

  @description('Its metric namespace: the resource type.')
  type: 'Microsoft.EventGrid/systemTopics' | 'Microsoft.EventGrid/topics'

  @description('Added to the alert names after the prefix, e.g. "-completions"; empty for the images system topic.')
  nameSuffix: string
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'imgpipeline'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

// Every image handled counts once in the `serverless_img.images` metric, with its outcome:
// `failed` (a bad image: failure record written) or `retried` (transient: Event Grid delivers
// again). Metrics are exact at any trace sampling ratio, unlike the `process image` requests.
resource failedImages 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${logAlertPrefix}-failed-images'
  location: location
  tags: tags
  properties: {
    displayName: 'Images failed processing'
    description: 'One or more images failed (see metadata/<name>.json) or hit a transient error Event Grid will retry; see Application Insights failures.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "serverless_img.images" | where tostring(customDimensions["serverless_img.outcome"]) in ("failed", "retried") | summarize images = sum(valueSum)'
          metricMeasureColumn: 'images'
          timeAggregation: 'Total'
          operator: 'GreaterThanOrEqual'
          threshold: failedImagesThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [actionGroup.id]
    }
  }
}

// Once the daily cap is reached the workspace stops ingesting until its reset hour: the log
// alerts go blind, so this one says so. The workspace writes the event to its Operation table,
// which the cap does not stop. Filtering on Detail, not Operation, whose value varies.
resource dailyCapReached 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${logAlertPrefix}-daily-cap'
  location: location
  tags: tags
  properties: {
    displayName: 'Log Analytics daily cap reached'
    description: 'The workspace reached its daily ingestion cap and stopped collecting telemetry until its daily reset: failures go unseen until then. Raise dailyCapMb or lower traceSamplingPercent.'
    severity: 1
    enabled: true
    scopes: [workspaceId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    autoMitigate: false
    muteActionsDuration: 'P1D'
    criteria: {
      allOf: [
        {
          query: '_LogOperation | where Category =~ "Ingestion" | where Detail contains "OverQuota"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [actionGroup.id]
    }
  }
}

var eventGridAlerts = [
  {
    metric: 'DeadLetteredCount'
    nameSuffix: 'dead-lettered'
    severity: 1
    threshold: 0
    description: 'Event Grid dead-lettered events: images that were never processed after every retry. Inspect the deadletter container.'
  }
  {
    metric: 'DeliveryAttemptFailCount'
    nameSuffix: 'delivery-failures'
    severity: 2
    threshold: deliveryFailureThreshold
    description: 'Event Grid could not deliver events to the function (errors, timeouts): it retries for up to a day, then dead-letters. Check the app\'s health and the AegDeliveryFailureLogs table.'
  }
  {
    metric: 'DroppedEventCount'
    nameSuffix: 'dropped'
    severity: 1
    threshold: 0
    description: 'Event Grid dropped events: they could be neither delivered nor dead-lettered, so no record of them is left. Check the dead-letter container\'s access and the AegDeliveryFailureLogs table.'
  }
]

// One rule per topic and metric (a metric alert on one resource per rule).
resource eventGridMetricAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for i in range(0, length(eventGridTopics) * length(eventGridAlerts)): {
    name: '${metricAlertPrefix}${eventGridTopics[i / length(eventGridAlerts)].nameSuffix}-${eventGridAlerts[i % length(eventGridAlerts)].nameSuffix}'
    location: 'global'
    tags: tags
    properties: {
      description: eventGridAlerts[i % length(eventGridAlerts)].description
      severity: eventGridAlerts[i % length(eventGridAlerts)].severity
      enabled: true
      scopes: [eventGridTopics[i / length(eventGridAlerts)].id]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: eventGridAlerts[i % length(eventGridAlerts)].metric
            metricNamespace: eventGridTopics[i / length(eventGridAlerts)].type
            metricName: eventGridAlerts[i % length(eventGridAlerts)].metric
            operator: 'GreaterThan'
            threshold: eventGridAlerts[i % length(eventGridAlerts)].threshold
            timeAggregation: 'Total'
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroup.id
        }
      ]
    }
  }
]

@description('Resource id of the action group.')
output actionGroupId string = actionGroup.id
