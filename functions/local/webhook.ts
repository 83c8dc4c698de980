/**
 * Event Grid's HTTP delivery, as the local deliverer's transport: each event is posted alone,
 * as a one-event JSON array, to a Functions host's webhook with the headers Event Grid sends
 * (`aeg-event-type: Notification`, `aeg-delivery-count`, …). 200–204 is a delivery; 400, 401,
 * 403 and 413 are refusals retrying cannot fix; any other answer, or none, is a failure to
 * retry. No client-side timeout: the deliverer's response window decides when to stop
 * waiting, and the request stays open so its late answer is still seen.
 */
import http from 'node:http';
import { DeliveryError, type DeliveryTransport } from './deliverer.js';
import { isCloudEvent, type DeliveredEvent } from './events.js';

/** Answers Event Grid counts as delivered. */
const SUCCESS = new Set([200, 201, 202, 203, 204]);

/** Answers after which Event Grid dead-letters at once instead of retrying. */
export const NON_RETRYABLE_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 413]);

/** The subscription's name as Event Grid sends it (`aeg-subscription-name`, upper case). */
const SUBSCRIPTION_NAME = 'LOCAL-PROCESSIMAGE';

/** One attempt's answer, for counting. */
export interface WebhookAnswer {
  endpoint: string;
  /** The HTTP status; undefined when the connection failed. */
  status: number | undefined;
  /** From sending the request to its answer. */
  ms: number;
}

/** Options of `webhookTransport`. */
export interface WebhookTransportOptions {
  /** The webhook to post to, asked once per attempt (so attempts can go to other instances). */
  endpoint: () => string;
  /** Called with every attempt's answer, however late. */
  onAnswer?: (answer: WebhookAnswer) => void;
}

/** Picks `endpoints` in turn, as a front end spreading requests over instances. */
export function roundRobin(endpoints: readonly string[]): () => string {
  if (endpoints.length === 0) throw new Error('roundRobin needs at least one endpoint');
  let next = 0;
  return () => {
    const endpoint = endpoints[next % endpoints.length]!;
    next += 1;
    return endpoint;
  };
}

/** The answer of one POST: status and the first few KB of its body. */
function post(
  agent: http.Agent,
  endpoint: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(endpoint, { method: 'POST', agent, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (text.length < 4096) text += chunk;
      });
      response.once('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.once('error', reject);
    });
    request.once('error', reject);
    request.end(body);
  });
}

/**
 * The body and schema headers of one delivery: a Storage event as a one-event array (Event Grid
 * schema); a CloudEvent alone, in structured mode (the CloudEvents schema, where
 * `aeg-metadata-version` is the spec version and `aeg-data-version` does not apply).
 */
function notification(event: DeliveredEvent): { body: string; headers: Record<string, string> } {
  if (isCloudEvent(event)) {
    return {
      body: JSON.stringify(event),
      headers: {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        'aeg-metadata-version': event.specversion,
      },
    };
  }
  return {
    body: JSON.stringify([event]),
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'aeg-data-version': event.dataVersion,
      'aeg-metadata-version': event.metadataVersion,
    },
  };
}

/** Delivers events by posting them to a webhook, as Event Grid does. */
export function webhookTransport(options: WebhookTransportOptions): DeliveryTransport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  return async (event, { attempt }) => {
    const endpoint = options.endpoint();
    const { body, headers: schemaHeaders } = notification(event);
    const headers = {
      ...schemaHeaders,
      'content-length': String(Buffer.byteLength(body)),
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': SUBSCRIPTION_NAME,
      'aeg-delivery-count': String(attempt - 1),
    };
    const started = performance.now();
    let answer: { status: number; text: string };
    try {
      answer = await post(agent, endpoint, body, headers);
    } catch (error) {
      options.onAnswer?.({ endpoint, status: undefined, ms: performance.now() - started });
      const message = `the webhook did not answer: ${error instanceof Error ? error.message : String(error)}`;
      throw new DeliveryError('DELIVERY_FAILED', message, { cause: error });
    }
    const { status, text } = answer;
    options.onAnswer?.({ endpoint, status, ms: performance.now() - started });
    if (SUCCESS.has(status)) return undefined;
    const code = NON_RETRYABLE_STATUSES.has(status) ? 'DELIVERY_REFUSED' : 'DELIVERY_FAILED';
    const detail = text.trim() === '' ? '' : `: ${text.trim().slice(0, 500)}`;
    throw new DeliveryError(code, `HTTP ${status}${detail}`, { status });
  };
}
