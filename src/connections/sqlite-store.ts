import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Keyring } from './crypto.js';
import type { ConnectionRecord } from './model.js';
import {
  duplicateError,
  lostRaceError,
  toRecord,
  toRow,
  toSummary,
  type ConnectionRow,
  type ConnectionStore,
  type ConnectionSummary,
} from './store.js';

/** Ordered; never edit an applied migration, append a new one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE tzs_connections (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     settings TEXT NOT NULL,
     secrets TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX tzs_connections_name ON tzs_connections (lower(name));`,
];

/** better-sqlite3 is synchronous; callers expect rejections, not throws, from a store. */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The default store: one file under DATA_DIR, no server to run. Single-replica only. */
export class SqliteConnectionStore implements ConnectionStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(
    readonly path: string,
    private readonly keyring: Keyring,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // Ciphertexts only, but still nobody else's business (SQLite gives -wal/-shm the same mode).
    chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    // The CLI and a running gateway share the file: wait for each other's writes.
    this.db.pragma('busy_timeout = 5000');
  }

  migrate(): Promise<void> {
    return attempt(() => {
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS tzs_schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const apply = this.db.transaction(() => {
        const row = this.db.prepare('SELECT max(version) AS v FROM tzs_schema_migrations').get() as {
          v: number | null;
        };
        const current = row.v ?? 0;
        MIGRATIONS.slice(current).forEach((sql, i) => {
          this.db.exec(sql);
          this.db
            .prepare('INSERT INTO tzs_schema_migrations (version, applied_at) VALUES (?, ?)')
            .run(current + i + 1, new Date().toISOString());
        });
      });
      // IMMEDIATE takes the write lock first: two processes starting together migrate one at a time.
      apply.immediate();
    });
  }

  insert(record: ConnectionRecord): Promise<void> {
    return attempt(() => {
      const row = toRow(record, this.keyring);
      try {
        this.db
          .prepare(
            `INSERT INTO tzs_connections (id, name, settings, secrets, key_id, created_at, updated_at, version)
             VALUES (@id, @name, @settings, @secrets, @key_id, @created_at, @updated_at, @version)`,
          )
          .run(row);
      } catch (err) {
        throw this.translate(err, record);
      }
    });
  }

  update(record: ConnectionRecord, expectedVersion: number): Promise<boolean> {
    return attempt(() => {
      const row = toRow(record, this.keyring);
      let changes: number;
      try {
        changes = this.db
          .prepare(
            `UPDATE tzs_connections SET name = @name, settings = @settings, secrets = @secrets, key_id = @key_id,
               updated_at = @updated_at, version = @version
             WHERE id = @id AND version = @expected`,
          )
          .run({ ...row, expected: expectedVersion }).changes;
      } catch (err) {
        throw this.translate(err, record);
      }
      if (changes === 1) return true;
      if (this.db.prepare('SELECT 1 FROM tzs_connections WHERE id = ?').get(record.id)) {
        throw lostRaceError(record.id);
      }
      return false;
    });
  }

  get(id: string): Promise<ConnectionRecord | undefined> {
    return attempt(() => {
      const row = this.db.prepare('SELECT * FROM tzs_connections WHERE id = ?').get(id) as
        ConnectionRow | undefined;
      return row && toRecord(row, this.keyring);
    });
  }

  getByName(name: string): Promise<ConnectionRecord | undefined> {
    return attempt(() => {
      const row = this.db.prepare('SELECT * FROM tzs_connections WHERE lower(name) = lower(?)').get(name) as
        ConnectionRow | undefined;
      return row && toRecord(row, this.keyring);
    });
  }

  list(): Promise<ConnectionSummary[]> {
    return attempt(() => {
      const rows = this.db
        .prepare('SELECT * FROM tzs_connections ORDER BY created_at, id')
        .all() as ConnectionRow[];
      return rows.map(toSummary);
    });
  }

  delete(id: string): Promise<boolean> {
    return attempt(() => this.db.prepare('DELETE FROM tzs_connections WHERE id = ?').run(id).changes === 1);
  }

  close(): Promise<void> {
    return attempt(() => {
      if (this.db.open) this.db.close();
    });
  }

  private translate(err: unknown, record: ConnectionRecord): Error {
    if (
      err instanceof Error &&
      'code' in err &&
      typeof err.code === 'string' &&
      err.code.startsWith('SQLITE_CONSTRAINT')
    ) {
      return duplicateError(record, err.message);
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}
