import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import {
  DRIFT_KINDS,
  FLOW,
  reconciliation,
  type DriftItem,
  type DriftKind,
  type InvoiceSyncResult,
  type ReconcileConnectionInput,
  type ReconcileReport,
} from '../../src/flows/index.js';
import { SA } from '../../src/shared/search-attributes.js';
import { ensureReconciliationSchedule, ensureReconciliationSchedules } from '../../src/temporal/schedules.js';
import { startSync, type StartSyncDeps } from '../../src/temporal/start-sync.js';
import { testKeyEnv } from '../helpers/codec.js';
import { testEnv } from '../hooks.js';
import {
  closeCycle,
  ingest,
  post,
  seedAccount,
  seedCatalog,
  TOGAI_INVOICES,
  ZUORA_BILLS_USAGE,
  type BillingAccount,
  type Catalog,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

const CLI = fileURLToPath(new URL('../../src/tzs/main.js', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `tzs …` as an operator runs it, against the tests' Temporal (as test/cli.test.ts runs it). */
function tzs(taskQueue: string, ...args: string[]): Promise<CliRun> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: testEnv().address,
    // The suite's keys: the payloads this process writes, the suite's client reads (and back).
    ...testKeyEnv(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'silent',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function of(report: ReconcileReport, kind: DriftKind): DriftItem[] {
  return report.items.filter((i) => i.kind === kind);
}

function countsOnly(
  report: ReconcileReport,
  kinds: readonly DriftKind[],
): Partial<Record<DriftKind, number>> {
  return Object.fromEntries(kinds.map((k) => [k, report.counts[k]]));
}

describe('Reconciliation (real Temporal and worker, both simulators)', function () {
  this.timeout(240_000);

  /** One connection on its simulators, a worker on its own task queue, and the steps tests take. */
  async function withConnection<T>(
    env: SimulatedConnection,
    fn: (t: {
      taskQueue: string;
      deps: StartSyncDeps;
      reconcile: (input?: Partial<ReconcileConnectionInput>) => Promise<ReconcileReport>;
      linkAccount: (togaiAccountId: string) => Promise<void>;
      syncInvoice: (togaiInvoiceId: string) => Promise<InvoiceSyncResult>;
      awaitRepairs: (report: ReconcileReport) => Promise<void>;
    }) => Promise<T>,
  ): Promise<T> {
    const taskQueue = uniqueTaskQueue('reconcile');
    const { client } = testEnv();
    const deps: StartSyncDeps = { client, taskQueue, timeoutMs: 10_000 };
    let runs = 0;
    return withWorker(
      { taskQueue, activities: createActivities({ ...env.activityDeps, startSync: deps }) },
      () =>
        fn({
          taskQueue,
          deps,
          reconcile: async (input = {}) =>
            (await client.workflow.execute(reconciliation.workflowType, {
              taskQueue,
              workflowId: `${reconciliation.scheduleId(env.connectionId)}:test-${++runs}`,
              args: [{ connectionId: env.connectionId, ...input }],
              typedSearchAttributes: [
                { key: SA.connectionId, value: env.connectionId },
                { key: SA.flow, value: reconciliation.workflowType },
              ],
            })) as ReconcileReport,
          // Flow 2 through the webhooks' start path: it adopts the seeded Zuora account and writes the mapping.
          linkAccount: async (togaiAccountId) => {
            const res = await startSync(deps, {
              flow: FLOW.togaiAccountToZuora,
              input: { connectionId: env.connectionId, togaiAccountId, trigger: 'manual' },
            });
            await client.workflow.getHandle(res.workflowId).result();
          },
          syncInvoice: async (togaiInvoiceId) => {
            const res = await startSync(deps, {
              flow: FLOW.togaiInvoiceToZuora,
              input: { connectionId: env.connectionId, togaiInvoiceId, trigger: 'manual' },
            });
            return (await client.workflow.getHandle(res.workflowId).result()) as InvoiceSyncResult;
          },
          // The syncs a repairing run started: their latest runs, to completion.
          awaitRepairs: async (report) => {
            const ids = new Set(
              report.items.flatMap((i) => (i.repair?.workflowId ? [i.repair.workflowId] : [])),
            );
            for (const id of ids) await client.workflow.getHandle(id).result();
          },
        }),
    );
  }

  describe('Togai-invoices mode: links, invoices, totals, orphans', () => {
    let env: SimulatedConnection;
    let catalog: Catalog;
    before(async () => {
      env = await startSimulatedConnection({ connection: TOGAI_INVOICES });
      catalog = await seedCatalog(env);
    });
    after(async () => {
      await env.close();
    });

    it('finds each kind of drift planted with its IDs, repairs the repairable ones, reports the rest; the CLI exits 2', async () => {
      await withConnection(env, async (t) => {
        const accounts: BillingAccount[] = [];
        for (let i = 0; i < 4; i++) accounts.push(await seedAccount(env, catalog, { currency: 'USD' }));
        for (const a of accounts) await t.linkAccount(a.togaiAccountId);
        const [a1, a2, a3, a4] = accounts;
        assert.ok(a1 && a2 && a3 && a4);
        const invoices: string[] = [];
        for (const a of [a1, a2, a3]) {
          await ingest(env, catalog, a.togaiAccountId, 120, '150');
          invoices.push(await closeCycle(env, a.togaiAccountId));
        }
        const [i1, i2, i3] = invoices;
        assert.ok(i1 && i2 && i3);
        await t.syncInvoice(i1);
        const synced2 = await t.syncInvoice(i2);
        assert.ok(synced2.zuoraInvoiceId);

        // Clean so far, but for the one invoice whose webhook was "lost" (never synced).
        const first = await t.reconcile();
        assert.deepEqual(
          DRIFT_KINDS.filter((k) => first.counts[k] > 0),
          ['invoice-missing'],
        );
        assert.deepEqual(
          of(first, 'invoice-missing').map((i) => i.ids.togaiInvoiceId),
          [i3],
        );
        assert.equal(first.checked['togai-invoices'], 3);
        assert.ok(first.checked['zuora-accounts'] >= 4 && first.checked['togai-accounts'] >= 4);

        // Drift planted: a deleted link (Togai's mapping of a4), a changed total (i2's Zuora
        // invoice), an orphan Zuora account naming a Togai account nobody has.
        const zuoraOf = (a: BillingAccount) =>
          env.zuoraState().then((s) => s.accounts.find((x) => x.accountNumber === a.zuoraAccountNumber)?.id);
        const a4Zuora = await zuoraOf(a4);
        assert.ok(a4Zuora);
        const del = await fetch(
          `${env.togai.url}/__admin/settings/setting.zuora.zuoraAccountId.ACCOUNT.${a4.togaiAccountId}`,
          { method: 'DELETE' },
        );
        assert.equal(del.status, 200);
        const zuoraInvoice = synced2.zuoraInvoiceId;
        const changed = await fetch(`${env.zuora.url}/__admin/ui/invoices/${zuoraInvoice}/amount`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ amount: '1.23' }),
        });
        assert.equal(changed.status, 200);
        const ghost = `acct-ghost-${randomUUID().slice(0, 8)}`;
        await post(`${env.zuora.url}/__admin/seed`, {
          accounts: [
            { accountNumber: `Z-GHOST-${ghost}`, name: 'Ghost', currency: 'USD', TogaiAccountId__c: ghost },
          ],
        });
        const ghostZuora = (await env.zuoraState()).accounts.find(
          (x) => x.accountNumber === `Z-GHOST-${ghost}`,
        )?.id;

        const found = await t.reconcile({ repair: false });
        assert.deepEqual(countsOnly(found, DRIFT_KINDS), {
          'link-broken': 1,
          'invoice-missing': 1,
          'invoice-duplicated': 0,
          'total-mismatch': 1,
          'usage-mismatch': 0,
          orphan: 1,
        });
        const [link] = of(found, 'link-broken');
        assert.deepEqual(
          [link?.ids.zuoraAccountId, link?.ids.togaiAccountId, link?.repairBy],
          [a4Zuora, a4.togaiAccountId, { flow: 'syncZuoraAccountToTogai', id: a4Zuora }],
        );
        const [total] = of(found, 'total-mismatch');
        assert.deepEqual([total?.ids.togaiInvoiceId, total?.ids.zuoraInvoiceId], [i2, zuoraInvoice]);
        assert.match(total?.detail ?? '', /1\.23 USD/);
        assert.deepEqual(
          of(found, 'orphan').map((i) => [i.ids.zuoraAccountId, i.ids.togaiAccountId]),
          [[ghostZuora, ghost]],
        );
        assert.ok(
          found.items.every((i) => i.repair === undefined),
          'repair off: nothing started',
        );

        // The CLI reads the latest completed run: drift → exit 2, the tables name the IDs.
        const cli = await tzs(t.taskQueue, 'reconcile', 'report', '--connection', env.connectionId);
        assert.equal(cli.code, 2, cli.stderr);
        for (const text of ['total-mismatch', 'link-broken', 'invoice-missing', 'orphan', i2, i3, ghost])
          assert.ok(cli.stdout.includes(text), `report names ${text}`);
        const json = await tzs(
          t.taskQueue,
          'reconcile',
          'report',
          '--connection',
          env.connectionId,
          '--json',
        );
        assert.equal(json.code, 2, json.stderr);
        assert.equal((JSON.parse(json.stdout) as ReconcileReport).total, 4);

        // Repair on: links and the missing invoice are repaired through the syncs; money and orphans are not.
        const repairing = await t.reconcile({ repair: true });
        assert.equal(repairing.total, 4);
        assert.deepEqual(of(repairing, 'link-broken')[0]?.repair?.status, 'started');
        assert.equal(
          of(repairing, 'link-broken')[0]?.repair?.workflowId,
          `zuora-account:${env.connectionId}:${a4Zuora}`,
        );
        assert.equal(of(repairing, 'invoice-missing')[0]?.repair?.status, 'started');
        assert.equal(of(repairing, 'total-mismatch')[0]?.repair?.status, 'reported-only');
        assert.equal(of(repairing, 'orphan')[0]?.repair?.status, 'reported-only');
        assert.equal(repairing.repaired, 2);
        await t.awaitRepairs(repairing);

        const after = await t.reconcile({ repair: false });
        assert.deepEqual(countsOnly(after, ['link-broken', 'invoice-missing', 'total-mismatch', 'orphan']), {
          'link-broken': 0,
          'invoice-missing': 0,
          'total-mismatch': 1,
          orphan: 1,
        });
        const settings = (await env.togaiState()).settings.filter((s) => s.entityId === a4.togaiAccountId);
        assert.ok(
          settings.some((s) => s.id === 'zuoraAccountId' && s.value === a4Zuora),
          'mapping rewritten',
        );

        // Bad input fails the run at once, naming the field (here through `tzs reconcile run`).
        const bad = await tzs(
          t.taskQueue,
          'reconcile',
          'run',
          '--connection',
          env.connectionId,
          '--since',
          '2026-12-01T00:00:00Z',
          '--until',
          '2026-11-01T00:00:00Z',
        );
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /InvalidWorkflowInput|invalid input: since: must be before until/);
        const unknown = await tzs(t.taskQueue, 'reconcile', 'report', '--connection', 'conn_nobody');
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /no completed reconciliation of connection conn_nobody/);
      });
    });
  });

  describe('Zuora-bills-usage mode: usage records', () => {
    let env: SimulatedConnection;
    let catalog: Catalog;
    before(async () => {
      env = await startSimulatedConnection({ connection: ZUORA_BILLS_USAGE });
      catalog = await seedCatalog(env);
    });
    after(async () => {
      await env.close();
    });

    it('a clean state reports no drift (CLI exit 0); missing usage is found and repaired', async () => {
      await withConnection(env, async (t) => {
        const u1 = await seedAccount(env, catalog, { currency: 'USD' });
        const u2 = await seedAccount(env, catalog, { currency: 'USD' });
        await t.linkAccount(u1.togaiAccountId);
        await t.linkAccount(u2.togaiAccountId);
        await ingest(env, catalog, u1.togaiAccountId, 40, '120');
        const inv1 = await closeCycle(env, u1.togaiAccountId);
        const synced = await t.syncInvoice(inv1);
        assert.equal(synced.usage.filter((u) => u.outcome === 'created').length, 2);

        const clean = await t.reconcile({ repair: false });
        assert.equal(clean.total, 0, JSON.stringify(clean.items));
        assert.equal(clean.billingMode, 'zuora-bills-usage');
        assert.equal(clean.checked['togai-invoices'], 1);
        assert.equal(clean.checked['zuora-usages'], 2);
        const ok = await tzs(t.taskQueue, 'reconcile', 'report', '--connection', env.connectionId);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /No drift found/);

        // A usage record deleted in Zuora a day after it was made (past Zuora's 24 h idempotency
        // window), and an invoice whose usage never reached Zuora.
        const records = (
          (await env.zuoraState()) as unknown as { usages: { id: string; accountNumber: string }[] }
        ).usages;
        const deleted = records.find((r) => r.accountNumber === u1.zuoraAccountNumber);
        assert.ok(deleted);
        const token = await fetch(`${env.zuora.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: env.zuora.sim.credentials.clientId,
            client_secret: env.zuora.sim.credentials.clientSecret,
          }).toString(),
        }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
        const del = await fetch(`${env.zuora.url}/v1/object/usage/${deleted.id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(del.status, 200);
        // Within Zuora's 24 h idempotency window: the repair must not reuse the first run's key,
        // which Zuora would answer with the deleted record's id and create nothing.
        await ingest(env, catalog, u2.togaiAccountId, 10, '110');
        const inv2 = await closeCycle(env, u2.togaiAccountId);

        const found = await t.reconcile({ repair: true });
        assert.deepEqual(
          DRIFT_KINDS.filter((k) => found.counts[k] > 0),
          ['usage-mismatch'],
        );
        const missing = of(found, 'usage-mismatch');
        assert.deepEqual(missing.map((i) => i.ids.togaiInvoiceId).sort(), [inv1, inv2, inv2].sort());
        assert.ok(
          missing.every((i) => i.repairable && i.repair?.status === 'started'),
          JSON.stringify(missing),
        );
        await t.awaitRepairs(found);

        const repaired = await t.reconcile({ repair: false });
        assert.equal(repaired.total, 0, JSON.stringify(repaired.items));
        assert.equal(repaired.checked['zuora-usages'], 4);
        const now = (
          (await env.zuoraState()) as unknown as { usages: { id: string; accountNumber: string }[] }
        ).usages;
        assert.ok(!now.some((r) => r.id === deleted.id), 'the deleted record stays deleted');
        assert.equal(
          now.filter((r) => r.accountNumber === u1.zuoraAccountNumber).length,
          records.filter((r) => r.accountNumber === u1.zuoraAccountNumber).length,
          'a new record in its place, once',
        );
      });
    });
  });

  describe('the schedule', () => {
    it('one per connection under reconciliation:{id}, at the interval of its settings; idempotent', async () => {
      const { client } = testEnv();
      const env = await startSimulatedConnection({ connection: { reconciliation: { everyHours: 6 } } });
      const handle = client.schedule.getHandle(reconciliation.scheduleId(env.connectionId));
      try {
        // As runWorker does at start: every connection, each at its own interval.
        const everyHours = async (id: string) =>
          (await env.service.resolve(id)).settings.reconciliation.everyHours;
        const ensure = () =>
          ensureReconciliationSchedules(client, [env.connectionId], { taskQueue: 'tq-r', everyHours });
        assert.deepEqual([...(await ensure())], [[env.connectionId, 'created']]);
        assert.deepEqual([...(await ensure())], [[env.connectionId, 'exists']]);
        assert.equal(handle.scheduleId, `reconciliation:${env.connectionId}`);
        const desc = await handle.describe();
        assert.deepEqual(
          desc.spec.intervals?.map((i) => i.every),
          [6 * 3_600_000],
        );
        assert.equal(desc.policies.overlap, ScheduleOverlapPolicy.SKIP);
        assert.equal(desc.action.type, 'startWorkflow');
        assert.equal(desc.action.workflowType, reconciliation.workflowType);
        assert.deepEqual(desc.action.args, [{ connectionId: env.connectionId }]);

        await env.service.update(env.connectionId, { reconciliation: { everyHours: 24, repair: true } });
        assert.deepEqual([...(await ensure())], [[env.connectionId, 'updated']]);
        assert.deepEqual(
          (await handle.describe()).spec.intervals?.map((i) => i.every),
          [24 * 3_600_000],
        );
        assert.equal(
          await ensureReconciliationSchedule(client, {
            connectionId: env.connectionId,
            taskQueue: 'tq-r',
            everyHours: 24,
          }),
          'exists',
        );
      } finally {
        await handle.delete().catch(() => undefined);
        await env.close();
      }
    });
  });
});
