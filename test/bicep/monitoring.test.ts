import { expect } from 'chai';
import {
  type Infra,
  type PredictedResource,
  type Snapshot,
  devVariant,
  get,
  loadInfra,
  ofType,
  one,
  requireBicep,
} from './infra.js';

const METRIC_ALERT = 'Microsoft.Insights/metricAlerts';
const LOG_ALERT = 'Microsoft.Insights/scheduledQueryRules';
const DIAGNOSTICS = 'Microsoft.Insights/diagnosticSettings';

/** The IMG_* app setting `name` of a snapshot's function app. */
function appSetting(snap: Snapshot, name: string): unknown {
  const app = one(snap, 'Microsoft.Web/sites');
  const settings = get(app, 'properties', 'siteConfig', 'appSettings') as {
    name: string;
    value: unknown;
  }[];
  return settings.find((setting) => setting.name === name)?.value;
}

/** The one static criterion of a metric alert. */
function criterion(alert: PredictedResource): unknown {
  const all = get(alert, 'properties', 'criteria', 'allOf') as unknown[];
  expect(all, alert.name).to.have.lengthOf(1);
  return all[0];
}

describe('bicep: monitoring and alerts', function () {
  let infra: Infra;
  let actionGroup: PredictedResource;
  let topic: PredictedResource;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
    actionGroup = one(infra.dev, 'Microsoft.Insights/actionGroups');
    topic = one(infra.dev, 'Microsoft.EventGrid/systemTopics');
  });

  it('uses workspace-based Application Insights that accepts only Entra ID-authenticated telemetry', function () {
    const workspace = one(infra.dev, 'Microsoft.OperationalInsights/workspaces');
    const appInsights = one(infra.dev, 'Microsoft.Insights/components');
    expect(appInsights.properties).to.include({
      WorkspaceResourceId: workspace.id,
      DisableLocalAuth: true,
      IngestionMode: 'LogAnalytics',
    });
    expect(get(workspace, 'properties', 'features', 'disableLocalAuth')).to.equal(true);
  });

  it('caps the workspace at 0.16 GB a day, under 5 GB in a 31-day month, Application Insights included', function () {
    const workspace = one(infra.dev, 'Microsoft.OperationalInsights/workspaces');
    const cap = get(workspace, 'properties', 'workspaceCapping', 'dailyQuotaGb');
    expect(cap).to.equal(0.16);
    expect((cap as number) * 31).to.be.below(5);
  });

  it('alerts on failed images from the never-sampled image metric, not from sampled requests', function () {
    const rule = one(infra.dev, LOG_ALERT, '-failed-images');
    const appInsights = one(infra.dev, 'Microsoft.Insights/components');
    expect(get(rule, 'properties', 'scopes')).to.deep.equal([appInsights.id]);
    // The metric and outcome names the telemetry module emits (docs/queries.kql).
    expect(criterion(rule)).to.deep.include({
      query:
        'customMetrics | where name == "serverless_img.images" | where tostring(customDimensions["serverless_img.outcome"]) in ("failed", "retried") | summarize images = sum(valueSum)',
      metricMeasureColumn: 'images',
      timeAggregation: 'Total',
      operator: 'GreaterThanOrEqual',
      threshold: 1,
    });
    expect(get(rule, 'properties', 'actions', 'actionGroups')).to.deep.equal([actionGroup.id]);
    expect(get(rule, 'properties', 'enabled')).to.equal(true);
  });

  it('alerts when the workspace reaches its daily cap, once a day at most', function () {
    const rule = one(infra.dev, LOG_ALERT, '-daily-cap');
    const workspace = one(infra.dev, 'Microsoft.OperationalInsights/workspaces');
    expect(get(rule, 'properties', 'scopes')).to.deep.equal([workspace.id]);
    expect(criterion(rule)).to.deep.include({
      query: '_LogOperation | where Category =~ "Ingestion" | where Detail contains "OverQuota"',
      timeAggregation: 'Count',
      operator: 'GreaterThan',
      threshold: 0,
    });
    expect(get(rule, 'properties', 'muteActionsDuration')).to.equal('P1D');
    expect(get(rule, 'properties', 'actions', 'actionGroups')).to.deep.equal([actionGroup.id]);
  });

  /** The system topic's alert ending in `suffix` (the completion topic's carry `-completions`). */
  const systemTopicAlert = (suffix: string): PredictedResource => {
    const found = ofType(infra.dev, METRIC_ALERT).filter(
      (alert) => alert.name.endsWith(suffix) && !alert.name.includes('-completions-'),
    );
    expect(found, suffix).to.have.lengthOf(1);
    return found[0]!;
  };

  for (const [metric, suffix] of [
    ['DeliveryAttemptFailCount', '-delivery-failures'],
    ['DroppedEventCount', '-dropped'],
  ] as const) {
    it(`alerts on any ${metric} of the completion topic under its own name`, function () {
      const completions = one(infra.dev, 'Microsoft.EventGrid/topics', '-done');
      const alert = one(infra.dev, METRIC_ALERT, `-completions${suffix}`);
      expect(get(alert, 'properties', 'scopes')).to.deep.equal([completions.id]);
      expect(criterion(alert)).to.deep.include({
        metricNamespace: 'Microsoft.EventGrid/topics',
        metricName: metric,
      });
    });
  }

  for (const [metric, suffix] of [
    ['DeadLetteredCount', '-dead-lettered'],
    ['DeliveryAttemptFailCount', '-delivery-failures'],
    ['DroppedEventCount', '-dropped'],
  ] as const) {
    it(`alerts on any ${metric} of the system topic`, function () {
      const alert = systemTopicAlert(suffix);
      expect(get(alert, 'properties', 'scopes')).to.deep.equal([topic.id]);
      expect(criterion(alert)).to.deep.include({
        metricNamespace: 'Microsoft.EventGrid/systemTopics',
        metricName: metric,
        operator: 'GreaterThan',
        threshold: 0,
        timeAggregation: 'Total',
      });
      expect(get(alert, 'properties', 'actions')).to.deep.equal([
        { actionGroupId: actionGroup.id },
      ]);
    });
  }

  it('keeps the dead-letter alert under the name earlier deployments gave it', function () {
    const alert = systemTopicAlert('-dead-lettered');
    expect(alert.name).to.match(/^ma-img-dev-[a-z0-9]{13}-dead-lettered$/);
  });

  it('sends the images blob writes and deletes, Event Grid delivery failures and the app logs to the workspace', function () {
    const workspace = one(infra.dev, 'Microsoft.OperationalInsights/workspaces');
    const app = one(infra.dev, 'Microsoft.Web/sites');
    const images = one(
      infra.dev,
      'Microsoft.Storage/storageAccounts',
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    );
    const byTarget = Object.fromEntries(
      ofType(infra.dev, DIAGNOSTICS).map((setting) => [
        setting.id.slice(0, setting.id.indexOf('/providers/Microsoft.Insights/')),
        setting,
      ]),
    );
    const categories = (target: string) =>
      (get(byTarget[target], 'properties', 'logs') as { category: string; enabled: boolean }[])
        .filter((log) => log.enabled)
        .map((log) => log.category);
    expect(Object.keys(byTarget)).to.have.members([
      `${images.id}/blobServices/default`,
      topic.id,
      app.id,
    ]);
    expect(categories(`${images.id}/blobServices/default`)).to.have.members([
      'StorageWrite',
      'StorageDelete',
    ]);
    expect(categories(topic.id)).to.deep.equal(['DeliveryFailures']);
    expect(categories(app.id)).to.deep.equal(['FunctionAppLogs']);
    for (const setting of Object.values(byTarget)) {
      expect(get(setting, 'properties', 'workspaceId')).to.equal(workspace.id);
    }
  });

  it('probes GET /api/health over HTTPS from several regions and alerts when two fail', function () {
    const test = one(infra.dev, 'Microsoft.Insights/webtests');
    const app = one(infra.dev, 'Microsoft.Web/sites');
    const appInsights = one(infra.dev, 'Microsoft.Insights/components');
    expect(test.kind).to.equal('standard');
    expect(test.tags).to.include({ [`hidden-link:${appInsights.id}`]: 'Resource' });
    expect(get(test, 'properties', 'Request', 'RequestUrl')).to.equal(
      `[format('https://{0}/api/health', reference('${app.id}', '${app.apiVersion}').defaultHostName)]`,
    );
    expect(get(test, 'properties', 'Request', 'HttpVerb')).to.equal('GET');
    expect(get(test, 'properties', 'ValidationRules', 'ExpectedHttpStatusCode')).to.equal(200);
    expect(get(test, 'properties', 'Locations') as unknown[]).to.have.length.at.least(2);
    const alert = one(infra.dev, METRIC_ALERT, '-health');
    expect(get(alert, 'properties', 'criteria')).to.deep.equal({
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
      webTestId: test.id,
      componentId: appInsights.id,
      failedLocationCount: 2,
    });
    expect(get(alert, 'properties', 'actions')).to.deep.equal([{ actionGroupId: actionGroup.id }]);
  });

  it('keeps every trace by default', function () {
    expect(appSetting(infra.dev, 'IMG_TRACE_SAMPLING_RATIO')).to.equal('1');
  });

  it('creates the action group without receivers in the dev environment when no alert email is given', function () {
    expect(get(actionGroup, 'properties', 'emailReceivers')).to.deep.equal([]);
    expect(String(get(actionGroup, 'properties', 'groupShortName'))).to.have.length.at.most(12);
  });

  it('creates no budget unless asked', function () {
    expect(ofType(infra.dev, 'Microsoft.Consumption/budgets')).to.deep.equal([]);
  });

  describe('with ALERT_EMAIL set', function () {
    let withEmail: Snapshot;

    before(function () {
      withEmail = devVariant('email', [], { ALERT_EMAIL: 'ops@example.com' });
    });

    it('emails the operator', function () {
      const group = one(withEmail, 'Microsoft.Insights/actionGroups');
      expect(get(group, 'properties', 'emailReceivers')).to.deep.equal([
        { name: 'operator', emailAddress: 'ops@example.com', useCommonAlertSchema: true },
      ]);
    });
  });

  describe('with cost parameters', function () {
    let costed: Snapshot;

    before(function () {
      costed = devVariant(
        'cost',
        [
          'param dailyCapMb = 1500',
          'param traceSamplingPercent = 5',
          'param budgetAmount = 20',
          "param budgetStartDate = '2030-01-01'",
          'param availabilityTest = false',
        ],
        { ALERT_EMAIL: 'ops@example.com' },
      );
    });

    it('passes the sampling percentage to the app as a ratio its loader accepts', function () {
      expect(appSetting(costed, 'IMG_TRACE_SAMPLING_RATIO')).to.equal('0.05');
    });

    it('sets the daily cap from the parameter, in GB', function () {
      const workspace = one(costed, 'Microsoft.OperationalInsights/workspaces');
      expect(get(workspace, 'properties', 'workspaceCapping', 'dailyQuotaGb')).to.equal(1.5);
    });

    it('creates a monthly budget on the resource group that emails the alert address', function () {
      const budget = one(costed, 'Microsoft.Consumption/budgets');
      expect(budget.id).to.match(/\/resourceGroups\/rg-serverless-img-dev\/providers\//);
      expect(get(budget, 'properties')).to.deep.include({
        category: 'Cost',
        amount: 20,
        timeGrain: 'Monthly',
        timePeriod: { startDate: '2030-01-01' },
      });
      const notifications = Object.values(
        get(budget, 'properties', 'notifications') as Record<string, unknown>,
      );
      expect(notifications).to.have.length.at.least(1);
      for (const notification of notifications) {
        expect(get(notification, 'contactEmails')).to.deep.equal(['ops@example.com']);
      }
    });

    it('leaves the availability test out when turned off', function () {
      expect(ofType(costed, 'Microsoft.Insights/webtests')).to.deep.equal([]);
      expect(ofType(costed, METRIC_ALERT).map((alert) => alert.name)).to.not.include.members(
        ofType(infra.dev, METRIC_ALERT)
          .filter((alert) => alert.name.endsWith('-health'))
          .map((alert) => alert.name),
      );
    });
  });
});
