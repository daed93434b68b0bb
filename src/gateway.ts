import type { Server } from 'node:http';
import { getConfig, type Config } from './config.js';
import { createGatewayApp } from './api/app.js';
import { resolveAdminToken } from './api/admin.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { createLogger, type Logger } from './logger.js';
import { isMain, onShutdownSignal } from './shared/process.js';
import {
  deleteInvoiceSweepSchedule,
  ensureInvoiceSweepSchedule,
  sweepScheduleSettings,
} from './temporal/schedules.js';
import { dataConverterFor } from './temporal/codec.js';
import { createClient, lazyConnection, temporalAddress } from './temporal/connection.js';

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Already-open connections (store + service); the gateway opens its own otherwise, and closes those. */
  connections?: Connections;
}

export async function startGateway(
  config: Config,
  log: Logger,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  // Resolved before anything opens: production without ADMIN_TOKEN refuses to start.
  const adminToken = resolveAdminToken(config, log);
  const connections = options.connections ?? (await openConnections(config, log, createDefaultVerifier()));
  const ownsConnections = !options.connections;
  const connection = lazyConnection(config);
  // The same keyring as the connection store's: webhook inputs are encrypted before they reach Temporal.
  const client = createClient(config, connection, dataConverterFor(connections.keyring));
  const app = createGatewayApp({
    connection,
    log,
    admin: {
      service: connections.service,
      token: adminToken,
      // A new connection's invoices are swept from the start, not from the next worker restart.
      onConnectionCreated: (connectionId) =>
        ensureInvoiceSweepSchedule(client, { ...sweepScheduleSettings(config), connectionId }),
      // A removed connection's sweep would fail every interval: its schedule goes with it.
      onConnectionRemoved: (connectionId) => deleteInvoiceSweepSchedule(client, connectionId),
    },
    webhooks: {
      service: connections.service,
      client,
      taskQueue: config.temporal.taskQueue,
      settings: config.webhooks,
    },
  });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.gateway.port, config.gateway.host, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    if (ownsConnections) await connections.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw err;
  }
  const host = config.gateway.host === '0.0.0.0' ? 'localhost' : config.gateway.host;
  const url = `http://${host}:${config.gateway.port}`;
  log.info({ url, temporal: temporalAddress(config) }, 'gateway listening');
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await connection.close();
      if (ownsConnections) await connections.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const config = getConfig();
  const log = createLogger(config.logLevel);
  startGateway(config, log)
    .then((gateway) => onShutdownSignal(() => void gateway.close()))
    .catch((err: unknown) => {
      log.fatal({ err }, 'gateway failed to start');
      process.exit(1);
    });
}
