import express, { type Express } from 'express';
import type { Connection } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { createAdminRouter, type AdminDeps } from './admin.js';
import { createWebhookRouter, type WebhookDeps } from './webhooks.js';
import { versions } from '../shared/versions.js';
import type { GatewayMetrics } from './metrics.js';

export interface GatewayDeps {
  connection: Connection;
  log: Logger;
  /** How long /readyz waits for Temporal before saying "not ready". */
  readinessTimeoutMs?: number;
  /** The connection service and the admin bearer token; without them /admin is not mounted. */
  admin?: Omit<AdminDeps, 'log'>;
  /** Temporal client, task queue and settings for /webhooks; without them /webhooks is not mounted. */
  webhooks?: Omit<WebhookDeps, 'log'>;
  /** Counts and times every request (served on its own port by the gateway); none in tests that do not check it. */
  metrics?: GatewayMetrics;
}

/**
 * The gateway's HTTP surface. Routers for webhooks and admin join here as flows arrive; the app
 * is built from its dependencies so tests run it in-process against the real dev server.
 */
export function createGatewayApp(deps: GatewayDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.metrics) app.use(deps.metrics.middleware());
  const v = versions();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', versions: v });
  });

  app.get('/readyz', async (_req, res) => {
    const timeout = deps.readinessTimeoutMs ?? 2_000;
    try {
      const info = await deps.connection.withDeadline(Date.now() + timeout, () =>
        deps.connection.workflowService.getSystemInfo({}),
      );
      res.json({ status: 'ready', temporal: { serverVersion: info.serverVersion } });
    } catch (err) {
      deps.log.warn({ err }, 'readiness check: Temporal unreachable');
      res.status(503).json({ status: 'not ready', reason: 'Temporal is unreachable' });
    }
  });

  if (deps.webhooks) {
    app.use(
      '/webhooks',
      createWebhookRouter({
        ...deps.webhooks,
        log: deps.log,
        ...(deps.metrics && !deps.webhooks.metrics && { metrics: deps.metrics }),
      }),
    );
  }

  if (deps.admin) {
    app.use('/admin', createAdminRouter({ ...deps.admin, log: deps.log }));
  }

  return app;
}
