// A standard availability test on the app's `GET /api/health` (which reads every container the
// pipeline uses), run by Application Insights from a few regions, and the alert when it fails
// from more than one of them: the outside view the app's own telemetry cannot give.

@description('Availability test name.')
param name string

@description('Name of the metric alert on the test.')
param alertName string

@description('Azure region (the Application Insights component\'s).')
param location string

@description('Tags applied to every resource; the test also gets the hidden link to its component.')
param tags object

@description('Resource id of the Application Insights component that records the results.')
param appInsightsId string

@description('Host name of the function app, e.g. func-x.azurewebsites.net.')
param appHostName string

@description('Resource id of the action group the alert notifies.')
param actionGroupId string

@description('Seconds between two runs from each location (each run is billed and wakes the app).')
@allowed([300, 600, 900])
param frequencySeconds int = 900

@description('Where the test runs from (Application Insights location ids).')
@minLength(2)
param testLocations string[] = ['emea-nl-ams-azr', 'us-va-ash-azr', 'apac-sg-sin-azr']

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: name
  location: location
  // Application Insights lists a test under the component this tag names.
  tags: union(tags, { 'hidden-link:${appInsightsId}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: name
    Name: 'GET /api/health'
    Description: 'The app answers and reaches every container it reads and writes.'
    Enabled: true
    Kind: 'standard'
    Frequency: frequencySeconds
    Timeout: 30
    RetryEnabled: true
    Locations: [for id in testLocations: { Id: id }]
    Request: {
      RequestUrl: 'https://${appHostName}/api/health'
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      IgnoreHttpStatusCode: false
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: alertName
  location: 'global'
  tags: tags
  properties: {
    description: 'GET /api/health failed from more than one location: the app is down or cannot reach its storage (the response names the container).'
    severity: 1
    enabled: true
    scopes: [healthTest.id, appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: appInsightsId
      failedLocationCount: 2
    }
    actions: [
      {
        actionGroupId: actionGroupId
      }
    ]
  }
}

@description('Resource id of the availability test.')
output id string = healthTest.id
