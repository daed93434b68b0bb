import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { connectionIdOfWorkflowId } from '../shared/ids.js';
import type { Logger } from '../logger.js';

let installed = false;

export interface RuntimeOptions {
  /**
   * `host:port` of the SDK's Prometheus exporter (`/metrics`: Temporal's worker metrics and the
   * service's own counters, which workflows record with `metricMeter`); none when absent.
   */
  metricsBindAddress?: string;
}

/**
 * Installs the process-wide Temporal Runtime, once: the SDK's own logs go into our logger, each
 * line about a workflow or activity with its `workflowId` and the `connectionId` read from it
 * (`connectionIdOfWorkflowId`, src/shared/ids.ts), and webpack's bundle report only at debug level (it is
 * noise on every start). With `metricsBindAddress`, the Prometheus exporter listens there.
 * Later calls are no-ops, whatever their options (the Runtime cannot be installed twice).
 */
export function installRuntime(log: Logger, options: RuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  const level: LogLevel = log.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => forward(log, entry)),
    ...(options.metricsBindAddress !== undefined && {
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: options.metricsBindAddress, countersTotalSuffix: true } },
      },
    }),
  });
}

function forward(log: Logger, entry: LogEntry): void {
  const meta: Record<string, unknown> = { sdk: true, ...entry.meta };
  const workflowId = typeof meta['workflowId'] === 'string' ? meta['workflowId'] : undefined;
  if (workflowId !== undefined && meta['connectionId'] === undefined) {
    const connectionId = connectionIdOfWorkflowId(workflowId);
    if (connectionId !== undefined) meta['connectionId'] = connectionId;
  }
  // webpack's multi-line bundle report, when a worker bundles at start: asked for with LOG_LEVEL=debug.
  const bundleReport = entry.message.includes('webpack') && entry.message.includes('compiled');
  const fn =
    entry.level === 'ERROR'
      ? log.error
      : entry.level === 'WARN'
        ? log.warn
        : entry.level === 'INFO' && !bundleReport
          ? log.info
          : log.debug;
  fn.call(log, meta, entry.message);
}
