import { randomUUID } from 'node:crypto';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config.js';
import { createWorker, PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { testEnv } from '../hooks.js';
import { testDataConverter } from './codec.js';

/** A config for in-process tests: no /metrics listeners (tests that check them give their own ports). */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: 'silent',
    WORKER_METRICS_PORT: '0',
    GATEWAY_METRICS_PORT: '0',
    ...overrides,
  });
}

/** A task queue of its own per test, so workers of different tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Bundling takes seconds; every worker of a run shares one bundle per workflows module. */
export function bundleFor(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

/**
 * Runs `fn` while a real worker (the production factory) polls `taskQueue` on the shared dev
 * server, then shuts the worker down and waits for it.
 */
export async function withWorker<T>(
  options: { taskQueue: string; workflowsPath?: string; activities?: object; config?: Config },
  fn: (worker: Worker) => Promise<T>,
): Promise<T> {
  const env = testEnv();
  const worker = await createWorker({
    config: options.config ?? testConfig(),
    connection: env.nativeConnection,
    dataConverter: testDataConverter,
    taskQueue: options.taskQueue,
    workflowBundle: await bundleFor(options.workflowsPath ?? PRODUCTION_WORKFLOWS_PATH),
    activities: options.activities,
  });
  return worker.runUntil(() => fn(worker));
}
