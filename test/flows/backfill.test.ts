import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { createActivities } from '../../src/activities/index.js';
import {
  backfill,
  FLOW,
  type BackfillInput,
  type BackfillKind,
  type BackfillProgress,
} from '../../src/flows/index.js';
import { FAILURE } from '../../src/shared/failures.js';
import { queryProgress, startBackfill, updateBackfill } from '../../src/temporal/backfill.js';
import { startSync, type StartSyncDeps } from '../../src/temporal/start-sync.js';
import { createWorker, PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { testDataConverter } from '../helpers/codec.js';
import { testEnv } from '../hooks.js';
import { post } from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { bundleFor, testConfig, uniqueTaskQueue } from '../helpers/temporal.js';
import { eventually } from '../helpers/wait.js';

/** operationId → HTTP method of both vendors' contracts: what the simulators' request counts mean. */
function contractMethods(): Map<string, string> {
  const methods = new Map<string, string>();
  for (const file of ['togai/togai-openapi.yaml', 'zuora/zuora-openapi-subset.yaml']) {
    const url = new URL(`../../../packages/simulators/contracts/${file}`, import.meta.url);
    const doc = parseYaml(readFileSync(fileURLToPath(url), 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    for (const ops of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op?.operationId) methods.set(op.operationId, method.toUpperCase());
      }
    }
  }
  return methods;
}

interface Requests {
  total: number;
  byOperation: Record<string, number>;
}

describe('Backfills (real Temporal, real worker, both simulators)', function () {
  // Generous: the machine's cores are shared; each test waits for its workflows, never for a time.
  this.timeout(240_000);
  /** Zuora accounts and cancel on `env`; Togai accounts and invoices on `env2` (no loop-guard records). */
  let env: SimulatedConnection;
  let env2: SimulatedConnection;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('backfill');
  let deps: StartSyncDeps;
  const methods = contractMethods();

  before(async () => {
    env = await startSimulatedConnection();
    // A bound of 15 invoice syncs in flight: the invoice backfill (30 at once) must wait for room.
    env2 = await startSimulatedConnection({ connection: { maxInFlightInvoiceSyncs: 15 } });
    const services = new Map([
      [env.connectionId, env.service],
      [env2.connectionId, env2.service],
    ]);
    deps = { client: testEnv().client, taskQueue, timeoutMs: 10_000 };
    worker = await createWorker({
      config: testConfig(),
      connection: testEnv().nativeConnection,
      dataConverter: testDataConverter,
      taskQueue,
      workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH),
      activities: createActivities({
        connections: {
          resolve: (id) => (services.get(id) ?? env.service).resolve(id),
        },
        startSync: deps,
      }),
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await env.close();
    await env2.close();
  });

  const input = (
    kind: BackfillKind,
    extra: Partial<BackfillInput> = {},
    e: SimulatedConnection = env,
  ): BackfillInput => ({
    connectionId: e.connectionId,
    kind,
    ...extra,
  });
  const start = (
    kind: BackfillKind,
    extra: Partial<BackfillInput> = {},
    e: SimulatedConnection = env,
  ): Promise<WorkflowHandleWithFirstExecutionRunId> =>
    startBackfill(testEnv().client, taskQueue, input(kind, extra, e));
  const result = (h: WorkflowHandle): Promise<BackfillProgress> => h.result() as Promise<BackfillProgress>;
  const ids = (p: BackfillProgress, bucket: 'synced' | 'adopted' | 'skipped' | 'failed'): string[] =>
    p[bucket].records.map((r) => r.id).sort();

  async function requests(url: string): Promise<Requests> {
    return (await (await fetch(`${url}/__admin/requests`)).json()) as Requests;
  }
  async function resetRequests(e: SimulatedConnection = env): Promise<void> {
    await Promise.all(
      [e.zuora.url, e.togai.url].map((u) => fetch(`${u}/__admin/requests`, { method: 'DELETE' })),
    );
  }
  /** Every operation the simulators received, with its HTTP method from the contracts. */
  async function operations(e: SimulatedConnection = env): Promise<string[]> {
    const all = [await requests(e.zuora.url), await requests(e.togai.url)];
    return all.flatMap((r) =>
      Object.keys(r.byOperation).map((op) => `${methods.get(op) ?? op.split(' ')[0] ?? '?'} ${op}`),
    );
  }

  async function seedZuoraAccounts(n: number, tag: string): Promise<string[]> {
    const accounts = Array.from({ length: n }, (_, i) => ({
      id: `zbf${tag}${String(i).padStart(4, '0')}`,
      name: `Backfill ${tag} ${i}`,
      currency: 'USD',
      billToContact: { firstName: 'Ada', lastName: `L${i}`, workEmail: `a${i}@bf.example`, country: 'US' },
    }));
    await post(`${env.zuora.url}/__admin/seed`, { accounts });
    return accounts.map((a) => a.id);
  }

  async function seedTogaiAccounts(n: number, tag: string, e: SimulatedConnection = env): Promise<string[]> {
    const customers = Array.from({ length: n }, (_, i) => ({
      id: `cbf-${tag}-${i}`,
      name: `Backfill customer ${tag} ${i}`,
      primaryEmail: `c${i}@bf.example`,
      address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
      account: { id: `abf-${tag}-${i}`, name: `Backfill account ${i}`, invoiceCurrency: 'USD' },
    }));
    await post(`${e.togai.url}/__admin/seed`, { customers });
    return customers.map((c) => c.account.id);
  }

  /** Counts of what the simulators hold: customers, Togai accounts, Zuora accounts, Zuora invoices. */
  async function objectCounts(e: SimulatedConnection = env): Promise<{
    togaiCustomers: number;
    togaiAccounts: number;
    togaiSettings: number;
    zuoraAccounts: number;
    zuoraInvoices: number;
  }> {
    const [z, t] = await Promise.all([e.zuoraState(), e.togaiState()]);
    return {
      togaiCustomers: t.customers.length,
      togaiAccounts: t.accounts.length,
      togaiSettings: t.settings.length,
      zuoraAccounts: z.accounts.length,
      zuoraInvoices: ((z as { invoices?: unknown[] }).invoices ?? []).length,
    };
  }

  it('a bad input fails the workflow at once: non-retryable InvalidWorkflowInput naming `since`', async () => {
    const handle = await start('togai-invoices', { since: 'last week' });
    const err = await result(handle).then(
      () => assert.fail('the backfill accepted since: "last week"'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, FAILURE.InvalidWorkflowInput);
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, /since: expected an ISO-8601 time/);
    assert.equal((await handle.describe()).status.name, 'FAILED');

    const missing = await start('togai-invoices');
    const err2 = await result(missing).then(
      () => assert.fail('accepted a togai-invoices backfill without since'),
      (e: unknown) => e,
    );
    assert.ok(err2 instanceof WorkflowFailedError && err2.cause instanceof ApplicationFailure);
    assert.match(err2.cause.message, /since: required for kind togai-invoices/);
  });

  it('zuora-accounts: the dry run writes nothing and lists what the real run then does; 120 accounts with live callouts meanwhile, each synced once, across continue-as-new', async () => {
    const tag = randomBytes(3).toString('hex');
    const zuoraIds = await seedZuoraAccounts(120, tag);
    // Ten whose Togai customer exists already (an earlier run made it): linked, not created.
    const existing = zuoraIds.slice(0, 10);
    await post(`${env.togai.url}/__admin/seed`, {
      customers: existing.map((id) => ({
        id: `zuora-${id}`,
        name: 'Existing',
        primaryEmail: 'existing@bf.example',
        address: {},
        account: { id: `zuora-acct-${id}`, name: 'Existing', invoiceCurrency: 'USD' },
      })),
    });

    const before = await objectCounts();
    await resetRequests();
    const dry = await result(await start('zuora-accounts', { dryRun: true, concurrency: 30 }));
    assert.equal(dry.dryRun, true);
    assert.equal(dry.phase, 'done');
    assert.equal(dry.seen, 120);
    assert.ok(dry.plans);
    assert.equal(dry.plans.create, 110);
    assert.equal(dry.plans.link, 10);
    assert.equal(dry.plans.skip, 0);
    const planned = new Map(dry.plans.records.map((p) => [p.id, p]));
    const oneCreate = planned.get(zuoraIds[50] ?? '');
    assert.equal(oneCreate?.action, 'create');
    assert.equal(oneCreate?.target, `togai-customer:zuora-${zuoraIds[50]}`);
    // The payload is the body flow 1 would POST to Togai's /customers.
    assert.equal((oneCreate?.payload as { id: string }).id, `zuora-${zuoraIds[50]}`);
    assert.equal((oneCreate?.payload as { primaryEmail: string }).primaryEmail, 'a50@bf.example');
    assert.equal(planned.get(existing[0] ?? '')?.action, 'link');
    // Nothing written: only reads reached the vendors (and Zuora's token), nothing changed.
    const ops = await operations();
    assert.ok(ops.length > 0, 'the dry run read the vendors');
    const writes = ops.filter((op) => !op.startsWith('GET ') && op !== 'POST createToken');
    assert.deepEqual(writes, []);
    assert.deepEqual(await objectCounts(), before);

    // The real run, small pages and a continue-as-new every 3 pages, with callouts for 40 of the
    // same accounts arriving meanwhile through the gateway's start path.
    const handle = await start('zuora-accounts', { concurrency: 30, pageSize: 20, pagesPerRun: 3 });
    const callouts = zuoraIds.slice(5, 45).map((zuoraAccountId, i) =>
      startSync(deps, {
        flow: FLOW.zuoraAccountToTogai,
        input: {
          connectionId: env.connectionId,
          zuoraAccountId,
          trigger: 'zuora-callout',
          notificationId: `n-${tag}-${i}`,
        },
      }),
    );
    await Promise.all(callouts);
    const real = await result(handle);
    assert.equal(real.phase, 'done');
    assert.equal(real.seen, 120);
    assert.equal(real.failed.count, 0, JSON.stringify(real.failed.records.slice(0, 3)));
    assert.equal(real.synced.count, 110);
    assert.equal(real.adopted.count, 10);
    // What the dry run said is what happened: created ↔ create, adopted ↔ link.
    const planIds = (action: string) =>
      [...planned.values()]
        .filter((p) => p.action === action)
        .map((p) => p.id)
        .sort();
    assert.deepEqual(ids(real, 'synced'), planIds('create'));
    assert.deepEqual(ids(real, 'adopted'), planIds('link'));
    // Continued as new along the way; the first run of the chain says so.
    assert.ok(real.run >= 3, `runs: ${real.run}`);
    const first = testEnv().client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    assert.equal((await first.describe()).status.name, 'CONTINUED_AS_NEW');

    // Each account synced once: one Togai customer per Zuora account, one sync workflow per account.
    const togai = await env.togaiState();
    for (const id of zuoraIds) {
      assert.equal(togai.customers.filter((c) => c.id === `zuora-${id}`).length, 1, `customer of ${id}`);
    }
    assert.equal((await objectCounts()).togaiCustomers, before.togaiCustomers + 110);
    const zuora = await env.zuoraState();
    const linked = zuora.accounts.filter((a) => zuoraIds.includes(a.id));
    assert.ok(linked.every((a) => a.customFields['TogaiAccountId__c'] === `zuora-acct-${a.id}`));
    await eventually(
      async () =>
        (
          await testEnv().client.workflow.count(
            `TzsConnectionId="${env.connectionId}" AND WorkflowType="${FLOW.zuoraAccountToTogai}"`,
          )
        ).count === 120,
      20_000,
      'one flow-1 run per account in visibility',
    );
  });

  it('togai-accounts: pause stops new starts (progress says paused), resume finishes; 80 accounts with webhooks meanwhile, each synced once', async () => {
    const tag = randomBytes(3).toString('hex');
    const togaiIds = await seedTogaiAccounts(80, tag, env2);
    const handle = await start('togai-accounts', { concurrency: 30, pageSize: 25 }, env2);
    const webhooks = togaiIds.slice(60, 80).map((togaiAccountId, i) =>
      startSync(deps, {
        flow: FLOW.togaiAccountToZuora,
        input: {
          connectionId: env2.connectionId,
          togaiAccountId,
          trigger: 'togai-webhook',
          eventId: `e-${tag}-${i}`,
        },
      }),
    );
    await eventually(async () => (await queryProgress(handle)).seen > 0, 20_000, 'first page listed');
    const paused = await updateBackfill(handle, 'pause');
    assert.equal(paused.paused, true);
    assert.equal(paused.phase, 'paused');
    // What was in flight finishes; then nothing new starts while paused.
    await eventually(
      async () => (await queryProgress(handle)).inFlight === 0,
      30_000,
      'in-flight records done',
    );
    const done = (p: BackfillProgress) => p.synced.count + p.adopted.count + p.skipped.count + p.failed.count;
    const atPause = await queryProgress(handle);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await queryProgress(handle);
    assert.equal(later.paused, true);
    assert.equal(later.phase, 'paused');
    assert.equal(done(later), done(atPause));
    assert.equal(later.inFlight, 0);
    assert.ok(later.queued > 0 || later.seen < 80, 'records were left to do');

    const resumed = await updateBackfill(handle, 'resume');
    assert.equal(resumed.paused, false);
    await Promise.all(webhooks);
    const final = await result(handle);
    assert.equal(final.phase, 'done');
    assert.equal(final.failed.count, 0, JSON.stringify(final.failed.records.slice(0, 3)));
    assert.equal(final.seen, 80);
    assert.deepEqual(ids(final, 'synced'), [...togaiIds].sort());
    const zuora = await env2.zuoraState();
    for (const id of togaiIds) {
      assert.equal(
        zuora.accounts.filter((a) => a.customFields['TogaiAccountId__c'] === id).length,
        1,
        `one Zuora account for ${id}`,
      );
    }
  });

  it('togai-invoices in [since, until): dry run then real run of 80 invoices with webhooks meanwhile, within the connection bound, each synced once', async () => {
    const tag = randomBytes(3).toString('hex');
    const state = await env2.togaiState();
    const accounts = state.accounts.filter((a) => a.id.startsWith('abf-')).map((a) => a.id);
    assert.equal(accounts.length, 80);
    const inRange: string[] = [];
    for (const accountId of accounts) {
      const res = (await post(`${env2.togai.url}/__admin/close-cycle`, {
        accountId,
        startDate: '2026-10-01T00:00:00Z',
        endDate: '2026-10-31T00:00:00Z',
        customLines: [{ description: `Setup ${tag}`, value: '25.00' }],
      })) as { invoices: { id: string }[] };
      inRange.push(res.invoices[0]?.id ?? assert.fail('no invoice'));
    }
    // Five outside the window: listed by nobody.
    const outside = await seedTogaiAccounts(5, `${tag}x`, env2);
    for (const accountId of outside) {
      await post(`${env2.togai.url}/__admin/close-cycle`, {
        accountId,
        startDate: '2026-08-01T00:00:00Z',
        endDate: '2026-08-31T00:00:00Z',
        customLines: [{ description: 'Old', value: '5.00' }],
      });
    }
    const window = { since: '2026-10-01T00:00:00Z', until: '2026-11-01T00:00:00+00:00' };
    const before = await objectCounts(env2);
    await resetRequests(env2);
    const dry = await result(
      await start('togai-invoices', { ...window, dryRun: true, concurrency: 30 }, env2),
    );
    assert.equal(dry.seen, 80);
    assert.equal(dry.plans?.create, 80);
    const plan = dry.plans?.records.find((p) => p.id === inRange[0]);
    assert.equal((plan?.payload as { invoiceItems: unknown[] }).invoiceItems.length, 1);
    assert.deepEqual(
      (await operations(env2)).filter((op) => !op.startsWith('GET ') && op !== 'POST createToken'),
      [],
    );
    assert.deepEqual(await objectCounts(env2), before);

    const handle = await start('togai-invoices', { ...window, concurrency: 30 }, env2);
    await Promise.all(
      inRange.slice(0, 20).map((togaiInvoiceId, i) =>
        startSync(deps, {
          flow: FLOW.togaiInvoiceToZuora,
          input: {
            connectionId: env2.connectionId,
            togaiInvoiceId,
            trigger: 'togai-webhook',
            eventId: `i-${tag}-${i}`,
          },
        }),
      ),
    );
    const real = await result(handle);
    assert.equal(real.failed.count, 0, JSON.stringify(real.failed.records.slice(0, 3)));
    assert.equal(real.seen, 80);
    // The bound held records back (the 20 webhook runs alone filled most of it); none was dropped.
    assert.ok(real.deferrals > 0, 'the connection bound deferred some invoice syncs');
    assert.deepEqual(ids(real, 'synced'), [...inRange].sort());
    assert.deepEqual(
      dry.plans?.records
        .filter((p) => p.action === 'create')
        .map((p) => p.id)
        .sort(),
      ids(real, 'synced'),
    );
    const zuora = (await env2.zuoraState()) as unknown as {
      invoices: { customFields: Record<string, unknown> }[];
    };
    for (const id of inRange) {
      assert.equal(
        zuora.invoices.filter((i) => i.customFields['TogaiInvoiceId__c'] === id).length,
        1,
        `one Zuora invoice for ${id}`,
      );
    }
    assert.equal(zuora.invoices.length, before.zuoraInvoices + 80);
  });

  it('cancel (update and `temporal workflow cancel`) ends with the summary so far; a second backfill of the same kind is refused while one runs', async () => {
    const tag = randomBytes(3).toString('hex');
    const zuoraIds = await seedZuoraAccounts(20, tag);
    const handle = await start('zuora-accounts', { concurrency: 2, pageSize: 10 });
    await assert.rejects(start('zuora-accounts'), WorkflowExecutionAlreadyStartedError);
    await eventually(async () => (await queryProgress(handle)).seen > 0, 20_000, 'first page listed');
    const answer = await updateBackfill(handle, 'cancel');
    assert.equal(answer.phase, 'cancelling');
    const summary = await result(handle);
    assert.equal(summary.phase, 'cancelled');
    const finished =
      summary.synced.count + summary.adopted.count + summary.skipped.count + summary.failed.count;
    assert.ok(summary.abandoned.length > 0, 'records were left');
    assert.equal(finished + summary.abandoned.length, summary.seen);

    // The Temporal CLI's cancel (a workflow cancellation request) ends the same way, COMPLETED.
    const again = await start('zuora-accounts', { concurrency: 1, pageSize: 10 });
    await eventually(async () => (await queryProgress(again)).seen > 0, 20_000, 'listed');
    await again.cancel();
    const cancelled = await result(again);
    assert.equal(cancelled.phase, 'cancelled');
    assert.equal((await again.describe()).status.name, 'COMPLETED');

    // A new backfill after those finishes the job: every account synced once.
    const last = await result(await start('zuora-accounts', { concurrency: 30 }));
    assert.equal(last.failed.count, 0);
    const togai = await env.togaiState();
    for (const id of zuoraIds) {
      assert.equal(togai.customers.filter((c) => c.id === `zuora-${id}`).length, 1);
    }
    assert.equal(backfill.workflowId('zuora-accounts', env.connectionId), handle.workflowId);
  });
});
