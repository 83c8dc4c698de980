import { expect } from 'chai';
import {
  type Infra,
  type Snapshot,
  devVariant,
  get,
  inPublicCloud,
  loadInfra,
  ofType,
  one,
  requireBicep,
} from './infra.js';

const ACCOUNT = 'Microsoft.Storage/storageAccounts';
const CONTAINER = 'Microsoft.Storage/storageAccounts/blobServices/containers';

describe('bicep: storage accounts', function () {
  let infra: Infra;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
  });

  it('creates exactly two accounts: one for the Functions host, one for the images', function () {
    const names = ofType(infra.dev, ACCOUNT).map((account) => account.name);
    expect(names).to.have.members([
      infra.outputs.HOST_STORAGE_ACCOUNT,
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    ]);
    expect(infra.outputs.HOST_STORAGE_ACCOUNT).to.not.equal(infra.outputs.IMAGES_STORAGE_ACCOUNT);
  });

  it('hardens both accounts alike: Entra ID only, no anonymous access, TLS 1.2, HTTPS only', function () {
    for (const account of ofType(infra.dev, ACCOUNT)) {
      expect(account.kind, account.name).to.equal('StorageV2');
      expect(account.properties, account.name).to.include({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
        allowCrossTenantReplication: false,
        defaultToOAuthAuthentication: true,
        isHnsEnabled: false,
      });
    }
  });

  it('encrypts both accounts at the infrastructure layer too (settable only at creation)', function () {
    for (const account of ofType(infra.dev, ACCOUNT)) {
      expect(get(account, 'properties', 'encryption', 'requireInfrastructureEncryption')).to.equal(
        true,
      );
    }
  });

  it('deletes dead-letter records after 30 days and claims left by dead instances after a day, nothing else', function () {
    const policies = ofType(infra.dev, 'Microsoft.Storage/storageAccounts/managementPolicies');
    expect(policies.map((policy) => policy.name)).to.deep.equal([
      `${infra.outputs.IMAGES_STORAGE_ACCOUNT}/default`,
    ]);
    expect(get(policies[0], 'properties', 'policy', 'rules')).to.deep.equal([
      {
        name: 'expire-claims',
        enabled: true,
        type: 'Lifecycle',
        definition: {
          filters: { blobTypes: ['blockBlob', 'appendBlob'], prefixMatch: ['claims/'] },
          actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 1 } } },
        },
      },
      {
        name: 'expire-deadletter',
        enabled: true,
        type: 'Lifecycle',
        definition: {
          filters: { blobTypes: ['blockBlob', 'appendBlob'], prefixMatch: ['deadletter/'] },
          actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 30 } } },
        },
      },
    ]);
  });

  it('leaves Defender for Storage to the subscription unless malware scanning is asked for', function () {
    expect(ofType(infra.dev, 'Microsoft.Security/defenderForStorageSettings')).to.deep.equal([]);
  });

  it('keeps the images account locally redundant by default', function () {
    const images = one(infra.dev, ACCOUNT, infra.outputs.IMAGES_STORAGE_ACCOUNT);
    expect(images.sku).to.deep.equal({ name: 'Standard_LRS' });
  });

  it('puts the six pipeline containers on the images account and the package on the host account', function () {
    const containers = ofType(infra.dev, CONTAINER).map((container) => container.name);
    const images = infra.outputs.IMAGES_STORAGE_ACCOUNT;
    expect(containers).to.have.members([
      `${images}/default/input`,
      `${images}/default/output`,
      `${images}/default/thumbnails`,
      `${images}/default/metadata`,
      `${images}/default/claims`,
      `${images}/default/deadletter`,
      `${infra.outputs.HOST_STORAGE_ACCOUNT}/default/deployment-package`,
    ]);
  });

  it('makes every container private', function () {
    for (const container of ofType(infra.dev, CONTAINER)) {
      expect(get(container, 'properties', 'publicAccess'), container.name).to.equal('None');
    }
  });

  it('accepts public network traffic by default but still lets trusted Azure services through', function () {
    for (const account of ofType(infra.dev, ACCOUNT)) {
      expect(get(account, 'properties', 'publicNetworkAccess')).to.equal('Enabled');
      expect(get(account, 'properties', 'networkAcls')).to.deep.equal({
        bypass: 'AzureServices',
        defaultAction: 'Allow',
        ipRules: [],
        virtualNetworkRules: [],
      });
    }
  });

  it('creates no virtual network or private endpoint unless asked', function () {
    const networking = infra.dev.predictedResources.filter((resource) =>
      resource.type.startsWith('Microsoft.Network/'),
    );
    expect(networking).to.deep.equal([]);
  });
});

