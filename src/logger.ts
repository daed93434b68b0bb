import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Keys whose values are secrets wherever they appear in a logged object. Redaction happens in
 * the logger so no call site can forget it.
 */
export const REDACTED_KEYS = [
  'authorization',
  'Authorization',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'apiToken',
  'token',
  'access_token',
  'hmacSecret',
  'webhookSecret',
  'encryptionKey',
  // Connection secrets (src/connections): the whole `secrets` object of a connection record, and
  // each field wherever it travels on its own.
  'secrets',
  'zuoraClientSecret',
  'togaiApiToken',
  'zuoraBasicPassword',
  'zuoraHmacSecret',
  'togaiHmacSecret',
  'basicPassword',
  'basicPasswords',
  'hmacSecrets',
  'adminToken',
  'databaseUrl',
];

const redactPaths = REDACTED_KEYS.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `headers.${k}`,
  `req.headers.${k}`,
]);

/** JSON lines (for log shippers), readable lines (a person at a terminal), or the first when stdout is piped. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The process logger: pino, secrets redacted (REDACTED_KEYS). `format` `auto` writes readable
 * lines (pino-pretty, one line per entry, fields inline) when stdout is a terminal and JSON lines
 * otherwise, so production logs stay machine-readable. A given `destination` is always JSON.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const options = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'togai-zuora-sync' },
  };
  const readable =
    !destination && (format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true));
  if (readable) {
    // Synchronous: a line is on the terminal before the process can exit (no worker thread).
    return pino(
      options,
      pretty({
        sync: true,
        singleLine: true,
        colorize: process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
      }),
    );
  }
  return pino(options, destination);
}
