/**
 * `node dist/src/codec-server.js`: the codec server alone (src/api/codec-server.ts), for
 * deployments that run the worker and the gateway as separate processes (docker-compose.yml).
 * `npm start` runs the same server inside its own process (src/start.ts).
 */
import { getConfig } from './config.js';
import { startCodecServer } from './api/codec-server.js';
import { createLogger } from './logger.js';
import { isMain, onShutdownSignal } from './shared/process.js';

if (isMain(import.meta.url)) {
  const config = getConfig();
  const log = createLogger(config.logLevel);
  startCodecServer(config, log)
    .then((server) => onShutdownSignal(() => void server.close()))
    .catch((err: unknown) => {
      log.fatal({ err }, err instanceof Error ? err.message : 'codec server failed to start');
      process.exit(1);
    });
}