describe('bicep: storage options', function () {
  let options: Snapshot;

  before(function () {
    requireBicep(this);
    options = devVariant('storage-options', [
      'param malwareScanning = true',
      'param deadLetterRetentionDays = 0',
      'param infrastructureEncryption = false',
    ]);
  });

  it('scans uploads to the images account for malware on request, with a monthly cap', function () {
    const settings = ofType(options, 'Microsoft.Security/defenderForStorageSettings');
    expect(settings).to.have.lengthOf(1);
    const images = one(options, ACCOUNT, String(options.outputs['IMAGES_STORAGE_ACCOUNT']));
    expect(settings[0]!.id).to.equal(
      `${images.id}/providers/Microsoft.Security/defenderForStorageSettings/current`,
    );
    expect(get(settings[0], 'properties', 'malwareScanning', 'onUpload')).to.deep.include({
      isEnabled: true,
    });
    expect(get(settings[0], 'properties', 'malwareScanning', 'onUpload', 'capGBPerMonth')).to.be.a(
      'number',
    );
    expect(get(settings[0], 'properties', 'overrideSubscriptionLevelSettings')).to.equal(true);
  });

  it('keeps dead-letter records when their retention is 0 (and still expires stale claims)', function () {
    const policies = ofType(options, 'Microsoft.Storage/storageAccounts/managementPolicies');
    const rules = get(policies[0], 'properties', 'policy', 'rules') as { name: string }[];
    expect(rules.map((rule) => rule.name)).to.deep.equal(['expire-claims']);
  });

  it('lets accounts created without infrastructure encryption keep it off', function () {
    for (const account of ofType(options, ACCOUNT)) {
      expect(get(account, 'properties', 'encryption', 'requireInfrastructureEncryption')).to.equal(
        false,
      );
    }
  });
});

