import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { getConfig, type Config } from './config.js';
import { createActivities, type ActivityDeps } from './activities/index.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import { openConnections, type Connections } from './connections/open.js';
import { createLogger, type Logger } from './logger.js';
import { isMain, onShutdownSignal } from './shared/process.js';
import { temporalAddress } from './temporal/connection.js';
import { installRuntime } from './temporal/runtime.js';

export const PRODUCTION_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows/index.js', import.meta.url));

export interface CreateWorkerOptions {
  config: Config;
  connection: NativeConnection;
  activities?: object;
  /** Builds the production activities when `activities` is not given (without either: none). */
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
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: options.workflowsPath ?? PRODUCTION_WORKFLOWS_PATH }),
    activities: options.activities ?? (options.activityDeps ? createActivities(options.activityDeps) : {}),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
  });
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
): Promise<void> {
  installRuntime(log);
  let connections: Connections | undefined;
  let deps = activityDeps;
  if (!deps) {
    connections = await openConnections(config, log, createDefaultVerifier());
    deps = { connections: connections.service, log };
  }
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect({ address: temporalAddress(config) });
    const worker = await createWorker({ config, connection, activityDeps: deps });
    // A stop requested while the bundle was being built: never start polling.
    if (signal.aborted) return;
    signal.addEventListener('abort', () => worker.shutdown(), { once: true });
    log.info({ taskQueue: config.temporal.taskQueue, address: temporalAddress(config) }, 'worker started');
    const running = worker.run();
    onReady?.();
    await running;
    log.info('worker stopped');
  } finally {
    await connection?.close();
    await connections?.close();
  }
}

if (isMain(import.meta.url)) {
  const config = getConfig();
  const log = createLogger(config.logLevel);
  const controller = new AbortController();
  onShutdownSignal(() => controller.abort());
  runWorker(config, log, controller.signal).catch((err: unknown) => {
    log.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
