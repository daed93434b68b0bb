import { pino, type Logger } from 'pino';

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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'togai-zuora-sync' } },
    destination,
  );
}
