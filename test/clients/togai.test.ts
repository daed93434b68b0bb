import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import {
  AuthError,
  BusinessError,
  CredentialCheckError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  toApplicationFailure,
} from '../../src/clients/errors.js';
import { LimiterRegistry } from '../../src/clients/limits.js';
import {
  TogaiClient,
  togaiSettingFullId,
  verifyTogaiCredentials,
  type TogaiClientOptions,
} from '../../src/clients/togai/index.js';
import type { TogaiInvoiceLine } from '../../src/clients/togai/schemas.js';
import { AdminClient } from '@togai-zuora-sync/simulators/common';
import { DEMO_SEED } from '@togai-zuora-sync/simulators/togai';
import { startTogaiSimulator, type RunningTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import * as money from '../../src/shared/money.js';

const TOKEN = 'togai-test-token';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

function leaves(line: TogaiInvoiceLine): TogaiInvoiceLine[] {
  return line.lineItems?.length ? line.lineItems.flatMap(leaves) : [line];
}

describe('clients/togai against the Togai simulator', function () {
  let sim: RunningTogaiSimulator;
  let admin: AdminClient;

  function client(overrides: Partial<TogaiClientOptions> = {}): TogaiClient {
    return new TogaiClient({
      connectionId: 'conn_togaitest',
      baseUrl: sim.url,
      apiToken: TOKEN,
      // The defaults (10/s, 50/s for ingestion) against the simulator's 10/s: tests never see a 429 they did not inject.
      limiters: new LimiterRegistry(),
      ...overrides,
    });
  }

  before(async () => {
    sim = await startTogaiSimulator({ apiToken: TOKEN, seed: DEMO_SEED, rateLimitPerSecond: 10 });
    admin = new AdminClient(sim.url);
  });
  after(async () => {
    await sim?.close();
  });
  beforeEach(async () => {
    await admin.reset();
  });

  it('creates a customer with its account and settings inline, then reads them back', async () => {
    const togai = client();
    const created = await togai.createCustomer({
      id: 'CUST-1',
      name: 'Acme',
      primaryEmail: 'billing@acme.example',
      address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
      settings: [
        { id: 'zuora_account_id', namespace: 'USER', name: 'Zuora account', dataType: 'STRING', value: 'Z1' },
      ],
      account: {
        id: 'ACC-1',
        name: 'Acme main',
        invoiceCurrency: 'USD',
        settings: [
          {
            id: 'zuora_account_id',
            namespace: 'USER',
            name: 'Zuora account',
            dataType: 'STRING',
            value: 'Z1',
          },
        ],
      },
    });
    assert.equal(created.id, 'CUST-1');
    assert.equal(created.account?.id, 'ACC-1');

    const customer = await togai.getCustomer('CUST-1');
    assert.equal(customer.name, 'Acme');
    const account = await togai.getAccount('ACC-1');
    assert.equal(account.customerId, 'CUST-1');
    assert.equal(account.invoiceCurrency, 'USD');

    const settings = await togai.listSettings({
      entityType: 'ACCOUNT',
      entityId: 'ACC-1',
      namespace: 'USER',
    });
    assert.deepEqual(
      settings.data.map((s) => [s.id, s.value]),
      [['zuora_account_id', 'Z1']],
    );
    const setting = settings.data[0]!;
    const updated = await togai.updateSetting(togaiSettingFullId(setting), { value: 'Z2' });
    assert.equal(updated?.value, 'Z2');
    const inserted = await togai.insertSetting({
      id: 'zuora_account_number',
      value: 'A00000042',
      entityType: 'ACCOUNT',
      entityId: 'ACC-1',
      namespace: 'USER',
      name: 'Zuora account number',
      dataType: 'STRING',
    });
    assert.equal(inserted.value, 'A00000042');
    const after = await togai.listSettings({ entityType: 'ACCOUNT', entityId: 'ACC-1', namespace: 'USER' });
    assert.deepEqual(after.data.map((s) => `${s.id}=${s.value}`).sort(), [
      'zuora_account_id=Z2',
      'zuora_account_number=A00000042',
    ]);

    const second = await togai.createAccount({
      id: 'ACC-2',
      name: 'Acme EU',
      customerId: 'CUST-1',
      invoiceCurrency: 'EUR',
    });
    assert.equal(second.customerId, 'CUST-1');
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await togai.listAccounts({ pageSize: 1, ...(nextToken !== undefined && { nextToken }) });
      ids.push(...page.data.map((a) => a.id));
      nextToken = page.data.length === 0 ? undefined : page.nextToken;
    } while (nextToken !== undefined);
    assert.deepEqual(ids.sort(), ['ACC-1', 'ACC-2', 'ACC-DEMO-1']);
  });

  it('reads usage meters', async () => {
    const togai = client();
    const meters = await togai.listUsageMeters({ status: 'ACTIVE' });
    assert.deepEqual(meters.data.map((m) => m.id).sort(), ['um.api_calls', 'um.storage_gb']);
    const meter = await togai.getUsageMeter('um.storage_gb');
    assert.equal(meter.aggregation, 'SUM');
  });

  it('ingests usage, lists DUE invoices across pages and reads the line tree as exact decimals', async () => {
    const togai = client();
    await togai.ingest({
      schemaName: 'api_call',
      id: 'evt-1',
      timestamp: new Date().toISOString(),
      accountId: 'ACC-DEMO-1',
      attributes: [],
      dimensions: {},
    });
    await togai.ingestBatch(
      Array.from({ length: 4 }, (_, i) => ({
        schemaName: 'storage',
        id: `evt-s${i}`,
        timestamp: new Date().toISOString(),
        accountId: 'ACC-DEMO-1',
        attributes: [{ name: 'gigabytes', value: '100.3' }],
        dimensions: {},
      })),
    );
    await togai.createCustomer({
      id: 'CUST-2',
      name: 'Beta',
      primaryEmail: 'b@beta.example',
      address: {},
      account: { id: 'ACC-B', name: 'Beta', invoiceCurrency: 'USD' },
    });
    const closed = await fetch(`${sim.url}/__admin/close-cycle`, { method: 'POST' });
    assert.equal(closed.status, 200);

    const due: string[] = [];
    for await (const inv of togai.iterateInvoices({ status: 'DUE', pageSize: 1 }))
      due.push(inv.ownerId ?? '');
    assert.deepEqual(due.sort(), ['ACC-B', 'ACC-DEMO-1']);
    const drafts = await togai.listInvoices({ status: 'DRAFT', pageSize: 50 });
    assert.equal(drafts.data.length, 2, 'each account has a new ongoing invoice');

    const summary = (await togai.listInvoices({ status: 'DUE', ownerId: 'ACC-DEMO-1' })).data[0]!;
    const invoice = await togai.getInvoice(summary.id);
    assert.equal(invoice.status, 'DUE');
    assert.equal(typeof invoice.totalAmount, 'string');
    // 1 call × 0.002 + 401.2 GB of storage: 5 flat for the first 100 + 301.2 × 0.1 = 35.122
    assert.equal(invoice.totalAmount, '35.122');
    assert.ok(invoice.revenueInfo, 'has a revenue tree');
    const slabs = leaves(invoice.revenueInfo);
    assert.ok(slabs.length >= 2);
    assert.ok(money.equals(money.sum(slabs.map((l) => l.value)), invoice.totalAmount));
  });

  it('maps errors: 404 NotFound, 400 BusinessError with the vendor message, 401 AuthFailed', async () => {
    const togai = client();
    const nf = await rejection(togai.getCustomer('NOPE'));
    assert.ok(nf instanceof NotFoundError);
    const nfFailure = toApplicationFailure(nf);
    assert.equal(nfFailure.type, 'TogaiNotFound');
    assert.equal(nfFailure.nonRetryable, true);

    const bad = await rejection(
      togai.createCustomer({
        id: 'x'.repeat(51),
        name: 'Too long',
        primaryEmail: 'a@b.example',
        address: {},
      }),
    );
    assert.ok(bad instanceof BusinessError, String(bad));
    assert.equal(bad.status, 400);
    assert.ok(bad.vendorMessage && bad.vendorMessage.length > 0);
    assert.equal(toApplicationFailure(bad).type, 'TogaiBusinessError');

    const dup = await rejection(
      togai.createCustomer({ id: 'CUST-DEMO-1', name: 'again', primaryEmail: 'a@b.example', address: {} }),
    );
    assert.ok(dup instanceof BusinessError, String(dup));

    const unauthorized = await rejection(client({ apiToken: 'wrong-token' }).getAccount('ACC-DEMO-1'));
    assert.ok(unauthorized instanceof AuthError);
    const authFailure = toApplicationFailure(unauthorized);
    assert.equal(authFailure.type, 'AuthFailed');
    assert.equal(authFailure.nonRetryable, true);
    assert.ok(!authFailure.message.includes('wrong-token'), 'the token is never in the message');
  });

  it('maps 429 to a retryable RateLimited failure and 5xx, resets and hangs to Retryable', async () => {
    const togai = client({ timeouts: { responseMs: 300, totalMs: 500 } });
    await admin.setFaults([{ path: '/accounts/*', burst429: 1, times: 1 }]);
    const limited = await rejection(togai.getAccount('ACC-DEMO-1'));
    assert.ok(limited instanceof RateLimitedError);
    const f = toApplicationFailure(limited);
    assert.ok(f instanceof ApplicationFailure);
    assert.equal(f.type, 'TogaiRateLimited');
    assert.equal(f.nonRetryable, false);
    assert.equal(f.nextRetryDelay, 1000, 'one rate window');

    for (const rule of [{ errorRate: 1, errorStatus: 503 }, { resetRate: 1 }, { hangRate: 1 }]) {
      await admin.setFaults([{ path: '/accounts/*', times: 1, ...rule }]);
      const err = await rejection(togai.getAccount('ACC-DEMO-1'));
      assert.ok(err instanceof RetryableError, `${JSON.stringify(rule)} → ${String(err)}`);
      assert.equal(toApplicationFailure(err).type, 'TogaiRetryable');
      assert.equal(toApplicationFailure(err).nonRetryable, false);
    }
    const ok = await togai.getAccount('ACC-DEMO-1');
    assert.equal(ok.id, 'ACC-DEMO-1');
  });

  it('keeps to 10 requests/s per connection: 25 concurrent calls, zero 429s', async function () {
    this.timeout(20_000);
    const limiters = new LimiterRegistry();
    // Two clients of the same connection share the process limiter.
    const a = client({ limiters });
    const b = client({ limiters });
    await Promise.all(Array.from({ length: 25 }, (_, i) => (i % 2 ? a : b).getAccount('ACC-DEMO-1')));
    const refusals = await admin.refusals();
    assert.equal(refusals['total'], 0, JSON.stringify(refusals));
  });

  it('verifies credentials: a good token passes, a wrong one is refused naming Togai', async () => {
    await verifyTogaiCredentials({ baseUrl: sim.url, apiToken: TOKEN });
    const err = await rejection(verifyTogaiCredentials({ baseUrl: sim.url, apiToken: 'nope-nope' }));
    assert.ok(err instanceof CredentialCheckError);
    assert.equal(err.side, 'togai');
    assert.match(err.message, /^Togai credential check failed/);
    assert.match(err.message, /401/);
    assert.ok(!err.message.includes('nope-nope'));
    const down = await rejection(verifyTogaiCredentials({ baseUrl: 'http://127.0.0.1:9', apiToken: TOKEN }));
    assert.ok(down instanceof CredentialCheckError);
    assert.equal(down.unreachable, true);
    assert.match(
      down.message,
      /^Togai could not be reached at http:\/\/127\.0\.0\.1:9: nothing accepts connections at 127\.0\.0\.1:9 \(connection refused\)/,
    );
    assert.equal(err.unreachable, false);
  });
});
