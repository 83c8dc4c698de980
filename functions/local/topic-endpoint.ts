/**
 * The local stand-in for the backfill custom topic and its subscription: `POST /api/events` on
 * the Functions host's port takes Event Grid publishes in the CloudEvents 1.0 schema (a batch,
 * `application/cloudevents-batch+json`, as `EventGridPublisherClient` sends it, or one event,
 * `application/cloudevents+json`) and hands each event the subscription takes to the local
 * deliverer, so the response window, retries and dead-lettering apply as to storage events.
 *
 * As a topic: 200 with no body once the events are accepted; 400 naming the first event that is
 * not a CloudEvent (nothing is accepted then); 413 over 1 MB. As the subscription
 * (bicep/subscription.bicep): only `ServerlessImg.BackfillRequested` about a blob of the input
 * container is delivered, the rest is dropped. No credential is checked: the host listens on
 * loopback only (the SDK's `aeg-sas-key` header, sent for a key credential, is ignored).
 */
import type http from 'node:http';
import { BACKFILL_REQUESTED } from '../backfill-event.js';
import { BLOB_SUBJECT } from '../events.js';
import type { DeliverableChange } from './deliverer.js';
import type { CloudEventEnvelope } from './events.js';
import { readBody, type FunctionsHostOptions } from './host.js';

/** Where the local topic takes publishes (an Azure topic's endpoint ends the same way). */
export const TOPIC_PATH = '/api/events';

/** Options of `topicRoute`. */
export interface TopicRouteOptions {
  /** The input container: the subscription's subject filter. */
  inputContainer: string;
  /** Queues an event for delivery. */
  publish: (change: DeliverableChange) => void;
}

/** The host route serving `POST /api/events`. */
export function topicRoute(
  options: TopicRouteOptions,
): NonNullable<FunctionsHostOptions['routes']> {
  return async (req, url, res) => {
    if (url.pathname !== TOPIC_PATH) return false;
    const answer = req.method === 'POST' ? await accept(req, options) : { status: 405 };
    res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(answer.body);
    return true;
  };
}

async function accept(
  req: http.IncomingMessage,
  options: TopicRouteOptions,
): Promise<{ status: number; body?: string }> {
  const text = await readBody(req);
  if (text === undefined) return { status: 413, body: 'The request is over 1 MB.' };
  let events: CloudEventEnvelope[];
  try {
    events = cloudEvents(JSON.parse(text) as unknown);
  } catch (error) {
    return { status: 400, body: error instanceof Error ? error.message : String(error) };
  }
  for (const event of events) {
    const name = subscribedBlob(event, options.inputContainer);
    if (name !== undefined) options.publish({ event, name, kind: 'created' });
  }
  return { status: 200 };
}

/** The events of a publish: a JSON array of CloudEvents or one; throws naming what is wrong. */
export function cloudEvents(body: unknown): CloudEventEnvelope[] {
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  return list.map((value, index) => {
    const event = value as Partial<Record<string, unknown>> | null;
    const missing = ['id', 'type', 'source'].find(
      (key) => typeof event?.[key] !== 'string' || event[key] === '',
    );
    if (event === null || typeof event !== 'object' || event.specversion !== '1.0' || missing) {
      const why = missing === undefined ? 'specversion is not 1.0' : `${missing} is missing`;
      throw new Error(`Event ${index} is not a CloudEvent 1.0: ${why}.`);
    }
    return event as unknown as CloudEventEnvelope;
  });
}

/** The blob the subscription delivers `event` for, or undefined when its filter drops it. */
function subscribedBlob(event: CloudEventEnvelope, inputContainer: string): string | undefined {
  if (event.type !== BACKFILL_REQUESTED || typeof event.subject !== 'string') return undefined;
  const match = BLOB_SUBJECT.exec(event.subject);
  // The filter's subjectBeginsWith is not case-sensitive, as the storage subscription's.
  if (match?.[1]?.toLowerCase() !== inputContainer.toLowerCase()) return undefined;
  return match[2];
}
