/**
 * A webhook receiver on loopback for the completion events: keeps every event it is posted
 * (CloudEvents structured mode, one per request) and can refuse the first few with a 500.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompletionEvent } from '../../functions/completion-events.js';

/** A webhook on loopback that keeps what it receives; answers `failing` requests with 500 first. */
export class Receiver {
  readonly events: CompletionEvent[] = [];
  readonly contentTypes: string[] = [];
  failing = 0;
  private server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (this.failing > 0) {
        this.failing -= 1;
        response.writeHead(500).end();
        return;
      }
      this.contentTypes.push(String(request.headers['content-type']));
      this.events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CompletionEvent);
      response.writeHead(200).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
