import { expect } from 'chai';
import {
  type Infra,
  type PredictedResource,
  ROLE,
  devVariant,
  loadInfra,
  ofType,
  one,
  requireBicep,
  roleOf,
  scopeOf,
} from './infra.js';

type Principal = 'app' | 'topic' | 'backfill-topic' | 'uploader';

/** Who a role assignment is for, recognised from the principalId expression. */
function principalOf(infra: Infra, assignment: PredictedResource): Principal {
  const principalId = String(assignment.properties?.['principalId']);
  const identity = one(infra.dev, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  const topic = one(infra.dev, 'Microsoft.EventGrid/systemTopics');
  const backfill = one(infra.dev, 'Microsoft.EventGrid/topics', '-backfill');
  if (principalId === `[reference('${identity.id}', '${identity.apiVersion}').principalId]`)
    return 'app';
  if (
    principalId === `[reference('${topic.id}', '${topic.apiVersion}', 'full').identity.principalId]`
  ) {
    return 'topic';
  }
  if (
    principalId ===
    `[reference('${backfill.id}', '${backfill.apiVersion}', 'full').identity.principalId]`
  ) {
    return 'backfill-topic';
  }
  // The uploader when none is named: whoever deploys.
  if (principalId === '[coalesce(null(), deployer().objectId)]') return 'uploader';
  throw new Error(`Unexpected principal ${principalId}`);
}

describe('bicep: role assignments', function () {
  let infra: Infra;
  let grants: { principal: Principal; role: string; scope: string; principalType: unknown }[];
  let rg: string;
  let host: string;
  let images: string;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
    grants = ofType(infra.dev, 'Microsoft.Authorization/roleAssignments').map((assignment) => ({
      principal: principalOf(infra, assignment),
      role: roleOf(assignment),
      scope: scopeOf(assignment),
      principalType: assignment.properties?.['principalType'],
    }));
    rg = one(
      infra.dev,
      'Microsoft.Storage/storageAccounts',
      infra.outputs.HOST_STORAGE_ACCOUNT,
    ).id.replace(/\/providers\/.*$/, '');
    host = `${rg}/providers/Microsoft.Storage/storageAccounts/${infra.outputs.HOST_STORAGE_ACCOUNT}`;
    images = `${rg}/providers/Microsoft.Storage/storageAccounts/${infra.outputs.IMAGES_STORAGE_ACCOUNT}`;
  });

  const container = (name: string): string => `${images}/blobServices/default/containers/${name}`;
  const grant = (principal: Principal, role: string, scope: string) => ({ principal, role, scope });

  it('grants exactly the documented roles at exactly the documented scopes', function () {
    const appInsights = one(infra.dev, 'Microsoft.Insights/components').id;
    expect(
      grants.map(({ principal, role, scope }) => ({ principal, role, scope })),
    ).to.have.deep.members([
      grant('app', ROLE.blobDataOwner, host),
      grant('app', ROLE.tableDataContributor, host),
      grant('app', ROLE.blobDataReader, container('input')),
      grant(
        'app',
        ROLE.eventGridDataSender,
        `${rg}/providers/Microsoft.EventGrid/topics/${infra.outputs.EVENTS_TOPIC_NAME}`,
      ),
      grant('app', ROLE.blobDataContributor, container('output')),
      grant('app', ROLE.blobDataContributor, container('thumbnails')),
      grant('app', ROLE.blobDataContributor, container('metadata')),
      grant('app', ROLE.blobDataContributor, container('claims')),
      grant('app', ROLE.monitoringMetricsPublisher, appInsights),
      grant('topic', ROLE.blobDataContributor, container('deadletter')),
      grant('backfill-topic', ROLE.blobDataContributor, container('deadletter')),
      grant(
        'uploader',
        ROLE.eventGridDataSender,
        `${rg}/providers/Microsoft.EventGrid/topics/${infra.outputs.BACKFILL_TOPIC_NAME}`,
      ),
      grant('uploader', ROLE.blobDataContributor, container('input')),
      grant('uploader', ROLE.blobDataReader, container('output')),
      grant('uploader', ROLE.blobDataReader, container('thumbnails')),
      grant('uploader', ROLE.blobDataReader, container('metadata')),
      grant('uploader', ROLE.blobDataReader, container('deadletter')),
    ]);
  });

  it("grants no queue role: neither trigger of the app uses the host's queues", function () {
    expect(grants.filter((g) => g.role === ROLE.queueDataContributor)).to.deep.equal([]);
  });

  it('never grants anything on the images account as a whole, the resource group or the subscription', function () {
    for (const { scope } of grants) {
      expect(scope).to.not.equal(images);
      expect(scope).to.not.equal(rg);
      expect(scope).to.match(/\/providers\//);
    }
  });

  it('lets the pipeline only read the uploads, never change them', function () {
    const onInput = grants.filter((g) => g.principal === 'app' && g.scope === container('input'));
    expect(onInput.map((g) => g.role)).to.deep.equal([ROLE.blobDataReader]);
  });

  it('gives the pipeline no access to the dead letters, and the topic nothing but them', function () {
    expect(
      grants.filter((g) => g.principal === 'app' && g.scope === container('deadletter')),
    ).to.deep.equal([]);
    expect(grants.filter((g) => g.principal === 'topic').map((g) => g.scope)).to.deep.equal([
      container('deadletter'),
    ]);
  });

  it('declares the managed identities as service principals and the uploader as a user by default', function () {
    for (const g of grants) {
      expect(g.principalType, `${g.principal} ${g.role}`).to.equal(
        g.principal === 'uploader' ? 'User' : 'ServicePrincipal',
      );
    }
  });

  it('names each assignment deterministically, so redeploying updates instead of duplicating', function () {
    const names = ofType(infra.dev, 'Microsoft.Authorization/roleAssignments')
      .filter((assignment) => principalOf(infra, assignment) !== 'uploader')
      .map((assignment) => assignment.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const name of names)
      expect(name).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('justifies every assignment in its description', function () {
    for (const assignment of ofType(infra.dev, 'Microsoft.Authorization/roleAssignments')) {
      expect(String(assignment.properties?.['description'])).to.have.length.above(10);
    }
  });

  it('creates a container for each rendition, with the app writing it and the uploader reading it', function () {
    const three = devVariant('renditions', [
      `param renditions = [
  { container: 'output', width: 800, height: 600, fit: 'inside', format: 'auto', quality: 82 }
  { container: 'thumbnails', width: 150, height: 150, fit: 'cover', format: 'auto', quality: 82 }
  { container: 'large', width: 1600, height: 1200, fit: 'inside', format: 'webp', quality: 80 }
]`,
    ]);
    const containers = ofType(three, 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers.map((c) => c.id)).to.include(container('large'));
    const roles = ofType(three, 'Microsoft.Authorization/roleAssignments').filter(
      (assignment) => scopeOf(assignment) === container('large'),
    );
    expect(roles.map(roleOf)).to.have.members([ROLE.blobDataContributor, ROLE.blobDataReader]);
    const app = one(three, 'Microsoft.Web/sites');
    const settings = Object.fromEntries(
      (
        (app.properties?.['siteConfig'] as { appSettings?: { name: string; value: unknown }[] })
          ?.appSettings ?? []
      ).map((s) => [s.name, s.value]),
    );
    const listed = JSON.parse(String(settings['IMG_RENDITIONS'])) as { container: string }[];
    expect(listed.map((r) => r.container)).to.deep.equal(['output', 'thumbnails', 'large']);
  });
});
