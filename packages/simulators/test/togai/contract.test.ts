import assert from 'node:assert/strict';
import type { JsonValue, OpenApiContract } from '../../src/common/openapi.js';
import { loadTogaiContract, mergeClosedAllOf } from '../../src/togai/contract.js';
import {
  SIMULATED_OPERATIONS,
  startTogaiSimulator,
  type RunningTogaiSimulator,
  type SimulatedOperation,
} from '../../src/togai/simulator.js';
import type { TogaiSeed } from '../../src/togai/seed.js';
import { arr, assertTogaiError, caller, obj, specRequestExample, TOKEN, type Exchange } from './helpers.js';

/** The setting id of the spec's own example path parameter. */
const EXAMPLE_SETTING = 'setting.USER.success_threshold.ACCOUNT.G234DZZKBKACATFFGVGEMERFI';
const LONG_ID = 'x'.repeat(51);

/** What the spec's examples refer to: the customer of the createAccount example, the example setting. */
const SEED: TogaiSeed = {
  usageMeters: [
    { id: 'um.calls', name: 'calls', aggregation: 'COUNT', eventSchemaName: 'travelCompletedEvent' },
  ],
  customers: [
    { id: 'C1234qwd', name: 'Example customer', primaryEmail: 'c@example.com', address: {} },
    {
      id: 'CUST-1',
      name: 'Customer one',
      primaryEmail: 'one@example.com',
      address: { line1: '1 Road', country: 'US' },
      account: { id: 'ACC-1', name: 'Account one', invoiceCurrency: 'USD' },
    },
  ],
  settings: [
    {
      id: 'success_threshold',
      namespace: 'USER',
      entityType: 'ACCOUNT',
      entityId: 'G234DZZKBKACATFFGVGEMERFI',
      name: 'Success threshold',
      dataType: 'NUMERIC',
      value: '0.9',
    },
  ],
};

interface Case {
  /** A request the official schema accepts, and the status it gets. */
  valid: { method: string; path: string | (() => Promise<string>); body?: unknown; status: number };
  /** Requests the official schema refuses (400 `{message}`), or refused by state (404/422). */
  invalid: { method: string; path: string; body?: unknown; status: number }[];
}

