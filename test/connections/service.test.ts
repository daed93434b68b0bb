import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Keyring } from '../../src/connections/crypto.js';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  CredentialVerificationError,
} from '../../src/connections/errors.js';
import { OFFICIAL_ZUORA_ENDPOINTS } from '../../src/connections/model.js';
import { ConnectionService } from '../../src/connections/service.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import {
  capturingLogger,
  FakeVerifier,
  goodVerifier,
  tempDir,
  testKeyring,
  TOGAI_TOKEN,
  validInput,
  ZUORA_CLIENT_ID,
  ZUORA_SECRET,
} from './helpers.js';

describe('connection service', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteConnectionStore;
  let verifier: FakeVerifier;
  let logs: ReturnType<typeof capturingLogger>;
  let service: ConnectionService;
  let clock: Date;

  beforeEach(async () => {
    dir = tempDir();
    store = new SqliteConnectionStore(join(dir.path, 'tzs.sqlite'), testKeyring());
    await store.migrate();
    verifier = goodVerifier();
    logs = capturingLogger();
    clock = new Date('2026-03-01T10:00:00.000Z');
    service = new ConnectionService({
      store,
      verifier,
      log: logs.log,
      publicBaseUrl: 'https://sync.example.com',
      now: () => clock,
    });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  async function refusal(p: Promise<unknown>): Promise<Error> {
    return p.then(
      () => assert.fail('expected a refusal'),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        return err;
      },
    );
  }

  it('creates a connection with defaults and returns the webhook setup to paste into Zuora and Togai', async () => {
    const { connection, setup } = await service.create(validInput());
    assert.match(connection.id, /^conn_[a-z0-9]{16}$/);
    assert.ok(connection.id.length <= 40);
    assert.deepEqual(verifier.calls.sort(), [
      'togai:https://sandbox-api.togai.com',
      'zuora:https://rest.apisandbox.zuora.com',
    ]);

    assert.equal(connection.zuora.concurrency, 40);
    assert.equal(connection.zuora.invoiceStatus, 'Draft');
    assert.equal(connection.zuora.defaultBillCycleDay, 1);
    assert.equal(connection.zuora.customEndpoint, false);
    assert.equal(connection.zuora.endpointWarning, undefined);
    assert.equal(connection.zuora.customFields.accountTogaiCustomerId, 'TogaiCustomerId__c');
    assert.equal(connection.zuora.customFields.invoiceTogaiInvoiceId, 'TogaiInvoiceId__c');
    assert.equal(connection.togai.requestsPerSecond, 10);
    assert.equal(connection.usageSyncMode, 'quantity');

    assert.equal(setup.zuora.url, `https://sync.example.com/webhooks/zuora/${connection.id}`);
    assert.equal(setup.togai.url, `https://sync.example.com/webhooks/togai/${connection.id}`);
    assert.equal(setup.zuora.auth, 'basic+hmac');
    assert.equal(setup.zuora.basic?.username, `zuora-${connection.id}`);
    assert.ok((setup.zuora.basic?.password.length ?? 0) >= 40);
    assert.ok((setup.zuora.hmac?.secret.length ?? 0) >= 40);
    assert.ok(setup.togai.hmac.secret.length >= 40);
    assert.notEqual(setup.zuora.hmac?.secret, setup.togai.hmac.secret);
    assert.match(setup.notice, /shown only now/);

    // What webhook routes will check against.
    const creds = await service.webhookCredentials(connection.id);
    assert.deepEqual(creds?.zuora.basicPasswords, [setup.zuora.basic?.password]);
    assert.deepEqual(creds?.togai.hmacSecrets, [setup.togai.hmac.secret]);
    assert.equal(await service.webhookCredentials('conn_unknown0000'), undefined);
    assert.equal(await service.webhookCredentials('../etc/passwd'), undefined);
  });

  it('a new connection runs the safe billing mode (Togai invoices); one that would bill a usage charge twice is refused, saying why (issue 10)', async () => {
    const { connection } = await service.create(validInput());
    assert.deepEqual(connection.flows, {
      zuoraAccountToTogai: true,
      togaiAccountToZuora: true,
      invoices: true,
      usageQuantity: false,
      usageRevenue: false,
    });
    const both = await refusal(
      service.create(validInput({ name: 'Twice', flows: { invoices: true, usageQuantity: true } })),
    );
    assert.ok(both instanceof ConnectionValidationError);
    assert.match(
      both.message,
      /flows: flows.invoices \(flow 3\) is on together with flows.usageQuantity \(flow 4\)/,
    );
    assert.match(both.message, /reach Zuora twice.*Choose one billing mode/);
    assert.equal((await store.list()).length, 1, 'nothing stored');

    // Switching to "Zuora bills the usage" must switch the invoices off too.
    const update = await refusal(service.update(connection.id, { flows: { usageRevenue: true } }));
    assert.match(update.message, /usageRevenue \(flow 5\)/);
    const usage = await service.update(connection.id, { flows: { invoices: false, usageRevenue: true } });
    assert.equal(usage.flows.invoices, false);
    assert.equal(usage.usageSyncMode, 'revenue', 'the one usage flow on is the default mode');
    const mode = await refusal(service.update(connection.id, { usageSyncMode: 'quantity' }));
    assert.match(mode.message, /usageSyncMode: quantity .* flows\.usageQuantity \(flow 4\) is off/);

    const revenueOnly = await service.create(
      validInput({ name: 'Revenue', flows: { invoices: false, usageRevenue: true } }),
    );
    assert.equal(revenueOnly.connection.usageSyncMode, 'revenue');
  });

  it('a connection stored before flows could be chosen says so until its flows are set (no silent change of what v0.1 ran)', async () => {
    const { connection } = await service.create(validInput());
    // The row as v0.1 wrote it: no `flows`.
    const db = new Database(join(dir.path, 'tzs.sqlite'));
    const row = db.prepare('SELECT settings FROM tzs_connections WHERE id = ?').get(connection.id) as {
      settings: string;
    };
    const { flows: _flows, ...v01 } = JSON.parse(row.settings) as Record<string, unknown>;
    db.prepare('UPDATE tzs_connections SET settings = ? WHERE id = ?').run(
      JSON.stringify(v01),
      connection.id,
    );
    db.close();
    const shown = await service.get(connection.id);
    assert.equal(shown.flowsChosen, false);
    assert.equal(shown.flows.invoices, true, 'the safe defaults apply meanwhile');
    // Another change keeps the notice; choosing flows ends it.
    assert.equal(
      (await service.update(connection.id, { togai: { requestsPerSecond: 5 } })).flowsChosen,
      false,
    );
    const chosen = await service.update(connection.id, { flows: { invoices: true } });
    assert.equal(chosen.flowsChosen, undefined);
    assert.equal((await service.get(connection.id)).flowsChosen, undefined);
  });

  it('refuses wrong Zuora credentials, saying Zuora failed and why, and stores nothing', async () => {
    const err = await refusal(
      service.create(
        validInput({
          zuora: {
            endpoint: 'https://rest.zuora.com',
            clientId: ZUORA_CLIENT_ID,
            clientSecret: 'wrong-secret-0000',
          },
        }),
      ),
    );
    assert.ok(err instanceof CredentialVerificationError);
    assert.deepEqual(err.sides, ['zuora']);
    assert.equal(err.message, 'Zuora credential check failed: invalid_client (HTTP 401)');
    assert.deepEqual(await store.list(), []);
  });

  it('refuses a wrong Togai token, saying Togai failed', async () => {
    const err = await refusal(
      service.create(validInput({ togai: { baseUrl: 'https://api.togai.com', apiToken: 'not-the-token' } })),
    );
    assert.ok(err instanceof CredentialVerificationError);
    assert.deepEqual(err.sides, ['togai']);
    assert.equal(err.message, 'Togai credential check failed: Unauthorized (HTTP 401)');
  });

  it('names both sides when both refuse', async () => {
    const err = await refusal(
      new ConnectionService({
        store,
        verifier: new FakeVerifier(),
        log: logs.log,
        publicBaseUrl: 'http://x',
      }).create(validInput()),
    );
    assert.ok(err instanceof CredentialVerificationError);
    assert.deepEqual(err.sides.sort(), ['togai', 'zuora']);
    assert.match(err.message, /Zuora credential check failed: invalid_client/);
    assert.match(err.message, /Togai credential check failed: Unauthorized/);
  });

  it('reports a verifier that hangs as a timeout of that side', async () => {
    const hanging = goodVerifier();
    hanging.verifyTogai = () => new Promise<void>(() => undefined);
    const svc = new ConnectionService({
      store,
      verifier: hanging,
      log: logs.log,
      publicBaseUrl: 'http://x',
      verifyTimeoutMs: 50,
    });
    const err = await refusal(svc.create(validInput()));
    assert.ok(err instanceof CredentialVerificationError);
    assert.equal(err.message, 'Togai credential check failed: no answer within 50 ms');
  });

  it('refuses a non-Zuora endpoint with the list of the official ones', async () => {
    for (const endpoint of [
      'https://rest.zuora.com.evil.example',
      'https://api.example.com',
      'http://rest.zuora.com',
      'https://rest.zuora.com/v1',
      'nonsense',
    ]) {
      const err = await refusal(
        service.create(
          validInput({ zuora: { endpoint, clientId: ZUORA_CLIENT_ID, clientSecret: ZUORA_SECRET } }),
        ),
      );
      assert.ok(err instanceof ConnectionValidationError, endpoint);
      for (const official of OFFICIAL_ZUORA_ENDPOINTS)
        assert.ok(err.message.includes(official), `${endpoint}: lists ${official}`);
      assert.match(err.message, /customEndpoint: true/);
    }
    assert.deepEqual(verifier.calls, [], 'nothing was sent to a refused endpoint');
  });

  it('accepts every official endpoint (a trailing slash is normalized away)', async () => {
    for (const [i, endpoint] of OFFICIAL_ZUORA_ENDPOINTS.entries()) {
      const { connection } = await service.create(
        validInput({
          name: `tenant ${i}`,
          zuora: { endpoint: `${endpoint}/`, clientId: ZUORA_CLIENT_ID, clientSecret: ZUORA_SECRET },
        }),
      );
      assert.equal(connection.zuora.endpoint, endpoint);
      assert.equal(connection.zuora.customEndpoint, false);
    }
  });

  it('allows a custom endpoint only when flagged, and shows the flag clearly', async () => {
    const zuora = {
      endpoint: 'http://127.0.0.1:4010/',
      clientId: ZUORA_CLIENT_ID,
      clientSecret: ZUORA_SECRET,
    };
    await assert.rejects(service.create(validInput({ zuora })), ConnectionValidationError);
    const { connection } = await service.create(validInput({ zuora: { ...zuora, customEndpoint: true } }));
    assert.equal(connection.zuora.endpoint, 'http://127.0.0.1:4010');
    assert.equal(connection.zuora.customEndpoint, true);
    assert.match(connection.zuora.endpointWarning ?? '', /CUSTOM ENDPOINT/);
    assert.match((await service.list())[0]?.zuora.endpointWarning ?? '', /CUSTOM ENDPOINT/);
  });

  it('refuses plain-http Togai URLs except on loopback, and unknown or invalid fields', async () => {
    const bad = await refusal(
      service.create(validInput({ togai: { baseUrl: 'http://api.togai.com', apiToken: TOGAI_TOKEN } })),
    );
    assert.match(bad.message, /togai\.baseUrl: must be https/);
    await service.create(
      validInput({ name: 'sim', togai: { baseUrl: 'http://localhost:4020', apiToken: TOGAI_TOKEN } }),
    );

    const invalid = await refusal(
      service.create({ ...validInput({ name: 'x2', usageSyncMode: 'both' as 'quantity' }), extra: 1 }),
    );
    assert.ok(invalid instanceof ConnectionValidationError);
    assert.ok(invalid.problems.some((p) => p.startsWith('usageSyncMode:')));
    assert.ok(invalid.problems.some((p) => /extra/.test(p)));
    const field = await refusal(
      service.create(
        validInput({
          name: 'x3',
          zuora: {
            endpoint: 'https://rest.zuora.com',
            clientId: 'c',
            clientSecret: 's',
            customFields: { accountTogaiCustomerId: 'NoSuffix' },
          },
        }),
      ),
    );
    assert.match(
      field.message,
      /zuora\.customFields\.accountTogaiCustomerId: expected a Zuora custom field API name/,
    );
  });

  it('refuses a duplicate name (case-insensitive)', async () => {
    await service.create(validInput());
    const err = await refusal(service.create(validInput({ name: 'ACME PRODUCTION' })));
    assert.match(err.message, /already exists/);
  });

  it('never returns secrets from list or show: they are masked', async () => {
    const { connection, setup } = await service.create(validInput());
    const secrets = [
      ZUORA_SECRET,
      TOGAI_TOKEN,
      setup.zuora.basic?.password,
      setup.zuora.hmac?.secret,
      setup.togai.hmac.secret,
    ];
    const shown = JSON.stringify([
      connection,
      await service.list(),
      await service.get(connection.id),
      await service.get('acme production'),
    ]);
    for (const s of secrets) assert.ok(s && !shown.includes(s), 'a secret was returned');
    const view = await service.get(connection.id);
    assert.equal(view.zuora.clientSecret, `${ZUORA_SECRET.slice(0, 4)}…****`);
    assert.equal(view.togai.apiToken, `${TOGAI_TOKEN.slice(0, 4)}…****`);
    assert.equal(view.zuora.clientId, ZUORA_CLIENT_ID, 'the client id is not a secret');
  });

  it('never logs secrets, neither on create, test, rotate nor refusals echoing them', async () => {
    const { connection, setup } = await service.create(validInput());
    await service.test(connection.id);
    const rotated = await service
      .rotate(connection.id, { graceMinutes: 10, zuora: { clientSecret: 'zuora-secret-NEW-aaaaaaaaaaaa' } })
      .catch((e: unknown) => e);
    assert.ok(
      rotated instanceof CredentialVerificationError,
      'the new Zuora secret is not accepted by the fake yet',
    );
    verifier.acceptZuora(ZUORA_CLIENT_ID, 'zuora-secret-NEW-aaaaaaaaaaaa');
    const ok = await service.rotate(connection.id, {
      graceMinutes: 10,
      zuora: { clientSecret: 'zuora-secret-NEW-aaaaaaaaaaaa' },
    });
    verifier.echoSecrets = true;
    verifier.togaiGood.clear();
    const failed = await service.test(connection.id);
    assert.equal(failed.ok, false);
    assert.ok(!failed.togai.reason?.includes(TOGAI_TOKEN), 'a vendor error echoing the token is scrubbed');
    assert.match(failed.togai.reason ?? '', /\[redacted\]/);

    const out = logs.text();
    assert.match(out, /connection created/);
    assert.match(out, /connection credentials rotated/);
    assert.match(out, /connection test failed/);
    const secrets = [
      ZUORA_SECRET,
      TOGAI_TOKEN,
      'zuora-secret-NEW-aaaaaaaaaaaa',
      setup.zuora.basic?.password,
      setup.zuora.hmac?.secret,
      setup.togai.hmac.secret,
      ok.setup?.zuora.basic?.password,
      ok.setup?.zuora.hmac?.secret,
      ok.setup?.togai.hmac.secret,
    ];
    for (const s of secrets) assert.ok(s && !out.includes(s), 'a secret appeared in the log');
  });

  it('tests credentials again and reports each side', async () => {
    const { connection } = await service.create(validInput());
    assert.deepEqual(await service.test(connection.id), {
      id: connection.id,
      ok: true,
      zuora: { ok: true },
      togai: { ok: true },
    });
    verifier.zuoraGood.clear();
    assert.deepEqual(await service.test(connection.id), {
      id: connection.id,
      ok: false,
      zuora: { ok: false, reason: 'invalid_client (HTTP 401)' },
      togai: { ok: true },
    });
  });

  it('rotates webhook credentials: new ones shown once, old ones valid only during the grace period', async () => {
    const { connection, setup: old } = await service.create(validInput());
    const { setup: fresh, connection: after } = await service.rotate(connection.id, { graceMinutes: 30 });
    assert.ok(fresh);
    assert.notEqual(fresh.zuora.basic?.password, old.zuora.basic?.password);
    assert.notEqual(fresh.togai.hmac.secret, old.togai.hmac.secret);
    assert.equal(after.version, 2);
    assert.equal(after.webhooks.previousCredentialsValidUntil, '2026-03-01T10:30:00.000Z');

    let creds = await service.webhookCredentials(connection.id);
    assert.deepEqual(creds?.zuora.basicPasswords, [fresh.zuora.basic?.password, old.zuora.basic?.password]);
    assert.deepEqual(creds?.togai.hmacSecrets, [fresh.togai.hmac.secret, old.togai.hmac.secret]);
    clock = new Date('2026-03-01T10:31:00.000Z');
    creds = await service.webhookCredentials(connection.id);
    assert.deepEqual(creds?.zuora.basicPasswords, [fresh.zuora.basic?.password]);

    // Without grace the old ones stop at once; switching to HMAC-only drops the Basic password.
    const { setup: hmacOnly } = await service.rotate(connection.id, { zuoraAuth: 'hmac' });
    assert.equal(hmacOnly?.zuora.basic, undefined);
    creds = await service.webhookCredentials(connection.id);
    assert.deepEqual(creds?.zuora, {
      auth: 'hmac',
      basicUsername: undefined,
      basicPasswords: [],
      hmacSecrets: [hmacOnly?.zuora.hmac?.secret],
    });
  });

  it('rotates API credentials only after verifying them, keeping the webhook credentials on request', async () => {
    const { connection, setup } = await service.create(validInput());
    const refused = await refusal(
      service.rotate(connection.id, { webhooks: false, togai: { apiToken: 'bad-token' } }),
    );
    assert.match(refused.message, /^Togai credential check failed/);
    assert.equal(
      (await service.resolve(connection.id)).secrets.togaiApiToken,
      TOGAI_TOKEN,
      'unchanged after refusal',
    );

    verifier.acceptTogai('good-new-token-1234567890');
    const result = await service.rotate(connection.id, {
      webhooks: false,
      togai: { apiToken: 'good-new-token-1234567890' },
    });
    assert.equal(result.setup, undefined, 'webhook credentials are not shown again');
    const resolved = await service.resolve(connection.id);
    assert.equal(resolved.secrets.togaiApiToken, 'good-new-token-1234567890');
    assert.equal(resolved.secrets.togaiHmacSecret, setup.togai.hmac.secret);
  });

  it('updates settings, re-verifying only the side whose endpoint or identity changed', async () => {
    const { connection } = await service.create(validInput());
    verifier.calls = [];
    const updated = await service.update(connection.id, {
      zuora: { invoiceStatus: 'Posted', concurrency: 20, customFields: { usageUnitAmount: 'UnitPrice__c' } },
      togai: { requestsPerSecond: 5 },
      usageSyncMode: 'revenue',
    });
    assert.deepEqual(verifier.calls, []);
    assert.equal(updated.zuora.invoiceStatus, 'Posted');
    assert.equal(updated.zuora.concurrency, 20);
    assert.equal(updated.zuora.customFields.usageUnitAmount, 'UnitPrice__c');
    assert.equal(updated.zuora.customFields.accountTogaiCustomerId, 'TogaiCustomerId__c');
    assert.equal(updated.togai.requestsPerSecond, 5);
    assert.equal(updated.usageSyncMode, 'revenue');

    const moved = await refusal(
      service.update(connection.id, {
        zuora: { endpoint: 'https://rest.eu.zuora.com', clientId: 'other-client' },
      }),
    );
    assert.ok(moved instanceof CredentialVerificationError);
    assert.deepEqual(verifier.calls, ['zuora:https://rest.eu.zuora.com']);
    assert.equal((await service.get(connection.id)).zuora.endpoint, 'https://rest.apisandbox.zuora.com');
    await assert.rejects(
      service.update(connection.id, { zuora: { endpoint: 'https://evil.example' } }),
      /official REST endpoints/,
    );
  });

  it('removes a connection by id or name; unknown ones are reported as not found', async () => {
    const { connection } = await service.create(validInput());
    assert.deepEqual(await service.remove('Acme production'), { id: connection.id, name: 'Acme production' });
    await assert.rejects(service.get(connection.id), ConnectionNotFoundError);
    await assert.rejects(service.remove(connection.id), /No connection "conn_/);
  });

  it('re-encrypts rows written with a retired key after a key rotation', async () => {
    const path = join(dir.path, 'rotation.sqlite');
    const oldKey = { id: 'k1', key: Buffer.alloc(32, 7) };
    const newKey = { id: 'k2', key: Buffer.alloc(32, 9) };
    let s = new SqliteConnectionStore(path, new Keyring(oldKey));
    await s.migrate();
    const svcOld = new ConnectionService({ store: s, verifier, log: logs.log, publicBaseUrl: 'http://x' });
    const { connection } = await svcOld.create(validInput());
    await s.close();

    s = new SqliteConnectionStore(path, new Keyring(newKey, [oldKey]));
    const svc = new ConnectionService({ store: s, verifier, log: logs.log, publicBaseUrl: 'http://x' });
    assert.deepEqual(await svc.reencryptAll('k2'), { reencrypted: [connection.id] });
    assert.deepEqual(await svc.reencryptAll('k2'), { reencrypted: [] });
    await s.close();
    const raw = new Database(path, { readonly: true });
    assert.deepEqual(raw.prepare('SELECT key_id FROM tzs_connections').all(), [{ key_id: 'k2' }]);
    raw.close();

    // The old key can now be dropped.
    s = new SqliteConnectionStore(path, new Keyring(newKey));
    assert.equal((await s.get(connection.id))?.secrets.zuoraClientSecret, ZUORA_SECRET);
    await s.close();
  });
});
