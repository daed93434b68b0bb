import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../src/activities/index.js';
import type { CreateConnectionInput } from '../../src/connections/model.js';
import { ZuoraClient } from '../../src/clients/zuora/client.js';
import { USAGE_KEY_FIELD, USAGE_METER_SETTING } from '../../src/mapping/usage-togai-to-zuora.js';
import type { AccountSyncResult, InvoiceSyncResult, SyncTogaiInvoiceInput } from '../../src/flows/index.js';
import { SA } from '../../src/shared/search-attributes.js';
import { FLOW, togaiAccountToZuora, togaiInvoiceToZuora } from '../../src/flows/index.js';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { testEnv } from '../hooks.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

interface ZuoraInvoiceState {
  id: string;
  invoiceNumber: string;
  accountId: string;
  currency: string;
  status: string;
  amount: string;
  items: { amount: string; chargeName: string; quantity?: string; serviceStartDate: string }[];
  customFields: Record<string, unknown>;
}
interface ZuoraUsageState {
  id: string;
  accountId: string;
  subscriptionNumber?: string;
  chargeNumber?: string;
  quantity: string;
  uom: string;
  customFields: Record<string, unknown>;
}

const UNIT_AMOUNT_FIELD = 'TogaiUnitAmount__c';
const NAMESPACE = 'zuora';
const billToContact = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  workEmail: 'ada@acme.example',
  country: 'US',
};

