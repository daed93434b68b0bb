import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { portProblem, StartupError } from '../shared/startup.js';

/**
 * The gateway's Prometheus metrics (prom-client), served on their own port (GATEWAY_METRICS_PORT)
 * so the webhook port, open to Zuora and Togai, never exposes them. Names follow Prometheus'
 * conventions (`_total` counters, `_seconds` histograms); docs/operations.md has the scrape config
 * and alert rules that read them. Labels are bounded sets (routes, statuses, flows), never IDs.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** Requests by route (`/webhooks/zuora`, `/admin`, …; never the concrete URL), method and status. */
  readonly requests = new Counter({
    name: 'tzs_gateway_requests_total',
    help: 'HTTP requests answered by the gateway, by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'tzs_gateway_request_duration_seconds',
    help: 'Time to answer a gateway request, by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /**
   * What each webhook delivery did, by flow: started, already-running, already-completed, queued
   * (past the bound), disabled (flow off), ignored (event type not synced), refused (4xx), or
   * unavailable (503, Temporal did not answer: the sender retries).
   */
  readonly webhooks = new Counter({
    name: 'tzs_webhook_deliveries_total',
    help: 'Webhook deliveries by flow and what the gateway did with them',
    labelNames: ['source', 'flow', 'status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tzs_gateway_' });
  }

  /** Express middleware: counts and times every answer under its route (a bounded set of prefixes, never a URL with ids). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const end = this.duration.startTimer();
      const route = routeOf(req.originalUrl);
      res.once('finish', () => {
        this.requests.inc({ route, method: req.method, status: String(res.statusCode) });
        end({ route });
      });
      next();
    };
  }
}

const ROUTES = ['/webhooks/zuora', '/webhooks/togai', '/admin', '/healthz', '/readyz'];

/** The route label of a URL: its known prefix, or `other` (so a scan of random URLs cannot grow the label set). */
export function routeOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  return ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? 'other';
}

/**
 * Serves `GET /metrics` of `metrics` on host:port until closed. A taken port fails with a
 * `StartupError` naming it and GATEWAY_METRICS_PORT.
 */
export async function serveMetrics(metrics: GatewayMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new StartupError(
          portProblem({ port, host, what: 'the gateway metrics', envVar: 'GATEWAY_METRICS_PORT' }, err),
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return server;
}
