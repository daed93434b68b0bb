import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Keyring } from './crypto.js';
import { loadKeyring } from './keys.js';
import { PostgresConnectionStore } from './postgres-store.js';
import { ConnectionService } from './service.js';
import { SqliteConnectionStore } from './sqlite-store.js';
import type { ConnectionStore } from './store.js';
import type { CredentialVerifier } from './verifier.js';

export function sqlitePath(config: Config): string {
  return resolve(join(config.dataDir, 'tzs.sqlite'));
}

/** The configured store, migrated: PostgreSQL when DATABASE_URL is set, else SQLite under DATA_DIR. */
export async function openConnectionStore(
  config: Config,
  keyring: Keyring,
  log: Logger,
): Promise<ConnectionStore> {
  const store: ConnectionStore = config.database.url
    ? new PostgresConnectionStore(config.database.url, config.database.schema, keyring)
    : new SqliteConnectionStore(sqlitePath(config), keyring);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  // Never log DATABASE_URL: it carries the database password.
  log.debug(
    store.kind === 'postgres'
      ? { store: 'postgres', schema: config.database.schema }
      : { store: 'sqlite', path: sqlitePath(config) },
    'connection store ready',
  );
  return store;
}

export interface Connections {
  store: ConnectionStore;
  service: ConnectionService;
  keyring: Keyring;
  close(): Promise<void>;
}

/** Everything a process (gateway, worker, CLI) needs to manage or resolve connections. */
export async function openConnections(
  config: Config,
  log: Logger,
  verifier: CredentialVerifier,
): Promise<Connections> {
  const keyring = loadKeyring(config, log);
  const store = await openConnectionStore(config, keyring, log);
  const service = new ConnectionService({ store, verifier, log, publicBaseUrl: config.publicBaseUrl });
  return { store, service, keyring, close: () => store.close() };
}
