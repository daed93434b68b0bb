import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { createGatewayApp } from '../../src/api/app.js';
import { resolveAdminToken } from '../../src/api/admin.js';
import { loadConfig } from '../../src/config.js';
import { ConnectionService } from '../../src/connections/service.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import { OFFICIAL_ZUORA_ENDPOINTS } from '../../src/connections/model.js';
import {
  capturingLogger,
  goodVerifier,
  tempDir,
  testKeyring,
  TOGAI_TOKEN,
  validInput,
  ZUORA_SECRET,
  type FakeVerifier,
} from '../connections/helpers.js';

const TOKEN = 'admin-token-for-tests-0123456789abcdef';

describe('admin API (/admin, in-process gateway on port 0)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteConnectionStore;
  let verifier: FakeVerifier;
  let server: Server;
  let temporal: Connection;
  let base: string;
  let logs: ReturnType<typeof capturingLogger>;

  before(async () => {
    dir = tempDir('tzs-admin-');
    store = new SqliteConnectionStore(join(dir.path, 'tzs.sqlite'), testKeyring());
    await store.migrate();
    verifier = goodVerifier();
    logs = capturingLogger();
    const service = new ConnectionService({
      store,
      verifier,
      log: logs.log,
      publicBaseUrl: 'https://sync.example.com',
    });
    // Lazy and never used here: /admin does not touch Temporal.
    temporal = Connection.lazy({ address: '127.0.0.1:1' });
    const app = createGatewayApp({ connection: temporal, log: logs.log, admin: { service, token: TOKEN } });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await temporal.close();
    await store.close();
    dir.remove();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = TOKEN,
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers; text: string }> {
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
      text,
    };
  }

  it('answers 401 without a token, with a wrong one, or with another scheme; /healthz stays public', async () => {
    for (const [token, label] of [
      [null, 'no token'],
      ['wrong-token', 'wrong token'],
      [`${TOKEN}x`, 'token with a suffix'],
      [TOKEN.slice(0, -1), 'token prefix'],
    ] as const) {
      const res = await call('GET', '/admin/connections', undefined, token);
      assert.equal(res.status, 401, label);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="tzs-admin"');
      assert.equal(res.json['error'], 'unauthorized');
    }
    const basic = await fetch(`${base}/admin/connections`, { headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.status, 401);
    const post = await call('POST', '/admin/connections', validInput(), 'nope');
    assert.equal(post.status, 401, 'no create without the token');
    assert.deepEqual(await store.list(), []);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('creates, lists, shows, updates, tests, rotates and deletes over HTTP; secrets only in the setup', async () => {
    const created = await call('POST', '/admin/connections', validInput());
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const connection = created.json['connection'] as { id: string };
    const setup = created.json['setup'] as {
      zuora: { url: string; basic: { password: string }; hmac: { secret: string } };
      togai: { hmac: { secret: string } };
    };
    assert.equal(created.headers.get('location'), `/admin/connections/${connection.id}`);
    assert.equal(setup.zuora.url, `https://sync.example.com/webhooks/zuora/${connection.id}`);
    const secrets = [
      ZUORA_SECRET,
      TOGAI_TOKEN,
      setup.zuora.basic.password,
      setup.zuora.hmac.secret,
      setup.togai.hmac.secret,
    ];

    const list = await call('GET', '/admin/connections');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.json['connections'] as { id: string }[]).map((c) => c.id),
      [connection.id],
    );
    const show = await call('GET', `/admin/connections/${connection.id}`);
    assert.equal(show.status, 200);
    assert.equal(
      (show.json['zuora'] as { clientSecret: string }).clientSecret,
      `${ZUORA_SECRET.slice(0, 4)}…****`,
    );
    const byName = await call('GET', `/admin/connections/${encodeURIComponent('Acme production')}`);
    assert.equal(byName.json['id'], connection.id);

    const patched = await call('PATCH', `/admin/connections/${connection.id}`, {
      zuora: { invoiceStatus: 'Posted' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((patched.json['zuora'] as { invoiceStatus: string }).invoiceStatus, 'Posted');

    const tested = await call('POST', `/admin/connections/${connection.id}/test`);
    assert.deepEqual(tested.json, { id: connection.id, ok: true, zuora: { ok: true }, togai: { ok: true } });

    for (const r of [list, show, byName, patched, tested]) {
      for (const s of secrets) assert.ok(!r.text.includes(s), 'a secret was returned outside the setup');
    }

    const rotated = await call('POST', `/admin/connections/${connection.id}/rotate`, {});
    assert.equal(rotated.status, 200, rotated.text);
    const newSetup = rotated.json['setup'] as { togai: { hmac: { secret: string } } };
    assert.notEqual(newSetup.togai.hmac.secret, setup.togai.hmac.secret);

    const del = await call('DELETE', `/admin/connections/${connection.id}`);
    assert.equal(del.status, 204);
    const gone = await call('GET', `/admin/connections/${connection.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json['error'], 'not_found');

    const logged = logs.text();
    for (const s of [...secrets, newSetup.togai.hmac.secret])
      assert.ok(!logged.includes(s), 'a secret was logged');
  });

  it('maps refusals: 422 naming the side, 400 for bad input (listing official endpoints), 400 for bad JSON', async () => {
    const badCreds = await call(
      'POST',
      '/admin/connections',
      validInput({ name: 'Bad', togai: { baseUrl: 'https://api.togai.com', apiToken: 'bad' } }),
    );
    assert.equal(badCreds.status, 422);
    assert.equal(badCreds.json['error'], 'credentials_refused');
    assert.deepEqual(badCreds.json['failures'], [{ side: 'togai', reason: 'Unauthorized (HTTP 401)' }]);
    assert.match(String(badCreds.json['message']), /^Togai credential check failed/);

    const badEndpoint = await call(
      'POST',
      '/admin/connections',
      validInput({
        name: 'Bad2',
        zuora: { endpoint: 'https://zuora.example.com', clientId: 'c', clientSecret: 's' },
      }),
    );
    assert.equal(badEndpoint.status, 400);
    assert.equal(badEndpoint.json['error'], 'invalid_connection');
    for (const e of OFFICIAL_ZUORA_ENDPOINTS) assert.ok(String(badEndpoint.json['message']).includes(e));

    const badJson = await call('POST', '/admin/connections', '{"name": ');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json['error'], 'invalid_json');

    await call('POST', '/admin/connections', validInput({ name: 'Twice' }));
    const dup = await call('POST', '/admin/connections', validInput({ name: 'twice' }));
    assert.equal(dup.status, 400);
    assert.match(String(dup.json['message']), /already exists/);

    const { id } = (await call('GET', '/admin/connections/Twice')).json as { id: string };
    verifier.zuoraGood.clear();
    const failing = await call('POST', `/admin/connections/${id}/test`);
    assert.equal(failing.status, 422);
    assert.deepEqual(failing.json['zuora'], { ok: false, reason: 'invalid_client (HTTP 401)' });
  });
});

describe('admin token resolution', () => {
  it('uses ADMIN_TOKEN; in dev mode without it generates one into DATA_DIR (0600) and logs where', () => {
    const dir = tempDir('tzs-admintoken-');
    try {
      const logs = capturingLogger();
      assert.equal(
        resolveAdminToken(loadConfig({ ADMIN_TOKEN: TOKEN, DATA_DIR: dir.path }), logs.log),
        TOKEN,
      );

      const config = loadConfig({ DATA_DIR: dir.path });
      const first = resolveAdminToken(config, logs.log);
      const path = join(dir.path, 'admin-token');
      assert.equal(readFileSync(path, 'utf8').trim(), first);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.ok(first.length >= 32);
      assert.equal(resolveAdminToken(config, logs.log), first, 'stable across restarts');
      assert.ok(logs.text().includes(path), 'the log says where the token is');
      assert.ok(!logs.text().includes(first), 'but not the token');

      const prod = loadConfig({
        TZS_MODE: 'production',
        TZS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
        DATA_DIR: dir.path,
      });
      assert.throws(
        () => resolveAdminToken(prod, logs.log),
        /ADMIN_TOKEN is required when TZS_MODE=production/,
      );
    } finally {
      dir.remove();
    }
  });
});
