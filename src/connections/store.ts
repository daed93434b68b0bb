import { ConnectionConflictError, SecretDecryptionError } from './errors.js';
import type { Keyring } from './crypto.js';
import {
  connectionSecretsSchema,
  connectionSettingsSchema,
  type ConnectionRecord,
  type ConnectionSettings,
} from './model.js';

/**
 * Persistence of connections. Two implementations (SQLite, PostgreSQL) behind one interface and
 * one test suite. Stores encrypt and decrypt secrets themselves, so no caller can write clear
 * text by mistake; non-secret settings stay readable (JSON) for operators.
 */
export interface ConnectionStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run from several replicas at once. */
  migrate(): Promise<void>;
  /** Throws ConnectionConflictError when the id or the name (case-insensitive) is taken. */
  insert(record: ConnectionRecord): Promise<void>;
  /**
   * Replaces the row if its version is still `expectedVersion` (the new record carries
   * expectedVersion + 1). Throws ConnectionConflictError on a lost race or a taken name; returns
   * false when the row does not exist.
   */
  update(record: ConnectionRecord, expectedVersion: number): Promise<boolean>;
  get(id: string): Promise<ConnectionRecord | undefined>;
  getByName(name: string): Promise<ConnectionRecord | undefined>;
  /** Without secrets: listing must work even when a row's key is missing. */
  list(): Promise<ConnectionSummary[]>;
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export type ConnectionSummary = Omit<ConnectionRecord, 'secrets'> & {
  /** The encryption key id of the row's secrets (rows on a retired key need re-encryption). */
  keyId: string;
};

/** The row as both databases store it. */
export interface ConnectionRow {
  id: string;
  name: string;
  settings: string;
  secrets: string;
  key_id: string;
  created_at: string;
  updated_at: string;
  version: number;
}

function aad(id: string): string {
  return `tzs-connection:${id}`;
}

export function toRow(record: ConnectionRecord, keyring: Keyring): ConnectionRow {
  return {
    id: record.id,
    name: record.name,
    settings: JSON.stringify(connectionSettingsSchema.parse(record.settings)),
    secrets: keyring.encrypt(JSON.stringify(connectionSecretsSchema.parse(record.secrets)), aad(record.id)),
    key_id: keyring.currentKeyId,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    version: record.version,
  };
}

export function toSummary(row: ConnectionRow): ConnectionSummary {
  const raw: unknown = JSON.parse(row.settings);
  // A row written before flows could be chosen: the defaults apply, and the views say so.
  const unchosen = typeof raw === 'object' && raw !== null && !('flows' in raw);
  const settings: ConnectionSettings = connectionSettingsSchema.parse(
    unchosen ? { ...raw, flowsChosen: false } : raw,
  );
  return {
    id: row.id,
    name: row.name,
    settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    keyId: row.key_id,
  };
}

export function toRecord(row: ConnectionRow, keyring: Keyring): ConnectionRecord {
  let clear: string;
  try {
    clear = keyring.decrypt(row.secrets, aad(row.id));
  } catch (err) {
    if (err instanceof SecretDecryptionError) {
      throw new SecretDecryptionError(`connection ${row.id}: ${err.message}`);
    }
    throw err;
  }
  const { keyId: _keyId, ...summary } = toSummary(row);
  return { ...summary, secrets: connectionSecretsSchema.parse(JSON.parse(clear)) };
}

export function duplicateError(record: Pick<ConnectionRecord, 'id' | 'name'>, constraint: string): Error {
  return constraint.includes('name')
    ? new ConnectionConflictError(`A connection named ${JSON.stringify(record.name)} already exists`)
    : new ConnectionConflictError(`A connection with id ${record.id} already exists`);
}

export function lostRaceError(id: string): Error {
  return new ConnectionConflictError(`Connection ${id} was changed concurrently; retry`);
}
