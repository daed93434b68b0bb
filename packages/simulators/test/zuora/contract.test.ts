import assert from 'node:assert/strict';
import { startTestSimulator, type ZuoraTestClient } from './helpers.js';

/**
 * One block per simulated operation: a valid request (built from the official schema) is
 * accepted, an invalid one is rejected in Zuora's error shape, and every response conforms to
 * the official response schema (the test client checks each one).
 */
describe('Zuora simulator: contract', function () {
  this.timeout(30_000);
  let z: ZuoraTestClient;

  const account = {
    name: 'Contract Co',
    currency: 'USD',
    billToContact: { firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@example.com', country: 'US' },
    TogaiAccountId__c: 'togai-contract-1',
  };

  before(async () => {
    z = await startTestSimulator();
  });
  after(async () => {
    // The spec declares no error status for these two operations; Zuora still rejects bad input.
    const knownGaps = new Set(['createToken 400', 'Object_PUTUsage 400']);
    const violations = z.sim.sim.violations.filter((v) => !knownGaps.has(`${v.operationId} ${v.status}`));
    assert.deepEqual(violations, [], 'no other response the simulator sent broke the contract');
    await z.sim.close();
  });

  async function createAccount(
    extra: Record<string, unknown> = {},
  ): Promise<{ accountId: string; accountNumber: string }> {
    const res = await z.conforming('POST', '/v1/accounts', { body: { ...account, ...extra } });
    assert.equal(res.status, 200);
    const body = res.body as { success: boolean; accountId: string; accountNumber: string };
    assert.equal(body.success, true);
    return body;
  }

  async function createInvoice(accountId: string): Promise<{ id: string; invoiceNumber: string }> {
    const res = await z.conforming('POST', '/v1/invoices', {
      body: {
        accountId,
        invoiceDate: '2026-11-01',
        invoiceItems: [
          { amount: 12.5, serviceStartDate: '2026-10-01', chargeName: 'API calls', quantity: 1250 },
        ],
        TogaiInvoiceId__c: 'inv-contract-1',
      },
    });
    return res.body as { id: string; invoiceNumber: string };
  }

  async function createUsage(): Promise<string> {
    const res = await z.conforming('POST', '/v1/object/usage', {
      body: {
        AccountNumber: 'A-SEED-1',
        SubscriptionNumber: 'S-0001',
        ChargeNumber: 'C-0001',
        Quantity: 42,
        UOM: 'Each',
        StartDateTime: '2026-10-01T00:00:00Z',
        TogaiUsageKey__c: 'usage-contract-1',
      },
    });
    return (res.body as { Id: string }).Id;
  }

  it('covers every operation of the vendored contract except the CSV file import', () => {
    const ops = z.sim.sim.contract.operations().map((o) => o.operationId);
    assert.deepEqual(
      ops.filter((o) => o === 'POST_Usage'),
      ['POST_Usage'],
    );
    assert.equal(ops.length, 20, 'this file has one block per other operation (19)');
  });

  describe('createToken (POST /oauth/token)', () => {
    it('valid client credentials → token', async () => {
      const { clientId, clientSecret } = z.sim.sim.credentials;
      const res = await z.conforming('POST', '/oauth/token', {
        noAuth: true,
        form: { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' },
      });
      assert.equal(res.status, 200);
      assert.equal((res.body as { expires_in: number }).expires_in, 3599);
      assert.equal((res.body as { token_type: string }).token_type, 'bearer');
    });
    it('a form the schema rejects → 400 OAuth error (the spec declares no error body here)', async () => {
      const res = await z.call('POST', '/oauth/token', {
        noAuth: true,
        form: { client_id: 'short', grant_type: 'x' },
      });
      assert.equal(res.status, 400);
      assert.equal((res.body as { error: string }).error, 'invalid_request');
    });
  });

  describe('POST_Account', () => {
    it('valid → 200 success with ids', async () => {
      const body = await createAccount();
      assert.match(body.accountId, /^[0-9a-f]{32}$/);
    });
    it('missing required fields → 400 CommonResponse with a "missing required" reason', async () => {
      const res = await z.conforming('POST', '/v1/accounts', { body: { name: 'No currency' } });
      assert.equal(res.status, 400);
      const body = res.body as { success: boolean; reasons: { code: string; message: string }[] };
      assert.equal(body.success, false);
      assert.match(body.reasons[0]?.code ?? '', /^5\d{5}21$/);
    });
    it('malformed JSON → 400 CommonResponse', async () => {
      const token = await z.fetchToken();
      const res = await fetch(`${z.url}/v1/accounts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{"name":',
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { success: boolean; reasons: { code: string }[] };
      assert.deepEqual(z.sim.sim.contract.validateResponse('POST_Account', 400, body), []);
      assert.match(body.reasons[0]?.code ?? '', /90$/);
    });
  });

  describe('GET_Account', () => {
    it('valid → 200 with basicInfo, custom fields and currency', async () => {
      const { accountId } = await createAccount();
      const res = await z.conforming('GET', `/v1/accounts/${accountId}`);
      const body = res.body as {
        basicInfo: Record<string, unknown>;
        billingAndPayment: { currency: string };
      };
      assert.equal(body.basicInfo['TogaiAccountId__c'], 'togai-contract-1');
      assert.equal(body.billingAndPayment.currency, 'USD');
    });
    it('unknown key → HTTP 200, success false, not-found code', async () => {
      const res = await z.conforming('GET', '/v1/accounts/nope');
      assert.equal(res.status, 200);
      const body = res.body as { success: boolean; reasons: { code: string }[] };
      assert.equal(body.success, false);
      assert.match(body.reasons[0]?.code ?? '', /40$/);
    });
    it('invalid header (Zuora-Track-Id over 64 chars) → 400', async () => {
      const res = await z.conforming('GET', '/v1/accounts/A-SEED-1', {
        headers: { 'Zuora-Track-Id': 'x'.repeat(65) },
      });
      assert.equal(res.status, 400);
    });
  });

  describe('PUT_Account', () => {
    it('valid → 200 success', async () => {
      const { accountId } = await createAccount();
      const res = await z.conforming('PUT', `/v1/accounts/${accountId}`, { body: { notes: 'updated' } });
      assert.deepEqual(res.body, { success: true });
    });
    it('wrong type → 400', async () => {
      const res = await z.conforming('PUT', '/v1/accounts/A-SEED-1', { body: { billCycleDay: 'first' } });
      assert.equal(res.status, 400);
      assert.equal((res.body as { success: boolean }).success, false);
    });
  });

  describe('GET_SubscriptionsByKey', () => {
    it('valid → seeded rate plans and charges', async () => {
      const res = await z.conforming('GET', '/v1/subscriptions/S-0001');
      const body = res.body as {
        ratePlans: { id: string; ratePlanCharges: { id: string; number: string }[] }[];
      };
      assert.equal(body.ratePlans[0]?.id, 'rp-1');
      assert.equal(body.ratePlans[0]?.ratePlanCharges[0]?.number, 'C-0001');
    });
    it('invalid query parameter → 400', async () => {
      const res = await z.conforming('GET', '/v1/subscriptions/S-0001', {
        query: 'getDetailedMetrics=perhaps',
      });
      assert.equal(res.status, 400);
    });
  });

  describe('getSubscriptionsByAccount (derived from the official Python SDK)', () => {
    it("valid → the account's subscriptions with their charges and product rate plan charges", async () => {
      const res = await z.conforming('GET', '/v1/subscriptions/accounts/A-SEED-1');
      const body = res.body as {
        subscriptions: {
          subscriptionNumber: string;
          status: string;
          ratePlans: { ratePlanCharges: { number: string; productRatePlanChargeId: string }[] }[];
        }[];
      };
      assert.deepEqual(
        body.subscriptions.map((s) => [s.subscriptionNumber, s.status]),
        [['S-0001', 'Active']],
      );
      assert.equal(
        body.subscriptions[0]?.ratePlans[0]?.ratePlanCharges[0]?.productRatePlanChargeId,
        'prpc-1',
      );
    });
    it('pageSize over 40 → 400; unknown account → success false', async () => {
      const big = await z.conforming('GET', '/v1/subscriptions/accounts/A-SEED-1', { query: 'pageSize=41' });
      assert.equal(big.status, 400);
      const unknown = await z.conforming('GET', '/v1/subscriptions/accounts/A-NOPE');
      assert.equal((unknown.body as { success: boolean }).success, false);
    });
  });

  describe('Object_POSTUsage', () => {
    it('valid → Success and Id', async () => {
      assert.match(await createUsage(), /^[0-9a-f]{32}$/);
    });
    it('missing Quantity → 400 ProxyBadRequestResponse', async () => {
      const res = await z.conforming('POST', '/v1/object/usage', {
        body: { AccountNumber: 'A-SEED-1', UOM: 'Each', StartDateTime: '2026-10-01T00:00:00Z' },
      });
      assert.equal(res.status, 400);
      const body = res.body as { success: boolean; errors: { code: string }[] };
      assert.equal(body.success, false);
      assert.equal(body.errors[0]?.code, 'MISSING_REQUIRED_VALUE');
    });
  });

  describe('Object_GETUsage', () => {
    it('valid → the record', async () => {
      const id = await createUsage();
      const res = await z.conforming('GET', `/v1/object/usage/${id}`);
      const body = res.body as Record<string, unknown>;
      assert.equal(body['Quantity'], 42);
      assert.equal(body['ChargeId'], 'charge-1');
      assert.equal(body['TogaiUsageKey__c'], 'usage-contract-1');
    });
    it('unknown id → 404 ProxyNoDataResponse', async () => {
      const res = await z.conforming('GET', '/v1/object/usage/nope');
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { done: true, records: [], size: 0 });
    });
  });

  describe('Object_PUTUsage', () => {
    it('valid → Success', async () => {
      const id = await createUsage();
      const res = await z.conforming('PUT', `/v1/object/usage/${id}`, { body: { Quantity: 43 } });
      assert.deepEqual(res.body, { Success: true, Id: id });
    });
    it('wrong type → 400 in the CRUD error shape (the spec declares no 400 for this operation)', async () => {
      const id = await createUsage();
      const res = await z.call('PUT', `/v1/object/usage/${id}`, { body: { Quantity: 'many' } });
      assert.equal(res.status, 400);
      assert.equal((res.body as { errors: { code: string }[] }).errors[0]?.code, 'INVALID_VALUE');
    });
  });

  describe('Object_DELETEUsage', () => {
    it('valid → success, then the record is gone', async () => {
      const id = await createUsage();
      const res = await z.conforming('DELETE', `/v1/object/usage/${id}`);
      assert.deepEqual(res.body, { id, success: true });
      assert.equal((await z.conforming('GET', `/v1/object/usage/${id}`)).status, 404);
    });
    it('without a token → 401 ProxyUnauthorizedResponse with WWW-Authenticate', async () => {
      const res = await z.conforming('DELETE', '/v1/object/usage/x', { noAuth: true });
      assert.equal(res.status, 401);
      assert.ok(res.headers.get('www-authenticate'));
    });
  });

  describe('POST_StandaloneInvoice', () => {
    it('valid → Draft invoice with the exact amount and custom field', async () => {
      const { accountId } = await createAccount();
      const inv = (await createInvoice(accountId)) as unknown as Record<string, unknown>;
      assert.equal(inv['status'], 'Draft');
      assert.equal(inv['amount'], 12.5);
      assert.equal(inv['TogaiInvoiceId__c'], 'inv-contract-1');
    });
    it('missing invoiceDate → 400', async () => {
      const res = await z.conforming('POST', '/v1/invoices', {
        body: { accountId: 'x', invoiceItems: [{ amount: 1, serviceStartDate: '2026-10-01' }] },
      });
      assert.equal(res.status, 400);
    });
  });

  describe('Get_GetInvoice', () => {
    it('valid by id and by number', async () => {
      const { accountId } = await createAccount();
      const inv = await createInvoice(accountId);
      const byId = await z.conforming('GET', `/v1/invoices/${inv.id}`);
      const byNumber = await z.conforming('GET', `/v1/invoices/${inv.invoiceNumber}`);
      assert.equal((byId.body as { id: string }).id, inv.id);
      assert.equal((byNumber.body as { id: string }).id, inv.id);
    });
    it('unknown → success false', async () => {
      const res = await z.conforming('GET', '/v1/invoices/nope');
      assert.equal((res.body as { success: boolean }).success, false);
    });
  });

  describe('GET_InvoiceItems', () => {
    it('valid → items with exact decimal strings', async () => {
      const { accountId } = await createAccount();
      const inv = await createInvoice(accountId);
      const res = await z.conforming('GET', `/v1/invoices/${inv.id}/items`);
      const items = (res.body as { invoiceItems: { chargeAmount: string; quantity: string }[] }).invoiceItems;
      assert.deepEqual(
        items.map((i) => [i.chargeAmount, i.quantity]),
        [['12.5', '1250']],
      );
    });
    it('pageSize over 40 → 400', async () => {
      const res = await z.conforming('GET', '/v1/invoices/x/items', { query: 'pageSize=41' });
      assert.equal(res.status, 400);
    });
  });

  for (const [collection, list, byKey] of [
    ['accounts', 'queryAccounts', 'queryAccountByKey'],
    ['invoices', 'queryInvoices', 'queryInvoiceByKey'],
    ['usages', 'queryUsages', 'queryUsageByKey'],
  ] as const) {
    describe(`${list} and ${byKey}`, () => {
      let key: string;
      before(async () => {
        const { accountId } = await createAccount();
        key =
          collection === 'accounts'
            ? accountId
            : collection === 'invoices'
              ? (await createInvoice(accountId)).id
              : await createUsage();
      });
      it('list: valid → data and nextPage', async () => {
        const res = await z.conforming('GET', `/object-query/${collection}`, { query: 'pageSize=2' });
        const body = res.body as { data: { id: string }[]; nextPage: string | null };
        assert.ok(body.data.length >= 1 && body.data.length <= 2);
        assert.ok('nextPage' in body);
      });
      it('list: pageSize over 99 → 400 CommonOQErrorResponse with an integer code', async () => {
        const res = await z.conforming('GET', `/object-query/${collection}`, { query: 'pageSize=100' });
        assert.equal(res.status, 400);
        assert.equal(typeof (res.body as { reasons: { code: unknown }[] }).reasons[0]?.code, 'number');
      });
      it('by key: valid → the object; unknown → 404', async () => {
        const res = await z.conforming('GET', `/object-query/${collection}/${key}`);
        assert.equal((res.body as { id: string }).id, key);
        assert.equal((await z.conforming('GET', `/object-query/${collection}/nope`)).status, 404);
      });
    });
  }
});
