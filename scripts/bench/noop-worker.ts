/**
 * Child process of `npm run bench`: a worker with the production worker settings (createWorker,
 * the same environment) running only the no-op workflow, for the server's own ceiling.
 */
import { fileURLToPath } from 'node:url';
import { NativeConnection } from '@temporalio/worker';
import { getConfig } from '../../src/config.js';
import { temporalDataConverter } from '../../src/temporal/codec.js';
import { temporalAddress } from '../../src/temporal/connection.js';
import { createLogger } from '../../src/logger.js';
import { createWorker } from '../../src/worker.js';

const config = getConfig();
const connection = await NativeConnection.connect({ address: temporalAddress(config) });
const worker = await createWorker({
  config,
  connection,
  // The bench's DATA_DIR key file, made by the parent before this worker starts.
  dataConverter: temporalDataConverter(config, createLogger(config.logLevel), { create: false }),
  workflowsPath: fileURLToPath(new URL('./noop-workflows.js', import.meta.url)),
  activities: { benchNoop: () => Promise.resolve() },
  taskQueue: process.env['BENCH_NOOP_TASK_QUEUE'] ?? 'bench-noop',
});
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
process.send?.('ready');
await running;
await connection.close();
