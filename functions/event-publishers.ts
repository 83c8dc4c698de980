/**
 * The completion publishers: an Event Grid custom topic with the app's managed identity in
 * Azure; a webhook on this machine (the local runtime's `--events-webhook`), posted to directly
 * as Event Grid would deliver (CloudEvents, one event per request, retried).
 */
import { EventGridPublisherClient } from '@azure/eventgrid';
import { ManagedIdentityCredential } from '@azure/identity';
import { isLoopback } from './account.js';
import type { CompletionEvent, CompletionPublisher } from './completion-events.js';
import { NO_COMPLETION_EVENTS } from './completion-events.js';
import type { EventSettings } from './config.js';
import { EventPublishError } from './errors.js';

/** The publisher `settings` call for: none, a loopback webhook, or an Event Grid topic. */
export function createCompletionPublisher(settings: EventSettings): CompletionPublisher {
  const endpoint = settings.topicEndpoint;
  if (endpoint === undefined) return NO_COMPLETION_EVENTS;
  // This machine is the only place events go without Entra ID (the local runtime's webhook).
  if (isLoopback(new URL(endpoint).hostname)) return new WebhookPublisher(endpoint);
  return new EventGridTopicPublisher(endpoint, settings.clientId);
}

/** Publishes to an Event Grid custom topic (CloudEvents schema) as the app's managed identity. */
export class EventGridTopicPublisher implements CompletionPublisher {
  private readonly client: EventGridPublisherClient<'CloudEvent'>;

  constructor(
    private readonly endpoint: string,
    clientId?: string,
  ) {
    // The app's identity and nothing else, as for storage (see storage.ts).
    const credential =
      clientId === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId });
    this.client = new EventGridPublisherClient(endpoint, 'CloudEvent', credential);
  }

  async publish(event: CompletionEvent): Promise<void> {
    const { id, type, source, subject, time, datacontenttype, data } = event;
    try {
      // The SDK adds `specversion` itself.
      const sent = { id, type, source, subject, time: new Date(time), datacontenttype, data };
      await this.client.send([sent]);
    } catch (error) {
      throw new EventPublishError(this.endpoint, statusOf(error), error);
    }
  }
}

/** How often a webhook post is tried before the invocation fails (and is retried in turn). */
const WEBHOOK_TRIES = 3;

/**
 * Posts each event alone to a webhook, in CloudEvents structured mode, retrying a failed post
 * a few times; the invocation fails when every try did. Used for loopback URLs only: no auth.
 */
export class WebhookPublisher implements CompletionPublisher {
  constructor(private readonly url: string) {}

  async publish(event: CompletionEvent): Promise<void> {
    let failure: EventPublishError | undefined;
    for (let attempt = 1; attempt <= WEBHOOK_TRIES; attempt += 1) {
      failure = await this.post(event);
      if (failure === undefined) return;
      if (attempt < WEBHOOK_TRIES)
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
    throw failure;
  }

  private async post(event: CompletionEvent): Promise<EventPublishError | undefined> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      if (response.ok) return undefined;
      return new EventPublishError(this.url, response.status, new Error(response.statusText));
    } catch (error) {
      return new EventPublishError(this.url, undefined, error);
    }
  }
}

/** Prints each event as one JSON line (the local runtime without a webhook). */
export class PrintingPublisher implements CompletionPublisher {
  constructor(private readonly print: (line: string) => void) {}

  publish(event: CompletionEvent): Promise<void> {
    this.print(JSON.stringify(event));
    return Promise.resolve();
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
