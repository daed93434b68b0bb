/**
 * `npm run bench:sqlite`: the connection store's SQLite operations on better-sqlite3 and on Node's
 * built-in `node:sqlite` (Node 22.13+; on older Nodes only better-sqlite3 runs), to decide whether the
 * native addon can go (docs/node.md, "better-sqlite3 or node:sqlite").
 *
 * Each driver gets a fresh file database with the store's schema and pragmas (WAL, busy_timeout) and
 * the store's access pattern: one autocommit statement per call, prepared per call (as
 * src/connections/sqlite-store.ts does). Rows are sized like real ones (settings JSON ~0.6 kB,
 * encrypted secrets ~0.4 kB). Operations, N rows each: insert, get by id, get by name
 * (lower(name) index), update with the version check, list (all rows, ordered; `--lists` times),
 * delete. Prints the median of `--runs` runs per operation in ms and operations per second.
 *
 * Usage: node dist/scripts/sqlite-drivers.js [--rows 10000] [--runs 3] [--lists 20] [--dir /tmp/…]
 *          [--synchronous NORMAL|FULL]   (default: each driver's own default in WAL mode, as the store runs)
 *        scripts/test-on-node.sh 24.22.3 node dist/scripts/sqlite-drivers.js   (on Node 24)
 * Timings are wall clock on a shared machine: compare drivers within one run, not across machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import Table from 'cli-table3';

/** The part of a prepared statement both drivers share (better-sqlite3 and node:sqlite's StatementSync). */
interface Statement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The part of a connection both drivers share. */
interface Connection {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/** `node:sqlite`'s module shape, declared here: @types/node follows the oldest supported Node (20), which lacks it. */
interface NodeSqliteModule {
  DatabaseSync: new (path: string) => Connection;
}

interface Driver {
  name: string;
  version: string;
  open(path: string): Connection;
}

/** The store's schema (src/connections/sqlite-store.ts, migration 1). */
const SCHEMA = `CREATE TABLE tzs_connections (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     settings TEXT NOT NULL,
     secrets TEXT NOT NULL,
     key_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX tzs_connections_name ON tzs_connections (lower(name));`;

const OPERATIONS = [
  'insert',
  'get by id',
  'get by name',
  'update (version check)',
  'list',
  'delete',
] as const;
type Operation = (typeof OPERATIONS)[number];

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    lists: { type: 'string', default: '20' },
    dir: { type: 'string' },
    synchronous: { type: 'string' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const LISTS = Number(args.lists);
/** Unset: each driver's own default in WAL mode, which is what the store gets (it sets none). */
const SYNCHRONOUS = args.synchronous?.toUpperCase();
if (SYNCHRONOUS && !['OFF', 'NORMAL', 'FULL', 'EXTRA'].includes(SYNCHRONOUS)) {
  throw new Error('--synchronous must be OFF, NORMAL, FULL or EXTRA');
}
for (const [flag, value] of [
  ['--rows', ROWS],
  ['--runs', RUNS],
  ['--lists', LISTS],
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer`);
}

function sqliteVersion(db: Connection): string {
  return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
}

async function drivers(): Promise<Driver[]> {
  const list: Driver[] = [];
  const require = createRequire(import.meta.url);
  const bsVersion = (require('better-sqlite3/package.json') as { version: string }).version;
  list.push({
    name: 'better-sqlite3',
    version: bsVersion,
    open: (path) => new Database(path),
  });
  // A variable specifier: the type checker (Node 20 types) must not resolve it.
  const specifier = 'node:sqlite';
  try {
    const { DatabaseSync } = (await import(specifier)) as NodeSqliteModule;
    list.push({ name: 'node:sqlite', version: 'built in', open: (path) => new DatabaseSync(path) });
  } catch (err) {
    console.log(
      `node:sqlite is not available on Node ${process.version} (${err instanceof Error ? err.message : String(err)}): better-sqlite3 only.`,
    );
  }
  return list;
}

function fakeRow(i: number): Record<string, string | number> {
  const now = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    id: `conn_${i.toString(36).padStart(8, '0')}`,
    name: `Connection ${i}`,
    settings: JSON.stringify({
      zuora: { baseUrl: 'https://rest.apisandbox.zuora.com', tenantId: `t${i}`, entity: null },
      togai: { baseUrl: 'https://api.togai.com', accountPrefix: 'ZA-' },
      flows: { accounts: true, customers: true, invoices: true, usageQuantity: false, usageRevenue: false },
      meters: Object.fromEntries(
        Array.from({ length: 8 }, (_, m) => [`meter-${m}`, { uom: 'Each', charge: `C-${m}` }]),
      ),
      padding: 'x'.repeat(180),
    }),
    secrets: Buffer.alloc(300, i % 251).toString('base64'),
    key_id: 'k1',
    created_at: now,
    updated_at: now,
    version: 1,
  };
}

function withoutCreatedAt(row: Record<string, string | number>): Record<string, string | number> {
  const { created_at: _unused, ...rest } = row;
  return rest;
}

/** One run of every operation on a fresh database; milliseconds per operation. */
function runOnce(driver: Driver, dir: string, run: number): Map<Operation, number> {
  const path = join(dir, `${driver.name.replace(/\W/g, '_')}-${run}.db`);
  const db = driver.open(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA busy_timeout = 5000');
  if (SYNCHRONOUS) db.exec(`PRAGMA synchronous = ${SYNCHRONOUS}`);
  db.exec(SCHEMA);
  const rows = Array.from({ length: ROWS }, (_, i) => fakeRow(i));
  // A fixed shuffle: reads and updates do not walk the table in insertion order.
  const order = rows.map((_, i) => (i * 7919) % ROWS);
  const times = new Map<Operation, number>();
  const time = (op: Operation, fn: () => void): void => {
    const started = process.hrtime.bigint();
    fn();
    times.set(op, Number(process.hrtime.bigint() - started) / 1e6);
  };

  time('insert', () => {
    for (const row of rows) {
      db.prepare(
        `INSERT INTO tzs_connections (id, name, settings, secrets, key_id, created_at, updated_at, version)
         VALUES (@id, @name, @settings, @secrets, @key_id, @created_at, @updated_at, @version)`,
      ).run(row);
    }
  });
  let found = 0;
  time('get by id', () => {
    for (const i of order)
      if (db.prepare('SELECT * FROM tzs_connections WHERE id = ?').get(rows[i]!.id)) found++;
  });
  time('get by name', () => {
    for (const i of order) {
      const name = String(rows[i]!.name).toUpperCase();
      if (db.prepare('SELECT * FROM tzs_connections WHERE lower(name) = lower(?)').get(name)) found++;
    }
  });
  time('update (version check)', () => {
    for (const i of order) {
      const row = rows[i]!;
      const { changes } = db
        .prepare(
          `UPDATE tzs_connections SET name = @name, settings = @settings, secrets = @secrets, key_id = @key_id,
             updated_at = @updated_at, version = @version
           WHERE id = @id AND version = @expected`,
        )
        // Exactly the statement's parameters: node:sqlite refuses unknown ones (created_at here),
        // better-sqlite3 ignores them (the store passes the whole row; a port must not).
        .run({ ...withoutCreatedAt(row), version: 2, expected: 1 });
      if (Number(changes) === 1) found++;
    }
  });
  time('list', () => {
    for (let n = 0; n < LISTS; n++)
      found += db.prepare('SELECT * FROM tzs_connections ORDER BY created_at, id').all().length;
  });
  time('delete', () => {
    for (const i of order)
      found += Number(db.prepare('DELETE FROM tzs_connections WHERE id = ?').run(rows[i]!.id).changes);
  });
  const expected = ROWS * 4 + ROWS * LISTS;
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  // Every operation must have hit its row: a driver that silently did less is not faster.
  if (found !== expected) throw new Error(`${driver.name}: ${found} rows touched, expected ${expected}`);
  return times;
}

const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'tzs-sqlite-drivers-'));
const list = await drivers();
const results = new Map<string, Map<Operation, number>>();
const header: string[] = [];
for (const driver of list) {
  // In WAL mode on a file: a build can default synchronous differently there (SQLITE_DEFAULT_WAL_SYNCHRONOUS;
  // better-sqlite3 sets it to NORMAL, Node's SQLite keeps FULL, one fsync per commit).
  const probePath = join(dir, `${driver.name.replace(/\W/g, '_')}-probe.db`);
  const probe = driver.open(probePath);
  probe.exec('PRAGMA journal_mode = WAL');
  // Read after a first write: SQLite applies a build's WAL default there (before it, it reads FULL).
  probe.exec('CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (1)');
  const defaultSync = (probe.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
  const syncName = SYNC_NAMES[defaultSync] ?? String(defaultSync);
  header.push(
    `${driver.name} ${driver.version}: SQLite ${sqliteVersion(probe)}, synchronous in WAL mode: ` +
      (SYNCHRONOUS ? `${SYNCHRONOUS} (--synchronous; default ${syncName})` : `${syncName} (default)`),
  );
  probe.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(probePath + suffix, { force: true });
  const runs = Array.from({ length: RUNS }, (_, run) => runOnce(driver, dir, run));
  results.set(driver.name, new Map(OPERATIONS.map((op) => [op, median(runs.map((r) => r.get(op)!))])));
}
if (!args.dir) rmSync(dir, { recursive: true, force: true });

console.log(`Node ${process.version}, ${ROWS} rows, median of ${RUNS} runs, file databases in WAL mode`);
for (const line of header) console.log(`  ${line}`);
const table = new Table({
  head: [
    'operation',
    ...list.flatMap((d) => [`${d.name} ms`, `${d.name} op/s`]),
    ...(list.length > 1 ? ['node:sqlite / better-sqlite3'] : []),
  ],
  // Colour only on a terminal: the figures are pasted into docs/node.md.
  style: process.stdout.isTTY ? {} : { head: [], border: [] },
});
for (const op of OPERATIONS) {
  const count = op === 'list' ? LISTS : ROWS;
  const label = op === 'list' ? `list all ${ROWS} rows (×${LISTS})` : `${op} (×${ROWS})`;
  const cells = list.flatMap((d) => {
    const ms = results.get(d.name)!.get(op)!;
    return [ms.toFixed(1), Math.round((count * 1000) / ms).toLocaleString('en')];
  });
  const ratio =
    list.length > 1
      ? [(results.get('node:sqlite')!.get(op)! / results.get('better-sqlite3')!.get(op)!).toFixed(2)]
      : [];
  table.push([label, ...cells, ...ratio]);
}
console.log(table.toString());
if (warnings.length) console.log(`Warnings: ${[...new Set(warnings)].join('; ')}`);
