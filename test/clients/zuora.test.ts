import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
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
  verifyZuoraCredentials,
  ZuoraClient,
  ZuoraTokenRegistry,
  zuoraQueryAll,
  type ZuoraClientOptions,
  type ZuoraCreateAccountRequest,
} from '../../src/clients/zuora/index.js';
import { createLogger } from '../../src/logger.js';
import {
  zuoraAccountCreateKey,
  zuoraInvoiceCreateKey,
  zuoraUsageCreateKey,
} from '../../src/shared/idempotency.js';
import { AdminClient } from '@togai-zuora-sync/simulators/common';
import { slowServer } from '../helpers/slow-server.js';
import { startZuoraSimulator, type RunningZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';

const CLIENT_ID = '3f1c2b7a-5d6e-4f80-9a1b-2c3d4e5f6a7b';
const SECRET = 'zuora-test-secret-0123456789';
const CONN = 'conn_zuoratest';

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

/** A logger whose lines the test can read (to see the client's 401 handling). */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger('debug', sink), lines: () => lines };
}

const SEED = {
  accounts: [{ accountNumber: 'A-SEED', name: 'Seeded', currency: 'USD' }],
  subscriptions: [
    {
      subscriptionNumber: 'S-1',
      accountKey: 'A-SEED',
      ratePlans: [
        {
          id: 'rp-1',
          productRatePlanId: 'prp-1',
          ratePlanCharges: [
            { id: 'ch-1', number: 'C-1', productRatePlanChargeId: 'prpc-1', uom: 'Each', price: '0.5' },
          ],
        },
      ],
    },
  ],
};

