import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import express from 'express';
import { invoiceSweep, reconciliation } from '../src/flows/index.js';
import { ensureInvoiceSweepSchedule, ensureReconciliationSchedule } from '../src/temporal/schedules.js';
import { tempDir } from './connections/helpers.js';
import { testEnv } from './hooks.js';
import { DEFAULT_API_TOKEN, startTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import { startZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';

const CLI = fileURLToPath(new URL('../src/tzs/main.js', import.meta.url));

const ZUORA_ID = 'cli-client';
const ZUORA_SECRET = 'cli-zuora-secret-5b9e0c41d7a2';
const TOGAI_TOKEN = 'cli-togai-token-8f3a6e2d1c07';

/**
 * Stand-ins for Zuora's /oauth/token and one Togai list call, so the CLI's real credential
 * verifier (src/clients) has something on loopback to talk to.
 */
function startVendorStub(): Promise<Server> {
  const app = express();
  app.post('/oauth/token', express.urlencoded({ extended: false }), (req, res) => {
    const body = req.body as Record<string, string>;
    if (body['client_id'] === ZUORA_ID && body['client_secret'] === ZUORA_SECRET) {
      res.json({
        access_token: 'tok-1',
        token_type: 'bearer',
        expires_in: 3599,
        scope: 'entity.1',
        jti: 'j1',
      });
    } else {
      res
        .status(401)
        .json({ reasons: [{ code: '90000011', message: 'invalid client credentials' }], success: false });
    }
  });
  // A tenant with every custom field: object queries answer an empty page.
  app.get('/object-query/:object', (_req, res) => {
    res.json({ data: [], nextPage: null });
  });
  app.get('/usage_meters', (req, res) => {
    if (req.get('authorization') === `Bearer ${TOGAI_TOKEN}`) res.json({ data: [] });
    else res.status(401).json({ message: 'Unauthorized' });
  });
  return new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tzs CLI (spawned, temp SQLite)', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let stub: Server;
  let base: string;
  const transcript: string[] = [];

  before(async () => {
    dir = tempDir('tzs-cli-');
    stub = await startVendorStub();
    base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => stub.close(() => r()));
    dir.remove();
  });

  function run(...args: string[]): Promise<Run> {
    // A clean environment: the CLI must work from DATA_DIR alone (dev mode, local key file).
    const env = {
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: dir.path,
      LOG_LEVEL: 'info',
      PUBLIC_BASE_URL: 'https://sync.example.com',
      // The suite's Temporal server: `remove` deletes the connection's sweep schedule there.
      TEMPORAL_ADDRESS: testEnv().address,
    };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => {
        transcript.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('adds, lists, shows, tests, rotates and removes a connection; secrets only in the one-time setup', async () => {
    const file = join(dir.path, 'acme.yaml');
    writeFileSync(
      file,
      [
        'name: Acme',
        'zuora:',
        `  endpoint: ${base}`,
        '  customEndpoint: true',
        `  clientId: ${ZUORA_ID}`,
        `  clientSecret: ${ZUORA_SECRET}`,
        'togai:',
        `  baseUrl: ${base}`,
        `  apiToken: ${TOGAI_TOKEN}`,
        'usageSyncMode: revenue',
      ].join('\n'),
    );
    const add = await run('connections', 'add', '--file', file, '--invoice-status', 'Posted', '--json');
    assert.equal(add.code, 0, add.stderr);
    const created = JSON.parse(add.stdout) as {
      connection: {
        id: string;
        zuora: { invoiceStatus: string; customEndpoint: boolean };
        usageSyncMode: string;
      };
      setup: {
        zuora: { url: string; basic: { password: string }; hmac: { secret: string } };
        togai: { url: string; hmac: { secret: string } };
      };
    };
    const id = created.connection.id;
    assert.match(id, /^conn_[a-z0-9]+$/);
    assert.equal(created.connection.zuora.invoiceStatus, 'Posted', 'a flag overrides the file');
    assert.equal(created.connection.usageSyncMode, 'revenue');
    assert.equal(created.connection.zuora.customEndpoint, true);
    assert.equal(created.setup.zuora.url, `https://sync.example.com/webhooks/zuora/${id}`);
    assert.equal(created.setup.togai.url, `https://sync.example.com/webhooks/togai/${id}`);
    assert.match(add.stderr, /created a local encryption key/);
    assert.equal(statSync(join(dir.path, 'encryption-key.json')).mode & 0o777, 0o600);

    const list = await run('connections', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as { connections: { id: string; name: string }[] };
    assert.deepEqual(
      listed.connections.map((c) => [c.id, c.name]),
      [[id, 'Acme']],
    );

    const show = await run('connections', 'show', 'acme');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`${id}  Acme`));
    assert.match(show.stdout, /CUSTOM ENDPOINT/);
    assert.match(show.stdout, /secret cli-…\*\*\*\*/);

    // Flows: shown by `show`, switched by flags, and a double-billing configuration refused with why.
    assert.match(
      show.stdout,
      /Flows {7}1 Zuora→Togai accounts on, 2 Togai→Zuora accounts on, 3 invoices on, 4 usage by quantity off, 5 usage by revenue off/,
    );
    assert.match(show.stdout, /billing mode: Togai invoices/);
    assert.match(show.stdout, /Reconcile {3}every 24 h over 35 days, repair off/);
    const twice = await run('connections', 'update', id, '--flow-usage-quantity', 'on');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /error: .*reach Zuora twice/);
    // In the CLI's words: flags, not the service's setting paths.
    assert.match(
      twice.stderr,
      /--flow-invoices \(flow 3\) is on together with --flow-usage-quantity \(flow 4\)/,
    );
    assert.ok(!/flows\.invoices/.test(twice.stderr), twice.stderr);
    const addHelp = (await run('connections', 'add', '--help')).stdout;
    assert.match(
      addHelp,
      /--flow-invoices <on\|off>\s+flow 3: Togai invoice → standalone Zuora\s+invoice \(default on\)/,
    );
    assert.ok(!/\(default \w+\)\s+\(default/.test(addHelp), 'each default once');
    const updateHelp = (await run('connections', 'update', '--help')).stdout;
    assert.ok(!/\(default /.test(updateHelp), 'an update changes only what is given: no defaults shown');
    const badFlag = await run('connections', 'update', id, '--flow-invoices', 'maybe');
    assert.notEqual(badFlag.code, 0);
    assert.match(badFlag.stderr, /expected on or off/);
    const usage = await run(
      'connections',
      'update',
      id,
      '--flow-invoices',
      'off',
      '--flow-usage-revenue',
      'on',
    );
    assert.equal(usage.code, 0, usage.stderr);
    assert.match(usage.stdout, /3 invoices off, 4 usage by quantity off, 5 usage by revenue on/);
    assert.match(usage.stdout, /billing mode: Zuora bills the usage/);

    // The bound of invoice syncs in flight (issue 12): shown with its default, set by its flag.
    assert.match(usage.stdout, /invoice syncs in flight at most: 40 \(the Zuora concurrency/);
    const bound = await run('connections', 'update', id, '--max-in-flight-syncs', '12');
    assert.equal(bound.code, 0, bound.stderr);
    assert.match(bound.stdout, /invoice syncs in flight at most: 12\n/);
    for (const wrong of ['0', '2.5', 'abc']) {
      const refused = await run('connections', 'update', id, '--max-in-flight-syncs', wrong);
      assert.equal(refused.code, 1, wrong);
      assert.match(refused.stderr, /--max-in-flight-syncs: /, refused.stderr);
      assert.doesNotMatch(refused.stderr, /received string/, refused.stderr);
    }

    const test = await run('connections', 'test', id, '--json');
    assert.equal(test.code, 0, test.stderr);
    assert.deepEqual(JSON.parse(test.stdout), { id, ok: true, zuora: { ok: true }, togai: { ok: true } });

    const rotate = await run('connections', 'rotate', id, '--grace', '5');
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /Paste into Zuora's callout template/);
    assert.ok(!rotate.stdout.includes(created.setup.togai.hmac.secret), 'new credentials, not the old ones');

    // Nothing but the one-time setup output ever carried a secret.
    const setupOutputs = new Set([add.stdout, rotate.stdout]);
    const others = transcript.filter((t) => !setupOutputs.has(t)).join('\n');
    for (const s of [
      ZUORA_SECRET,
      TOGAI_TOKEN,
      created.setup.zuora.basic.password,
      created.setup.zuora.hmac.secret,
      created.setup.togai.hmac.secret,
    ]) {
      assert.ok(!others.includes(s), 'a secret leaked into list/show/test output or a log line');
    }
    const db = new Database(join(dir.path, 'tzs.sqlite'), { readonly: true });
    const raw = JSON.stringify(db.prepare('SELECT * FROM tzs_connections').all());
    db.close();
    assert.ok(!raw.includes(ZUORA_SECRET) && !raw.includes(TOGAI_TOKEN), 'secrets are encrypted at rest');

    const refuse = await run('connections', 'remove', id);
    assert.equal(refuse.code, 1);
    assert.match(refuse.stderr, /needs --yes/);
    await ensureInvoiceSweepSchedule(testEnv().client, {
      connectionId: id,
      taskQueue: 'cli-test',
      intervalSeconds: 3600,
      overlapSeconds: 60,
      paused: true,
    });
    await ensureReconciliationSchedule(testEnv().client, {
      connectionId: id,
      taskQueue: 'cli-test',
      everyHours: 24,
      paused: true,
    });
    const remove = await run('connections', 'remove', id, '--yes', '--json');
    assert.equal(remove.code, 0, remove.stderr);
    assert.deepEqual(JSON.parse(remove.stdout), {
      removed: { id, name: 'Acme' },
      sweepSchedule: 'deleted',
      reconciliationSchedule: 'deleted',
    });
    await assert.rejects(
      testEnv().client.schedule.getHandle(reconciliation.scheduleId(id)).describe(),
      (err: Error) => err.name === 'ScheduleNotFoundError',
    );
    await assert.rejects(
      testEnv().client.schedule.getHandle(invoiceSweep.scheduleId(id)).describe(),
      (err: Error) => err.name === 'ScheduleNotFoundError',
    );
    const empty = await run('connections', 'list');
    assert.match(empty.stdout, /No connections/);
  });

  it('tests a tenant’s custom fields: names each one missing or not filterable that the switched-on flows need (Zuora simulator)', async () => {
    const zuora = await startZuoraSimulator({
      // The usage key exists but is not filterable; the per-unit amount does not exist.
      customFields: { Usage: [{ name: 'TogaiUsageKey__c', filterable: false }] },
    });
    const togai = await startTogaiSimulator({});
    try {
      const file = join(dir.path, 'fields.yaml');
      writeFileSync(
        file,
        [
          'name: Fields',
          'zuora:',
          `  endpoint: ${zuora.url}`,
          '  customEndpoint: true',
          `  clientId: ${zuora.sim.credentials.clientId}`,
          `  clientSecret: ${zuora.sim.credentials.clientSecret}`,
          'togai:',
          `  baseUrl: ${togai.url}`,
          `  apiToken: ${DEFAULT_API_TOKEN}`,
        ].join('\n'),
      );
      const add = await run('connections', 'add', '--file', file, '--json');
      assert.equal(add.code, 0, add.stderr);
      const id = (JSON.parse(add.stdout) as { connection: { id: string } }).connection.id;
      // Togai invoices: the tenant has what flows 1-3 need.
      const invoices = await run('connections', 'test', id, '--json');
      assert.equal(invoices.code, 0, invoices.stdout + invoices.stderr);
      assert.equal((JSON.parse(invoices.stdout) as { ok: boolean }).ok, true);
      // Zuora bills the usage: flows 4/5 need both usage fields, the key filterable.
      const update = await run(
        'connections',
        'update',
        id,
        '--flow-invoices',
        'off',
        '--flow-usage-quantity',
        'on',
      );
      assert.equal(update.code, 0, update.stderr);
      const usage = await run('connections', 'test', id, '--json');
      assert.equal(usage.code, 1);
      const result = JSON.parse(usage.stdout) as {
        ok: boolean;
        zuora: { ok: boolean; reason: string; customFields: { missing: string[]; notFilterable: string[] } };
      };
      assert.equal(result.ok, false);
      assert.deepEqual(result.zuora.customFields, {
        missing: ['Usage.TogaiUnitAmount__c'],
        notFilterable: ['Usage.TogaiUsageKey__c'],
      });
      const text = await run('connections', 'test', id);
      assert.match(
        text.stdout + text.stderr,
        /missing custom fields: Usage\.TogaiUnitAmount__c; custom fields not marked filterable: Usage\.TogaiUsageKey__c/,
      );
    } finally {
      await Promise.all([zuora.close(), togai.close()]);
    }
  });

  it('add without its required flags names exactly the missing ones (not optional or defaulted settings)', async () => {
    const bare = await run('connections', 'add');
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /--name: missing/);
    assert.match(
      bare.stderr,
      /zuora: missing: give --zuora-endpoint, --zuora-client-id, --zuora-client-secret \(or set them in --file\)/,
    );
    assert.match(bare.stderr, /togai: missing: give --togai-base-url, --togai-api-token/);
    assert.doesNotMatch(bare.stderr, /expected object|received undefined|--tax-code|--currency-decimals/);
    const partial = await run(
      'connections',
      'add',
      '--name',
      'Half',
      '--zuora-endpoint',
      'https://rest.zuora.com',
    );
    assert.equal(partial.code, 1);
    assert.match(partial.stderr, /--zuora-client-id: missing \(give the flag, or set it in --file\)/);
    assert.match(partial.stderr, /--zuora-client-secret: missing/);
    assert.doesNotMatch(partial.stderr, /--zuora-endpoint: missing/);
  });

  it('refuses wrong credentials naming the side, and non-Zuora endpoints listing the valid ones', async () => {
    const common = ['--name', 'Bad', '--zuora-client-id', ZUORA_ID, '--togai-base-url', base];
    const badZuora = await run(
      'connections',
      'add',
      ...common,
      '--zuora-endpoint',
      base,
      '--custom-endpoint',
      '--zuora-client-secret',
      'wrong-secret',
      '--togai-api-token',
      TOGAI_TOKEN,
      '--json',
    );
    assert.equal(badZuora.code, 1);
    const body = JSON.parse(badZuora.stderr.slice(badZuora.stderr.indexOf('{\n'))) as {
      error: string;
      failures: { side: string; reason: string }[];
    };
    assert.equal(body.error, 'credentials_refused');
    assert.deepEqual(
      body.failures.map((f) => f.side),
      ['zuora'],
    );
    assert.match(body.failures[0]?.reason ?? '', /HTTP 401/);

    // A host that does not resolve is not a credentials problem: the message and the answer say so.
    const unresolvable = await run(
      'connections',
      'add',
      '--name',
      'Nowhere',
      '--zuora-endpoint',
      'https://zuora.invalid',
      '--custom-endpoint',
      '--zuora-client-id',
      ZUORA_ID,
      '--zuora-client-secret',
      ZUORA_SECRET,
      '--togai-base-url',
      'https://togai.invalid',
      '--togai-api-token',
      TOGAI_TOKEN,
    );
    assert.equal(unresolvable.code, 1);
    assert.match(
      unresolvable.stderr,
      /Zuora could not be reached, so the credentials were not checked: the host name zuora\.invalid does not resolve \(DNS\)/,
    );
    assert.match(unresolvable.stderr, /Togai could not be reached.*togai\.invalid does not resolve/);
    assert.doesNotMatch(unresolvable.stderr, /credential check failed/);

    const badTogai = await run(
      'connections',
      'add',
      ...common,
      '--zuora-endpoint',
      base,
      '--custom-endpoint',
      '--zuora-client-secret',
      ZUORA_SECRET,
      '--togai-api-token',
      'wrong-token',
    );
    assert.equal(badTogai.code, 1);
    assert.match(badTogai.stderr, /error: Togai credential check failed: .*401/);
    assert.doesNotMatch(badTogai.stderr, /Zuora credential check failed/);

    const notZuora = await run(
      'connections',
      'add',
      ...common,
      '--zuora-endpoint',
      base,
      '--zuora-client-secret',
      ZUORA_SECRET,
      '--togai-api-token',
      TOGAI_TOKEN,
    );
    assert.equal(notZuora.code, 1);
    assert.match(notZuora.stderr, /not one of Zuora's official REST endpoints/);
    assert.match(notZuora.stderr, /https:\/\/rest\.eu\.zuora\.com/);
    assert.match(notZuora.stderr, /--custom-endpoint/);
  });
});
