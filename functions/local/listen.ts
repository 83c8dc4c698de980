/**
 * Starts a local server on loopback only: the local runtime's host, its recording proxy and the
 * gallery are reachable from this machine and nowhere else.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on 127.0.0.1 at `port` (0: a free one) and resolves with the port it got; a client
 * whose request cannot be parsed is dropped rather than left hanging.
 */
export async function listenOnLoopback(server: http.Server, port = 0): Promise<number> {
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