function accountBody(
  togaiAccountId: string,
  extra: Partial<ZuoraCreateAccountRequest> = {},
): ZuoraCreateAccountRequest {
  return {
    name: `Togai ${togaiAccountId}`,
    currency: 'USD',
    billToContact: { firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@example.com', country: 'US' },
    billCycleDay: 1,
    paymentTerm: 'Net 30',
    customFields: { TogaiAccountId__c: togaiAccountId },
    ...extra,
  };
}

describe('clients/zuora against the Zuora simulator', function () {
  let zsim: RunningZuoraSimulator;
  let admin: AdminClient;

  function client(overrides: Partial<ZuoraClientOptions> = {}): ZuoraClient {
    return new ZuoraClient({
      connectionId: CONN,
      baseUrl: zsim.url,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      // Fresh caches per test: token counts and limiter state are what several tests assert.
      tokens: new ZuoraTokenRegistry(),
      limiters: new LimiterRegistry(),
      ...overrides,
    });
  }

  before(async () => {
    zsim = await startZuoraSimulator({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
      seed: SEED,
    });
    admin = new AdminClient(zsim.url);
  });
  after(async () => {
    await zsim?.close();
  });
  beforeEach(async () => {
    await admin.reset();
  });

  describe('operations', () => {
    it('creates, reads, updates and queries accounts by custom field', async () => {
      const zuora = client();
      const created = await zuora.createAccount(accountBody('ACC-1'), zuoraAccountCreateKey(CONN, 'ACC-1'));
      assert.ok(created.accountId);
      const account = await zuora.getAccount(created.accountNumber);
      assert.equal(account.basicInfo.id, created.accountId);
      assert.equal(account.basicInfo['TogaiAccountId__c'], 'ACC-1');
      assert.equal(account.billingAndPayment?.currency, 'USD');
      assert.equal(account.billToContact?.lastName, 'Lovelace');

      await zuora.updateAccount(created.accountId, { customFields: { TogaiAccountId__c: 'ACC-1b' } });
      const found = await zuora.queryAccounts({ filters: [{ field: 'TogaiAccountId__c', value: 'ACC-1b' }] });
      assert.deepEqual(
        found.data.map((a) => a.id),
        [created.accountId],
      );
      const none = await zuora.queryAccounts({ filters: [{ field: 'TogaiAccountId__c', value: 'ACC-1' }] });
      assert.equal(none.data.length, 0);

      await zuora.createAccount(accountBody('ACC-2'), zuoraAccountCreateKey(CONN, 'ACC-2'));
      const all: string[] = [];
      for await (const a of zuoraQueryAll((cursor) =>
        zuora.queryAccounts({
          filters: [{ field: 'currency', value: 'USD' }],
          pageSize: 1,
          ...(cursor && { cursor }),
        }),
      )) {
        all.push(a.accountNumber);
      }
      assert.equal(all.length, 3, 'seeded + 2 created, one page at a time');
      assert.equal(new Set(all).size, 3);
    });

    it('creates a standalone invoice from exact decimal amounts and reads it back exactly', async () => {
      const zuora = client();
      const inv = await zuora.createStandaloneInvoice(
        {
          accountNumber: 'A-SEED',
          invoiceDate: '2026-02-01',
          dueDate: '2026-03-03',
          invoiceItems: [
            {
              amount: '10.10',
              serviceStartDate: '2026-01-01',
              serviceEndDate: '2026-01-31',
              chargeName: 'API calls',
              quantity: '5050',
              unitPrice: '0.002',
            },
            { amount: '0.20', serviceStartDate: '2026-01-01', chargeName: 'Storage' },
          ],
          customFields: { TogaiInvoiceId__c: 'inv.1' },
        },
        zuoraInvoiceCreateKey(CONN, 'inv.1'),
      );
      assert.ok(inv.id);
      const read = await zuora.getInvoice(inv.id);
      assert.equal(read.amount, '10.3');
      const items = await zuora.getAllInvoiceItems(inv.id);
      assert.deepEqual(items.map((i) => i.chargeAmount).sort(), ['0.2', '10.1']);
      const q = await zuora.queryInvoices({ filters: [{ field: 'TogaiInvoiceId__c', value: 'inv.1' }] });
      assert.deepEqual(
        q.data.map((i) => i.id),
        [inv.id],
      );
    });

    it('creates a usage record, reads it, queries it and reads the subscription', async () => {
      const zuora = client();
      const sub = await zuora.getSubscription('S-1');
      const charge = sub.ratePlans?.[0]?.ratePlanCharges?.[0];
      assert.equal(charge?.number, 'C-1');
      const { id } = await zuora.createUsage(
        {
          AccountNumber: 'A-SEED',
          SubscriptionNumber: 'S-1',
          ChargeNumber: 'C-1',
          Quantity: '1.25',
          UOM: 'Each',
          StartDateTime: '2026-01-15T00:00:00Z',
          Description: 'API calls',
          customFields: { TogaiUsageKey__c: 'inv.1:line.1' },
        },
        zuoraUsageCreateKey(CONN, 'inv.1', 'line.1'),
      );
      const usage = await zuora.getUsage(id);
      assert.equal(usage.Quantity, '1.25');
      assert.equal(usage.AccountNumber, 'A-SEED');
      const q = await zuora.queryUsages({ filters: [{ field: 'TogaiUsageKey__c', value: 'inv.1:line.1' }] });
      assert.deepEqual(
        q.data.map((u) => u.id),
        [id],
      );
    });
  });

  describe('idempotency', () => {
    it('identical retries of a create (same Idempotency-Key) produce one object', async () => {
      const zuora = client();
      const key = zuoraAccountCreateKey(CONN, 'ACC-IDEM');
      const first = await zuora.createAccount(accountBody('ACC-IDEM'), key);
      const again = await zuora.createAccount(accountBody('ACC-IDEM'), key);
      assert.equal(again.accountId, first.accountId);

      const usageKey = zuoraUsageCreateKey(CONN, 'inv.9', 'line.1');
      const usage = {
        AccountNumber: 'A-SEED',
        Quantity: '3',
        UOM: 'Each',
        StartDateTime: '2026-01-15T00:00:00Z',
        customFields: { TogaiUsageKey__c: 'inv.9:line.1' },
      };
      const u1 = await zuora.createUsage(usage, usageKey);
      const u2 = await zuora.createUsage(usage, usageKey);
      assert.equal(u2.id, u1.id);
      const q = await zuora.queryUsages({ filters: [{ field: 'TogaiUsageKey__c', value: 'inv.9:line.1' }] });
      assert.equal(q.data.length, 1);
    });

    it('a create whose answer was lost (committed, then 500) is replayed on retry, not duplicated', async () => {
      const zuora = client();
      for (const mode of ['error', 'cut'] as const) {
        const id = `ACC-LOST-${mode}`;
        const key = zuoraAccountCreateKey(CONN, id);
        await admin.setFaults([
          { method: 'POST', path: '/v1/accounts', commitThenFailRate: 1, commitThenFailMode: mode, times: 1 },
        ]);
        const lost = await rejection(zuora.createAccount(accountBody(id), key));
        assert.ok(lost instanceof RetryableError, `${mode}: ${String(lost)}`);
        assert.equal(toApplicationFailure(lost).nonRetryable, false);
        const retried = await zuora.createAccount(accountBody(id), key);
        const q = await zuora.queryAccounts({ filters: [{ field: 'TogaiAccountId__c', value: id }] });
        assert.deepEqual(
          q.data.map((a) => a.id),
          [retried.accountId],
          `${mode}: exactly one account, the one the retry reports`,
        );
      }
    });
  });

  describe('errors', () => {
    it('404 → ZuoraNotFound; validation → ZuoraBusinessError with the vendor message; both non-retryable', async () => {
      const zuora = client();
      const nf = await rejection(zuora.getAccount('A-DOES-NOT-EXIST'));
      assert.ok(nf instanceof NotFoundError, String(nf));
      const nff = toApplicationFailure(nf);
      assert.equal(nff.type, 'ZuoraNotFound');
      assert.equal(nff.nonRetryable, true);

      const bad = await rejection(
        zuora.createAccount(
          accountBody('ACC-BAD', { currency: 'XXX' }),
          zuoraAccountCreateKey(CONN, 'ACC-BAD'),
        ),
      );
      assert.ok(bad instanceof BusinessError, String(bad));
      assert.ok(bad.vendorMessage, 'carries the vendor message');
      const badf = toApplicationFailure(bad);
      assert.equal(badf.type, 'ZuoraBusinessError');
      assert.equal(badf.nonRetryable, true);
      assert.match(
        badf.message,
        new RegExp(bad.vendorMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(0, 40)),
      );

      const usageNf = await rejection(zuora.getUsage('no-such-usage'));
      assert.ok(usageNf instanceof NotFoundError, String(usageNf));
    });

    it('5xx, connection resets and hangs → ZuoraRetryable', async () => {
      const zuora = client({ timeouts: { responseMs: 300, totalMs: 600 } });
      for (const rule of [{ errorRate: 1, errorStatus: 503 }, { resetRate: 1 }, { hangRate: 1 }]) {
        await admin.setFaults([{ path: '/v1/accounts/*', times: 1, ...rule }]);
        const err = await rejection(zuora.getAccount('A-SEED'));
        assert.ok(err instanceof RetryableError, `${JSON.stringify(rule)} → ${String(err)}`);
        const f = toApplicationFailure(err);
        assert.equal(f.type, 'ZuoraRetryable');
        assert.equal(f.nonRetryable, false);
      }
      assert.equal((await zuora.getAccount('A-SEED')).basicInfo.accountNumber, 'A-SEED');
    });

    it('429 → ZuoraRateLimited whose nextRetryDelay is the Retry-After', async () => {
      const zuora = client();
      await zuora.getToken();
      await admin.setFaults([{ path: '/v1/accounts/*', burst429: 1, times: 1 }]);
      const err = await rejection(zuora.getAccount('A-SEED'));
      assert.ok(err instanceof RateLimitedError, String(err));
      assert.ok(err.retryAfterMs !== undefined && err.retryAfterMs > 0, 'Retry-After read');
      const f = toApplicationFailure(err);
      assert.ok(f instanceof ApplicationFailure);
      assert.equal(f.type, 'ZuoraRateLimited');
      assert.equal(f.nonRetryable, false);
      assert.equal(f.nextRetryDelay, err.retryAfterMs);
    });
  });

  describe('limits', () => {
    let slow: Server;
    let slowUrl: string;
    before(async () => {
      ({ server: slow, url: slowUrl } = await slowServer(zsim.sim.app, 100));
    });
    after(async () => {
      await new Promise((r) => slow.close(r));
    });

    it('200 concurrent calls with the default cap of 40: the simulator (limit 40) answers zero 429s', async function () {
      this.timeout(30_000);
      const limiters = new LimiterRegistry();
      const tokens = new ZuoraTokenRegistry();
      // Several clients of one connection, as several activities would build them.
      const clients = Array.from({ length: 4 }, () => client({ baseUrl: slowUrl, limiters, tokens }));
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => clients[i % clients.length]!.getAccount('A-SEED')),
      );
      assert.equal(results.length, 200);
      const refusals = await admin.refusals();
      assert.equal(refusals['total'], 0, JSON.stringify(refusals));
      const peak = zsim.sim.limits.concurrency.peak;
      assert.ok(peak <= 40, `never more than 40 in flight (peak ${peak})`);
      assert.ok(peak >= 30, `the cap was actually used (peak ${peak})`);
      assert.equal(clients[0]!.tokenProvider.fetchCount, 1, 'one token for the whole burst');
    });

    it('without the client cap the same burst is refused (so the zero above is not vacuous)', async function () {
      this.timeout(30_000);
      const zuora = client({ baseUrl: slowUrl, limits: { concurrency: 200 } });
      await zuora.getToken();
      const settled = await Promise.allSettled(Array.from({ length: 200 }, () => zuora.getAccount('A-SEED')));
      const limited = settled.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimitedError);
      assert.ok(limited.length > 0);
      const refusals = await admin.refusals();
      assert.ok((refusals['concurrency'] ?? 0) > 0, JSON.stringify(refusals));
    });
  });
});

