import assert from 'node:assert/strict';
import {
  addSubscription,
  BILLING_ZUORA_OPTIONS,
  closeCycle,
  failure,
  ingest,
  ok,
  routingSettings,
  runInvoiceSync,
  seedAccount,
  seedCatalog,
  TOGAI_INVOICES,
  zuoraInvoicesFor,
  zuoraUsagesFor,
  ZUORA_BILLS_USAGE,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';

/**
 * Nothing billed twice when the billing mode changes, a second connection targets the same
 * tenants, or a refusal is fixed (issue 10 review): real flows, real Temporal, both simulators.
 */
describe('Billed once across billing-mode changes, connections and fixed refusals', function () {
  this.timeout(180_000);

  let env: SimulatedConnection;
  beforeEach(async () => {
    env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS, connection: ZUORA_BILLS_USAGE });
  });
  afterEach(async () => {
    await env.close();
  });

  const switchTo = async (flows: typeof TOGAI_INVOICES): Promise<void> => {
    await env.service.update(env.connectionId, flows);
  };

  it('usage billed in full, then the connection switches to Togai invoices: a rerun creates no Zuora invoice (already billed)', async () => {
    const catalog = await seedCatalog(env);
    const account = await seedAccount(env, catalog, { currency: 'USD' });
    await ingest(env, catalog, account.togaiAccountId, 3, '150');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    assert.equal(ok(await runInvoiceSync(env, invoiceId)).outcome, 'created');
    assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);

    await switchTo(TOGAI_INVOICES);
    const rerun = ok(await runInvoiceSync(env, invoiceId));
    assert.equal(rerun.outcome, 'already-billed');
    assert.match(rerun.reason, /already billed in Zuora as usage records/);
    assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 0, 'no Zuora invoice');
    assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);
  });

  it('usage billed in part (one line pending), then Togai invoices: the rerun fails BilledInOtherMode naming the unbilled line', async () => {
    const catalog = await seedCatalog(env);
    // Calls on both subscriptions: ambiguous, pending; storage on the first only: synced.
    const account = await seedAccount(env, catalog, {
      currency: 'USD',
      subscriptions: [['calls', 'storage'], ['calls']],
    });
    await ingest(env, catalog, account.togaiAccountId, 3, '150');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    const first = ok(await runInvoiceSync(env, invoiceId));
    assert.deepEqual(
      first.skipped.map((s) => s.kind),
      ['ambiguous-subscription'],
    );

    await switchTo(TOGAI_INVOICES);
    const err = failure(await runInvoiceSync(env, invoiceId));
    assert.equal(err.type, 'BilledInOtherMode');
    assert.match(err.message, /partly billed in Zuora as usage records; line\(s\) #0 API calls are not/);
    assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 0, 'no Zuora invoice');
  });

  it('a Zuora invoice made in invoice mode, then Zuora bills usage: a rerun creates no usage record (already billed)', async () => {
    await switchTo(TOGAI_INVOICES);
    const catalog = await seedCatalog(env);
    const account = await seedAccount(env, catalog, { currency: 'EUR' });
    await ingest(env, catalog, account.togaiAccountId, 4, '120');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    const invoiced = ok(await runInvoiceSync(env, invoiceId));
    assert.equal(invoiced.outcome, 'created');

    await switchTo(ZUORA_BILLS_USAGE);
    const rerun = ok(await runInvoiceSync(env, invoiceId));
    assert.equal(rerun.outcome, 'already-billed');
    assert.equal(rerun.zuoraInvoiceNumber, invoiced.zuoraInvoiceNumber);
    assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 0, 'no usage record');
  });

  it('a second connection to the same tenants finds the first one’s usage records: nothing is billed twice', async () => {
    const catalog = await seedCatalog(env);
    const account = await seedAccount(env, catalog, { currency: 'USD' });
    await ingest(env, catalog, account.togaiAccountId, 5, '150');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    assert.equal(ok(await runInvoiceSync(env, invoiceId)).outcome, 'created');

    const second = await env.service.create({
      name: `Second ${catalog.tag}`,
      ...ZUORA_BILLS_USAGE,
      zuora: {
        endpoint: env.zuora.url,
        customEndpoint: true,
        clientId: env.zuora.sim.credentials.clientId,
        clientSecret: env.zuora.sim.credentials.clientSecret,
      },
      togai: { baseUrl: env.togai.url, apiToken: DEFAULT_API_TOKEN },
    });
    const viaSecond = ok(await runInvoiceSync({ ...env, connectionId: second.connection.id }, invoiceId));
    assert.equal(viaSecond.outcome, 'adopted');
    assert.deepEqual(
      viaSecond.usage.map((u) => u.outcome),
      ['adopted', 'adopted'],
    );
    assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);
  });

  it('a usage record Zuora refused is created once the cause is fixed, within Zuora’s 24 h replay window', async () => {
    const catalog = await seedCatalog(env);
    // The only subscription's storage charge is in TB while the meter says GB: Zuora refuses.
    const account = await seedAccount(env, catalog, { currency: 'USD', subscriptions: [] });
    account.subscriptions.push(await addSubscription(env, catalog, account, ['calls', 'storage'], 'TB'));
    await ingest(env, catalog, account.togaiAccountId, 2, '150');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    const first = ok(await runInvoiceSync(env, invoiceId));
    assert.deepEqual(
      first.skipped.map((s) => s.kind),
      ['refused'],
    );
    assert.match(first.skipped[0]?.reason ?? '', /UOM GB does not match the charge's UOM TB/);

    // Fixed: a subscription whose storage charge is in GB, named in the account's settings.
    const fixed = await addSubscription(env, catalog, account, ['storage']);
    const res = await fetch(`${env.togai.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        settings: routingSettings({ byMeter: { [catalog.storage]: fixed } }).map((s) => ({
          ...s,
          entityType: 'ACCOUNT',
          entityId: account.togaiAccountId,
        })),
      }),
    });
    assert.ok(res.ok, await res.text());
    const second = ok(await runInvoiceSync(env, invoiceId));
    assert.deepEqual(second.skipped, [], 'no stale refusal replayed');
    const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
    assert.equal(usages.length, 2);
    assert.equal(usages.find((u) => u.uom === 'GB')?.subscriptionNumber, fixed);
  });
});
