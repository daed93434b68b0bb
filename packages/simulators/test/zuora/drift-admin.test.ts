import assert from 'node:assert/strict';
import { startTestSimulator, type ZuoraTestClient } from './helpers.js';

/** The UI stand-ins reconciliation tests plant drift with: custom field edits and invoice totals. */
describe('Zuora simulator: drift admin endpoints (UI edits)', function () {
  this.timeout(30_000);
  let z: ZuoraTestClient;

  beforeEach(async () => {
    z = await startTestSimulator({
      customFields: {
        Account: [{ name: 'TogaiAccountId__c', filterable: true }, { name: 'TogaiCustomerId__c' }],
        Invoice: [{ name: 'TogaiInvoiceId__c', filterable: true }],
      },
    });
  });
  afterEach(async () => {
    await z.sim.close();
  });

  async function admin(
    method: string,
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${z.url}/__admin${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  it('sets and clears an account custom field; the API and object queries see it', async () => {
    const set = await admin('PUT', '/ui/accounts/A-SEED-1/custom-fields', { TogaiAccountId__c: 'acct-1' });
    assert.equal(set.status, 200);
    const account = await z.call('GET', '/v1/accounts/A-SEED-1');
    assert.equal(
      (account.body as { basicInfo: Record<string, unknown> }).basicInfo['TogaiAccountId__c'],
      'acct-1',
    );
    const found = await z.call('GET', '/object-query/accounts', {
      query: 'filter[]=TogaiAccountId__c.EQ:acct-1',
    });
    assert.deepEqual(
      (found.body as { data: { id: string }[] }).data.map((a) => a.id),
      ['acc-seed-1'],
    );

    const cleared = await admin('PUT', '/ui/accounts/acc-seed-1/custom-fields', { TogaiAccountId__c: null });
    assert.equal(cleared.status, 200);
    const after = await z.call('GET', '/v1/accounts/A-SEED-1');
    assert.equal(
      (after.body as { basicInfo: Record<string, unknown> }).basicInfo['TogaiAccountId__c'],
      undefined,
    );
    const none = await z.call('GET', '/object-query/accounts', {
      query: 'filter[]=TogaiAccountId__c.EQ:acct-1',
    });
    assert.deepEqual((none.body as { data: unknown[] }).data, []);

    assert.equal(
      (await admin('PUT', '/ui/accounts/nope/custom-fields', { TogaiAccountId__c: 'x' })).status,
      404,
    );
    assert.equal((await admin('PUT', '/ui/accounts/A-SEED-1/custom-fields', { notCustom: 'x' })).status, 400);
  });

  it("changes an invoice's total, as GET /v1/invoices answers it", async () => {
    const created = await z.call('POST', '/v1/invoices', {
      headers: { 'idempotency-key': 'drift-admin-invoice-1' },
      body: {
        accountId: 'acc-seed-1',
        invoiceDate: '2026-11-30',
        status: 'Draft',
        TogaiInvoiceId__c: 'inv.1',
        invoiceItems: [{ amount: 10, chargeName: 'Plan', serviceStartDate: '2026-11-01' }],
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = (created.body as { id: string }).id;
    assert.equal(((await z.call('GET', `/v1/invoices/${id}`)).body as { amount: number }).amount, 10);

    const changed = await admin('PUT', `/ui/invoices/${id}/amount`, { amount: '9.99' });
    assert.equal(changed.status, 200);
    assert.equal(((await z.call('GET', `/v1/invoices/${id}`)).body as { amount: number }).amount, 9.99);
    assert.equal((await admin('PUT', '/ui/invoices/nope/amount', { amount: '1' })).status, 404);
  });
});
