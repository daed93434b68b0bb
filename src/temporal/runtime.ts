import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger.js';

let installed = false;

/** Routes the SDK's own logs into our logger. The Runtime is process-wide and installable once. */
export function installRuntime(log: Logger): void {
  if (installed) return;
  installed = true;
  const level: LogLevel = log.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const fn =
        entry.level === 'ERROR'
          ? log.error
          : entry.level === 'WARN'
            ? log.warn
            : entry.level === 'INFO'
              ? log.info
              : log.debug;
      fn.call(log, { sdk: true, ...entry.meta }, entry.message);
    }),
  });
}