describe('clients/zuora OAuth', function () {
  let zsim: RunningZuoraSimulator;

  const TTL_SECONDS = 2;
  before(async () => {
    zsim = await startZuoraSimulator({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
      tokenTtlSeconds: TTL_SECONDS,
      seed: SEED,
    });
  });
  after(async () => {
    await zsim?.close();
  });

  function client(overrides: Partial<ZuoraClientOptions> = {}): ZuoraClient {
    return new ZuoraClient({
      connectionId: CONN,
      baseUrl: zsim.url,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      tokens: new ZuoraTokenRegistry(),
      limiters: new LimiterRegistry(),
      ...overrides,
    });
  }

  it('refreshes the token ahead of expiry, without a 401', async function () {
    this.timeout(10_000);
    const { logger, lines } = capturingLogger();
    const zuora = client({ logger });
    await zuora.getAccount('A-SEED');
    assert.equal(zuora.tokenProvider.fetchCount, 1);
    await zuora.getAccount('A-SEED');
    assert.equal(zuora.tokenProvider.fetchCount, 1, 'cached');
    // Lifetime 2 s: refresh at half of it, while the token is still valid.
    await new Promise((r) => setTimeout(r, 1_100));
    await zuora.getAccount('A-SEED');
    assert.equal(zuora.tokenProvider.fetchCount, 2);
    assert.ok(!lines().some((l) => l.includes('401')), 'never met an expired token');
  });

  it('after the token expired on the server: one 401, one refresh, the call succeeds', async () => {
    const { logger, lines } = capturingLogger();
    const zuora = client({ logger });
    await zuora.getAccount('A-SEED');
    zsim.sim.clock.advance(TTL_SECONDS * 1000 + 1);
    const account = await zuora.getAccount('A-SEED');
    assert.equal(account.basicInfo.accountNumber, 'A-SEED');
    assert.equal(zuora.tokenProvider.fetchCount, 2);
    assert.equal(lines().filter((l) => l.includes('answered 401')).length, 1);
  });

  it('40 activities starting together share one token fetch', async () => {
    const tokens = new ZuoraTokenRegistry();
    const limiters = new LimiterRegistry();
    const clients = Array.from({ length: 40 }, () => client({ tokens, limiters }));
    await Promise.all(clients.map((c) => c.getAccount('A-SEED')));
    assert.equal(clients[0]!.tokenProvider, clients[39]!.tokenProvider);
    assert.equal(clients[0]!.tokenProvider.fetchCount, 1);
  });

  it('wrong credentials are refused with a clear AuthFailed, secret never shown', async () => {
    const zuora = client({ clientSecret: 'not-the-secret-xyz' });
    const err = await rejection(zuora.getAccount('A-SEED'));
    assert.ok(err instanceof AuthError, String(err));
    assert.match(
      err.message,
      /Zuora refused the OAuth client credentials of connection conn_zuoratest \(HTTP 401/,
    );
    assert.ok(!err.message.includes('not-the-secret-xyz'));
    const f = toApplicationFailure(err);
    assert.equal(f.type, 'AuthFailed');
    assert.equal(f.nonRetryable, true);
  });

  it('verifyZuoraCredentials: passes good credentials, names Zuora when refused or unreachable', async () => {
    await verifyZuoraCredentials({ baseUrl: zsim.url, clientId: CLIENT_ID, clientSecret: SECRET });
    const refused = await rejection(
      verifyZuoraCredentials({ baseUrl: zsim.url, clientId: CLIENT_ID, clientSecret: 'wrong-secret-123' }),
    );
    assert.ok(refused instanceof CredentialCheckError);
    assert.equal(refused.side, 'zuora');
    assert.match(refused.message, /^Zuora credential check failed/);
    assert.match(refused.message, /HTTP 401/);
    assert.ok(!refused.message.includes('wrong-secret-123'));
    const down = await rejection(
      verifyZuoraCredentials({ baseUrl: 'http://127.0.0.1:9', clientId: CLIENT_ID, clientSecret: SECRET }),
    );
    assert.ok(down instanceof CredentialCheckError);
    // Not reached: the credentials were never checked, and the message must not blame them.
    assert.equal(down.unreachable, true);
    assert.match(
      down.message,
      /^Zuora could not be reached at http:\/\/127\.0\.0\.1:9: nothing accepts connections at 127\.0\.0\.1:9 \(connection refused\)/,
    );
    assert.equal(refused.unreachable, false);
  });
});

describe('clients/zuora: a token the API keeps refusing', () => {
  let server: Server;
  let url: string;
  let tokenCalls = 0;
  let apiCalls = 0;

  before(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/oauth/token') {
        tokenCalls++;
        res.end(JSON.stringify({ access_token: `tok${tokenCalls}`, expires_in: 3599, token_type: 'bearer' }));
        return;
      }
      apiCalls++;
      res.statusCode = 401;
      res.end(
        JSON.stringify({ success: false, reasons: [{ code: '90000011', message: 'Authentication error' }] }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  it('refreshes once and retries once, then fails with AuthFailed', async () => {
    const zuora = new ZuoraClient({
      connectionId: CONN,
      baseUrl: url,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      tokens: new ZuoraTokenRegistry(),
      limiters: new LimiterRegistry(),
    });
    const err = await rejection(zuora.getAccount('A-1'));
    assert.ok(err instanceof AuthError, String(err));
    assert.match(err.message, /even after a refresh/);
    assert.equal(tokenCalls, 2, 'one token, one refresh');
    assert.equal(apiCalls, 2, 'the call, and one retry');
    assert.equal(toApplicationFailure(err).type, 'AuthFailed');
  });
});
