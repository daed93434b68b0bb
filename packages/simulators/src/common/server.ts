import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** A simulator listening on a port. */
export interface Listening {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  server: Server;
  /** Stops listening and cuts open connections (hung requests included). */
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 = any free port, as tests use). */
export async function listen(app: Express, port = 0, host = '127.0.0.1'): Promise<Listening> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port: actual } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${actual}`,
    server,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets and injected hangs would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