describe('simulators/togai contract: every simulated operation against the official schema', function () {
  let running: RunningTogaiSimulator;
  let contract: OpenApiContract;
  let call: ReturnType<typeof caller>;

  before(async () => {
    contract = await loadTogaiContract();
    running = await startTogaiSimulator({ apiToken: TOKEN, seed: SEED, rateLimitPerSecond: 1000 });
    call = caller(contract, () => running.url);
  });
  after(async () => {
    await running?.close();
  });
  beforeEach(() => running.sim.reset());
  afterEach(() => {
    assert.deepEqual(running.sim.violations, [], 'no response broke the official schema');
  });

  const withoutKey = (body: unknown, key: string): unknown => {
    const copy = { ...obj(body) };
    delete copy[key];
    return copy;
  };
  const draftInvoiceId = async (): Promise<string> => {
    const list = await call('GET', '/invoices?owner_id=ACC-1&status=DRAFT');
    const first = obj(arr(obj(list.body)['data'])[0]);
    return `/invoices/${String(first['id'])}`;
  };

  const cases: Record<SimulatedOperation, Case> = {
    authenticate: {
      valid: { method: 'POST', path: '/authenticate', status: 200 },
      // The operation takes no parameters or body: only its credential can be wrong (see api tests).
      invalid: [],
    },
    createCustomer: {
      valid: {
        method: 'POST',
        path: '/customers',
        body: specRequestExample('post', '/customers'),
        status: 201,
      },
      invalid: [
        {
          method: 'POST',
          path: '/customers',
          body: withoutKey(specRequestExample('post', '/customers'), 'address'),
          status: 400,
        },
        {
          method: 'POST',
          path: '/customers',
          body: { ...obj(specRequestExample('post', '/customers')), plan: 'gold' },
          status: 400,
        },
        {
          method: 'POST',
          path: '/customers',
          body: { id: LONG_ID, name: 'Long', primaryEmail: 'a@b.c', address: {} },
          status: 400,
        },
        {
          method: 'POST',
          path: '/customers',
          body: { id: 'CUST-1', name: 'Taken', primaryEmail: 'a@b.c', address: {} },
          status: 409,
        },
      ],
    },
    getCustomers: {
      valid: { method: 'GET', path: '/customers?pageSize=10', status: 200 },
      invalid: [{ method: 'GET', path: '/customers?pageSize=ten', status: 400 }],
    },
    getCustomer: {
      valid: { method: 'GET', path: '/customers/CUST-1', status: 200 },
      invalid: [
        { method: 'GET', path: `/customers/${LONG_ID}`, status: 400 },
        { method: 'GET', path: '/customers/NOPE', status: 404 },
      ],
    },
    updateCustomer: {
      valid: {
        method: 'PATCH',
        path: '/customers/CUST-1',
        body: specRequestExample('patch', '/customers/{customer_id}'),
        status: 200,
      },
      invalid: [
        { method: 'PATCH', path: '/customers/CUST-1', body: { name: 'ab' }, status: 400 },
        { method: 'PATCH', path: '/customers/NOPE', body: { name: 'abc' }, status: 404 },
      ],
    },
    createAccount: {
      valid: {
        method: 'POST',
        path: '/accounts',
        body: specRequestExample('post', '/accounts'),
        status: 201,
      },
      invalid: [
        {
          method: 'POST',
          path: '/accounts',
          body: withoutKey(specRequestExample('post', '/accounts'), 'customerId'),
          status: 400,
        },
        {
          method: 'POST',
          path: '/accounts',
          body: { id: 'A-X', name: 'Acc', customerId: 'C1234qwd', status: 'ARCHIVED' },
          status: 400,
        },
        {
          method: 'POST',
          path: '/accounts',
          body: { id: 'A-X', name: 'Acc', customerId: 'NOPE' },
          status: 404,
        },
      ],
    },
    getAccounts: {
      valid: { method: 'GET', path: '/accounts?pageSize=5', status: 200 },
      invalid: [{ method: 'GET', path: '/accounts?pageSize=five', status: 400 }],
    },
    getAccount: {
      valid: { method: 'GET', path: '/accounts/ACC-1?includeGroupDetails=true', status: 200 },
      invalid: [
        { method: 'GET', path: `/accounts/${LONG_ID}`, status: 400 },
        { method: 'GET', path: '/accounts/ACC-1?effectiveOn=yesterday', status: 400 },
        { method: 'GET', path: '/accounts/NOPE', status: 404 },
      ],
    },
    updateAccount: {
      valid: {
        method: 'PATCH',
        path: '/accounts/ACC-1',
        body: specRequestExample('patch', '/accounts/{account_id}'),
        status: 200,
      },
      invalid: [
        { method: 'PATCH', path: '/accounts/ACC-1', body: { status: 'ARCHIVED' }, status: 400 },
        { method: 'PATCH', path: '/accounts/ACC-1', body: { invoiceCurrency: 'EURO' }, status: 400 },
      ],
    },
    insertSetting: {
      valid: {
        method: 'POST',
        path: '/settings',
        body: specRequestExample('post', '/settings'),
        status: 201,
      },
      invalid: [
        {
          method: 'POST',
          path: '/settings',
          body: withoutKey(specRequestExample('post', '/settings'), 'entityId'),
          status: 400,
        },
        {
          method: 'POST',
          path: '/settings',
          body: { ...obj(specRequestExample('post', '/settings')), dataType: 'BLOB' },
          status: 400,
        },
      ],
    },
    listSetting: {
      valid: {
        method: 'GET',
        path: '/settings?entity_type=ACCOUNT&entity_id=G234DZZKBKACATFFGVGEMERFI&namespace=USER&setting_id=success_threshold',
        status: 200,
      },
      invalid: [{ method: 'GET', path: '/settings?pageSize=many', status: 400 }],
    },
    getSetting: {
      valid: { method: 'GET', path: `/settings/${EXAMPLE_SETTING}`, status: 200 },
      // Any string is a valid setting id for the schema; an unknown one is a 404.
      invalid: [{ method: 'GET', path: '/settings/setting.USER.nope.ACCOUNT.X', status: 404 }],
    },
    updateSetting: {
      valid: {
        method: 'PATCH',
        path: `/settings/${EXAMPLE_SETTING}`,
        body: specRequestExample('patch', '/settings/{setting_id_str}'),
        status: 201,
      },
      invalid: [
        { method: 'PATCH', path: `/settings/${EXAMPLE_SETTING}`, body: { dataType: 'BLOB' }, status: 400 },
        { method: 'PATCH', path: '/settings/setting.USER.nope.ACCOUNT.X', body: { value: '1' }, status: 404 },
      ],
    },
    getUsageMetersForEventSchema: {
      valid: { method: 'GET', path: '/usage_meters?status=ACTIVE&aggregations=COUNT', status: 200 },
      invalid: [{ method: 'GET', path: '/usage_meters?status=SLEEPING', status: 400 }],
    },
    getUsageMeter: {
      valid: { method: 'GET', path: '/usage_meters/um.calls', status: 200 },
      invalid: [
        { method: 'GET', path: `/usage_meters/${LONG_ID}`, status: 400 },
        { method: 'GET', path: '/usage_meters/um.nope', status: 404 },
      ],
    },
    ingest: {
      valid: { method: 'POST', path: '/ingest', body: specRequestExample('post', '/ingest'), status: 202 },
      invalid: [
        {
          method: 'POST',
          path: '/ingest',
          body: {
            event: {
              schemaName: 's',
              timestamp: '2024-01-01T00:00:00Z',
              accountId: 'ACC-1',
              attributes: [{ name: 'n', value: 'ten' }],
              dimensions: {},
            },
          },
          status: 400,
        },
        { method: 'POST', path: '/ingest', body: { events: [] }, status: 400 },
      ],
    },
    ingestBatch: {
      valid: {
        method: 'POST',
        path: '/ingestBatch',
        body: specRequestExample('post', '/ingestBatch'),
        status: 202,
      },
      invalid: [{ method: 'POST', path: '/ingestBatch', body: { events: [] }, status: 400 }],
    },
    listInvoices: {
      valid: {
        method: 'GET',
        path: '/invoices?status=DRAFT&owner_id=ACC-1&customer_id=CUST-1&pageSize=10&start_time=0&end_time=9999999999999',
        status: 200,
      },
      invalid: [
        { method: 'GET', path: '/invoices?pageSize=1.5', status: 400 },
        { method: 'GET', path: '/invoices?start_time=today', status: 400 },
        { method: 'GET', path: '/invoices?pageSize=51', status: 422 },
        { method: 'GET', path: '/invoices?nextToken=garbage', status: 400 },
      ],
    },
    getInvoice: {
      valid: { method: 'GET', path: draftInvoiceId, status: 200 },
      invalid: [{ method: 'GET', path: '/invoices/inv.nope', status: 404 }],
    },
  };

  it('every simulated operation has a case, and each exists in the official contract', () => {
    const declared = new Set(contract.operations().map((o) => o.operationId));
    for (const op of SIMULATED_OPERATIONS) assert.ok(declared.has(op), op);
    assert.deepEqual(Object.keys(cases).sort(), [...SIMULATED_OPERATIONS].sort());
  });

  for (const [operationId, c] of Object.entries(cases)) {
    it(`${operationId}: a valid request is answered per the schema; invalid ones get {message}`, async () => {
      const path = typeof c.valid.path === 'string' ? c.valid.path : await c.valid.path();
      const ok: Exchange = await call(c.valid.method, path, { body: c.valid.body });
      assert.equal(ok.operationId, operationId);
      assert.equal(ok.status, c.valid.status, ok.text);
      for (const bad of c.invalid) {
        const x = await call(bad.method, bad.path, { body: bad.body });
        assert.equal(x.operationId, operationId);
        assertTogaiError(x, bad.status);
      }
    });
  }

  it('the spec examples round-trip: created objects read back as sent', async () => {
    const example = obj(specRequestExample('post', '/customers'));
    const created = obj((await call('POST', '/customers', { body: example })).body);
    assert.equal(created['id'], example['id']);
    assert.deepEqual(created['settings'], example['settings']);
    const account = obj(created['account']);
    assert.equal(account['customerId'], example['id']);
    assert.deepEqual(account['aliases'], [{ alias: 'acme_primary' }, { alias: 'admin@example.com' }]);
    const settings = obj(
      (await call('GET', `/settings?entity_type=ACCOUNT&entity_id=${String(account['id'])}`)).body,
    );
    assert.deepEqual(
      arr(settings['data']).map((s) => obj(s)['id']),
      ['accountSettingId'],
    );
    // GET /customers/{id} carries neither settings nor accounts, as documented.
    const read = obj((await call('GET', `/customers/${String(example['id'])}`)).body);
    assert.equal('settings' in read, false);
    assert.equal('account' in read, false);
  });

  it('unsimulated operations answer 501, unknown paths 404, malformed JSON 400: all as {message}', async () => {
    assertTogaiError(await call('DELETE', '/customers/CUST-1'), 501);
    assertTogaiError(await call('GET', '/nowhere'), 404);
    const res = await fetch(`${running.url}/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: '{"id": ',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(Object.keys(obj(await res.json())), ['message']);
  });

  it('the closed-allOf repair makes CreateAccountRequest accept customerId and still refuse strangers', () => {
    const doc: JsonValue = {
      components: {
        schemas: {
          Base: {
            type: 'object',
            additionalProperties: false,
            properties: { id: { type: 'string' } },
            required: ['id'],
          },
          Create: {
            allOf: [
              { $ref: '#/components/schemas/Base' },
              { type: 'object', properties: { customerId: { type: 'string' } }, required: ['customerId'] },
            ],
          },
        },
      },
    };
    const { document, merged } = mergeClosedAllOf(doc);
    assert.equal(merged, 1);
    assert.deepEqual(obj(obj(obj(document)['components'])['schemas'])['Create'], {
      type: 'object',
      additionalProperties: false,
      properties: { id: { type: 'string' }, customerId: { type: 'string' } },
      required: ['id', 'customerId'],
    });
    const check = (body: unknown) =>
      contract.validateRequest({
        method: 'post',
        path: '/accounts',
        headers: { 'content-type': 'application/json' },
        body,
      }).issues;
    assert.deepEqual(check({ id: 'A', name: 'Acc', customerId: 'C' }), []);
    assert.equal(check({ id: 'A', name: 'Acc', customerId: 'C', stranger: 1 }).length, 1);
  });
});
