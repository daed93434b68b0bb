import { pino, type Logger } from 'pino';

export type { Logger };

/** The simulators' own logs (pino, JSON); silent by default in tests. They hold no real secrets. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'tzs-simulator' } });
}
