import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { getConfigOrExit, type Config } from './config.js';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { createLogger, type Logger } from './logger.js';
import { isMain, onShutdownSignal } from './shared/process.js';
import { temporalDataConverter } from './temporal/codec.js';
import { createClient, temporalAddress } from './temporal/connection.js';
import { installRuntime } from './temporal/runtime.js';
import {
  ensureInvoiceSweepSchedules,
  ensureReconciliationSchedules,
  sweepScheduleSettings,
} from './temporal/schedules.js';

export const PRODUCTION_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.js', import.meta.url));
/** Written by `npm run build` (src/devtools/build-workflow-bundle.ts): dist/workflow-bundle.js. */
export const PREBUILT_WORKFLOW_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** Compiled folders whose modules the workflow bundle can contain. */
const WORKFLOW_SOURCE_DIRS = ['workflows', 'flows', 'mapping', 'shared'];

/**
 * The prebuilt bundle when it is newer than every compiled module it could contain (a `tsc` run
 * without the bundle step leaves it stale: then the worker bundles itself, as it always could).
 */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  let bundleTime: number;
  try {
    bundleTime = statSync(PREBUILT_WORKFLOW_BUNDLE).mtimeMs;
  } catch {
    return undefined;
  }
  const dist = dirname(PRODUCTION_WORKFLOWS_PATH);
  for (const dir of WORKFLOW_SOURCE_DIRS) {
    const root = join(dist, '..', dir);
    let entries: string[];
    try {
      entries = readdirSync(root, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.endsWith('.js') && statSync(join(root, entry)).mtimeMs > bundleTime) return undefined;
    }
  }
  return { codePath: PREBUILT_WORKFLOW_BUNDLE };
}

export interface CreateWorkerOptions {
  config: Config;
  connection: NativeConnection;
  /**
   * The service's payload codec (`dataConverterFor(keyring)`, src/temporal/codec.ts). Required: a
   * worker without it would write activity results and workflow results in clear text. Codecs run
   * outside the workflow sandbox; the workflow bundle does not depend on it.
   */
  dataConverter: DataConverter;
  activities?: object;
  /** Builds the production activities (`createActivities`) when `activities` is not given. */
  activityDeps?: ActivityDeps;
  /** Tests point this at fixture workflows; production uses the flows in src/workflows. */
  workflowsPath?: string;
  /** A prebuilt bundle (tests share one across workers); wins over workflowsPath. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  taskQueue?: string;
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const { config } = options;
  return Worker.create({
    connection: options.connection,
    namespace: config.temporal.namespace,
    dataConverter: options.dataConverter,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    ...workflowCode(options),
    activities: options.activities ?? (options.activityDeps ? createActivities(options.activityDeps) : {}),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
  });
}

function workflowCode(
  options: CreateWorkerOptions,
): { workflowBundle: WorkflowBundleWithSourceMap | { codePath: string } } | { workflowsPath: string } {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  if (options.workflowsPath) return { workflowsPath: options.workflowsPath };
  const prebuilt = prebuiltWorkflowBundle();
  return prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: PRODUCTION_WORKFLOWS_PATH };
}

/**
 * Runs a worker until `signal` aborts; resolves once its in-flight tasks are drained. `onReady`
 * fires when the worker polls (bundling the workflows takes seconds), so callers announce only
 * what is really running.
 */
export async function runWorker(
  config: Config,
  log: Logger,
  signal: AbortSignal,
  onReady?: () => void,
  /** Default: the configured connection store, opened here and closed when the worker stops. */
  activityDeps?: ActivityDeps,
  /** Ids of every connection, whose invoice sweep schedules are ensured once the worker polls. */
  connectionIds?: () => Promise<string[]>,
): Promise<void> {
  const { host, workerPort } = config.metrics;
  installRuntime(log, workerPort > 0 ? { metricsBindAddress: `${host}:${workerPort}` } : {});
  let connections: Connections | undefined;
  let deps = activityDeps;
  if (!deps) {
    connections = await openConnections(config, log, createDefaultVerifier());
    deps = { connections: connections.service, log };
    const service = connections.service;
    connectionIds ??= async () => (await service.list()).map((c) => c.id);
  }
  // Before connecting: a process without the key must fail here, never run with clear payloads.
  const dataConverter = temporalDataConverter(config, log);
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  try {
    connection = await NativeConnection.connect({ address: temporalAddress(config) });
    // The sweep's activities start syncs and the schedules are ensured through a client connection.
    clientConnection = await Connection.connect({ address: temporalAddress(config) });
    const client = createClient(config, clientConnection, dataConverter);
    const startSync = {
      client,
      taskQueue: config.temporal.taskQueue,
      timeoutMs: config.webhooks.temporalTimeoutMs,
    };
    const worker = await createWorker({
      config,
      connection,
      dataConverter,
      activityDeps: { ...deps, startSync },
    });
    // A stop requested while the bundle was being built: never start polling.
    if (signal.aborted) return;
    signal.addEventListener('abort', () => worker.shutdown(), { once: true });
    log.info({ taskQueue: config.temporal.taskQueue, address: temporalAddress(config) }, 'worker started');
    const running = worker.run();
    onReady?.();
    if (connectionIds) void ensureSweeps(config, log, client, connectionIds);
    if (connectionIds) void ensureReconciliations(config, log, client, connectionIds, deps);
    await running;
    log.info('worker stopped');
  } finally {
    await clientConnection?.close();
    await connection?.close();
    await connections?.close();
  }
}

/** Every connection gets its sweep schedule; a failure is logged, never fatal to the worker. */
async function ensureSweeps(
  config: Config,
  log: Logger,
  client: ReturnType<typeof createClient>,
  connectionIds: () => Promise<string[]>,
): Promise<void> {
  try {
    const ids = await connectionIds();
    const outcomes = await ensureInvoiceSweepSchedules(client, ids, sweepScheduleSettings(config));
    for (const [connectionId, outcome] of outcomes) {
      if (outcome instanceof Error)
        log.warn({ err: outcome, connectionId }, 'invoice sweep schedule not ensured');
      else log.info({ connectionId, outcome }, 'invoice sweep schedule');
    }
  } catch (err) {
    log.warn({ err }, 'invoice sweep schedules not ensured');
  }
}

/** Every connection gets its reconciliation schedule, at its own interval; failures are logged. */
async function ensureReconciliations(
  config: Config,
  log: Logger,
  client: ReturnType<typeof createClient>,
  connectionIds: () => Promise<string[]>,
  deps: ActivityDeps,
): Promise<void> {
  try {
    const ids = await connectionIds();
    const everyHours = async (connectionId: string): Promise<number> => {
      const settings = deps.connections
        ? (await deps.connections.resolve(connectionId)).settings
        : await deps.clients?.forConnection(connectionId).then((c) => c.settings);
      return settings?.reconciliation.everyHours ?? 24;
    };
    const outcomes = await ensureReconciliationSchedules(client, ids, {
      taskQueue: config.temporal.taskQueue,
      everyHours,
    });
    for (const [connectionId, outcome] of outcomes) {
      if (outcome instanceof Error)
        log.warn({ err: outcome, connectionId }, 'reconciliation schedule not ensured');
      else log.info({ connectionId, outcome }, 'reconciliation schedule');
    }
  } catch (err) {
    log.warn({ err }, 'reconciliation schedules not ensured');
  }
}

if (isMain(import.meta.url)) {
  const config = getConfigOrExit();
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  const controller = new AbortController();
  onShutdownSignal(() => controller.abort());
  runWorker(config, log, controller.signal).catch((err: unknown) => {
    log.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
