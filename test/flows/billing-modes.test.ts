import assert from 'node:assert/strict';
import { createActivities } from '../../src/activities/index.js';
import {
  FLOW,
  type InvoiceSyncResult,
  type SweepTogaiInvoicesInput,
  type SweepTogaiInvoicesResult,
} from '../../src/flows/index.js';
import { Decimal, normalize, roundToCurrency, sum } from '../../src/shared/money.js';
import { SA } from '../../src/shared/search-attributes.js';
import { testEnv } from '../hooks.js';
import {
  addSubscription,
  BILLING_ZUORA_OPTIONS,
  closeCycle,
  ingest,
  ok,
  routingSettings,
  runInvoiceSync,
  seedAccount,
  seedCatalog,
  TOGAI_INVOICES,
  UNIT_AMOUNT_FIELD,
  ZUORA_BILLS_USAGE,
  zuoraInvoicesFor,
  zuoraUsagesFor,
  type BillingAccount,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

/**
 * Issue 10 through the real flows (simulators + real Temporal): usage routed to each account's own
 * subscription, lines that cannot be routed yet skipped and synced by a later run, a connection
 * whose invoice flows are off swept for nothing, and a month end in each billing mode with nothing
 * billed twice.
 */
describe('Billing modes and usage routing (real Temporal, real worker, both simulators)', function () {
  this.timeout(180_000);

  describe('Zuora bills the usage', () => {
    let env: SimulatedConnection;
    before(async () => {
      env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS, connection: ZUORA_BILLS_USAGE });
    });
    after(async () => {
      await env.close();
    });

    it('one meter, two accounts: each account’s usage goes under its own subscription (not the first account’s)', async () => {
      const catalog = await seedCatalog(env);
      const a = await seedAccount(env, catalog, { currency: 'USD' });
      const b = await seedAccount(env, catalog, { currency: 'USD' });
      await ingest(env, catalog, a.togaiAccountId, 3, '10');
      await ingest(env, catalog, b.togaiAccountId, 7, '20');
      const [invA, invB] = [await closeCycle(env, a.togaiAccountId), await closeCycle(env, b.togaiAccountId)];
      // B first: v0.1 sent A's subscription under B's account here, and Zuora refused it.
      const resultB = ok(await runInvoiceSync(env, invB));
      const resultA = ok(await runInvoiceSync(env, invA));
      for (const [account, result] of [
        [a, resultA],
        [b, resultB],
      ] as const) {
        assert.deepEqual(result.skipped, []);
        const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
        assert.equal(usages.length, 2);
        assert.deepEqual(
          [...new Set(usages.map((u) => u.subscriptionNumber))],
          [account.subscriptions[0]],
          `${account.togaiAccountId}'s usage is on its own subscription`,
        );
      }
      const callsB = (await zuoraUsagesFor(env, b.zuoraAccountNumber!)).find((u) => u.uom !== 'GB');
      assert.equal(callsB?.quantity, '7');
    });

    it('an account with two subscriptions holding the charge is skipped until its settings name one; a named one is used', async () => {
      const catalog = await seedCatalog(env);
      const named = await seedAccount(env, catalog, {
        currency: 'USD',
        subscriptions: [
          ['calls', 'storage'],
          ['calls', 'storage'],
        ],
      });
      const ambiguous = await seedAccount(env, catalog, {
        currency: 'USD',
        subscriptions: [['calls', 'storage'], ['calls']],
      });
      await setAccountSettings(env, named, routingSettings({ all: `A-S${named.tag}-2` }));
      await ingest(env, catalog, named.togaiAccountId, 2, '10');
      await ingest(env, catalog, ambiguous.togaiAccountId, 2, '10');
      const chosen = ok(await runInvoiceSync(env, await closeCycle(env, named.togaiAccountId)));
      assert.deepEqual(
        chosen.usage.map((u) => u.subscriptionNumber),
        [named.subscriptions[1], named.subscriptions[1]],
      );
      const unsure = ok(await runInvoiceSync(env, await closeCycle(env, ambiguous.togaiAccountId)));
      // Calls are on both subscriptions: skipped, pending a choice; storage only on the first: synced.
      assert.deepEqual(
        unsure.skipped.map((s) => [s.kind, s.pending]),
        [['ambiguous-subscription', true]],
      );
      assert.match(unsure.skipped[0]?.reason ?? '', /zuora\.zuora_subscription/);
      assert.deepEqual(
        unsure.usage.map((u) => u.subscriptionNumber),
        [ambiguous.subscriptions[0]],
      );
    });

    it('no subscription for a meter: the line is skipped with its reason, the sync completes; the sweep reruns it once the subscription exists', async () => {
      const catalog = await seedCatalog(env);
      // The account's only subscription holds the storage charge, not the calls charge.
      const account = await seedAccount(env, catalog, { currency: 'USD', subscriptions: [['storage']] });
      await ingest(env, catalog, account.togaiAccountId, 4, '10');
      const invoiceId = await closeCycle(env, account.togaiAccountId);
      const first = await runInvoiceSync(env, invoiceId, { productionId: true });
      const result = ok(first);
      assert.equal(result.outcome, 'created');
      assert.deepEqual(
        result.skipped.map((s) => [s.meterId, s.kind, s.pending]),
        [[catalog.calls, 'no-subscription', true]],
      );
      assert.match(
        result.skipped[0]?.reason ?? '',
        new RegExp(`no active subscription .* holds product rate plan charge ${catalog.callsCharge}`),
      );
      const described = await testEnv().client.workflow.getHandle(first.workflowId).describe();
      assert.equal(described.status.name, 'COMPLETED');
      assert.equal(described.typedSearchAttributes.get(SA.pendingUsageLines), 1);
      assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 1);

      // Someone adds the calls charge on a second subscription; the next sweep completes the invoice.
      const second = await addSubscription(env, catalog, account, ['calls']);
      const sweep = await runSweep(env, {
        connectionId: env.connectionId,
        since: '2000-01-01T00:00:00Z',
        pendingBackoffMs: 0,
      });
      assert.ok((sweep.pendingReruns?.started ?? 0) >= 1, JSON.stringify(sweep));
      const rerun = await latestRun(first.workflowId, described.runId);
      assert.equal(rerun.result.outcome, 'created');
      assert.deepEqual(rerun.result.skipped, []);
      assert.equal(rerun.pending, 0);
      const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
      assert.equal(usages.length, 2, 'the storage record adopted, the calls record created: one each');
      assert.equal(usages.find((u) => u.quantity === '4')?.subscriptionNumber, second);

      const runAfterRerun = (await testEnv().client.workflow.getHandle(first.workflowId).describe()).runId;
      await runSweep(env, { connectionId: env.connectionId, since: '2000-01-01T00:00:00Z' });
      const latest = await testEnv().client.workflow.getHandle(first.workflowId).describe();
      assert.equal(latest.runId, runAfterRerun, 'nothing pending any more: the next sweep leaves it alone');
    });

    it('month end: three accounts in two currencies on two shared meters; every record on its own account’s subscription; Zuora bills what Togai invoiced, no Zuora invoice', async () => {
      const { accounts, results } = await monthEnd(env);
      for (const { account, togaiTotal, currency } of accounts) {
        const result = results.get(account.togaiAccountId)!;
        assert.equal(result.billingMode, 'zuora-bills-usage');
        assert.equal(result.zuoraInvoiceId, undefined);
        assert.equal((await zuoraInvoicesFor(env, result.togaiInvoiceId)).length, 0, 'no Zuora invoice');
        const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
        assert.equal(usages.length, 2);
        assert.ok(usages.every((u) => u.subscriptionNumber === account.subscriptions[0]));
        // What Zuora rates: quantity × the per-unit amount carried, at the currency's precision.
        const billed = roundToCurrency(
          sum(
            usages.map((u) =>
              new Decimal(u.quantity).times(String(u.customFields[UNIT_AMOUNT_FIELD])).toFixed(),
            ),
          ),
          currency,
        );
        assert.equal(
          billed,
          roundToCurrency(togaiTotal, currency),
          `${account.togaiAccountId} (${currency})`,
        );
      }
    });
  });

  describe('Togai invoices', () => {
    let env: SimulatedConnection;
    before(async () => {
      env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS, connection: TOGAI_INVOICES });
    });
    after(async () => {
      await env.close();
    });

    it('month end: three accounts in two currencies on two shared meters; one Zuora invoice each with Togai’s total, no usage record', async () => {
      const { accounts, results } = await monthEnd(env);
      for (const { account, togaiTotal, currency } of accounts) {
        const result = results.get(account.togaiAccountId)!;
        assert.equal(result.billingMode, 'togai-invoices');
        const atPrecision = normalize(roundToCurrency(togaiTotal, currency));
        assert.deepEqual(result.totals, { currency, togai: togaiTotal, zuora: atPrecision });
        const invoices = await zuoraInvoicesFor(env, result.togaiInvoiceId);
        assert.equal(invoices.length, 1);
        assert.equal(invoices[0]?.amount, atPrecision);
        assert.equal(
          (await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length,
          0,
          'never billed twice',
        );
      }
    });

    it('with every invoice and usage flow off, the sweep lists nothing and says why', async () => {
      const off = await startSimulatedConnection({
        zuora: BILLING_ZUORA_OPTIONS,
        connection: { flows: { invoices: false, usageQuantity: false, usageRevenue: false } },
      });
      try {
        const catalog = await seedCatalog(off);
        const account = await seedAccount(off, catalog, { currency: 'USD' });
        await ingest(off, catalog, account.togaiAccountId, 1, '1');
        await closeCycle(off, account.togaiAccountId);
        const result = await runSweep(off, { connectionId: off.connectionId, since: '2000-01-01T00:00:00Z' });
        assert.equal(result.listed, 0);
        assert.match(result.disabled ?? '', /flows 3, 4 and 5 .* are all off/);
        // Nothing generated while the flows are off is lost: the next sweep lists from here again.
        assert.equal(result.checkpoint, Date.parse('2000-01-01T00:00:00Z'));
        assert.equal(result.counts.started, 0);
      } finally {
        await off.close();
      }
    });
  });

  /** Adds routing settings to a Togai account (as a user would in Togai's UI). */
  async function setAccountSettings(
    env: SimulatedConnection,
    account: BillingAccount,
    settings: ReturnType<typeof routingSettings>,
  ): Promise<void> {
    for (const s of settings) {
      const res = await fetch(`${env.togai.url}/__admin/seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          settings: [{ ...s, entityType: 'ACCOUNT', entityId: account.togaiAccountId }],
        }),
      });
      assert.ok(res.ok, await res.text());
    }
  }

  /** Three accounts (USD, EUR, USD) on one catalog, usage, closed cycles, all synced at once. */
  async function monthEnd(env: SimulatedConnection) {
    const catalog = await seedCatalog(env);
    const plan = [
      { currency: 'USD' as const, calls: 5, gb: '150' },
      { currency: 'EUR' as const, calls: 10, gb: '150' },
      { currency: 'USD' as const, calls: 999, gb: '1200' },
    ];
    const seeded = [];
    for (const p of plan) {
      const account = await seedAccount(env, catalog, { currency: p.currency });
      await ingest(env, catalog, account.togaiAccountId, p.calls, p.gb);
      seeded.push({ account, currency: p.currency });
    }
    const invoices = await Promise.all(seeded.map((a) => closeCycle(env, a.account.togaiAccountId)));
    const runs = await Promise.all(invoices.map((id) => runInvoiceSync(env, id)));
    const results = new Map(runs.map(ok).map((r) => [r.togaiAccountId, r]));
    // Togai's own totals, as its invoices state them: what Zuora must end up billing.
    const state = (await env.togaiState()) as unknown as { invoices: { id: string; totalAmount: string }[] };
    const accounts = seeded.map((a, i) => ({
      ...a,
      togaiTotal: String(
        state.invoices.find((inv) => inv.id === invoices[i])?.totalAmount ?? assert.fail('no invoice'),
      ),
    }));
    return { accounts, results };
  }

  /** One sweep on a worker that can start syncs (the production activities, with a Temporal client). */
  async function runSweep(
    env: SimulatedConnection,
    input: SweepTogaiInvoicesInput,
  ): Promise<SweepTogaiInvoicesResult> {
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('sweep');
    const activities = createActivities({
      ...env.activityDeps,
      startSync: { client, taskQueue, timeoutMs: 10_000 },
    });
    return withWorker({ taskQueue, activities }, async () => {
      const result = (await client.workflow.execute(FLOW.invoiceSweep, {
        taskQueue,
        workflowId: `sweep-${taskQueue}`,
        args: [input],
      })) as SweepTogaiInvoicesResult;
      // Let the syncs it started finish on this worker.
      for (const wf of await startedSyncs(env.connectionId))
        await client.workflow
          .getHandle(wf)
          .result()
          .catch(() => undefined);
      return result;
    });
  }

  async function startedSyncs(connectionId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of testEnv().client.workflow.list({
      query: `TzsConnectionId="${connectionId}" AND WorkflowType="${FLOW.togaiInvoiceToZuora}" AND ExecutionStatus="Running"`,
    })) {
      ids.push(wf.workflowId);
    }
    return ids;
  }

  /** The run of `workflowId` after `previousRunId`, once completed. */
  async function latestRun(
    workflowId: string,
    previousRunId: string,
  ): Promise<{ result: InvoiceSyncResult; pending: number | undefined }> {
    const handle = testEnv().client.workflow.getHandle(workflowId);
    for (let i = 0; i < 100; i++) {
      const d = await handle.describe();
      if (d.runId !== previousRunId && d.status.name === 'COMPLETED') {
        return {
          result: (await testEnv()
            .client.workflow.getHandle(workflowId, d.runId)
            .result()) as InvoiceSyncResult,
          pending: d.typedSearchAttributes.get(SA.pendingUsageLines),
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return assert.fail(`no new completed run of ${workflowId}`);
  }
});
