// Alerts that tell an operator something went wrong, wired to one action group:
// images that failed processing (from Application Insights) and events Event Grid gave up on
// (dead-lettered, from the system topic's metrics).

@description('Action group name.')
param actionGroupName string

@description('Name of the log alert rule on failed images.')
param failedImagesAlertName string

@description('Name of the metric alert rule on dead-lettered events.')
param deadLetterAlertName string

@description('Azure region of the log alert rule.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Email address notified by the alerts; empty for an action group without receivers.')
param alertEmail string

@description('Resource id of the Application Insights component.')
param appInsightsId string

@description('Resource id of the Event Grid system topic.')
param systemTopicId string

@description('Failed images within the window that fire the alert.')
@minValue(1)
param failedImagesThreshold int = 1

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

// Every image is one `process image` span (kind CONSUMER), which Application Insights records as
// a request; a failure (a bad image, or a transient error Event Grid will retry) ends it with
// status ERROR, i.e. success == false.
resource failedImages 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: failedImagesAlertName
  location: location
  tags: tags
  properties: {
    displayName: 'Images failed processing'
    description: 'One or more images failed in processImage; see metadata/<name>.json and Application Insights failures.'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'requests | where name == "process image" and success == false'
          timeAggregation: 'Count'
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

// Any dead-lettered event means an image was never processed after every retry.
resource deadLettered 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: deadLetterAlertName
  location: 'global'
  tags: tags
  properties: {
    description: 'Event Grid dead-lettered events: images that were never processed. Inspect the deadletter container.'
    severity: 1
    enabled: true
    scopes: [systemTopicId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadLetteredCount'
          metricNamespace: 'Microsoft.EventGrid/systemTopics'
          metricName: 'DeadLetteredCount'
          operator: 'GreaterThan'
          threshold: 0
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

@description('Resource id of the action group.')
output actionGroupId string = actionGroup.id
