import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { ResolvingClientSource } from '../../src/activities/index.js';
import { loadConfig } from '../../src/config.js';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli.js';
import { createSweepActivities } from '../../src/activities/sweep.js';
import { invoiceAdmission, invoiceSweep, togaiInvoiceToZuora, FLOW } from '../../src/flows/index.js';
import {
  ensureInvoiceSweepSchedule,
  ensureInvoiceSweepScheduleFor,
  ensureInvoiceSweepSchedules,
} from '../../src/temporal/schedules.js';
import { runningInvoiceSyncs, startSync, type StartSyncDeps } from '../../src/temporal/start-sync.js';
import type { SweepTogaiInvoicesInput, SweepTogaiInvoicesResult } from '../../src/flows/index.js';
import * as fixtureActivities from '../fixtures/sweep-workflows/activities.js';
import { runsOf } from '../fixtures/sweep-workflows/activities.js';
import { testEnv } from '../hooks.js';
import { eventually } from '../helpers/wait.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import { testDataConverter } from '../helpers/codec.js';

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../fixtures/sweep-workflows/index.js', import.meta.url));

describe('Invoice sweep (real Temporal schedule and worker, Togai simulator)', function () {
  let env: SimulatedConnection;
  let accounts = 0;

  before(async () => {
    env = await startSimulatedConnection();
  });
  after(async () => {
    await env.close();
  });

  /** `n` new Togai accounts whose billing cycle is closed: one DUE invoice each. */
  function generateInvoices(n: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      accounts++;
      const id = `ACC-SWEEP-${accounts}`;
      env.togai.sim.seed({
        customers: [
          {
            id: `CUST-SWEEP-${accounts}`,
            name: `Sweep customer ${accounts}`,
            primaryEmail: `sweep${accounts}@example.com`,
            address: {},
            account: { id, name: `Sweep account ${accounts}` },
          },
        ],
      });
      ids.push(env.togai.sim.closeCycle(id)[0]?.id ?? assert.fail('no invoice generated'));
    }
    return ids;
  }

  function deps(taskQueue: string): StartSyncDeps {
    return { client: testEnv().client, taskQueue, timeoutMs: 10_000 };
  }

  function activities(taskQueue: string): object {
    return {
      ...fixtureActivities,
      ...createSweepActivities({
        clients: new ResolvingClientSource(env.service),
        startSync: deps(taskQueue),
      }),
    };
  }

  /** Triggers the schedule now and waits for the run it started (not a timing assertion: a wait). */
  async function triggerAndWait(
    handle: ScheduleHandle,
    // Skip, the schedule's own policy: runs triggered with AllowAll get no checkpoint.
    trigger: () => Promise<unknown> = () => handle.trigger(ScheduleOverlapPolicy.SKIP),
  ): Promise<SweepTogaiInvoicesResult> {
    const before = (await handle.describe()).info.recentActions.length;
    await trigger();
    for (;;) {
      const { recentActions } = (await handle.describe()).info;
      const action = recentActions.length > before ? recentActions[recentActions.length - 1] : undefined;
      if (action) {
        const { workflowId, firstExecutionRunId } = action.action.workflow;
        // Followed through any continue-as-new to the sweep's final result.
        const run = testEnv().client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
        const result = (await run.result()) as SweepTogaiInvoicesResult;
        // The schedule hands this result to its next run once it has seen the run close.
        while ((await handle.describe()).info.runningActions.length > 0) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return result;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('ensuring the schedule twice is idempotent: one schedule, deterministic ID, interval, SKIP overlap', async () => {
    const connectionId = `conn_sched_${randomUUID().slice(0, 8)}`;
    const client = testEnv().client;
    const options = { connectionId, taskQueue: 'tq-sched', intervalSeconds: 300, overlapSeconds: 600 };
    assert.equal(await ensureInvoiceSweepSchedule(client, options), 'created');
    assert.equal(await ensureInvoiceSweepSchedule(client, options), 'exists');
    const handle = client.schedule.getHandle(invoiceSweep.scheduleId(connectionId));
    try {
      assert.equal(handle.scheduleId, `togai-invoice-sweep:${connectionId}`);
      const desc = await handle.describe();
      assert.deepEqual(
        desc.spec.intervals?.map((i) => i.every),
        [300_000],
      );
      assert.equal(desc.policies.overlap, ScheduleOverlapPolicy.SKIP);
      assert.equal(desc.action.type, 'startWorkflow');
      assert.equal(desc.action.workflowType, FLOW.invoiceSweep);
      assert.equal(desc.action.taskQueue, 'tq-sched');
      assert.deepEqual(desc.action.args, [{ connectionId, overlapMs: 600_000 }]);

      // A changed interval or overlap is followed; the schedule stays the one schedule.
      const changed = { ...options, intervalSeconds: 60, overlapSeconds: 120 };
      assert.equal(await ensureInvoiceSweepSchedule(client, changed), 'updated');
      assert.equal(await ensureInvoiceSweepSchedule(client, changed), 'exists');
      const updated = await handle.describe();
      assert.deepEqual(
        updated.spec.intervals?.map((i) => i.every),
        [60_000],
      );
      assert.deepEqual(updated.action.args, [{ connectionId, overlapMs: 120_000 }]);
      assert.equal(updated.policies.overlap, ScheduleOverlapPolicy.SKIP);
      const ids: string[] = [];
      for await (const s of client.schedule.list()) {
        if (s.scheduleId === handle.scheduleId) ids.push(s.scheduleId);
      }
      assert.deepEqual(ids, [handle.scheduleId]);
    } finally {
      await handle.delete();
    }
  });

  it('ensuring every connection (as runWorker does at start) is idempotent; one new connection is ensured alone from the config', async () => {
    const client = testEnv().client;
    const config = testConfig({
      TEMPORAL_ADDRESS: testEnv().address,
      INVOICE_SWEEP_INTERVAL_SECONDS: '120',
      INVOICE_SWEEP_OVERLAP_SECONDS: '30',
    });
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `conn_${x}_${randomUUID().slice(0, 8)}`);
    assert.ok(a && b && c);
    const settings = {
      taskQueue: config.temporal.taskQueue,
      intervalSeconds: config.invoiceSweep.intervalSeconds,
      overlapSeconds: config.invoiceSweep.overlapSeconds,
    };
    try {
      assert.deepEqual(
        [...(await ensureInvoiceSweepSchedules(client, [a, b], settings))],
        [
          [a, 'created'],
          [b, 'created'],
        ],
      );
      // A restart ensures them again: nothing changes.
      assert.deepEqual(
        [...(await ensureInvoiceSweepSchedules(client, [a, b], settings))],
        [
          [a, 'exists'],
          [b, 'exists'],
        ],
      );
      assert.equal(await ensureInvoiceSweepScheduleFor(config, c, testDataConverter), 'created');
      assert.equal(await ensureInvoiceSweepScheduleFor(config, c, testDataConverter), 'exists');
      const desc = await client.schedule.getHandle(invoiceSweep.scheduleId(c)).describe();
      assert.deepEqual(
        desc.spec.intervals?.map((i) => i.every),
        [120_000],
      );
      assert.equal(desc.action.taskQueue, 'togai-zuora-sync');
      assert.deepEqual(desc.action.args, [{ connectionId: c, overlapMs: 30_000 }]);
    } finally {
      for (const id of [a, b, c]) await client.schedule.getHandle(invoiceSweep.scheduleId(id)).delete();
    }
  });

  it('lists DUE invoices across pages, starts one run each; a second sweep starts nothing; a new invoice is picked up', async () => {
    const taskQueue = uniqueTaskQueue('sweep');
    const invoices = generateInvoices(7);
    const client = testEnv().client;
    const overlapSeconds = 3600;
    await ensureInvoiceSweepSchedule(client, {
      connectionId: env.connectionId,
      taskQueue,
      intervalSeconds: 3600,
      overlapSeconds,
      paused: true,
      // 2 invoices a page, 2 pages a batch: 7 invoices take 4 pages and 2 batches of starts.
      sweepInput: { pageSize: 2, pagesPerBatch: 2, concurrency: 3 },
    });
    const handle = client.schedule.getHandle(invoiceSweep.scheduleId(env.connectionId));
    try {
      await withWorker(
        { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: activities(taskQueue) },
        async () => {
          const first = await triggerAndWait(handle);
          assert.equal(first.listed, 7);
          assert.equal(first.counts.started, 7);
          for (const id of invoices) {
            const workflowId = togaiInvoiceToZuora.workflowId(env.connectionId, id);
            assert.equal(runsOf(workflowId).length, 1, `one run for ${id}`);
            const run = await client.workflow.getHandle(workflowId).describe();
            assert.equal(run.type, FLOW.togaiInvoiceToZuora);
          }

          // Nothing new: the checkpoint came from the first run's result; the overlap lists the
          // same invoices again, and their completed runs are not run again.
          const second = await triggerAndWait(handle);
          assert.equal(second.since, first.checkpoint - overlapSeconds * 1000);
          assert.ok(second.checkpoint >= first.checkpoint, 'the checkpoint never goes back');
          assert.equal(second.counts.started, 0);
          assert.equal(second.counts['already-completed'], 7);
          for (const id of invoices) {
            assert.equal(runsOf(togaiInvoiceToZuora.workflowId(env.connectionId, id)).length, 1);
          }

          // A missed webhook: the next sweep starts the sync of the newly generated invoice only.
          const [late] = generateInvoices(1);
          assert.ok(late);
          const third = await triggerAndWait(handle);
          assert.equal(third.counts.started, 1);
          assert.equal(runsOf(togaiInvoiceToZuora.workflowId(env.connectionId, late)).length, 1);
        },
      );
    } finally {
      await handle.delete();
    }
  });

  it("over the connection's bound of syncs in flight, the sweep queues the rest; the queue starts them in order as room frees (issue 12)", async () => {
    const bounded = await startSimulatedConnection({ connection: { maxInFlightInvoiceSyncs: 2 } });
    const taskQueue = uniqueTaskQueue('sweep-bound');
    const client = testEnv().client;
    const admissionId = invoiceAdmission.workflowId(bounded.connectionId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `ACC-BOUND-${i}`;
      bounded.togai.sim.seed({
        customers: [
          {
            id: `CUST-BOUND-${i}`,
            name: `Bound customer ${i}`,
            primaryEmail: `bound${i}@example.com`,
            address: {},
            account: { id, name: `Bound account ${i}` },
          },
        ],
      });
      ids.push(bounded.togai.sim.closeCycle(id)[0]?.id ?? assert.fail('no invoice generated'));
    }
    const acts = {
      ...fixtureActivities,
      ...createSweepActivities({
        clients: new ResolvingClientSource(bounded.service),
        startSync: deps(taskQueue),
      }),
    };
    fixtureActivities.closeInvoiceGate();
    try {
      await withWorker({ taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: acts }, async () => {
        // Two syncs held open fill the bound; visibility sees them before the sweep runs.
        for (const id of ids.slice(0, 2)) {
          await startSync(deps(taskQueue), {
            flow: FLOW.togaiInvoiceToZuora,
            input: { connectionId: bounded.connectionId, togaiInvoiceId: id, trigger: 'manual' },
          });
        }
        await eventually(async () => (await runningInvoiceSyncs(client, bounded.connectionId)) === 2);
        const result = (await client.workflow.execute(FLOW.invoiceSweep, {
          taskQueue,
          workflowId: `sweep-bound-${randomUUID()}`,
          args: [
            {
              connectionId: bounded.connectionId,
              since: new Date(Date.now() - 86_400_000).toISOString(),
            } satisfies SweepTogaiInvoicesInput,
          ],
        })) as SweepTogaiInvoicesResult;
        assert.equal(result.listed, 5);
        assert.equal(result.counts.started, 0, 'nothing starts past the bound');
        assert.ok((result.queued ?? 0) >= 3, `queued ${result.queued}`);
        assert.equal(result.counts['already-running'] + (result.queued ?? 0), 5);
        const queuedIds = ids.slice(2);
        // Nothing queued starts while the bound is full.
        await new Promise((r) => setTimeout(r, 3000));
        for (const id of queuedIds) {
          assert.equal(
            runsOf(togaiInvoiceToZuora.workflowId(bounded.connectionId, id)).length,
            0,
            `${id} waits`,
          );
        }
        fixtureActivities.openInvoiceGate();
        for (const id of ids) {
          const workflowId = togaiInvoiceToZuora.workflowId(bounded.connectionId, id);
          await eventually(() => runsOf(workflowId).length > 0, 60_000, `a run of ${workflowId}`);
          await client.workflow.getHandle(workflowId).result();
          assert.equal(runsOf(workflowId).length, 1, `one run for ${id}`);
        }
      });
    } finally {
      fixtureActivities.openInvoiceGate();
      await client.workflow
        .getHandle(admissionId)
        .terminate('test over')
        .catch(() => undefined);
      await bounded.close();
    }
  });

  it('the sweep of a removed connection deletes its own schedule and fails UnknownConnection, once', async () => {
    const taskQueue = uniqueTaskQueue('sweep-removed');
    const client = testEnv().client;
    const ghost = `conn_removed_${randomUUID().slice(0, 8)}`;
    await ensureInvoiceSweepSchedule(client, {
      connectionId: ghost,
      taskQueue,
      intervalSeconds: 3600,
      overlapSeconds: 60,
      paused: true,
    });
    const handle = client.schedule.getHandle(invoiceSweep.scheduleId(ghost));
    await withWorker(
      { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: activities(taskQueue) },
      async () => {
        await handle.trigger(ScheduleOverlapPolicy.SKIP);
        // The schedule goes away during the run: find the run by its search attribute instead.
        let runId: string | undefined;
        while (runId === undefined) {
          for await (const wf of client.workflow.list({ query: `TzsConnectionId="${ghost}"` }))
            runId = wf.workflowId;
          if (runId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const failure: unknown = await client.workflow
          .getHandle(runId)
          .result()
          .then(
            () => assert.fail('a sweep of a removed connection cannot succeed'),
            (err: unknown) => err,
          );
        const cause = (failure as { cause?: { cause?: { message?: string; type?: string } } }).cause?.cause;
        assert.equal(cause?.type, 'UnknownConnection');
        assert.match(cause?.message ?? '', /No connection .*its invoice sweep schedule was deleted/);
      },
    );
    await assert.rejects(handle.describe(), (err: Error) => err.name === 'ScheduleNotFoundError');
  });

  it('a backfill lists from its explicit since (ISO-8601): invoices whose period ended before it are not listed', async () => {
    const taskQueue = uniqueTaskQueue('sweep-backfill');
    generateInvoices(1);
    const client = testEnv().client;
    await withWorker(
      { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: activities(taskQueue) },
      async () => {
        const run = (since: string): Promise<SweepTogaiInvoicesResult> =>
          client.workflow.execute('sweepTogaiInvoices', {
            taskQueue,
            workflowId: `sweep-backfill-${randomUUID()}`,
            args: [{ connectionId: env.connectionId, since } satisfies SweepTogaiInvoicesInput],
          });
        const future = await run(new Date(Date.now() + 24 * 3600_000).toISOString());
        assert.equal(future.listed, 0);
        const all = await run('1970-01-01T00:00:00Z');
        assert.equal(all.since, 0);
        // Every DUE invoice generated so far in this suite; the open DRAFTs are not listed.
        assert.equal(all.listed, accounts);
      },
    );
  });

  it('a listing whose page tokens cycle (t1 → t2 → t1) ends with a warning, across batches and continue-as-new', async () => {
    const taskQueue = uniqueTaskQueue('sweep-cycle');
    generateInvoices(7);
    const client = testEnv().client;
    let listCalls = 0;
    const base = activities(taskQueue) as Record<string, (...args: unknown[]) => unknown>;
    const counted = {
      ...base,
      togaiListInvoicePages: (...args: unknown[]) => {
        listCalls++;
        return base['togaiListInvoicePages']!(...args);
      },
    };
    env.togai.sim.invoiceTokenCycle = 3;
    try {
      await withWorker({ taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: counted }, async () => {
        const result = await client.workflow.execute<
          (i: SweepTogaiInvoicesInput) => Promise<SweepTogaiInvoicesResult>
        >('sweepTogaiInvoices', {
          taskQueue,
          workflowId: `sweep-cycle-${randomUUID()}`,
          // One page a batch, one batch a run: the tokens seen must survive both.
          args: [
            {
              connectionId: env.connectionId,
              since: '1970-01-01T00:00:00Z',
              pageSize: 2,
              pagesPerBatch: 1,
              batchesPerRun: 1,
            } satisfies SweepTogaiInvoicesInput,
          ],
        });
        // Pages 1, 2, 3 (6 invoices), then page 3's token is page 1's again: the listing ends there.
        assert.equal(result.listed, 6);
        assert.equal(result.warnings?.length, 1, JSON.stringify(result));
        assert.match(
          result.warnings?.[0] ?? '',
          /DUE invoice listing handed back a page token it had given before \(after 3 pages\)/,
        );
        // DUE: 3 listing calls; MERGED: 1. Nowhere near an endless loop.
        assert.equal(listCalls, 4);
      });
    } finally {
      env.togai.sim.invoiceTokenCycle = undefined;
    }
  });

  it('the operator commands of docs/architecture.md work: CLI backfill with since, CLI schedule trigger from the checkpoint', async () => {
    const taskQueue = uniqueTaskQueue('sweep-cli');
    const client = testEnv().client;
    const cli = await ensureTemporalCli({ cliPath: loadConfig(process.env).temporal.cliPath });
    const temporal = (...args: string[]) =>
      promisify(execFile)(cli.path, [...args, '--address', testEnv().address, '--namespace', 'default']);
    const [invoiceId] = generateInvoices(1);
    assert.ok(invoiceId);
    await ensureInvoiceSweepSchedule(client, {
      connectionId: env.connectionId,
      taskQueue,
      intervalSeconds: 3600,
      overlapSeconds: 60,
      paused: true,
    });
    const schedule = client.schedule.getHandle(invoiceSweep.scheduleId(env.connectionId));
    try {
      await withWorker(
        { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: activities(taskQueue) },
        async () => {
          const workflowId = `togai-invoice-backfill:${env.connectionId}:${randomUUID()}`;
          await temporal(
            'workflow',
            'start',
            '--type',
            'sweepTogaiInvoices',
            '--task-queue',
            taskQueue,
            '--workflow-id',
            workflowId,
            '--input',
            JSON.stringify({ connectionId: env.connectionId, since: '1970-01-01T00:00:00Z' }),
          );
          const backfill = (await client.workflow.getHandle(workflowId).result()) as SweepTogaiInvoicesResult;
          assert.equal(backfill.since, 0);
          assert.equal(backfill.listed, accounts);
          assert.equal(runsOf(togaiInvoiceToZuora.workflowId(env.connectionId, invoiceId)).length, 1);

          // Two CLI triggers (default overlap policy Skip): the second lists from the first's checkpoint.
          const cliTrigger = () => temporal('schedule', 'trigger', '--schedule-id', schedule.scheduleId);
          const first = await triggerAndWait(schedule, cliTrigger);
          const second = await triggerAndWait(schedule, cliTrigger);
          assert.equal(second.since, first.checkpoint - 60_000);
          assert.equal(second.counts.started, 0);
          assert.equal(runsOf(togaiInvoiceToZuora.workflowId(env.connectionId, invoiceId)).length, 1);
        },
      );
    } finally {
      await schedule.delete();
    }
  });

  it('a webhook and a sweep for the same invoice at the same time make exactly one run', async () => {
    const taskQueue = uniqueTaskQueue('sweep-race');
    const [invoiceId] = generateInvoices(1);
    assert.ok(invoiceId);
    const client = testEnv().client;
    const workflowId = togaiInvoiceToZuora.workflowId(env.connectionId, invoiceId);
    await withWorker(
      { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: activities(taskQueue) },
      async () => {
        const input: SweepTogaiInvoicesInput = { connectionId: env.connectionId, since: 0, concurrency: 5 };
        const [sweep, ...webhooks] = await Promise.all([
          client.workflow.execute('sweepTogaiInvoices', {
            taskQueue,
            workflowId: `sweep-race-${randomUUID()}`,
            args: [input],
          }) as Promise<SweepTogaiInvoicesResult>,
          // As the gateway starts it for `invoice.generated` (and Togai redelivering it).
          ...[1, 2, 3].map(() =>
            startSync(deps(taskQueue), {
              flow: FLOW.togaiInvoiceToZuora,
              input: {
                connectionId: env.connectionId,
                togaiInvoiceId: invoiceId,
                trigger: 'togai-webhook',
                eventId: 'evt-race',
              },
            }),
          ),
        ]);
        await client.workflow.getHandle(workflowId).result();
        const started = sweep.counts.started + webhooks.filter((w) => w.status === 'started').length;
        assert.equal(started, 1, 'exactly one start among the sweep and the webhooks');
        assert.equal(runsOf(workflowId).length, 1);
        assert.ok(webhooks.every((w) => w.workflowId === workflowId));
      },
    );
  });
});
