import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config.js';

/** Where to find Temporal: the configured frontend, else the dev server `npm start` runs. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`;
}

/** Lazy: the gateway must come up (and say "not ready") even while Temporal is down. */
export function lazyConnection(config: Config): Connection {
  return Connection.lazy({ address: temporalAddress(config) });
}

/**
 * A client of the configured namespace. `dataConverter` is required so no client can write
 * payloads in clear text: pass `dataConverterFor(keyring)` or `temporalDataConverter(config, log)`
 * (src/temporal/codec.ts).
 */
export function createClient(config: Config, connection: Connection, dataConverter: DataConverter): Client {
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter });
}
