import { expect } from 'chai';
import { join } from 'node:path';
import { BICEP_DIR, type Snapshot, snapshot } from '../../scripts/bicep-cli.js';
import { ROLE, get, ofType, requireBicep, roleOf } from './infra.js';

/**
 * What azd's parameters file (main.bicepparam) deploys for an azd environment: every variable
 * it reads is given, so the machine's own environment cannot leak in.
 */
function azdSnapshot(variant: string, env: Record<string, string>): Snapshot {
  return snapshot(join(BICEP_DIR, 'main.bicepparam'), {
    variant: `azd-${variant}`,
    env: {
      AZURE_ENV_NAME: 'dev',
      AZURE_LOCATION: 'swedencentral',
      ALERT_EMAIL: '',
      // Unset in the azd environment (a pipeline passes unset repository variables as '').
      ENABLE_PRIVATE_ENDPOINTS: '',
      PUBLIC_NETWORK_ACCESS: '',
      PRIVATE_DNS_ZONES_RESOURCE_GROUP_ID: '',
      UPLOADER_PRINCIPAL_ID: '',
      AZURE_PRINCIPAL_TYPE: '',
      DAILY_CAP_MB: '',
      TRACE_SAMPLING_PERCENT: '',
      BUDGET_AMOUNT: '',
      BUDGET_START_DATE: '',
      DEAD_LETTER_RETENTION_DAYS: '',
      MALWARE_SCANNING: '',
      MIN_TLS_VERSION: '',
      INFRASTRUCTURE_ENCRYPTION: '',
      ...env,
    },
  });
}

/** Role assignments whose principal is not a managed identity of the deployment. */
function uploaderGrants(snap: Snapshot) {
  return ofType(snap, 'Microsoft.Authorization/roleAssignments').filter(
    (assignment) => !String(assignment.properties?.['principalId']).startsWith('[reference('),
  );
}

describe('bicep: azd parameters (main.bicepparam)', function () {
  before(function () {
    requireBicep(this);
  });

  it('grants the deploying person the uploader roles as a User when nothing else is set', function () {
    const snap = azdSnapshot('person', {});
    const workspace = ofType(snap, 'Microsoft.OperationalInsights/workspaces')[0];
    expect(get(workspace, 'properties', 'workspaceCapping', 'dailyQuotaGb')).to.equal(0.16);
    const grants = uploaderGrants(snap);
    expect(grants).to.have.lengthOf(6);
    for (const grant of grants) {
      expect(get(grant, 'properties', 'principalId')).to.equal(
        '[coalesce(null(), deployer().objectId)]',
      );
      expect(get(grant, 'properties', 'principalType')).to.equal('User');
    }
  });

  it('declares a pipeline deployer as a ServicePrincipal when AZURE_PRINCIPAL_TYPE says so', function () {
    const grants = uploaderGrants(
      azdSnapshot('pipeline', {
        AZURE_ENV_NAME: 'prod',
        ALERT_EMAIL: 'ops@example.com',
        AZURE_PRINCIPAL_TYPE: 'ServicePrincipal',
      }),
    );
    expect(grants).to.have.lengthOf(6);
    for (const grant of grants) {
      expect(get(grant, 'properties', 'principalType')).to.equal('ServicePrincipal');
    }
  });

  it('grants a named uploader, and nobody with UPLOADER_PRINCIPAL_ID=none', function () {
    const group = '22222222-3333-4444-5555-666666666666';
    const named = uploaderGrants(
      azdSnapshot('group', { UPLOADER_PRINCIPAL_ID: group, AZURE_PRINCIPAL_TYPE: 'Group' }),
    );
    expect(named.map((grant) => get(grant, 'properties', 'principalId'))).to.deep.equal(
      Array(6).fill(group),
    );
    expect(named.map(roleOf)).to.include(ROLE.blobDataContributor);
    expect(uploaderGrants(azdSnapshot('nobody', { UPLOADER_PRINCIPAL_ID: 'none' }))).to.deep.equal(
      [],
    );
  });

  it('refuses an environment other than dev without an alert receiver, and says how to give one', function () {
    expect(() => azdSnapshot('prod-no-email', { AZURE_ENV_NAME: 'prod' })).to.throw(
      /No alert receiver: set alertEmail \(with azd: azd env set ALERT_EMAIL/,
    );
  });

  it('deploys an environment other than dev that names its receiver', function () {
    const prod = azdSnapshot('prod', { AZURE_ENV_NAME: 'prod', ALERT_EMAIL: 'ops@example.com' });
    const group = ofType(prod, 'Microsoft.Insights/actionGroups')[0];
    expect(get(group, 'properties', 'emailReceivers', 0, 'emailAddress')).to.equal(
      'ops@example.com',
    );
  });

  it('refuses a budget without a fixed start date, which Azure cannot change later', function () {
    expect(() =>
      azdSnapshot('budget-no-date', { ALERT_EMAIL: 'ops@example.com', BUDGET_AMOUNT: '25' }),
    ).to.throw(/A budget needs alertEmail and budgetStartDate/);
    const budgeted = azdSnapshot('budget', {
      ALERT_EMAIL: 'ops@example.com',
      BUDGET_AMOUNT: '25',
      BUDGET_START_DATE: '2030-01-01',
    });
    expect(ofType(budgeted, 'Microsoft.Consumption/budgets')).to.have.lengthOf(1);
  });

  it('reads the cost settings from the azd environment', function () {
    const snap = azdSnapshot('cost', { DAILY_CAP_MB: '0', TRACE_SAMPLING_PERCENT: '25' });
    const workspace = ofType(snap, 'Microsoft.OperationalInsights/workspaces')[0];
    expect(get(workspace, 'properties', 'workspaceCapping', 'dailyQuotaGb')).to.equal(-1);
    const settings = get(
      ofType(snap, 'Microsoft.Web/sites')[0],
      'properties',
      'siteConfig',
      'appSettings',
    ) as { name: string; value: unknown }[];
    expect(settings.find((s) => s.name === 'IMG_TRACE_SAMPLING_RATIO')?.value).to.equal('0.25');
  });
});