describe('Invoice flow: Togai invoice → Zuora invoice + usage (real Temporal, real worker, both simulators)', function () {
  let env: SimulatedConnection;

  // The usage key must be filterable (the look-up before create); the unit amount is text.
  const zuoraOptions = {
    customFields: { Usage: [{ name: USAGE_KEY_FIELD, filterable: true }, { name: UNIT_AMOUNT_FIELD }] },
  };

  before(async () => {
    env = await startSimulatedConnection({ zuora: zuoraOptions });
  });
  after(async () => {
    await env.close();
  });

  async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    assert.ok(res.ok, `POST ${url}: ${res.status} ${await res.clone().text()}`);
    return res.json();
  }

  function meterSettings(sub: string, charge: string, extra: Record<string, string> = {}) {
    const s = (id: string, value: string) => ({
      id,
      namespace: NAMESPACE,
      name: id,
      dataType: 'STRING',
      value,
    });
    return [
      s(USAGE_METER_SETTING.zuoraSubscriptionId, sub),
      s(USAGE_METER_SETTING.zuoraChargeId, charge),
      ...Object.entries(extra).map(([k, v]) => s(k, v)),
    ];
  }

  interface Scenario {
    accountId: string;
    calls: string;
    storage: string;
    extra: string;
    subscription: string;
  }

  /**
   * A Togai account on its own price plan (per-unit API calls, tiered storage, a third meter with
   * no Zuora mapping) and a Zuora account in `zuoraCurrency` that carries the Togai account id
   * (so flow 2, run as the child, adopts it) with a subscription holding both charges.
   */
  async function scenario(opts: {
    currency: 'USD' | 'EUR';
    zuoraCurrency?: string;
    mode?: 'quantity' | 'revenue';
    unmapped?: boolean;
    /** false: no Zuora account (nor subscription) yet, and the meters carry no Zuora mapping. */
    zuoraAccount?: boolean;
  }): Promise<Scenario> {
    const s = randomBytes(4).toString('hex');
    const sc: Scenario = {
      accountId: `acct-${s}`,
      calls: `um.calls.${s}`,
      storage: `um.gb.${s}`,
      extra: `um.extra.${s}`,
      subscription: `A-S${s}`,
    };
    const mode: Record<string, string> = opts.mode ? { [USAGE_METER_SETTING.syncMode]: opts.mode } : {};
    await post(`${env.togai.url}/__admin/seed`, {
      usageMeters: [
        {
          id: sc.calls,
          name: `calls_${s}`,
          displayName: 'API calls',
          aggregation: 'COUNT',
          eventSchemaName: `api_call_${s}`,
          ...(opts.zuoraAccount !== false && { settings: meterSettings(sc.subscription, `C1-${s}`, mode) }),
        },
        {
          id: sc.storage,
          name: `storage_${s}`,
          displayName: 'Storage',
          aggregation: 'SUM',
          computations: [{ computation: 'gigabytes', order: 1 }],
          eventSchemaName: `storage_${s}`,
          ...(opts.zuoraAccount !== false && {
            settings: meterSettings(sc.subscription, `C2-${s}`, {
              ...mode,
              [USAGE_METER_SETTING.unitOfMeasure]: 'GB',
            }),
          }),
        },
        ...(opts.unmapped
          ? [{ id: sc.extra, name: `extra_${s}`, aggregation: 'COUNT', eventSchemaName: `api_call_${s}` }]
          : []),
      ],
      pricePlans: [
        {
          id: `pp.${s}`,
          name: `Plan ${s}`,
          rateCards: [
            {
              displayName: 'API calls',
              usageMeterId: sc.calls,
              ratePlan: {
                pricingModel: 'TIERED',
                slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }],
              },
              rateValues: [
                { currency: 'USD', slabRates: [{ order: 1, rate: '0.002' }] },
                { currency: 'EUR', slabRates: [{ order: 1, rate: '0.0018' }] },
              ],
            },
            {
              displayName: 'Storage',
              usageMeterId: sc.storage,
              ratePlan: {
                pricingModel: 'TIERED',
                slabs: [
                  { order: 1, startAfter: 0, priceType: 'FLAT' },
                  { order: 2, startAfter: 100, priceType: 'PER_UNIT' },
                  { order: 3, startAfter: 1000, priceType: 'PER_UNIT' },
                ],
              },
              rateValues: [
                {
                  currency: 'USD',
                  slabRates: [
                    { order: 1, rate: '5' },
                    { order: 2, rate: '0.1' },
                    { order: 3, rate: '0.07' },
                  ],
                },
                {
                  currency: 'EUR',
                  slabRates: [
                    { order: 1, rate: '4.5' },
                    { order: 2, rate: '0.09' },
                    { order: 3, rate: '0.06' },
                  ],
                },
              ],
            },
          ],
        },
      ],
      accountPricePlans: { [sc.accountId]: `pp.${s}` },
      customers: [
        {
          id: `cust-${s}`,
          name: `Customer ${s}`,
          primaryEmail: `billing-${s}@example.com`,
          address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
          account: { id: sc.accountId, name: `Account ${s}`, invoiceCurrency: opts.currency },
        },
      ],
    });
    if (opts.zuoraAccount === false) return sc;
    const accountNumber = `Z-${s}`;
    await post(`${env.zuora.url}/__admin/seed`, {
      accounts: [
        {
          accountNumber,
          name: `Account ${s}`,
          currency: opts.zuoraCurrency ?? opts.currency,
          billToContact,
          TogaiAccountId__c: sc.accountId,
        },
      ],
      subscriptions: [
        {
          subscriptionNumber: sc.subscription,
          accountKey: accountNumber,
          ratePlans: [
            {
              id: `rp-${s}`,
              productRatePlanId: `prp-${s}`,
              ratePlanCharges: [
                { id: `c1-${s}`, number: `C1-${s}`, productRatePlanChargeId: `prpc1-${s}` },
                { id: `c2-${s}`, number: `C2-${s}`, productRatePlanChargeId: `prpc2-${s}`, uom: 'GB' },
              ],
            },
          ],
        },
      ],
    });
    return sc;
  }

  /** Ingests `calls` API-call events and one storage event of `gigabytes`, as the product would. */
  async function ingest(sc: Scenario, calls: number, gigabytes: string): Promise<void> {
    const s = sc.accountId.slice('acct-'.length);
    const timestamp = new Date().toISOString();
    const events = [
      ...Array.from({ length: calls }, (_, i) => ({
        schemaName: `api_call_${s}`,
        id: `call-${s}-${i}`,
        timestamp,
        accountId: sc.accountId,
        attributes: [],
        dimensions: {},
      })),
      {
        schemaName: `storage_${s}`,
        id: `gb-${s}`,
        timestamp,
        accountId: sc.accountId,
        attributes: [{ name: 'gigabytes', value: gigabytes }],
        dimensions: {},
      },
    ];
    await post(`${env.togai.url}/ingestBatch`, { events }, { authorization: `Bearer ${DEFAULT_API_TOKEN}` });
  }

  async function closeCycle(sc: Scenario): Promise<string> {
    const { invoices } = (await post(`${env.togai.url}/__admin/close-cycle`, {
      accountId: sc.accountId,
    })) as {
      invoices: { id: string; status: string }[];
    };
    const invoice = invoices[0];
    assert.ok(invoice, 'the cycle closed into an invoice');
    assert.equal(invoice.status, 'DUE');
    return invoice.id;
  }

  /** One run of the workflow on a fresh worker, under a new workflow id each time (a re-run). */
  async function sync(togaiInvoiceId: string): Promise<{
    result?: InvoiceSyncResult;
    error?: unknown;
    workflowId: string;
  }> {
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('invoice');
    const workflowId = `${togaiInvoiceToZuora.workflowId(env.connectionId, togaiInvoiceId)}:${taskQueue}`;
    const input: SyncTogaiInvoiceInput = {
      connectionId: env.connectionId,
      togaiInvoiceId,
      trigger: 'manual',
    };
    return withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, () =>
      client.workflow.execute(FLOW.togaiInvoiceToZuora, { taskQueue, workflowId, args: [input] }).then(
        (result) => ({ result: result as InvoiceSyncResult, workflowId }),
        (error: unknown) => ({ error, workflowId }),
      ),
    );
  }

  function ok(r: { result?: InvoiceSyncResult; error?: unknown }): InvoiceSyncResult {
    if (!r.result) throw r.error instanceof Error ? r.error : new Error(String(r.error));
    return r.result;
  }

  function failure(r: { error?: unknown }): ApplicationFailure {
    assert.ok(r.error instanceof WorkflowFailedError, `expected a failed workflow, got ${String(r.error)}`);
    const cause = r.error.cause;
    assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(cause)}`);
    assert.equal(cause.nonRetryable, true);
    return cause;
  }

  async function zuoraInvoicesFor(togaiInvoiceId: string): Promise<ZuoraInvoiceState[]> {
    const state = (await env.zuoraState()) as unknown as { invoices: ZuoraInvoiceState[] };
    return state.invoices.filter((i) => i.customFields['TogaiInvoiceId__c'] === togaiInvoiceId);
  }

  async function zuoraUsagesFor(accountId: string): Promise<ZuoraUsageState[]> {
    const state = (await env.zuoraState()) as unknown as { usages: ZuoraUsageState[] };
    return state.usages.filter((u) => u.accountId === accountId);
  }

  it('USD, quantity mode: the closed cycle becomes one Zuora invoice with exact items and total, and one usage record per meter; a re-run adds nothing', async () => {
    const sc = await scenario({ currency: 'USD' });
    await ingest(sc, 5, '150');
    const invoiceId = await closeCycle(sc);

    const first = await sync(invoiceId);
    const result = ok(first);
    assert.equal(result.outcome, 'created');
    // 5 calls × 0.002 = 0.01; storage 150 GB: flat 5 for the first 100, then 50 × 0.1 = 5.
    assert.deepEqual(result.totals, { currency: 'USD', togai: '10.01', zuora: '10.01' });
    assert.deepEqual(result.skipped, []);

    const invoices = await zuoraInvoicesFor(invoiceId);
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

    // Flow 2 ran as the child under its own id and adopted the Zuora account carrying the Togai id.
    const child = (await testEnv()
      .client.workflow.getHandle(togaiAccountToZuora.workflowId(env.connectionId, sc.accountId))
      .result()) as AccountSyncResult;
    assert.equal(child.outcome, 'adopted');
    assert.equal(child.zuoraAccountId, result.zuoraAccountId);

    const usages = await zuoraUsagesFor(result.zuoraAccountId);
    assert.equal(usages.length, 2);
    const byCharge = new Map(usages.map((u) => [u.chargeNumber, u]));
    const calls = byCharge.get(`C1-${sc.accountId.slice(5)}`);
    const storage = byCharge.get(`C2-${sc.accountId.slice(5)}`);
    assert.equal(calls?.quantity, '5');
    assert.equal(calls?.customFields[UNIT_AMOUNT_FIELD], '0.002');
    assert.equal(calls?.subscriptionNumber, sc.subscription);
    assert.equal(storage?.quantity, '150');
    assert.equal(storage?.uom, 'GB');
    // Tiered: no single rate, so the average 10 / 150, to 12 decimals.
    assert.equal(storage?.customFields[UNIT_AMOUNT_FIELD], '0.066666666667');
    assert.deepEqual(result.usage.map((u) => [u.meterId, u.mode, u.outcome]).sort(), [
      [sc.calls, 'quantity', 'created'],
      [sc.storage, 'quantity', 'created'],
    ]);

    const described = await testEnv().client.workflow.getHandle(first.workflowId).describe();
    assert.deepEqual(described.typedSearchAttributes.get(SA.togaiInvoiceId), invoiceId);
    assert.deepEqual(described.typedSearchAttributes.get(SA.togaiAccountId), sc.accountId);
    assert.deepEqual(described.typedSearchAttributes.get(SA.zuoraAccountId), result.zuoraAccountId);
    assert.deepEqual(described.typedSearchAttributes.get(SA.flow), FLOW.togaiInvoiceToZuora);
    assert.equal(described.typedSearchAttributes.get(SA.skippedUsageLines), 0);

    const again = ok(await sync(invoiceId));
    assert.equal(again.outcome, 'adopted');
    assert.equal(again.zuoraInvoiceId, result.zuoraInvoiceId);
    assert.deepEqual(
      again.usage.map((u) => u.outcome),
      ['adopted', 'adopted'],
    );
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 1);
    assert.equal((await zuoraUsagesFor(result.zuoraAccountId)).length, 2);
  });

  it('EUR, revenue mode: usage quantity is each line’s revenue with per-unit amount 1', async () => {
    const sc = await scenario({ currency: 'EUR', mode: 'revenue' });
    await ingest(sc, 10, '150');
    const invoiceId = await closeCycle(sc);

    const result = ok(await sync(invoiceId));
    // 10 × 0.0018 = 0.018; storage 4.5 + 50 × 0.09 = 9.
    assert.deepEqual(result.totals, { currency: 'EUR', togai: '9.018', zuora: '9.018' });
    const [zInvoice, ...more] = await zuoraInvoicesFor(invoiceId);
    assert.equal(more.length, 0);
    assert.equal(zInvoice?.currency, 'EUR');
    assert.equal(zInvoice?.amount, '9.018');

    const usages = await zuoraUsagesFor(result.zuoraAccountId);
    assert.deepEqual(usages.map((u) => [u.quantity, u.customFields[UNIT_AMOUNT_FIELD]]).sort(), [
      ['0.018', '1'],
      ['9', '1'],
    ]);
    assert.ok(result.usage.every((u) => u.mode === 'revenue'));
  });

  it('Zuora committing the invoice and the usage creates but failing the answers still leaves exactly one of each', async () => {
    const sc = await scenario({ currency: 'USD' });
    await ingest(sc, 3, '50');
    const invoiceId = await closeCycle(sc);
    for (const path of ['/v1/invoices', '/v1/object/usage']) {
      await post(`${env.zuora.url}/__admin/faults`, {
        method: 'POST',
        path,
        commitThenFailRate: 1,
        times: 1,
      });
    }
    const result = ok(await sync(invoiceId));
    const faults = (await (await fetch(`${env.zuora.url}/__admin/faults`)).json()) as {
      injected: Record<string, number>;
    };
    assert.ok((faults.injected['commitThenFail'] ?? 0) >= 2, 'both faults fired');
    // 3 × 0.002 + the flat 5 of the first 100 GB.
    assert.equal(result.totals.zuora, '5.006');
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 1);
    assert.equal((await zuoraUsagesFor(result.zuoraAccountId)).length, 2);
  });

  it('5xx, a hung call, connection resets and 429 bursts on both simulators: every invoice still synced exactly once', async function () {
    // A hang costs one client response timeout (30 s) before the activity is retried.
    this.timeout(180_000);
    const scenarios = await Promise.all([1, 2, 3].map(() => scenario({ currency: 'USD' })));
    const invoiceIds: string[] = [];
    for (const [i, sc] of scenarios.entries()) {
      await ingest(sc, i + 2, '120');
      invoiceIds.push(await closeCycle(sc));
    }
    const zuoraFaults = [
      { method: 'POST', path: '/v1/invoices', errorRate: 1, errorStatus: 503, times: 2 },
      { method: 'GET', path: '/object-query/*', burst429: 2, times: 1 },
      { method: 'POST', path: '/v1/object/usage', resetRate: 1, times: 1 },
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
      const runs = await Promise.all(invoiceIds.map((id) => sync(id)));
      const results = runs.map(ok);
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
        assert.equal(result.totals.togai, result.totals.zuora);
        assert.equal((await zuoraInvoicesFor(invoiceIds[i] ?? '')).length, 1, 'one Zuora invoice');
        assert.equal((await zuoraUsagesFor(result.zuoraAccountId)).length, 2, 'one usage record per meter');
      }
    } finally {
      await fetch(`${env.zuora.url}/__admin/faults`, { method: 'DELETE' });
      await fetch(`${env.togai.url}/__admin/faults`, { method: 'DELETE' });
    }
  });

  it('a meter without a Zuora mapping is skipped with its reason and counted; the invoice is still synced', async () => {
    const sc = await scenario({ currency: 'USD', unmapped: true });
    await ingest(sc, 2, '100');
    const invoiceId = await closeCycle(sc);
    const run = await sync(invoiceId);
    const result = ok(run);
    assert.equal(result.outcome, 'created');
    assert.equal(result.skipped.length, 1);
    assert.equal(result.skipped[0]?.meterId, sc.extra);
    assert.match(result.skipped[0]?.reason ?? '', /no Zuora mapping/);
    assert.equal(result.usage.length, 2);
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 1);
    const described = await testEnv().client.workflow.getHandle(run.workflowId).describe();
    assert.equal(described.typedSearchAttributes.get(SA.skippedUsageLines), 1);
  });

  it('an account not in Zuora yet: flow 2 runs as the child (joining an account sync already running), creates it once, and the invoice follows', async () => {
    const sc = await scenario({ currency: 'EUR', zuoraAccount: false });
    await ingest(sc, 4, '20');
    const invoiceId = await closeCycle(sc);
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
    const accountWorkflowId = togaiAccountToZuora.workflowId(env.connectionId, sc.accountId);
    const [accountResult, invoiceRun] = await withWorker(
      { taskQueue, activities: createActivities(env.activityDeps) },
      async () => {
        const account = await client.workflow.start(FLOW.togaiAccountToZuora, {
          taskQueue,
          workflowId: accountWorkflowId,
          args: [{ connectionId: env.connectionId, togaiAccountId: sc.accountId, trigger: 'togai-webhook' }],
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
        return Promise.all([account.result() as Promise<AccountSyncResult>, invoice]);
      },
    );
    assert.equal(accountResult.outcome, 'created');
    const result = ok(invoiceRun);
    assert.equal(result.zuoraAccountId, accountResult.zuoraAccountId);
    assert.equal(result.outcome, 'created');
    assert.equal(result.totals.zuora, '4.5072');
    // Meters without a Zuora mapping: both lines skipped, the invoice synced regardless.
    assert.equal(result.skipped.length, 2);
    const zuoraAccounts = (await env.zuoraState()).accounts.filter(
      (a) => a.customFields['TogaiAccountId__c'] === sc.accountId,
    );
    assert.equal(zuoraAccounts.length, 1, 'exactly one Zuora account for the Togai account');
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 1);
  });

  it('a DRAFT invoice (ongoing cycle) fails non-retryably', async () => {
    const sc = await scenario({ currency: 'USD' });
    await ingest(sc, 1, '10');
    const state = (await env.togaiState()) as unknown as {
      invoices: { id: string; ownerId?: string; status: string }[];
    };
    const draft = state.invoices.find((i) => i.ownerId === sc.accountId && i.status === 'DRAFT');
    assert.ok(draft, 'the account has a draft invoice');
    const cause = failure(await sync(draft.id));
    assert.equal(cause.type, 'InvoiceNotGenerated');
    assert.match(cause.message, /DRAFT/);
  });

  it('a Togai invoice in another currency than the Zuora account fails non-retryably with both currencies', async () => {
    const sc = await scenario({ currency: 'USD', zuoraCurrency: 'EUR' });
    await ingest(sc, 1, '10');
    const invoiceId = await closeCycle(sc);
    const cause = failure(await sync(invoiceId));
    assert.equal(cause.type, 'CurrencyMismatch');
    assert.match(cause.message, /USD/);
    assert.match(cause.message, /EUR/);
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 0);
  });

  it('a Zuora invoice whose total differs from Togai’s fails non-retryably with both figures', async () => {
    const sc = await scenario({ currency: 'USD' });
    await ingest(sc, 1, '10');
    const invoiceId = await closeCycle(sc);
    // Someone created (or edited) the Zuora invoice for this Togai invoice by hand, with 1 cent more.
    const zuoraAccount = (await env.zuoraState()).accounts.find(
      (a) => a.customFields['TogaiAccountId__c'] === sc.accountId,
    );
    assert.ok(zuoraAccount);
    const zuora = new ZuoraClient({
      connectionId: `manual-${sc.accountId}`,
      baseUrl: env.zuora.url,
      clientId: env.zuora.sim.credentials.clientId,
      clientSecret: env.zuora.sim.credentials.clientSecret,
    });
    await zuora.createStandaloneInvoice(
      {
        accountId: zuoraAccount.id,
        invoiceDate: '2026-01-01',
        invoiceItems: [{ amount: '5.012', serviceStartDate: '2026-01-01', chargeName: 'Hand-made' }],
        customFields: { TogaiInvoiceId__c: invoiceId },
      },
      `manual-${invoiceId}`,
    );
    const cause = failure(await sync(invoiceId));
    assert.equal(cause.type, 'TotalMismatch');
    assert.match(cause.message, /5\.002/);
    assert.match(cause.message, /5\.012/);
    assert.equal((await zuoraInvoicesFor(invoiceId)).length, 1, 'no second invoice was made');
  });
  describe('a connection set to Posted invoices and revenue mode', () => {
    let defaultEnv: SimulatedConnection;
    before(async () => {
      // The helpers above use `env`: point it at this connection for these tests only.
      defaultEnv = env;
      env = await startSimulatedConnection({
        zuora: zuoraOptions,
        connection: {
          usageSyncMode: 'revenue',
          zuora: { invoiceStatus: 'Posted' } as CreateConnectionInput['zuora'],
        },
      });
    });
    after(async () => {
      await env.close();
      env = defaultEnv;
    });

    it('creates the Zuora invoice Posted and syncs meters without a mode setting in revenue mode', async () => {
      const sc = await scenario({ currency: 'USD' });
      await ingest(sc, 5, '150');
      const invoiceId = await closeCycle(sc);
      const result = ok(await sync(invoiceId));
      const [zInvoice] = await zuoraInvoicesFor(invoiceId);
      assert.equal(zInvoice?.status, 'Posted');
      assert.equal(zInvoice?.amount, '10.01');
      assert.deepEqual(result.usage.map((u) => [u.mode, u.quantity, u.unitAmount]).sort(), [
        ['revenue', '0.01', '1'],
        ['revenue', '10', '1'],
      ]);
    });
  });
});
