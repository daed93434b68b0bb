import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ESM has no `require.main === module`; compare the entry script with this module's file. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * First SIGINT/SIGTERM: graceful stop. A second one: exit at once, for an operator who does not
 * want to wait for in-flight activities.
 */
export function onShutdownSignal(handler: (signal: NodeJS.Signals) => void): void {
  let received = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (received) {
      process.exit(130);
    }
    received = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
}
