import { expect } from 'chai';
import {
  type Infra,
  type PredictedResource,
  get,
  loadInfra,
  ofType,
  one,
  requireBicep,
} from './infra.js';

describe('bicep: Event Grid', function () {
  let infra: Infra;
  let topic: PredictedResource;
  let subscription: PredictedResource;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
    topic = one(infra.dev, 'Microsoft.EventGrid/systemTopics');
    subscription = one(infra.subscription, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  });

  it("publishes the images account's events through a system topic with its own identity", function () {
    const images = one(
      infra.dev,
      'Microsoft.Storage/storageAccounts',
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    );
    expect(topic.properties).to.deep.equal({
      source: images.id,
      topicType: 'Microsoft.Storage.StorageAccounts',
    });
    expect(topic.identity).to.deep.equal({ type: 'SystemAssigned' });
  });

  it('leaves the subscription out of the infrastructure step (the function must exist first)', function () {
    expect(ofType(infra.dev, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')).to.deep.equal(
      [],
    );
  });

  it('subscribes on the topic the infrastructure step created', function () {
    expect(subscription.id.startsWith(`${topic.id}/eventSubscriptions/`), subscription.id).to.equal(
      true,
    );
  });

  it('delivers to the processImage function through the AzureFunction endpoint, one event at a time', function () {
    const app = one(infra.dev, 'Microsoft.Web/sites');
    expect(get(subscription, 'properties', 'destination')).to.deep.equal({
      endpointType: 'AzureFunction',
      properties: {
        resourceId: `${app.id}/functions/processImage`,
        maxEventsPerBatch: 1,
        preferredBatchSizeInKilobytes: 64,
      },
    });
    expect(get(subscription, 'properties', 'eventDeliverySchema')).to.equal('EventGridSchema');
  });

  it('passes on only blob creations and deletions', function () {
    expect(get(subscription, 'properties', 'filter', 'includedEventTypes')).to.have.ordered.members(
      ['Microsoft.Storage.BlobCreated', 'Microsoft.Storage.BlobDeleted'],
    );
  });

  it('filters on the input container with a subject that matches its blobs and nothing else', function () {
    const prefix = String(get(subscription, 'properties', 'filter', 'subjectBeginsWith'));
    expect(prefix).to.equal('/blobServices/default/containers/input/blobs/');
    // Subjects exactly as Storage emits them (see DESIGN.md).
    const subject = (container: string, blob: string) =>
      `/blobServices/default/containers/${container}/blobs/${blob}`;
    const passes = (candidate: string) => candidate.toLowerCase().startsWith(prefix.toLowerCase());
    expect(passes(subject('input', 'photos/cat.jpg'))).to.equal(true);
    expect(passes(subject('input-archive', 'cat.jpg'))).to.equal(false);
    expect(passes(subject('output', 'cat.jpg'))).to.equal(false);
    expect(passes(subject('thumbnails', 'input/cat.jpg'))).to.equal(false);
    expect(get(subscription, 'properties', 'filter', 'subjectEndsWith')).to.equal(undefined);
  });

  it('retries a bounded number of times within a day before giving up', function () {
    expect(get(subscription, 'properties', 'retryPolicy')).to.deep.equal({
      maxDeliveryAttempts: 10,
      eventTimeToLiveInMinutes: 1440,
    });
  });

  it("dead-letters to the deadletter container with the topic's managed identity, not a key", function () {
    const images = one(
      infra.dev,
      'Microsoft.Storage/storageAccounts',
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    );
    expect(get(subscription, 'properties', 'deadLetterWithResourceIdentity')).to.deep.equal({
      identity: { type: 'SystemAssigned' },
      deadLetterDestination: {
        endpointType: 'StorageBlob',
        properties: { resourceId: images.id, blobContainerName: 'deadletter' },
      },
    });
    expect(get(subscription, 'properties', 'deadLetterDestination')).to.equal(undefined);
  });

  it('dead-letters into a container the topic identity is allowed to write', function () {
    const writer = ofType(infra.dev, 'Microsoft.Authorization/roleAssignments').filter(
      (assignment) =>
        String(assignment.properties?.['principalId']).startsWith(`[reference('${topic.id}'`),
    );
    expect(writer).to.have.lengthOf(1);
    const images = one(
      infra.dev,
      'Microsoft.Storage/storageAccounts',
      infra.outputs.IMAGES_STORAGE_ACCOUNT,
    );
    expect(
      writer[0]!.id.startsWith(
        `${images.id}/blobServices/default/containers/deadletter/providers/`,
      ),
    ).to.equal(true);
  });

  it('creates the completion topic for CloudEvents with Entra ID auth only, its endpoint an output', function () {
    const completions = one(infra.dev, 'Microsoft.EventGrid/topics', '-done');
    expect(completions.name).to.equal(infra.outputs.EVENTS_TOPIC_NAME);
    expect(completions.properties).to.deep.include({
      inputSchema: 'CloudEventSchemaV1_0',
      disableLocalAuth: true,
    });
    expect(String(infra.outputs.EVENTS_TOPIC_ENDPOINT)).to.contain(
      `/Microsoft.EventGrid/topics/${infra.outputs.EVENTS_TOPIC_NAME}`,
    );
  });
});
