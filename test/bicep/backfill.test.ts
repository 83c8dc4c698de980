import { expect } from 'chai';
import {
  type Infra,
  type PredictedResource,
  ROLE,
  get,
  loadInfra,
  one,
  ofType,
  requireBicep,
  roleOf,
  scopeOf,
} from './infra.js';

describe('bicep: backfill topic and its subscription', function () {
  let infra: Infra;
  let topic: PredictedResource;
  let backfill: PredictedResource;
  let storage: PredictedResource;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
    topic = one(infra.dev, 'Microsoft.EventGrid/topics', '-backfill');
    backfill = one(infra.subscription, 'Microsoft.EventGrid/topics/eventSubscriptions');
    storage = one(infra.subscription, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
  });

  it('creates the backfill topic for CloudEvents with Entra ID auth only and an identity of its own, both endpoints outputs', function () {
    expect(topic.name).to.equal(infra.outputs.BACKFILL_TOPIC_NAME);
    expect(topic.properties).to.deep.include({
      inputSchema: 'CloudEventSchemaV1_0',
      disableLocalAuth: true,
    });
    expect(topic.identity).to.deep.equal({ type: 'SystemAssigned' });
    expect(String(infra.outputs.BACKFILL_TOPIC_ENDPOINT)).to.contain(
      `/Microsoft.EventGrid/topics/${infra.outputs.BACKFILL_TOPIC_NAME}`,
    );
    expect(infra.outputs.EVENTS_TOPIC_NAME).to.not.equal(infra.outputs.BACKFILL_TOPIC_NAME);
  });

  it('subscribes processImage to it with the same endpoint, subject filter, retries and dead-letter as blob events', function () {
    expect(backfill.id.startsWith(`${topic.id}/eventSubscriptions/`), backfill.id).to.equal(true);
    for (const key of ['destination', 'retryPolicy', 'deadLetterWithResourceIdentity']) {
      expect(get(backfill, 'properties', key), key).to.deep.equal(get(storage, 'properties', key));
    }
    expect(get(backfill, 'properties', 'filter')).to.deep.equal({
      includedEventTypes: ['ServerlessImg.BackfillRequested'],
      subjectBeginsWith: get(storage, 'properties', 'filter', 'subjectBeginsWith'),
      isSubjectCaseSensitive: false,
    });
    expect(get(backfill, 'properties', 'eventDeliverySchema')).to.equal('CloudEventSchemaV1_0');
  });

  it('lets the uploader/operator alone publish to it, and its identity write only the dead letters', function () {
    const onTopic = ofType(infra.dev, 'Microsoft.Authorization/roleAssignments').filter(
      (assignment) => scopeOf(assignment) === topic.id,
    );
    expect(onTopic.map(roleOf)).to.deep.equal([ROLE.eventGridDataSender]);
    expect(get(onTopic[0], 'properties', 'principalId')).to.equal(
      '[coalesce(null(), deployer().objectId)]',
    );
    const byTopic = ofType(infra.dev, 'Microsoft.Authorization/roleAssignments').filter(
      (assignment) =>
        String(assignment.properties?.['principalId']).startsWith(`[reference('${topic.id}'`),
    );
    expect(byTopic.map(roleOf)).to.deep.equal([ROLE.blobDataContributor]);
    expect(scopeOf(byTopic[0]!)).to.match(/\/blobServices\/default\/containers\/deadletter$/);
  });
});
