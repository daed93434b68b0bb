import pg from 'pg';
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

/** Ordered; never edit an applied migration, append a new one. `$S` is the quoted schema. */
const MIGRATIONS: string[] = [
  `CREATE TABLE $S.tzs_connections (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     settings JSONB NOT NULL,
     secrets TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created_at TIMESTAMPTZ NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX tzs_connections_name ON $S.tzs_connections (lower(name));`,
];

interface PgRow {
  id: string;
  name: string;
  settings: unknown;
  secrets: string;
  key_id: string;
  created_at: Date;
  updated_at: Date;
  version: number;
}

function fromPg(row: PgRow): ConnectionRow {
  return {
    ...row,
    settings: JSON.stringify(row.settings),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** For several replicas: one shared database, optimistic versions instead of locks. */
export class PostgresConnectionStore implements ConnectionStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly quotedSchema: string;

  constructor(
    connectionString: string,
    readonly schema: string,
    private readonly keyring: Keyring,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
    this.quotedSchema = `"${schema}"`;
    this.table = `${this.quotedSchema}.tzs_connections`;
    this.pool = new pg.Pool({ connectionString, max: 5 });
    // An idle client losing its server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together: one migrates, the others wait and then find nothing to do.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tzs-migrate:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.quotedSchema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.quotedSchema}.tzs_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`,
      );
      const { rows } = await client.query<{ v: number | null }>(
        `SELECT max(version) AS v FROM ${this.quotedSchema}.tzs_schema_migrations`,
      );
      const current = rows[0]?.v ?? 0;
      for (const [i, sql] of MIGRATIONS.slice(current).entries()) {
        await client.query(sql.replaceAll('$S', this.quotedSchema));
        await client.query(
          `INSERT INTO ${this.quotedSchema}.tzs_schema_migrations (version, applied_at) VALUES ($1, now())`,
          [current + i + 1],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async insert(record: ConnectionRecord): Promise<void> {
    const r = toRow(record, this.keyring);
    try {
      await this.pool.query(
        `INSERT INTO ${this.table} (id, name, settings, secrets, key_id, created_at, updated_at, version)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)`,
        [r.id, r.name, r.settings, r.secrets, r.key_id, r.created_at, r.updated_at, r.version],
      );
    } catch (err) {
      throw translate(err, record);
    }
  }

  async update(record: ConnectionRecord, expectedVersion: number): Promise<boolean> {
    const r = toRow(record, this.keyring);
    let count: number;
    try {
      const res = await this.pool.query(
        `UPDATE ${this.table} SET name = $2, settings = $3::jsonb, secrets = $4, key_id = $5, updated_at = $6, version = $7
         WHERE id = $1 AND version = $8`,
        [r.id, r.name, r.settings, r.secrets, r.key_id, r.updated_at, r.version, expectedVersion],
      );
      count = res.rowCount ?? 0;
    } catch (err) {
      throw translate(err, record);
    }
    if (count === 1) return true;
    const exists = await this.pool.query(`SELECT 1 FROM ${this.table} WHERE id = $1`, [record.id]);
    if ((exists.rowCount ?? 0) > 0) throw lostRaceError(record.id);
    return false;
  }

  async get(id: string): Promise<ConnectionRecord | undefined> {
    const { rows } = await this.pool.query<PgRow>(`SELECT * FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] && toRecord(fromPg(rows[0]), this.keyring);
  }

  async getByName(name: string): Promise<ConnectionRecord | undefined> {
    const { rows } = await this.pool.query<PgRow>(
      `SELECT * FROM ${this.table} WHERE lower(name) = lower($1)`,
      [name],
    );
    return rows[0] && toRecord(fromPg(rows[0]), this.keyring);
  }

  async list(): Promise<ConnectionSummary[]> {
    const { rows } = await this.pool.query<PgRow>(`SELECT * FROM ${this.table} ORDER BY created_at, id`);
    return rows.map((r) => toSummary(fromPg(r)));
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.pool.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
    return (res.rowCount ?? 0) === 1;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function translate(err: unknown, record: ConnectionRecord): Error {
  if (err instanceof pg.DatabaseError && err.code === '23505') {
    return duplicateError(record, err.constraint ?? '');
  }
  return err instanceof Error ? err : new Error(String(err));
}
