import assert from 'node:assert/strict';
import { normalize, roundToCurrency } from '../../src/shared/money.js';
import { ZuoraClient } from '../../src/clients/zuora/client.js';
import { createActivities } from '../../src/activities/index.js';
import type { CreateConnectionInput } from '../../src/connections/model.js';
import {
  FLOW,
  togaiAccountToZuora,
  togaiInvoiceToZuora,
  type AccountSyncResult,
  type InvoiceSyncResult,
  type SyncTogaiInvoiceInput,
} from '../../src/flows/index.js';
import { SA } from '../../src/shared/search-attributes.js';
import { testEnv } from '../hooks.js';
import {
  BILLING_ZUORA_OPTIONS,
  closeCycle,
  failure,
  ingest,
  ok,
  post,
  runInvoiceSync,
  seedAccount,
  seedCatalog,
  TOGAI_INVOICES,
  UNIT_AMOUNT_FIELD,
  ZUORA_BILLS_USAGE,
  zuoraInvoicesFor,
  zuoraUsagesFor,
  type BillingAccount,
  type Catalog,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

/**
 * Flows 3-5 through the real workflow, a real worker and both simulators, in each billing mode:
 * Togai invoices (flow 3: one standalone Zuora invoice, no usage record) and Zuora bills the usage
 * (flows 4/5: usage records under the account's subscription, no Zuora invoice).
 */
describe('Invoice flow: Togai invoice → Zuora (real Temporal, real worker, both simulators)', function () {
  let env: SimulatedConnection;

  /** A catalog, one account with a Zuora account and a subscription, usage, and its closed cycle. */
  async function scenario(opts: {
    currency: 'USD' | 'EUR';
    zuoraCurrency?: string;
    mode?: 'quantity' | 'revenue';
    extra?: boolean;
    zuora?: false;
    calls: number;
    gigabytes: string;
  }): Promise<{ catalog: Catalog; account: BillingAccount; invoiceId: string }> {
    const catalog = await seedCatalog(env, {
      ...(opts.mode && { mode: opts.mode }),
      ...(opts.extra && { extra: true }),
      ...(opts.zuora === false && { mapped: false }),
    });
    const account = await seedAccount(env, catalog, {
      currency: opts.currency,
      ...(opts.zuoraCurrency && { zuoraCurrency: opts.zuoraCurrency }),
      ...(opts.zuora === false && { zuora: false as const }),
    });
    await ingest(env, catalog, account.togaiAccountId, opts.calls, opts.gigabytes);
    return { catalog, account, invoiceId: await closeCycle(env, account.togaiAccountId) };
  }

  const sync = (invoiceId: string) => runInvoiceSync(env, invoiceId);

  describe('billing mode "Togai invoices" (flow 3, the default of a new connection)', () => {
    before(async () => {
      env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS });
    });
    after(async () => {
      await env.close();
    });

    it('USD: the closed cycle becomes one Zuora invoice with exact items and total, no usage record; a re-run adds nothing', async () => {
      const { account, invoiceId } = await scenario({ currency: 'USD', calls: 5, gigabytes: '150' });
      const first = await sync(invoiceId);
      const result = ok(first);
      assert.equal(result.outcome, 'created');
      assert.equal(result.billingMode, 'togai-invoices');
      // 5 calls × 0.002 = 0.01; storage 150 GB: flat 5 for the first 100, then 50 × 0.1 = 5.
      assert.deepEqual(result.totals, { currency: 'USD', togai: '10.01', zuora: '10.01' });
      assert.deepEqual(result.skipped, []);
      assert.deepEqual(result.usage, []);

      const invoices = await zuoraInvoicesFor(env, invoiceId);
      assert.equal(invoices.length, 1);
      const zInvoice = invoices[0]!;
      assert.equal(zInvoice.id, result.zuoraInvoiceId);
      assert.equal(zInvoice.invoiceNumber, result.zuoraInvoiceNumber);
      assert.equal(zInvoice.accountId, result.zuoraAccountId);
      assert.equal(zInvoice.currency, 'USD');
      assert.equal(zInvoice.status, 'Draft', 'the connection default invoiceStatus');
      assert.equal(zInvoice.amount, '10.01');
      assert.deepEqual(zInvoice.items.map((i) => [i.chargeName, i.amount, i.quantity]).sort(), [
        ['API calls', '0.01', '5'],
        ['Storage', '10', '150'],
      ]);
      assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 0, 'never billed twice');

      // Flow 2 ran as the child under its own id and adopted the Zuora account carrying the Togai id.
      const child = (await testEnv()
        .client.workflow.getHandle(togaiAccountToZuora.workflowId(env.connectionId, account.togaiAccountId))
        .result()) as AccountSyncResult;
      assert.equal(child.outcome, 'adopted');
      assert.equal(child.zuoraAccountId, result.zuoraAccountId);

      const described = await testEnv().client.workflow.getHandle(first.workflowId).describe();
      assert.deepEqual(described.typedSearchAttributes.get(SA.togaiInvoiceId), invoiceId);
      assert.deepEqual(described.typedSearchAttributes.get(SA.togaiAccountId), account.togaiAccountId);
      assert.deepEqual(described.typedSearchAttributes.get(SA.zuoraAccountId), result.zuoraAccountId);
      assert.deepEqual(described.typedSearchAttributes.get(SA.flow), FLOW.togaiInvoiceToZuora);
      assert.equal(described.typedSearchAttributes.get(SA.skippedUsageLines), 0);
      assert.equal(described.typedSearchAttributes.get(SA.pendingUsageLines), 0);

      const again = ok(await sync(invoiceId));
      assert.equal(again.outcome, 'adopted');
      assert.equal(again.zuoraInvoiceId, result.zuoraInvoiceId);
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 1);
    });

    it('EUR: the invoice in the account currency, at the cent: the fraction Togai computed is rounded and reported', async () => {
      const { invoiceId } = await scenario({ currency: 'EUR', calls: 10, gigabytes: '150' });
      const result = ok(await sync(invoiceId));
      // 10 × 0.0018 = 0.018; storage 4.5 + 50 × 0.09 = 9. Zuora keeps cents: 9.02.
      assert.deepEqual(result.totals, { currency: 'EUR', togai: '9.018', zuora: '9.02' });
      assert.equal(result.rounding?.difference, '0.002');
      assert.deepEqual(
        result.rounding?.lines.map((l) => [l.togai, l.zuora]),
        [['0.018', '0.02']],
      );
      const [zInvoice, ...more] = await zuoraInvoicesFor(env, invoiceId);
      assert.equal(more.length, 0);
      assert.equal(zInvoice?.currency, 'EUR');
      assert.equal(zInvoice?.amount, '9.02');
    });

    it('Zuora committing the invoice create but failing the answer still leaves exactly one invoice', async () => {
      const { invoiceId } = await scenario({ currency: 'USD', calls: 3, gigabytes: '50' });
      await post(`${env.zuora.url}/__admin/faults`, {
        method: 'POST',
        path: '/v1/invoices',
        commitThenFailRate: 1,
        times: 1,
      });
      const result = ok(await sync(invoiceId));
      const faults = (await (await fetch(`${env.zuora.url}/__admin/faults`)).json()) as {
        injected: Record<string, number>;
      };
      assert.ok((faults.injected['commitThenFail'] ?? 0) >= 1, 'the fault fired');
      // 3 × 0.002 + the flat 5 of the first 100 GB = 5.006, at the cent.
      assert.equal(result.totals?.zuora, '5.01');
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 1);
    });

    it('5xx, a hung call, connection resets and 429 bursts on both simulators: every invoice still synced exactly once', async function () {
      // A hang costs one client response timeout (30 s) before the activity is retried.
      this.timeout(180_000);
      const runs = await Promise.all(
        [2, 3, 4].map((calls) => scenario({ currency: 'USD', calls, gigabytes: '120' })),
      );
      const zuoraFaults = [
        { method: 'POST', path: '/v1/invoices', errorRate: 1, errorStatus: 503, times: 2 },
        { method: 'GET', path: '/object-query/*', burst429: 2, times: 1 },
        { method: 'POST', path: '/v1/invoices', resetRate: 1, times: 1 },
        { method: 'GET', path: '/v1/accounts/*', errorRate: 1, errorStatus: 500, times: 1 },
      ];
      const togaiFaults = [
        { method: 'GET', path: '/invoices/*', hangRate: 1, times: 1 },
        { method: 'GET', path: '/settings', errorRate: 1, errorStatus: 502, times: 2 },
        { method: 'GET', path: '/accounts/*', burst429: 2, times: 1 },
      ];
      for (const rule of zuoraFaults) await post(`${env.zuora.url}/__admin/faults`, rule);
      for (const rule of togaiFaults) await post(`${env.togai.url}/__admin/faults`, rule);
      try {
        const results = (await Promise.all(runs.map((r) => sync(r.invoiceId)))).map(ok);
        const injected = async (url: string): Promise<Record<string, number>> =>
          ((await (await fetch(`${url}/__admin/faults`)).json()) as { injected: Record<string, number> })
            .injected;
        const z = await injected(env.zuora.url);
        const t = await injected(env.togai.url);
        assert.ok(
          (z['error'] ?? 0) >= 3 && (z['burst429'] ?? 0) >= 1 && (z['reset'] ?? 0) >= 1,
          JSON.stringify(z),
        );
        assert.ok(
          (t['hang'] ?? 0) >= 1 && (t['error'] ?? 0) >= 1 && (t['burst429'] ?? 0) >= 1,
          JSON.stringify(t),
        );
        for (const [i, result] of results.entries()) {
          assert.equal(result.outcome, 'created');
          assert.equal(normalize(roundToCurrency(result.totals!.togai, 'USD')), result.totals?.zuora);
          assert.equal((await zuoraInvoicesFor(env, runs[i]!.invoiceId)).length, 1, 'one Zuora invoice');
        }
      } finally {
        await fetch(`${env.zuora.url}/__admin/faults`, { method: 'DELETE' });
        await fetch(`${env.togai.url}/__admin/faults`, { method: 'DELETE' });
      }
    });

    it('an account not in Zuora yet: flow 2 runs as the child (joining an account sync already running), creates it once, and the invoice follows', async () => {
      const { account, invoiceId } = await scenario({
        currency: 'EUR',
        zuora: false,
        calls: 4,
        gigabytes: '20',
      });
      // A slow Zuora account create keeps the webhook-started account sync running while the
      // invoice sync wants the same account: it must join that run, not start a second one.
      await post(`${env.zuora.url}/__admin/faults`, {
        method: 'POST',
        path: '/v1/accounts',
        latencyMs: 3000,
        times: 1,
      });
      const { client } = testEnv();
      const taskQueue = uniqueTaskQueue('invoice-join');
      const accountWorkflowId = togaiAccountToZuora.workflowId(env.connectionId, account.togaiAccountId);
      const [accountResult, invoiceRun] = await withWorker(
        { taskQueue, activities: createActivities(env.activityDeps) },
        async () => {
          const started = await client.workflow.start(FLOW.togaiAccountToZuora, {
            taskQueue,
            workflowId: accountWorkflowId,
            args: [
              {
                connectionId: env.connectionId,
                togaiAccountId: account.togaiAccountId,
                trigger: 'togai-webhook',
              },
            ],
          });
          const input: SyncTogaiInvoiceInput = {
            connectionId: env.connectionId,
            togaiInvoiceId: invoiceId,
            trigger: 'manual',
          };
          const invoice = client.workflow
            .execute(FLOW.togaiInvoiceToZuora, {
              taskQueue,
              workflowId: `${togaiInvoiceToZuora.workflowId(env.connectionId, invoiceId)}:${taskQueue}`,
              args: [input],
            })
            .then(
              (result) => ({ result: result as InvoiceSyncResult }),
              (error: unknown) => ({ error }),
            );
          return Promise.all([started.result() as Promise<AccountSyncResult>, invoice]);
        },
      );
      assert.equal(accountResult.outcome, 'created');
      const result = ok(invoiceRun);
      assert.equal(result.zuoraAccountId, accountResult.zuoraAccountId);
      assert.equal(result.outcome, 'created');
      assert.equal(result.totals?.zuora, normalize(roundToCurrency(result.totals!.togai, 'EUR')));
      // Togai invoices: usage lines are billed on the invoice, never as usage records.
      assert.deepEqual(result.skipped, []);
      const zuoraAccounts = (await env.zuoraState()).accounts.filter(
        (a) => a.customFields['TogaiAccountId__c'] === account.togaiAccountId,
      );
      assert.equal(zuoraAccounts.length, 1, 'exactly one Zuora account for the Togai account');
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 1);
    });

    it('a DRAFT invoice (ongoing cycle) fails non-retryably', async () => {
      const catalog = await seedCatalog(env);
      const account = await seedAccount(env, catalog, { currency: 'USD' });
      await ingest(env, catalog, account.togaiAccountId, 1, '10');
      const state = (await env.togaiState()) as unknown as {
        invoices: { id: string; ownerId?: string; status: string }[];
      };
      const draft = state.invoices.find((i) => i.ownerId === account.togaiAccountId && i.status === 'DRAFT');
      assert.ok(draft, 'the account has a draft invoice');
      const cause = failure(await sync(draft.id));
      assert.equal(cause.type, 'InvoiceNotGenerated');
      assert.match(cause.message, /DRAFT/);
    });

    it('a Togai invoice in another currency than the Zuora account fails non-retryably with both currencies', async () => {
      const { invoiceId } = await scenario({
        currency: 'USD',
        zuoraCurrency: 'EUR',
        calls: 1,
        gigabytes: '10',
      });
      const cause = failure(await sync(invoiceId));
      assert.equal(cause.type, 'CurrencyMismatch');
      assert.match(cause.message, /USD/);
      assert.match(cause.message, /EUR/);
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 0);
    });

    it('a Zuora invoice whose total differs from Togai’s fails non-retryably with both figures', async () => {
      const { account, invoiceId } = await scenario({ currency: 'USD', calls: 1, gigabytes: '10' });
      // Someone created (or edited) the Zuora invoice for this Togai invoice by hand, with 1 cent more.
      const zuoraAccount = (await env.zuoraState()).accounts.find(
        (a) => a.customFields['TogaiAccountId__c'] === account.togaiAccountId,
      );
      assert.ok(zuoraAccount);
      const zuora = new ZuoraClient({
        connectionId: `manual-${account.togaiAccountId}`,
        baseUrl: env.zuora.url,
        clientId: env.zuora.sim.credentials.clientId,
        clientSecret: env.zuora.sim.credentials.clientSecret,
      });
      await zuora.createStandaloneInvoice(
        {
          accountId: zuoraAccount.id,
          invoiceDate: '2026-01-01',
          invoiceItems: [{ amount: '5.01', serviceStartDate: '2026-01-01', chargeName: 'Hand-made' }],
          customFields: { TogaiInvoiceId__c: invoiceId },
        },
        `manual-${invoiceId}`,
      );
      const cause = failure(await sync(invoiceId));
      assert.equal(cause.type, 'TotalMismatch');
      // Togai's exact 5.002 is 5.00 at the cent; the hand-made invoice holds 5.01. The figures are
      // in the details (encrypted in Temporal's history), not in the message (kept in clear).
      assert.match(
        cause.message,
        /^Total mismatch: Togai invoice \S+ and Zuora invoice \S+ differ \(both totals, USD, in the failure details\)$/,
      );
      assert.doesNotMatch(cause.message, /5\.0/);
      assert.deepEqual(cause.details?.[0], {
        togaiTotal: '5.002',
        expected: '5.00',
        zuoraTotal: '5.01',
        currency: 'USD',
      });
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 1, 'no second invoice was made');
    });
  });

  describe('a connection set to Posted invoices', () => {
    before(async () => {
      env = await startSimulatedConnection({
        zuora: BILLING_ZUORA_OPTIONS,
        connection: {
          ...TOGAI_INVOICES,
          zuora: { invoiceStatus: 'Posted' } as CreateConnectionInput['zuora'],
        },
      });
    });
    after(async () => {
      await env.close();
    });

    it('creates the Zuora invoice Posted', async () => {
      const { invoiceId } = await scenario({ currency: 'USD', calls: 5, gigabytes: '150' });
      ok(await sync(invoiceId));
      const [zInvoice] = await zuoraInvoicesFor(env, invoiceId);
      assert.equal(zInvoice?.status, 'Posted');
      assert.equal(zInvoice?.amount, '10.01');
    });
  });

  describe('billing mode "Zuora bills the usage" (flows 4 and 5)', () => {
    before(async () => {
      env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS, connection: ZUORA_BILLS_USAGE });
    });
    after(async () => {
      await env.close();
    });

    it('USD, quantity mode: one usage record per meter under the account’s subscription, no Zuora invoice; a re-run adds nothing', async () => {
      const { catalog, account, invoiceId } = await scenario({ currency: 'USD', calls: 5, gigabytes: '150' });
      const first = await sync(invoiceId);
      const result = ok(first);
      assert.equal(result.outcome, 'created');
      assert.equal(result.billingMode, 'zuora-bills-usage');
      assert.equal(result.zuoraInvoiceId, undefined);
      assert.equal(result.totals, undefined);
      assert.equal((await zuoraInvoicesFor(env, invoiceId)).length, 0, 'never billed twice');

      const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
      assert.equal(usages.length, 2);
      const byCharge = new Map(usages.map((u) => [u.chargeNumber, u]));
      const calls = byCharge.get(`C-calls-${account.tag}-1`);
      const storage = byCharge.get(`C-storage-${account.tag}-1`);
      assert.equal(calls?.quantity, '5');
      assert.equal(calls?.customFields[UNIT_AMOUNT_FIELD], '0.002');
      assert.equal(calls?.subscriptionNumber, account.subscriptions[0]);
      assert.equal(storage?.quantity, '150');
      assert.equal(storage?.uom, 'GB');
      // Tiered: no single rate, so the average 10 / 150, to 12 significant digits (enough: × 150 rounds to 10.00).
      assert.equal(storage?.customFields[UNIT_AMOUNT_FIELD], '0.0666666666667');
      assert.deepEqual(result.usage.map((u) => [u.meterId, u.mode, u.outcome, u.subscriptionNumber]).sort(), [
        [catalog.calls, 'quantity', 'created', account.subscriptions[0]],
        [catalog.storage, 'quantity', 'created', account.subscriptions[0]],
      ]);

      const again = ok(await sync(invoiceId));
      assert.equal(again.outcome, 'adopted');
      assert.deepEqual(
        again.usage.map((u) => u.outcome),
        ['adopted', 'adopted'],
      );
      assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);
    });

    it('EUR, revenue mode: usage quantity is each line’s revenue with per-unit amount 1', async () => {
      const { account, invoiceId } = await scenario({
        currency: 'EUR',
        mode: 'revenue',
        calls: 10,
        gigabytes: '150',
      });
      const result = ok(await sync(invoiceId));
      const usages = await zuoraUsagesFor(env, account.zuoraAccountNumber!);
      // 10 × 0.0018 = 0.018 → 0.02 at the cent (Zuora bills quantity × 1); storage 4.5 + 50 × 0.09 = 9.
      assert.deepEqual(usages.map((u) => [u.quantity, u.customFields[UNIT_AMOUNT_FIELD]]).sort(), [
        ['0.02', '1'],
        ['9', '1'],
      ]);
      assert.deepEqual(result.usage.map((u) => u.exactQuantity).filter(Boolean), ['0.018']);
      assert.ok(result.usage.every((u) => u.mode === 'revenue'));
    });

    it('Zuora committing a usage create but failing the answer still leaves exactly one record per meter', async () => {
      const { account, invoiceId } = await scenario({ currency: 'USD', calls: 3, gigabytes: '50' });
      await post(`${env.zuora.url}/__admin/faults`, {
        method: 'POST',
        path: '/v1/object/usage',
        commitThenFailRate: 1,
        times: 1,
      });
      ok(await sync(invoiceId));
      const faults = (await (await fetch(`${env.zuora.url}/__admin/faults`)).json()) as {
        injected: Record<string, number>;
      };
      assert.ok((faults.injected['commitThenFail'] ?? 0) >= 1, 'the fault fired');
      assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);
    });

    it('a meter without a Zuora mapping is skipped with its reason, counted as pending; the other lines are synced', async () => {
      const { catalog, account, invoiceId } = await scenario({
        currency: 'USD',
        extra: true,
        calls: 2,
        gigabytes: '100',
      });
      const run = await sync(invoiceId);
      const result = ok(run);
      assert.equal(result.outcome, 'created');
      assert.equal(result.skipped.length, 1);
      assert.equal(result.skipped[0]?.meterId, catalog.extra);
      assert.equal(result.skipped[0]?.kind, 'no-mapping');
      assert.equal(result.skipped[0]?.pending, true);
      assert.match(result.skipped[0]?.reason ?? '', /no Zuora mapping.*zuora_product_rate_plan_charge/);
      assert.equal(result.usage.length, 2);
      assert.equal((await zuoraUsagesFor(env, account.zuoraAccountNumber!)).length, 2);
      const described = await testEnv().client.workflow.getHandle(run.workflowId).describe();
      assert.equal(described.typedSearchAttributes.get(SA.skippedUsageLines), 1);
      assert.equal(described.typedSearchAttributes.get(SA.pendingUsageLines), 1);
    });
  });
});
