/**
 * Publishes backfill requests to the backfill topic with `EventGridPublisherClient` (CloudEvents
 * 1.0 schema): with the Entra ID sign-in of whoever runs the CLI (`DefaultAzureCredential`) for
 * an Azure topic, which must grant them EventGrid Data Sender. The local runtime's topic
 * (`http://127.0.0.1:<port>/api/events`) takes no credential, and the SDK refuses http twice
 * over: any request unless the client allows it (`allowInsecureConnection`, set for loopback
 * only), and an Entra ID token in any case ("Bearer token authentication is not permitted for
 * non-TLS protected (non-https) URLs"). So a loopback endpoint gets a placeholder key instead
 * (sent as `aeg-sas-key`, ignored there; an Azure topic with local auth disabled refuses keys).
 */
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { DefaultAzureCredential } from '@azure/identity';
import { isLoopback } from '../account.js';
import type { BackfillCloudEvent } from '../backfill-event.js';

/** Sends one batch of requests; rejects with `TopicError`. */
export interface RequestPublisher {
  send(events: readonly BackfillCloudEvent[]): Promise<void>;
}

/** The topic refused or could not take a publish. `permanent` ends the run (a missing role). */
export class TopicError extends Error {
  override readonly name = 'TopicError';
  readonly code: 'TOPIC_FORBIDDEN' | 'TOPIC_FAILED';
  readonly permanent: boolean;

  constructor(
    readonly endpoint: string,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    const forbidden = status === 401 || status === 403;
    super(
      forbidden
        ? `The backfill topic ${endpoint} refused the publish (HTTP ${status}): the signed-in identity needs the EventGrid Data Sender role on the topic (bicep grants it to uploaderPrincipalId).`
        : `Publishing to ${endpoint} failed (${status === undefined ? describe(cause) : `HTTP ${status}`}).`,
      { cause },
    );
    this.code = forbidden ? 'TOPIC_FORBIDDEN' : 'TOPIC_FAILED';
    this.permanent = forbidden;
  }
}

/** The publisher for `endpoint`: Entra ID for an Azure topic, a placeholder key on loopback. */
export function topicPublisher(endpoint: string): RequestPublisher {
  const local = isLoopback(new URL(endpoint).hostname);
  const client = local
    ? new EventGridPublisherClient(endpoint, 'CloudEvent', new AzureKeyCredential('local'), {
        allowInsecureConnection: true,
      })
    : new EventGridPublisherClient(endpoint, 'CloudEvent', new DefaultAzureCredential());
  return {
    async send(events) {
      try {
        // The SDK writes `specversion` itself and takes `time` as a Date.
        await client.send(
          events.map(({ specversion: _, time, ...event }) => ({ ...event, time: new Date(time) })),
        );
      } catch (error) {
        throw new TopicError(endpoint, statusOf(error), error);
      }
    },
  };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
