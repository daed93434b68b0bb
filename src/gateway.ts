import type { Server } from 'node:http';
import { getConfigOrExit, type Config } from './config.js';
import { portProblem, StartupError } from './shared/startup.js';
import { GatewayMetrics, serveMetrics } from './api/metrics.js';
import { createGatewayApp } from './api/app.js';
import { resolveAdminToken } from './api/admin.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { createLogger, type Logger } from './logger.js';
import { isMain, onShutdownSignal } from './shared/process.js';
import {
  deleteInvoiceSweepSchedule,
  deleteReconciliationSchedule,
  ensureInvoiceSweepSchedule,
  ensureReconciliationSchedule,
  sweepScheduleSettings,
} from './temporal/schedules.js';
import { dataConverterFor } from './temporal/codec.js';
import { createClient, lazyConnection, temporalAddress } from './temporal/connection.js';

export interface RunningGateway {
  url: string;
  /** The gateway's Prometheus endpoint, when GATEWAY_METRICS_PORT is not 0. */
  metricsUrl?: string;
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
  const metrics = config.metrics.gatewayPort > 0 ? new GatewayMetrics() : undefined;
  const app = createGatewayApp({
    connection,
    log,
    ...(metrics && { metrics }),
    admin: {
      service: connections.service,
      token: adminToken,
      // A new connection's invoices are swept from the start, not from the next worker restart.
      // Its reconciliation too, at the interval of its settings.
      onConnectionCreated: async (connectionId) => {
        await ensureInvoiceSweepSchedule(client, { ...sweepScheduleSettings(config), connectionId });
        const { settings } = await connections.service.resolve(connectionId);
        await ensureReconciliationSchedule(client, {
          connectionId,
          taskQueue: config.temporal.taskQueue,
          everyHours: settings.reconciliation.everyHours,
        });
      },
      // A removed connection's sweep would fail every interval: its schedules go with it.
      onConnectionRemoved: async (connectionId) => {
        await deleteInvoiceSweepSchedule(client, connectionId);
        await deleteReconciliationSchedule(client, connectionId);
      },
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
      // Express 5 hands a listen error to this callback (not only to 'error'): without the check a
      // taken port "started" a gateway that never listened.
      const s = app.listen(config.gateway.port, config.gateway.host, (err?: Error) =>
        err ? reject(err) : resolve(s),
      );
    });
  } catch (err) {
    if (ownsConnections) await connections.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    throw new StartupError(
      portProblem(
        { port: config.gateway.port, host: config.gateway.host, what: 'the gateway', envVar: 'GATEWAY_PORT' },
        err,
      ),
    );
  }
  let metricsServer: Server | undefined;
  if (metrics) {
    try {
      metricsServer = await serveMetrics(metrics, config.metrics.host, config.metrics.gatewayPort);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsConnections) await connections.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      throw err;
    }
  }
  const host = displayHost(config.gateway.host);
  const url = `http://${host}:${config.gateway.port}`;
  log.info({ url, temporal: temporalAddress(config) }, 'gateway listening');
  return {
    url,
    ...(metricsServer && {
      metricsUrl: `http://${displayHost(config.metrics.host)}:${config.metrics.gatewayPort}/metrics`,
    }),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      server.closeAllConnections();
      await connection.close();
      if (ownsConnections) await connections.close();
    },
  };
}

if (isMain(import.meta.url)) {
  const config = getConfigOrExit();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  startGateway(config, log)
    .then((gateway) => onShutdownSignal(() => void gateway.close()))
    .catch((err: unknown) => {
      if (err instanceof StartupError) {
        process.stderr.write(`gateway: ${err.message}\n`);
        process.exit(err.exitCode);
      }
      log.fatal({ err }, 'gateway failed to start');
      process.exit(1);
    });
}

/** A bind address as a URL host a person can open. */
function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}