describe('bicep: private networking variant', function () {
  let private_: Snapshot;

  before(function () {
    requireBicep(this);
    private_ = devVariant('private', [
      'param enablePrivateEndpoints = true',
      "param publicNetworkAccess = 'Disabled'",
    ]);
  });

  it('denies public networks to both accounts when publicNetworkAccess is Disabled, trusted Azure services excepted', function () {
    const accounts = ofType(private_, ACCOUNT);
    expect(accounts).to.have.lengthOf(2);
    for (const account of accounts) {
      // A fully disabled endpoint would ignore the bypass that Event Grid's dead-lettering needs.
      expect(get(account, 'properties', 'publicNetworkAccess')).to.equal('Enabled');
      expect(get(account, 'properties', 'networkAcls')).to.deep.equal({
        bypass: 'AzureServices',
        defaultAction: 'Deny',
        ipRules: [],
        virtualNetworkRules: [],
      });
    }
  });

  it('gives the images account a blob endpoint and the host account blob, queue and table endpoints', function () {
    const endpoints = ofType(private_, 'Microsoft.Network/privateEndpoints').map((endpoint) => {
      const connection = get(
        endpoint,
        'properties',
        'privateLinkServiceConnections',
        0,
        'properties',
      );
      const target = String(get(connection, 'privateLinkServiceId'));
      return `${target.slice(target.lastIndexOf('/') + 1)}:${String(get(connection, 'groupIds', 0))}`;
    });
    const host = private_.outputs['HOST_STORAGE_ACCOUNT'];
    const images = private_.outputs['IMAGES_STORAGE_ACCOUNT'];
    expect(endpoints).to.have.members([
      `${images}:blob`,
      `${host}:blob`,
      `${host}:queue`,
      `${host}:table`,
    ]);
  });

  it('registers each endpoint in the private DNS zone of its service', function () {
    const zones = ofType(private_, 'Microsoft.Network/privateDnsZones').map((zone) =>
      inPublicCloud(zone.name),
    );
    expect(zones).to.have.members([
      'privatelink.blob.core.windows.net',
      'privatelink.queue.core.windows.net',
      'privatelink.table.core.windows.net',
    ]);
    const groups = ofType(private_, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups');
    expect(groups).to.have.lengthOf(4);
    for (const group of groups) {
      const config = get(group, 'properties', 'privateDnsZoneConfigs', 0);
      const service = String(get(config, 'name'));
      // The zone id is still an ARM expression: resourceId(…, 'Microsoft.Network/privateDnsZones', <zone name>).
      const zoneId = String(get(config, 'properties', 'privateDnsZoneId'));
      const zoneName = /'Microsoft\.Network\/privateDnsZones', (format\(.*\))\)\]$/.exec(
        zoneId,
      )?.[1];
      expect(zoneName, zoneId).to.be.a('string');
      expect(inPublicCloud(`[${zoneName}]`)).to.equal(`privatelink.${service}.core.windows.net`);
    }
  });

  it('puts a network security group on every subnet', function () {
    const vnet = one(private_, 'Microsoft.Network/virtualNetworks');
    const nsgs = ofType(private_, 'Microsoft.Network/networkSecurityGroups').map((nsg) => nsg.id);
    const subnets = get(vnet, 'properties', 'subnets') as { name: string; properties: unknown }[];
    expect(subnets).to.have.lengthOf(2);
    for (const subnet of subnets) {
      const nsg = String(get(subnet, 'properties', 'networkSecurityGroup', 'id'));
      expect(nsgs, subnet.name).to.include(nsg);
    }
    expect(
      new Set(subnets.map((s) => get(s, 'properties', 'networkSecurityGroup', 'id'))).size,
    ).to.equal(2);
  });

  it('routes the function app through the subnet delegated to Flex Consumption', function () {
    const app = one(private_, 'Microsoft.Web/sites');
    const subnetId = String(get(app, 'properties', 'virtualNetworkSubnetId'));
    const vnet = one(private_, 'Microsoft.Network/virtualNetworks');
    const subnets = get(vnet, 'properties', 'subnets') as { name: string; properties: unknown }[];
    const appSubnet = subnets.find((subnet) => subnetId.endsWith(`/subnets/${subnet.name}`));
    expect(appSubnet, subnetId).to.not.equal(undefined);
    expect(get(appSubnet, 'properties', 'delegations', 0, 'properties', 'serviceName')).to.equal(
      'Microsoft.App/environments',
    );
  });
});

describe('bicep: private networking with existing DNS zones', function () {
  const hub = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-hub-dns';
  let withHub: Snapshot;

  before(function () {
    requireBicep(this);
    withHub = devVariant('hub-dns', [
      'param enablePrivateEndpoints = true',
      "param publicNetworkAccess = 'Disabled'",
      `param privateDnsZonesResourceGroupId = '${hub}'`,
    ]);
  });

  it('creates no DNS zone or link of its own', function () {
    expect(ofType(withHub, 'Microsoft.Network/privateDnsZones')).to.deep.equal([]);
    expect(ofType(withHub, 'Microsoft.Network/privateDnsZones/virtualNetworkLinks')).to.deep.equal(
      [],
    );
  });

  it("registers every endpoint in the existing zone of its service, in the other resource group's subscription", function () {
    const groups = ofType(withHub, 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups');
    expect(groups).to.have.lengthOf(4);
    for (const group of groups) {
      const config = get(group, 'properties', 'privateDnsZoneConfigs', 0);
      const service = String(get(config, 'name'));
      // Still an ARM expression: resourceId(<subscription>, <group>, <type>, <zone name>).
      const zoneId = String(get(config, 'properties', 'privateDnsZoneId'));
      const parts =
        /^\[resourceId\('([^']+)', '([^']+)', 'Microsoft\.Network\/privateDnsZones', (format\(.*\))\)\]$/.exec(
          zoneId,
        );
      expect(parts, zoneId).to.not.equal(null);
      expect(`/subscriptions/${parts![1]}/resourceGroups/${parts![2]}`).to.equal(hub);
      expect(inPublicCloud(`[${parts![3]}]`)).to.equal(`privatelink.${service}.core.windows.net`);
    }
  });
});
