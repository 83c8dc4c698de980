import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { InvalidEventError } from '../../functions/errors.js';
import { storageAccountOf, topicNamesAccount, urlInAccount } from '../../functions/account.js';
import { blobNameOf, parseStorageEvent, routeEvent } from '../../functions/events.js';

function sample(schema: 'eventgrid' | 'cloudevents', name: string): unknown {
  const url = new URL(`../../fixtures/events/${schema}/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as unknown;
}

/** The account the fixtures' events come from. */
const STIMGDEV = storageAccountOf({
  kind: 'identity',
  setting: 'IMAGES_STORAGE__blobServiceUri',
  blobServiceUri: 'https://stimgdev.blob.core.windows.net',
});
const RULES = { inputContainer: 'input', account: STIMGDEV };

function route(schema: 'eventgrid' | 'cloudevents', name: string) {
  return routeEvent(parseStorageEvent(sample(schema, name)), RULES);
}

describe('functions/events', () => {
  for (const schema of ['eventgrid', 'cloudevents'] as const) {
    describe(`${schema} schema`, () => {
      it('processes a PutBlob BlobCreated in the input container, with its eTag and sequencer', () => {
        const decision = route(schema, 'blob-created-putblob');
        expect(decision.action).to.equal('process');
        if (decision.action !== 'process') return;
        expect(decision.blob).to.include({
          container: 'input',
          blobName: 'photos/cat.jpg',
          api: 'PutBlob',
          eTag: '0x8DC0D6A4B5C1F2E',
          sequencer: '00000000000004420000000000028963',
          contentLength: 183204,
          contentType: 'image/jpeg',
        });
        expect(decision.event.schema).to.equal(
          schema === 'eventgrid' ? 'EventGrid' : 'CloudEvents',
        );
        expect(decision.event.id).to.equal('831e1650-001e-001b-66ab-eeb76e069631');
      });

      it('ignores a Data Lake CreateFile with contentLength 0 (the data comes with FlushWithClose)', () => {
        const decision = route(schema, 'datalake-createfile');
        expect(decision.action).to.equal('ignore');
        if (decision.action === 'ignore') expect(decision.reason).to.equal('api');
      });

      it('processes a Data Lake FlushWithClose, naming the blob from its dfs url', () => {
        const decision = route(schema, 'datalake-flushwithclose');
        expect(decision.action).to.equal('process');
        if (decision.action === 'process') {
          expect(decision.blob.blobName).to.equal('lake/new-file.jpg');
          expect(decision.blob.contentLength).to.equal(24576);
        }
      });

      it('turns BlobDeleted in the input container into a delete of the results', () => {
        const decision = route(schema, 'blob-deleted');
        expect(decision.action).to.equal('delete');
        if (decision.action === 'delete') {
          expect(decision.blob.blobName).to.equal('photos/cat.jpg');
          expect(decision.blob.eTag).to.equal(undefined);
          expect(decision.blob.sequencer).to.equal('0000000000000442000000000002F5CA');
        }
      });

      it('ignores a blob written to the output container, so results never re-trigger', () => {
        const decision = route(schema, 'blob-created-output-container');
        expect(decision.action).to.equal('ignore');
        if (decision.action === 'ignore') expect(decision.reason).to.equal('other-container');
      });

      it('keeps spaces, unicode, emoji, # and folders in the blob name', () => {
        const decision = route(schema, 'blob-created-unicode-name');
        expect(decision.action).to.equal('process');
        if (decision.action === 'process') {
          expect(decision.blob.blobName).to.equal('holiday photos/été 2026/Ünïcødé 📷 #1.jpg');
        }
      });
    });
  }

  it('processes PutBlockList and CopyBlob events', () => {
    expect(route('eventgrid', 'blob-created-putblocklist').action).to.equal('process');
    const copy = route('eventgrid', 'blob-created-copyblob');
    expect(copy.action).to.equal('process');
    if (copy.action === 'process') expect(copy.blob.blobName).to.equal('copies/dog.png');
  });

  it('ignores other event types such as Data Lake DirectoryCreated', () => {
    const decision = route('eventgrid', 'directory-created');
    expect(decision.action).to.equal('ignore');
    if (decision.action === 'ignore') expect(decision.reason).to.equal('event-type');
  });

  it('ignores an event for another container even when the input container is renamed', () => {
    const event = parseStorageEvent(sample('eventgrid', 'blob-created-putblob'));
    expect(routeEvent(event, { ...RULES, inputContainer: 'uploads' }).action).to.equal('ignore');
  });

  it('accepts the event as a JSON string and as a Date-typed eventTime', () => {
    const raw = sample('eventgrid', 'blob-created-putblob') as Record<string, unknown>;
    expect(parseStorageEvent(JSON.stringify(raw)).id).to.equal(raw.id);
    const withDate = { ...raw, eventTime: new Date('2026-11-25T08:41:00Z') };
    expect(parseStorageEvent(withDate).time).to.equal('2026-11-25T08:41:00.000Z');
  });

  it('rejects payloads that are in neither schema, with EVENT_INVALID', () => {
    for (const payload of [null, 42, '{not json', [], { id: 'x' }]) {
      expect(() => parseStorageEvent(payload)).to.throw(InvalidEventError);
    }
    const ce = sample('cloudevents', 'blob-created-putblob') as Record<string, unknown>;
    expect(() => parseStorageEvent({ ...ce, specversion: '0.3' })).to.throw(/specversion 0.3/);
    const eg = sample('eventgrid', 'blob-created-putblob') as Record<string, unknown>;
    expect(() => parseStorageEvent({ ...eg, data: undefined })).to.throw(/data is missing/);
  });

  it('rejects a BlobCreated without eTag or sequencer, or with a non-blob subject', () => {
    const eg = sample('eventgrid', 'blob-created-putblob') as { data: Record<string, unknown> };
    const without = (key: string) => ({ ...eg, data: { ...eg.data, [key]: undefined } });
    expect(() => routeEvent(parseStorageEvent(without('eTag')), RULES)).to.throw(/eTag/);
    expect(() => routeEvent(parseStorageEvent(without('sequencer')), RULES)).to.throw(/sequencer/);
    const badSubject = { ...eg, subject: '/blobServices/default/containers/input' };
    expect(() => routeEvent(parseStorageEvent(badSubject), RULES)).to.throw(/blob subject/);
  });

  describe('trust: only the configured account acts', () => {
    const eg = () =>
      sample('eventgrid', 'blob-created-putblob') as {
        topic: string;
        data: Record<string, unknown>;
      };

    it("ignores, with a warning, an event whose topic is another account's", () => {
      const event = eg();
      event.topic = event.topic.replace(/stimgdev$/, 'stother');
      const decision = routeEvent(parseStorageEvent(event), RULES);
      expect(decision).to.deep.include({
        action: 'ignore',
        reason: 'other-account',
        level: 'warning',
      });
    });

    it('ignores an event whose url points at another host, whatever its topic says', () => {
      const event = eg();
      event.data.url = 'https://attacker.blob.core.windows.net/input/photos/cat.jpg';
      expect(routeEvent(parseStorageEvent(event), RULES)).to.include({ reason: 'other-account' });
      event.data.url = 'not a url';
      expect(routeEvent(parseStorageEvent(event), RULES)).to.include({ reason: 'other-account' });
    });

    it("knows the emulator's account from a connection string, on any loopback port", () => {
      const account = storageAccountOf({
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;',
      });
      expect(account.name).to.equal('devstoreaccount1');
      expect(urlInAccount('http://127.0.0.1:41234/devstoreaccount1/input/a.jpg', account)).to.equal(
        true,
      );
      expect(urlInAccount('http://127.0.0.1:10000/otheraccount/input/a.jpg', account)).to.equal(
        false,
      );
      const dev = storageAccountOf({
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString: 'UseDevelopmentStorage=true',
      });
      expect(dev.name).to.equal('devstoreaccount1');
    });

    it('accepts the dfs endpoint of the account for Data Lake events, and no other service', () => {
      expect(urlInAccount('https://stimgdev.dfs.core.windows.net/input/a.jpg', STIMGDEV)).to.equal(
        true,
      );
      expect(
        urlInAccount('https://stimgdev.queue.core.windows.net/input/a.jpg', STIMGDEV),
      ).to.equal(false);
      expect(
        topicNamesAccount(
          '/subscriptions/x/providers/Microsoft.Storage/storageAccounts/STIMGDEV',
          STIMGDEV,
        ),
      ).to.equal(true);
    });
  });

  describe('what counts as a data commit', () => {
    const withData = (data: Record<string, unknown>) => {
      const event = sample('eventgrid', 'blob-created-putblob') as {
        data: Record<string, unknown>;
      };
      return routeEvent(parseStorageEvent({ ...event, data: { ...event.data, ...data } }), RULES);
    };

    it('processes an SFTP upload (SftpCommit)', () => {
      expect(withData({ api: 'SftpCommit' }).action).to.equal('process');
    });

    it('ignores an API it does not know with a warning that names it', () => {
      const decision = withData({ api: 'PutBlobFromUrlV9' });
      expect(decision).to.deep.include({ action: 'ignore', reason: 'api', level: 'warning' });
      if (decision.action === 'ignore') expect(decision.detail).to.include('PutBlobFromUrlV9');
    });

    it('ignores append and page blobs with a warning (they raise BlobCreated while empty)', () => {
      for (const blobType of ['AppendBlob', 'PageBlob']) {
        const decision = withData({ blobType });
        expect(decision).to.deep.include({
          action: 'ignore',
          reason: 'blob-type',
          level: 'warning',
        });
        if (decision.action === 'ignore') expect(decision.detail).to.include(blobType);
      }
    });
  });

  describe('blobNameOf', () => {
    it('takes the subject as written when the url agrees', () => {
      const url = 'https://a.blob.core.windows.net/input/100%25%20done.jpg';
      expect(blobNameOf('100% done.jpg', 'input', url)).to.equal('100% done.jpg');
    });

    it('decodes a percent-encoded subject when the url shows the name was encoded', () => {
      const url = 'https://a.blob.core.windows.net/input/my%20photo.jpg';
      expect(blobNameOf('my%20photo.jpg', 'input', url)).to.equal('my photo.jpg');
    });

    it('keeps a literal %20 in a name when the url encodes the percent sign', () => {
      const url = 'http://127.0.0.1:10000/devstoreaccount1/input/literally%2520.jpg';
      expect(blobNameOf('literally%20.jpg', 'input', url)).to.equal('literally%20.jpg');
    });
  });
});
