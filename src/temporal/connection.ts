import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';

/** Where to find Temporal: the configured frontend, else the dev server `npm start` runs. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`;
}

/** Lazy: the gateway must come up (and say "not ready") even while Temporal is down. */
export function lazyConnection(config: Config): Connection {
  return Connection.lazy({ address: temporalAddress(config) });
}

export function createClient(config: Config, connection: Connection): Client {
  return new Client({ connection, namespace: config.temporal.namespace });
}
