import { expect } from 'chai';
import { join } from 'node:path';
import { BICEP_DIR, type Snapshot, snapshot } from '../../scripts/bicep-cli.js';
import { type Infra, get, loadInfra, one, requireBicep } from './infra.js';

describe('bicep: monitoring and alerts', function () {
  let infra: Infra;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
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

  it('alerts on failed images from Application Insights', function () {
    const rule = one(infra.dev, 'Microsoft.Insights/scheduledQueryRules');
    const appInsights = one(infra.dev, 'Microsoft.Insights/components');
    const actionGroup = one(infra.dev, 'Microsoft.Insights/actionGroups');
    expect(get(rule, 'properties', 'scopes')).to.deep.equal([appInsights.id]);
    // The span name and result the telemetry module emits for every image (README, Observability).
    expect(get(rule, 'properties', 'criteria', 'allOf', 0, 'query')).to.equal(
      'requests | where name == "process image" and success == false',
    );
    expect(get(rule, 'properties', 'criteria', 'allOf', 0)).to.include({
      timeAggregation: 'Count',
      operator: 'GreaterThanOrEqual',
      threshold: 1,
    });
    expect(get(rule, 'properties', 'actions', 'actionGroups')).to.deep.equal([actionGroup.id]);
    expect(get(rule, 'properties', 'enabled')).to.equal(true);
  });

  it("alerts on any dead-lettered event from the system topic's metrics", function () {
    const alert = one(infra.dev, 'Microsoft.Insights/metricAlerts');
    const topic = one(infra.dev, 'Microsoft.EventGrid/systemTopics');
    const actionGroup = one(infra.dev, 'Microsoft.Insights/actionGroups');
    expect(get(alert, 'properties', 'scopes')).to.deep.equal([topic.id]);
    expect(get(alert, 'properties', 'criteria', 'allOf', 0)).to.include({
      metricNamespace: 'Microsoft.EventGrid/systemTopics',
      metricName: 'DeadLetteredCount',
      operator: 'GreaterThan',
      threshold: 0,
      timeAggregation: 'Total',
    });
    expect(get(alert, 'properties', 'actions')).to.deep.equal([{ actionGroupId: actionGroup.id }]);
  });

  it('creates the action group without receivers when no alert email is given', function () {
    const actionGroup = one(infra.dev, 'Microsoft.Insights/actionGroups');
    expect(get(actionGroup, 'properties', 'emailReceivers')).to.deep.equal([]);
    expect(String(get(actionGroup, 'properties', 'groupShortName'))).to.have.length.at.most(12);
  });

  describe('with ALERT_EMAIL set', function () {
    let withEmail: Snapshot;

    before(function () {
      withEmail = snapshot(join(BICEP_DIR, 'main.dev.bicepparam'), {
        variant: 'email',
        env: { ALERT_EMAIL: 'ops@example.com' },
      });
    });

    it('emails the operator', function () {
      const actionGroup = one(withEmail, 'Microsoft.Insights/actionGroups');
      expect(get(actionGroup, 'properties', 'emailReceivers')).to.deep.equal([
        { name: 'operator', emailAddress: 'ops@example.com', useCommonAlertSchema: true },
      ]);
    });
  });
});
