import assert from 'node:assert/strict';
import { AdminClient } from '../../src/common/admin.js';
import { WWW_AUTHENTICATE } from '../../src/zuora/index.js';
import { eventually, SEED, slowRequest, startTestSimulator, type ZuoraTestClient } from './helpers.js';

const ACCOUNT = {
  name: 'Behaviour Co',
  currency: 'USD',
  billToContact: { firstName: 'Grace', lastName: 'Hopper' },
};

describe('Zuora simulator: behaviour', function () {
  this.timeout(30_000);
  let z: ZuoraTestClient;
  let admin: AdminClient;

  afterEach(async () => {
    await z?.sim.close();
  });

  async function start(options: Parameters<typeof startTestSimulator>[0] = {}): Promise<void> {
    z = await startTestSimulator(options);
    admin = new AdminClient(z.url);
  }

  describe('OAuth', () => {
    it('a token expires after expires_in on the simulated clock; then 401 with WWW-Authenticate', async () => {
      await start({ tokenTtlSeconds: 60 });
      const token = await z.fetchToken();
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1', { token })).status, 200);
      await admin.advanceClock(59_000);
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1', { token })).status, 200);
      await admin.advanceClock(1_000);
      const expired = await z.conforming('GET', '/v1/accounts/A-SEED-1', { token });
      assert.equal(expired.status, 401);
      assert.equal(expired.headers.get('www-authenticate'), WWW_AUTHENTICATE);
      assert.equal((expired.body as { success: boolean }).success, false);
      assert.match((expired.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /11$/);
      const fresh = await z.fetchToken();
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1', { token: fresh })).status, 200);
    });

    it('missing and wrong tokens get 401 in each family shape; wrong client secret gets 401', async () => {
      await start();
      const missing = await z.conforming('GET', '/v1/subscriptions/S-0001', { noAuth: true });
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), WWW_AUTHENTICATE);
      const wrong = await z.conforming('GET', '/v1/object/usage/x', { token: 'not-a-token' });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, { message: 'Authentication error' });
      const oq = await z.conforming('GET', '/object-query/accounts', { noAuth: true });
      assert.equal(oq.status, 401);
      assert.equal(typeof (oq.body as { reasons: { code: unknown }[] }).reasons[0]?.code, 'number');
      const badClient = await z.call('POST', '/oauth/token', {
        noAuth: true,
        form: {
          client_id: z.sim.sim.credentials.clientId,
          client_secret: 'wrong',
          grant_type: 'client_credentials',
        },
      });
      assert.equal(badClient.status, 401);
      assert.equal((badClient.body as { error: string }).error, 'invalid_client');
    });
  });

  describe('accounts and custom fields', () => {
    it('custom fields are accepted on create/update, returned on retrieve, and filterable in object queries', async () => {
      await start();
      const created = await z.conforming('POST', '/v1/accounts', {
        body: { ...ACCOUNT, TogaiAccountId__c: 'togai-42' },
      });
      const { accountId } = created.body as { accountId: string };
      await z.conforming('POST', '/v1/accounts', { body: { ...ACCOUNT, TogaiAccountId__c: 'togai-43' } });
      const found = await z.conforming('GET', '/object-query/accounts', {
        query: 'filter[]=TogaiAccountId__c.EQ:togai-42',
      });
      assert.deepEqual(
        (found.body as { data: { id: string }[] }).data.map((a) => a.id),
        [accountId],
      );
      await z.conforming('PUT', `/v1/accounts/${accountId}`, {
        body: { TogaiAccountId__c: 'togai-44', name: 'Renamed' },
      });
      const got = await z.conforming('GET', `/v1/accounts/${accountId}`);
      const info = (got.body as { basicInfo: Record<string, unknown> }).basicInfo;
      assert.equal(info['TogaiAccountId__c'], 'togai-44');
      assert.equal(info['name'], 'Renamed');
      const none = await z.conforming('GET', '/object-query/accounts', {
        query: 'filter[]=togaiAccountId__c.EQ:togai-42',
      });
      assert.deepEqual((none.body as { data: unknown[] }).data, []);
    });

    it('undefined custom fields fail with success false; non-filterable ones are refused in filters', async () => {
      await start({
        customFields: { Account: [{ name: 'TogaiAccountId__c', filterable: true }, { name: 'Region__c' }] },
      });
      const unknown = await z.conforming('POST', '/v1/accounts', { body: { ...ACCOUNT, Nope__c: 'x' } });
      assert.equal(unknown.status, 200);
      assert.equal((unknown.body as { success: boolean }).success, false);
      const refused = await z.conforming('GET', '/object-query/accounts', {
        query: 'filter[]=Region__c.EQ:eu',
      });
      assert.equal(refused.status, 400);
      const malformed = await z.conforming('GET', '/object-query/accounts', { query: 'filter[]=nonsense' });
      assert.equal(malformed.status, 400);
    });

    it('object queries page with a cursor', async () => {
      await start();
      for (let i = 0; i < 3; i++) await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `pageSize=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await z.conforming('GET', '/object-query/accounts', { query });
        const body = res.body as { data: { id: string }[]; nextPage: string | null };
        ids.push(...body.data.map((a) => a.id));
        cursor = body.nextPage;
      } while (cursor);
      assert.equal(ids.length, 4);
      assert.equal(new Set(ids).size, 4);
    });
  });

  describe('standalone invoices', () => {
    it('exact amounts, Draft by default, Posted on request, custom field filterable', async () => {
      await start();
      const draft = await z.conforming('POST', '/v1/invoices', {
        body: {
          accountNumber: 'A-SEED-1',
          invoiceDate: '2026-11-01',
          invoiceItems: [
            { amount: 0.1, serviceStartDate: '2026-10-01' },
            { amount: 0.2, serviceStartDate: '2026-10-01' },
          ],
          TogaiInvoiceId__c: 'togai-inv-1',
        },
      });
      const d = draft.body as { status: string; amount: number; id: string };
      assert.equal(d.status, 'Draft');
      assert.equal(d.amount, 0.3, 'decimal sum, not 0.30000000000000004');
      const posted = await z.conforming('POST', '/v1/invoices', {
        body: {
          accountNumber: 'A-SEED-1',
          invoiceDate: '2026-11-01',
          status: 'Posted',
          invoiceItems: [{ amount: 10, serviceStartDate: '2026-10-01' }],
        },
      });
      assert.equal((posted.body as { status: string }).status, 'Posted');
      const found = await z.conforming('GET', '/object-query/invoices', {
        query: 'filter[]=TogaiInvoiceId__c.EQ:togai-inv-1',
      });
      assert.deepEqual(
        (found.body as { data: { id: string }[] }).data.map((i) => i.id),
        [d.id],
      );
    });

    it('currency must equal the account currency; at most 1,000 items; permission can be off', async () => {
      await start();
      const base = { accountNumber: 'A-SEED-1', invoiceDate: '2026-11-01' };
      const item = { amount: 1, serviceStartDate: '2026-10-01' };
      const eur = await z.conforming('POST', '/v1/invoices', {
        body: { ...base, currency: 'EUR', invoiceItems: [item] },
      });
      assert.equal((eur.body as { success: boolean }).success, false);
      const tooMany = await z.conforming('POST', '/v1/invoices', {
        body: { ...base, invoiceItems: Array.from({ length: 1001 }, () => item) },
      });
      assert.equal((tooMany.body as { success: boolean }).success, false);
      const max = await z.conforming('POST', '/v1/invoices', {
        body: { ...base, invoiceItems: Array.from({ length: 1000 }, () => item) },
      });
      assert.equal((max.body as { amount: number }).amount, 1000);
      await z.sim.close();
      await start({ standaloneInvoices: false });
      const denied = await z.conforming('POST', '/v1/invoices', { body: { ...base, invoiceItems: [item] } });
      assert.match((denied.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /10$/);
    });
  });

  describe('money, dates and fields as Zuora keeps them (issue 11)', () => {
    const base = { accountNumber: 'A-SEED-1', invoiceDate: '2026-11-01' };
    const invoice = async (items: unknown[], extra: Record<string, unknown> = {}) =>
      (await z.conforming('POST', '/v1/invoices', { body: { ...base, invoiceItems: items, ...extra } }))
        .body as {
        success: boolean;
        amount: number;
        amountWithoutTax: number;
        taxAmount: number;
        reasons?: { message: string }[];
      };

    it('rounds every amount to the currency’s decimal places, half up (ISO 4217, the tenant’s overrides win)', async () => {
      await start();
      const usd = await invoice([{ amount: 1.5015, serviceStartDate: '2026-10-01' }]);
      assert.equal(usd.amount, 1.5, 'a sub-cent amount is kept at the cent');
      await z.sim.close();
      await start({
        seed: {
          ...SEED,
          accounts: [...(SEED?.accounts ?? []), { accountNumber: 'A-JPY', name: 'Yen Co', currency: 'JPY' }],
        },
        currency: { decimals: { USD: 3 } },
      });
      const jpy = (
        await z.conforming('POST', '/v1/invoices', {
          body: {
            accountNumber: 'A-JPY',
            invoiceDate: '2026-11-01',
            invoiceItems: [{ amount: 13.5, serviceStartDate: '2026-10-01' }],
          },
        })
      ).body as { amount: number };
      assert.equal(jpy.amount, 14);
      assert.equal(
        (await invoice([{ amount: 1.5015, serviceStartDate: '2026-10-01' }])).amount,
        1.502,
        'override: 3 places',
      );
    });

    it('discount items (negative only) and taxation items count in the total; more than Zuora allows is refused', async () => {
      await start();
      const item = {
        amount: 100,
        serviceStartDate: '2026-10-01',
        discountItems: [{ amount: -10.004, chargeName: 'Discount' }],
        taxItems: [
          {
            name: 'VAT',
            taxAmount: '18.0049',
            taxDate: '2026-10-31',
            taxMode: 'TaxExclusive',
            taxRate: '18.0049',
            taxRateType: 'FlatFee',
          },
        ],
      };
      const ok = await invoice([item]);
      assert.deepEqual([ok.amount, ok.amountWithoutTax, ok.taxAmount], [108, 90, 18]);
      const positive = await invoice([{ ...item, discountItems: [{ amount: 5 }] }]);
      assert.equal(positive.success, false);
      assert.match(positive.reasons?.[0]?.message ?? '', /must be negative/);
      // Item counts from the official SDK (CreateInvoiceItem: at most 10 discount, 5 taxation items).
      const many = await z.call('POST', '/v1/invoices', {
        body: {
          ...base,
          invoiceItems: [{ ...item, discountItems: Array.from({ length: 11 }, () => ({ amount: -1 })) }],
        },
      });
      assert.equal(many.status, 400);
      await z.sim.close();
      await start({ taxation: false });
      const untaxed = await invoice([item]);
      assert.equal(untaxed.success, false);
      assert.match(untaxed.reasons?.[0]?.message ?? '', /Zuora Taxation/);
    });

    it('usage date-times are read in the tenant’s time zone: without an offset as written, with one converted', async () => {
      await start({ timeZone: 'America/Los_Angeles' });
      const record = async (StartDateTime: string) => {
        const res = await z.conforming('POST', '/v1/object/usage', {
          body: {
            AccountNumber: 'A-SEED-1',
            ChargeNumber: 'C-0001',
            UOM: 'Each',
            Quantity: 1,
            StartDateTime,
          },
        });
        const id = (res.body as { Id: string }).Id;
        return ((await z.conforming('GET', `/v1/object/usage/${id}`)).body as { StartDateTime: string })
          .StartDateTime;
      };
      assert.equal(await record('2026-11-01T00:00:00'), '2026-11-01T00:00:00');
      assert.equal(
        await record('2026-11-01T00:00:00.000Z'),
        '2026-10-31T17:00:00',
        'midnight UTC is 31 October in LA',
      );
      assert.equal(await record('2026-11-01T09:00:00+01:00'), '2026-11-01T01:00:00');
    });

    it('usage Quantity: a decimal ≥ 0 of at most 16 characters (the SDK’s character limit, via the contract)', async () => {
      await start();
      const post = (Quantity: unknown) =>
        z.call('POST', '/v1/object/usage', {
          body: {
            AccountNumber: 'A-SEED-1',
            ChargeNumber: 'C-0001',
            UOM: 'Each',
            Quantity,
            StartDateTime: '2026-11-01T00:00:00',
          },
        });
      assert.equal((await post(123456789012.123)).status, 200);
      assert.equal((await post(0.1234567890123456)).status, 400, '18 characters');
      assert.equal((await post(12345678901234.5)).status, 200, '16 characters');
      assert.equal((await post(-1)).status, 400);
    });

    it('contacts: a country by name or ISO code (kept as a name); a US or Canadian state by name or 2-letter code', async () => {
      await start();
      const create = (contact: { country: string; state?: string }) =>
        z.conforming('POST', '/v1/accounts', {
          body: {
            name: 'Geo Co',
            currency: 'USD',
            billToContact: { firstName: 'A', lastName: 'B', ...contact },
          },
        });
      for (const contact of [
        { country: 'United States', state: 'California' },
        { country: 'US', state: 'CA' },
        { country: 'USA', state: 'ny' },
        { country: 'Canada', state: 'Ontario' },
        { country: 'Germany', state: 'Bayern' },
      ]) {
        const res = await create(contact);
        assert.equal((res.body as { success: boolean }).success, true, JSON.stringify(contact));
      }
      const us = await create({ country: 'US' });
      const id = (us.body as { accountId: string }).accountId;
      const got = (await z.conforming('GET', `/v1/accounts/${id}`)).body as {
        billToContact: { country: string };
      };
      assert.equal(got.billToContact.country, 'United States of America');
      for (const contact of [
        { country: 'Narnia' },
        { country: 'US', state: 'Calif.' },
        { country: 'Canada', state: 'Quebec City' },
      ]) {
        const res = await create(contact);
        assert.equal((res.body as { success: boolean }).success, false, JSON.stringify(contact));
      }
      // Lengths from the official SDK (CreateAccountContact.city: 100).
      const long = await z.call('POST', '/v1/accounts', {
        body: {
          name: 'Geo Co',
          currency: 'USD',
          billToContact: { firstName: 'A', lastName: 'B', city: 'x'.repeat(101) },
        },
      });
      assert.equal(long.status, 400);
    });
  });

  describe('usage', () => {
    it('a record references the seeded charge; a wrong UOM or charge is refused; object query by custom field', async () => {
      await start();
      const base = { AccountNumber: 'A-SEED-1', Quantity: 1.5, StartDateTime: '2026-10-01T00:00:00Z' };
      const wrongUom = await z.conforming('POST', '/v1/object/usage', {
        body: { ...base, UOM: 'GB', ChargeNumber: 'C-0001' },
      });
      assert.equal(wrongUom.status, 400);
      const wrongCharge = await z.conforming('POST', '/v1/object/usage', {
        body: { ...base, UOM: 'Each', ChargeNumber: 'C-9' },
      });
      assert.equal(wrongCharge.status, 400);
      const ok = await z.conforming('POST', '/v1/object/usage', {
        body: { ...base, UOM: 'Each', ChargeNumber: 'C-0001', TogaiUsageKey__c: 'k-1' },
      });
      const id = (ok.body as { Id: string }).Id;
      const found = await z.conforming('GET', '/object-query/usages', {
        query: 'filter[]=TogaiUsageKey__c.EQ:k-1',
      });
      const rows = (found.body as { data: { id: string; subscriptionId: string; quantity: number }[] }).data;
      assert.deepEqual(
        rows.map((r) => [r.id, r.subscriptionId, r.quantity]),
        [[id, 'sub-1', 1.5]],
      );
    });
  });

  describe('Idempotency-Key', () => {
    it('replays status, headers and body (one account created); failures are replayed too', async () => {
      await start();
      const headers = { 'Idempotency-Key': 'key-1' };
      const first = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      const second = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      assert.deepEqual(second.body, first.body);
      assert.equal(second.status, first.status);
      assert.equal(second.headers.get('zuora-request-id'), first.headers.get('zuora-request-id'));
      assert.equal(z.sim.sim.context.state.accounts.size, 2, 'the seeded account and one more');

      const failHeaders = { 'Idempotency-Key': 'key-fail' };
      const failed = await z.conforming('POST', '/v1/accounts', {
        body: { ...ACCOUNT, currency: 'XXX' },
        headers: failHeaders,
      });
      assert.equal((failed.body as { success: boolean }).success, false);
      const replayed = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers: failHeaders });
      assert.deepEqual(replayed.body, failed.body, 'the stored failure, even for a now valid body');
      const invalid = await z.conforming('POST', '/v1/accounts', {
        body: { name: 'x' },
        headers: { 'Idempotency-Key': 'k400' },
      });
      const invalidAgain = await z.conforming('POST', '/v1/accounts', {
        body: ACCOUNT,
        headers: { 'Idempotency-Key': 'k400' },
      });
      assert.equal(invalid.status, 400);
      assert.deepEqual([invalidAgain.status, invalidAgain.body], [400, invalid.body]);
    });

    it('422 for the same key on another path or method; replays last 24 h of simulated time', async () => {
      await start({ tokenTtlSeconds: 48 * 3600 });
      const headers = { 'Idempotency-Key': 'key-2' };
      const first = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      const otherPath = await z.conforming('POST', '/v1/invoices', {
        body: {
          accountNumber: 'A-SEED-1',
          invoiceDate: '2026-11-01',
          invoiceItems: [{ amount: 1, serviceStartDate: '2026-10-01' }],
        },
        headers,
      });
      assert.equal(otherPath.status, 422);
      assert.equal((otherPath.body as { success: boolean }).success, false);
      const otherMethod = await z.call('PATCH', '/v1/accounts', { body: ACCOUNT, headers });
      assert.equal(otherMethod.status, 422);
      await admin.advanceClock(24 * 3_600_000 - 1_000);
      const stillReplayed = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      assert.deepEqual(stillReplayed.body, first.body);
      await admin.advanceClock(1_000);
      const fresh = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      assert.notEqual(
        (fresh.body as { accountId: string }).accountId,
        (first.body as { accountId: string }).accountId,
      );
    });

    it('409 while a request with the same key is in flight', async () => {
      await start();
      const token = await z.fetchToken();
      const headers = { Authorization: `Bearer ${token}`, 'Idempotency-Key': 'key-3' };
      const slow = slowRequest(z.url, '/v1/accounts', headers, JSON.stringify(ACCOUNT));
      await eventually(() => z.sim.sim.idempotency.size() === 1);
      const concurrent = await z.conforming('POST', '/v1/accounts', {
        body: ACCOUNT,
        headers: { 'Idempotency-Key': 'key-3' },
      });
      assert.equal(concurrent.status, 409);
      assert.match((concurrent.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /50$/);
      const done = await slow.finish();
      assert.equal(done.status, 200);
      const replay = await z.conforming('POST', '/v1/accounts', {
        body: ACCOUNT,
        headers: { 'Idempotency-Key': 'key-3' },
      });
      assert.deepEqual(replay.body, JSON.parse(done.body));
    });

    it('a create cut before its body arrived (the client died 50 ms in) stores no answer: the retry with the same key creates one invoice', async () => {
      await start();
      const token = await z.fetchToken();
      const body = {
        accountNumber: 'A-SEED-1',
        invoiceDate: '2026-11-01',
        invoiceItems: [{ amount: 10, serviceStartDate: '2026-10-01' }],
        TogaiInvoiceId__c: 'togai-cut-1',
      };
      const headers = { Authorization: `Bearer ${token}`, 'Idempotency-Key': 'key-cut' };
      const cut = slowRequest(z.url, '/v1/invoices', headers, JSON.stringify(body));
      cut.request.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      cut.request.destroy();
      await eventually(() => z.sim.sim.idempotency.size() === 0);
      const retry = await z.conforming('POST', '/v1/invoices', {
        body,
        headers: { 'Idempotency-Key': 'key-cut' },
      });
      assert.equal(retry.status, 200);
      assert.equal((retry.body as { success: boolean }).success, true);
      const invoices = [...z.sim.sim.context.state.invoices.values()].filter(
        (i) => i.customFields['TogaiInvoiceId__c'] === 'togai-cut-1',
      );
      assert.equal(invoices.length, 1, 'exactly one Zuora invoice');
      assert.equal(
        z.sim.sim.idempotency.replays,
        0,
        'nothing was replayed: the cut request had no answer to keep',
      );
    });

    it('commit then fail: the client sees a 500, a retry with the same key gets the stored success', async () => {
      await start();
      await admin.setFaults([{ method: 'POST', path: '/v1/accounts', commitThenFailRate: 1, times: 1 }]);
      const headers = { 'Idempotency-Key': 'key-4' };
      const failed = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      assert.equal(failed.status, 500);
      assert.equal(z.sim.sim.context.state.accounts.size, 2, 'the account was created anyway');
      const retried = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT, headers });
      assert.equal(retried.status, 200);
      assert.equal(z.sim.sim.context.state.accounts.size, 2, 'no duplicate');
    });
  });

  describe('limits', () => {
    it('per-minute rate limit: RateLimit-* headers, then 429 code 70 with Retry-After; counted by kind', async () => {
      await start({ rateLimitPerMinute: 3 });
      await z.fetchToken(); // 1st request of the minute
      const a = await z.conforming('GET', '/v1/accounts/A-SEED-1');
      assert.equal(a.headers.get('ratelimit-limit'), '3');
      assert.equal(a.headers.get('ratelimit-remaining'), '1');
      assert.ok(Number(a.headers.get('ratelimit-reset')) >= 1);
      await z.conforming('GET', '/v1/accounts/A-SEED-1');
      const limited = await z.conforming('GET', '/v1/accounts/A-SEED-1');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('ratelimit-remaining'), '0');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.match((limited.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /^5\d{5}70$/);
      assert.deepEqual(await admin.refusals(), { rate: 1, total: 1 });
      await admin.advanceClock(60_000);
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1')).status, 200);
    });

    it('per-tenant concurrency: Concurrency-Limit-* headers, then 429 with Retry-After while slots are held', async () => {
      await start({ concurrencyLimit: 2 });
      const token = await z.fetchToken();
      const ok = await z.conforming('GET', '/v1/accounts/A-SEED-1', { token });
      assert.equal(ok.headers.get('concurrency-limit-type'), 'Default');
      assert.equal(ok.headers.get('concurrency-limit-limit'), '2');
      assert.equal(ok.headers.get('concurrency-limit-remaining'), '1');
      const auth = { Authorization: `Bearer ${token}` };
      const held = [
        slowRequest(z.url, '/v1/accounts', auth, JSON.stringify(ACCOUNT)),
        slowRequest(z.url, '/v1/accounts', auth, JSON.stringify(ACCOUNT)),
      ];
      await eventually(() => z.sim.sim.limits.concurrency.current() === 2);
      const limited = await z.conforming('GET', '/v1/accounts/A-SEED-1', { token });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('concurrency-limit-remaining'), '0');
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.match((limited.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /70$/);
      for (const h of held) assert.equal((await h.finish()).status, 200);
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1', { token })).status, 200);
      const limits = (await (await fetch(`${z.url}/__admin/limits`)).json()) as {
        refusals: Record<string, number>;
        peakConcurrency: number;
      };
      assert.deepEqual(limits.refusals, { concurrency: 1, total: 1 });
      assert.equal(limits.peakConcurrency, 2);
    });

    it('limits can be changed through the admin API', async () => {
      await start();
      const res = await fetch(`${z.url}/__admin/limits`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rateLimitPerMinute: 1 }),
      });
      assert.equal(res.status, 200);
      await z.fetchToken();
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1')).status, 429);
    });

    it('an injected 429 burst looks like Zuora and is counted as a fault', async () => {
      await start();
      await admin.setFaults([{ path: '/v1/accounts/*', burst429: 1 }]);
      const limited = await z.conforming('GET', '/v1/accounts/A-SEED-1');
      assert.equal(limited.status, 429);
      assert.ok(limited.headers.get('retry-after'));
      assert.equal((await z.conforming('GET', '/v1/accounts/A-SEED-1')).status, 200);
      assert.deepEqual(await admin.refusals(), { fault: 1, total: 1 });
    });
  });
});
