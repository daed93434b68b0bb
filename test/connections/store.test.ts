import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Keyring } from '../../src/connections/crypto.js';
import { ConnectionConflictError, SecretDecryptionError } from '../../src/connections/errors.js';
import { connectionSettingsSchema, flowsSchema, type ConnectionRecord } from '../../src/connections/model.js';
import { PostgresConnectionStore } from '../../src/connections/postgres-store.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import type { ConnectionStore } from '../../src/connections/store.js';
import { tempDir } from './helpers.js';

/** One suite, two databases: the same behaviour is required of SQLite and PostgreSQL. */
interface Backend {
  open(keyring: Keyring): Promise<ConnectionStore>;
  /** The rows exactly as stored, bypassing the store. */
  rawRows(): Promise<{ id: string; settings: string; secrets: string; key_id: string }[]>;
  /** Overwrites a row's secrets column, bypassing the store. */
  setRawSecrets(id: string, secrets: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = tempDir('tzs-store-');
  const path = join(dir.path, 'tzs.sqlite');
  return {
    async open(keyring) {
      const store = new SqliteConnectionStore(path, keyring);
      await store.migrate();
      return store;
    },
    rawRows() {
      const db = new Database(path, { readonly: true });
      try {
        return Promise.resolve(
          db.prepare('SELECT id, settings, secrets, key_id FROM tzs_connections').all() as {
            id: string;
            settings: string;
            secrets: string;
            key_id: string;
          }[],
        );
      } finally {
        db.close();
      }
    },
    setRawSecrets(id, secrets) {
      const db = new Database(path);
      try {
        db.prepare('UPDATE tzs_connections SET secrets = ? WHERE id = ?').run(secrets, id);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    cleanup() {
      dir.remove();
      return Promise.resolve();
    },
  };
}

function postgresBackend(url: string): Backend {
  // A schema per run (and per suite instance): parallel or repeated runs never collide.
  const schema = `tzs_test_${randomBytes(6).toString('hex')}`;
  const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    async open(keyring) {
      const store = new PostgresConnectionStore(url, schema, keyring);
      await store.migrate();
      return store;
    },
    rawRows: () =>
      withClient(async (c) => {
        const res = await c.query<{ id: string; settings: string; secrets: string; key_id: string }>(
          `SELECT id, settings::text AS settings, secrets, key_id FROM "${schema}".tzs_connections`,
        );
        return res.rows;
      }),
    setRawSecrets: (id, secrets) =>
      withClient(async (c) => {
        await c.query(`UPDATE "${schema}".tzs_connections SET secrets = $1 WHERE id = $2`, [secrets, id]);
      }),
    cleanup: () =>
      withClient(async (c) => {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }),
  };
}

const CLIENT_SECRET = 'zsecret-1f6b0c2e9a7d4e3b8c5a';
const API_TOKEN = 'ttoken-9d8c7b6a5f4e3d2c1b0a';
const HMAC = 'hmac-7a6b5c4d3e2f1a0b9c8d';

function record(id: string, name: string, version = 1): ConnectionRecord {
  const at = new Date('2026-01-02T03:04:05.678Z').toISOString();
  return {
    id,
    name,
    settings: connectionSettingsSchema.parse({
      zuora: {
        endpoint: 'https://rest.apisandbox.zuora.com',
        customEndpoint: false,
        clientId: 'client-1',
        concurrency: 40,
        invoiceStatus: 'Draft',
        defaultBillCycleDay: 1,
        defaultPaymentTerm: 'Due Upon Receipt',
        customFields: {
          accountTogaiCustomerId: 'TogaiCustomerId__c',
          accountTogaiAccountId: 'TogaiAccountId__c',
          invoiceTogaiInvoiceId: 'TogaiInvoiceId__c',
          usageUnitAmount: 'TogaiUnitAmount__c',
          usageKey: 'TogaiUsageKey__c',
        },
      },
      togai: { baseUrl: 'https://api.togai.com', requestsPerSecond: 10, settingsNamespace: 'zuora' },
      flows: flowsSchema.parse({}),
      usageSyncMode: 'quantity',
      webhooks: { zuoraAuth: 'basic', zuoraBasicUsername: `zuora-${id}` },
    }),
    secrets: { zuoraClientSecret: CLIENT_SECRET, togaiApiToken: API_TOKEN, togaiHmacSecret: HMAC },
    createdAt: at,
    updatedAt: at,
    version,
  };
}

function storeSuite(label: string, makeBackend: () => Backend): void {
  describe(`connection store: ${label}`, function () {
    this.timeout(20_000);
    let backend: Backend;
    let k1: Buffer;
    let keyring: Keyring;
    let store: ConnectionStore;

    beforeEach(async () => {
      backend = makeBackend();
      k1 = randomBytes(32);
      keyring = new Keyring({ id: 'k1', key: k1 });
      store = await backend.open(keyring);
    });
    afterEach(async () => {
      await store.close();
      await backend.cleanup();
    });

    it('creates, reads (by id and by name, case-insensitively), lists, updates and deletes', async () => {
      const a = record('conn_aaaa', 'Acme');
      await store.insert(a);
      await store.insert(record('conn_bbbb', 'Globex'));
      assert.deepEqual(await store.get('conn_aaaa'), a);
      assert.deepEqual(await store.getByName('ACME'), a);
      assert.equal(await store.get('conn_nope'), undefined);

      const listed = await store.list();
      assert.deepEqual(
        listed.map((s) => [s.id, s.name, s.keyId]),
        [
          ['conn_aaaa', 'Acme', 'k1'],
          ['conn_bbbb', 'Globex', 'k1'],
        ],
      );
      assert.ok(
        listed.every((s) => !('secrets' in s)),
        'list carries no secrets',
      );

      const changed: ConnectionRecord = {
        ...a,
        name: 'Acme EU',
        settings: { ...a.settings, usageSyncMode: 'revenue' },
        secrets: { ...a.secrets, togaiApiToken: 'ttoken-rotated-000000000000' },
        updatedAt: new Date('2026-02-01T00:00:00.000Z').toISOString(),
        version: 2,
      };
      assert.equal(await store.update(changed, 1), true);
      assert.deepEqual(await store.get('conn_aaaa'), changed);
      assert.equal(await store.update(record('conn_zzzz', 'Nobody', 2), 1), false, 'update of a missing row');

      assert.equal(await store.delete('conn_aaaa'), true);
      assert.equal(await store.delete('conn_aaaa'), false);
      assert.deepEqual(
        (await store.list()).map((s) => s.id),
        ['conn_bbbb'],
      );
    });

    it('refuses a second connection with the same name (case-insensitive) or id', async () => {
      await store.insert(record('conn_aaaa', 'Acme'));
      await assert.rejects(store.insert(record('conn_bbbb', 'acme')), (err: unknown) => {
        assert.ok(err instanceof ConnectionConflictError);
        assert.match(err.message, /named "acme" already exists/);
        return true;
      });
      await assert.rejects(store.insert(record('conn_aaaa', 'Other')), /id conn_aaaa already exists/);
      await store.insert(record('conn_cccc', 'Initech'));
      await assert.rejects(
        store.update({ ...record('conn_cccc', 'ACME', 2) }, 1),
        /named "ACME" already exists/,
      );
    });

    it('detects a concurrent update through the version (no silent overwrite between replicas)', async () => {
      await store.insert(record('conn_aaaa', 'Acme'));
      assert.equal(await store.update(record('conn_aaaa', 'Acme', 2), 1), true);
      await assert.rejects(store.update(record('conn_aaaa', 'Acme stale', 2), 1), (err: unknown) => {
        assert.ok(err instanceof ConnectionConflictError);
        assert.match(err.message, /changed concurrently/);
        return true;
      });
      assert.equal((await store.get('conn_aaaa'))?.name, 'Acme');
    });

    it('stores secrets encrypted: raw rows contain no clear-text secret, settings stay readable', async () => {
      await store.insert(record('conn_aaaa', 'Acme'));
      const rows = await backend.rawRows();
      assert.equal(rows.length, 1);
      const raw = JSON.stringify(rows);
      for (const secret of [CLIENT_SECRET, API_TOKEN, HMAC]) {
        assert.ok(!raw.includes(secret), 'secret found in clear in the database row');
        assert.ok(!raw.includes(Buffer.from(secret).toString('base64')), 'secret found base64-encoded');
      }
      assert.match(rows[0]?.secrets ?? '', /^v1\.k1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(rows[0]?.key_id, 'k1');
      assert.match(rows[0]?.settings ?? '', /rest\.apisandbox\.zuora\.com/);
    });

    it("refuses to decrypt a row's secrets copied onto another row (ciphertext bound to its id)", async () => {
      await store.insert(record('conn_aaaa', 'Acme'));
      await store.insert(record('conn_bbbb', 'Globex'));
      const rows = await backend.rawRows();
      const aSecrets = rows.find((r) => r.id === 'conn_aaaa')?.secrets ?? '';
      await backend.setRawSecrets('conn_bbbb', aSecrets);
      await assert.rejects(store.get('conn_bbbb'), (err: unknown) => {
        assert.ok(err instanceof SecretDecryptionError);
        assert.match(err.message, /conn_bbbb: stored secrets failed authentication with key id "k1"/);
        return true;
      });
    });

    it('reads rows of a retired key after key rotation, and says which key is missing otherwise', async () => {
      await store.insert(record('conn_aaaa', 'Acme'));
      await store.close();
      const oldKey = { id: 'k1', key: k1 };
      const newKey = { id: 'k2', key: randomBytes(32) };

      store = await backend.open(new Keyring(newKey, [oldKey]));
      assert.equal((await store.get('conn_aaaa'))?.secrets.zuoraClientSecret, CLIENT_SECRET);
      await store.close();

      store = await backend.open(new Keyring(newKey));
      await assert.rejects(store.get('conn_aaaa'), /encrypted with key id "k1", which is not configured/);
      assert.equal((await store.list()).length, 1, 'listing still works without the key');
    });

    it('migrates idempotently, also when several processes start at once', async () => {
      const others = await Promise.all([backend.open(keyring), backend.open(keyring), backend.open(keyring)]);
      await store.insert(record('conn_aaaa', 'Acme'));
      assert.equal((await others[0]?.get('conn_aaaa'))?.name, 'Acme');
      await Promise.all(others.map((s) => s.close()));
    });
  });
}

storeSuite('SQLite (temp file)', sqliteBackend);

const pgUrl = process.env['TEST_DATABASE_URL'];
if (pgUrl) {
  storeSuite('PostgreSQL (TEST_DATABASE_URL)', () => postgresBackend(pgUrl));
} else if (process.env['CI'] === 'true') {
  describe('connection store: PostgreSQL', () => {
    it('runs in CI: TEST_DATABASE_URL must be set (.ci/run exports it from scripts/ensure-postgres.sh)', () => {
      assert.fail('TEST_DATABASE_URL is unset in CI: the PostgreSQL store suite did not run');
    });
  });
} else {
  describe('connection store: PostgreSQL', () => {
    // Pending, not passing: the report must show that this half did not run.
    it('DID NOT RUN: set TEST_DATABASE_URL (export TEST_DATABASE_URL=$(scripts/ensure-postgres.sh))');
  });
}
