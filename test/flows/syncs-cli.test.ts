import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { createActivities } from '../../src/activities/index.js';
import { ZuoraClient } from '../../src/clients/zuora/client.js';
import { loadConfig } from '../../src/config.js';
import { createDefaultVerifier } from '../../src/connections/default-verifier.js';
import { openConnections, type Connections } from '../../src/connections/open.js';
import {
  FLOW,
  togaiInvoiceToZuora,
  zuoraAccountToTogai,
  type AccountSyncResult,
  type InvoiceSyncResult,
} from '../../src/flows/index.js';
import { createLogger } from '../../src/logger.js';
import { NEEDS_A_PERSON } from '../../src/shared/failures.js';
import { SA } from '../../src/shared/search-attributes.js';
import { startSync } from '../../src/temporal/start-sync.js';
import type { SyncDetail, SyncRow } from '../../src/temporal/syncs.js';
import { testEnv } from '../hooks.js';
import { testKeyEnv } from '../helpers/codec.js';
import {
  BILLING_ZUORA_OPTIONS,
  closeCycle,
  ingest,
  seedAccount,
  seedCatalog,
  ZUORA_BILLS_USAGE,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

const CLI = fileURLToPath(new URL('../../src/tzs/main.js', import.meta.url));

/**
 * Issue 13, "a view of the links, and retries an operator can run": every sync records how it
 * ended (TzsOutcome, TzsOutcomeReason), and `tzs syncs list|show|retry` (spawned, against the
 * suite's Temporal and a connection store in its own DATA_DIR) finds skipped, half-done and failed
 * syncs, shows what one linked, and retries failed ones through the webhooks' start path.
 */
describe('Sync outcomes and tzs syncs (real Temporal, real worker, simulators, spawned CLI)', function () {
  this.timeout(180_000);
  let sims: SimulatedConnection;
  let dir: string;
  let connections: Connections;
  let connectionId: string;
  let connectionName: string;
  const taskQueue = uniqueTaskQueue('syncs-cli');

  before(async () => {
    sims = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS });
    dir = mkdtempSync(join(tmpdir(), 'tzs-syncs-cli-'));
    // The CLI's own store: the same DATA_DIR (SQLite file) and key the spawned `tzs` opens.
    connections = await openConnections(
      loadConfig(cliEnv()),
      createLogger('silent'),
      createDefaultVerifier(),
    );
    connectionName = `Syncs ${randomBytes(3).toString('hex')}`;
    const { connection } = await connections.service.create({
      name: connectionName,
      ...ZUORA_BILLS_USAGE,
      zuora: {
        endpoint: sims.zuora.url,
        customEndpoint: true,
        clientId: sims.zuora.sim.credentials.clientId,
        clientSecret: sims.zuora.sim.credentials.clientSecret,
      },
      togai: { baseUrl: sims.togai.url, apiToken: DEFAULT_API_TOKEN },
    });
    connectionId = connection.id;
  });
  after(async () => {
    await connections?.close();
    await sims?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function cliEnv(): Record<string, string> {
    return {
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      PUBLIC_BASE_URL: 'https://sync.example.com',
      TEMPORAL_ADDRESS: testEnv().address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      // The suite's payload keys: the CLI reads and starts runs the suite's workers decode.
      ...testKeyEnv(),
    };
  }

  function tzs(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function tzsJson<T>(...args: string[]): Promise<T> {
    const run = await tzs(...args, '--json');
    assert.equal(run.code, 0, `tzs ${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  const deps = () => ({ client: testEnv().client, taskQueue, timeoutMs: 10_000 });

  it('records how each sync ended; list finds the failed and the half-done ones, show names both sides, retry reruns after the fix', async () => {
    const { client } = testEnv();
    await withWorker(
      {
        taskQueue,
        activities: createActivities({ connections: connections.service, log: createLogger('silent') }),
      },
      async () => {
        // A Zuora account without a bill-to email: flow 1 fails with InvalidSourceData.
        const zuoraId = randomBytes(16).toString('hex');
        const seeded = await fetch(`${sims.zuora.url}/__admin/seed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            accounts: [
              {
                id: zuoraId,
                name: 'Émile & Søn',
                currency: 'USD',
                billToContact: { firstName: 'É', lastName: 'S', country: 'US' },
              },
            ],
          }),
        });
        assert.equal(seeded.status, 200);
        const accountSync = await startSync(deps(), {
          flow: FLOW.zuoraAccountToTogai,
          input: { connectionId, zuoraAccountId: zuoraId, trigger: 'zuora-callout', notificationId: 'n-1' },
        });
        assert.equal(accountSync.status, 'started');
        await assert.rejects(client.workflow.getHandle(accountSync.workflowId).result(), WorkflowFailedError);

        // An invoice whose storage line has no subscription: created, with a usage line pending.
        const catalog = await seedCatalog(sims);
        const account = await seedAccount(sims, catalog, { currency: 'USD', subscriptions: [['calls']] });
        await ingest(sims, catalog, account.togaiAccountId, 3, '2.5');
        const invoiceId = await closeCycle(sims, account.togaiAccountId);
        const invoiceSync = await startSync(deps(), {
          flow: FLOW.togaiInvoiceToZuora,
          input: { connectionId, togaiInvoiceId: invoiceId, trigger: 'manual' },
        });
        const invoiceResult = (await client.workflow
          .getHandle(invoiceSync.workflowId)
          .result()) as InvoiceSyncResult;
        assert.equal(invoiceResult.outcome, 'created');
        assert.equal(invoiceResult.reasonKind, 'usage-lines-pending');

        // The search attributes, as the Web UI's filter and `temporal workflow list` see them.
        const failedDesc = await client.workflow.getHandle(accountSync.workflowId).describe();
        assert.equal(failedDesc.typedSearchAttributes.get(SA.outcome), 'failed');
        assert.equal(failedDesc.typedSearchAttributes.get(SA.outcomeReason), 'InvalidSourceData');
        const invoiceDesc = await client.workflow.getHandle(invoiceSync.workflowId).describe();
        assert.equal(invoiceDesc.typedSearchAttributes.get(SA.outcome), 'created');
        assert.equal(invoiceDesc.typedSearchAttributes.get(SA.outcomeReason), 'usage-lines-pending');

        // tzs syncs list, by outcome and failure type, by reason kind; the connection by name.
        const failed = await tzsJson<{ query: string; syncs: SyncRow[] }>(
          'syncs',
          'list',
          '--connection',
          connectionName,
          '--outcome',
          'failed',
          '--reason',
          'InvalidSourceData',
        );
        assert.deepEqual(
          failed.syncs.map((s) => s.workflowId),
          [zuoraAccountToTogai.workflowId(connectionId, zuoraId)],
        );
        assert.match(failed.query, /TzsOutcomeReason="InvalidSourceData"/);
        const halfDone = await tzsJson<{ syncs: SyncRow[] }>(
          'syncs',
          'list',
          '--connection',
          connectionId,
          '--reason',
          'usage-lines-pending',
        );
        assert.deepEqual(
          halfDone.syncs.map((s) => s.workflowId),
          [togaiInvoiceToZuora.workflowId(connectionId, invoiceId)],
        );
        assert.equal(halfDone.syncs[0]?.togaiInvoiceId, invoiceId);
        const table = await tzs('syncs', 'list', '--connection', connectionId);
        assert.equal(table.code, 0, table.stderr);
        assert.match(table.stdout, new RegExp(`TI:${invoiceId}`));
        assert.match(table.stdout, /usage-lines-pending/);
        assert.match(table.stdout, /InvalidSourceData/);

        // tzs syncs show: the IDs on both sides, the usage record, the pending line and why.
        const shown = await tzsJson<SyncDetail>('syncs', 'show', invoiceSync.workflowId);
        assert.equal(shown.outcome, 'created');
        assert.equal(shown.result?.['zuoraAccountId'], invoiceResult.zuoraAccountId);
        assert.equal(shown.result?.['togaiAccountId'], account.togaiAccountId);
        assert.deepEqual(
          (shown.result?.['usage'] as { zuoraUsageId: string }[]).map((u) => u.zuoraUsageId),
          invoiceResult.usage.map((u) => u.zuoraUsageId),
        );
        assert.equal(shown.runs.length, 1);
        const failedShown = await tzsJson<SyncDetail>('syncs', 'show', accountSync.workflowId);
        assert.equal(failedShown.failure?.type, 'InvalidSourceData');
        assert.match(failedShown.failure?.message ?? '', /no bill-to contact email/);
        assert.equal(failedShown.deliveryId, 'n-1');
        const plainShow = await tzs('syncs', 'show', accountSync.workflowId);
        assert.match(plainShow.stdout, /InvalidSourceData: .*no bill-to contact email/);

        // The sweep leaves a failure only a data fix ends (it would fail again every 5 minutes).
        const left = await startSync(
          deps(),
          {
            flow: FLOW.zuoraAccountToTogai,
            input: { connectionId, zuoraAccountId: zuoraId, trigger: 'sweep' },
          },
          { leaveFailed: NEEDS_A_PERSON },
        );
        assert.equal(left.status, 'left-failed');
        assert.equal(left.failureType, 'InvalidSourceData');
        assert.equal(
          (await client.workflow.getHandle(accountSync.workflowId).describe()).runId,
          failedDesc.runId,
        );

        // A completed sync is not retried; the failed one is, once its cause is fixed.
        const notRetried = await tzsJson<{ retries: { status: string; reason?: string }[] }>(
          'syncs',
          'retry',
          invoiceSync.workflowId,
        );
        assert.equal(notRetried.retries[0]?.status, 'not-retried');
        assert.match(notRetried.retries[0]?.reason ?? '', /completed/);
        const dry = await tzsJson<{ wouldRetry: string[] }>(
          'syncs',
          'retry',
          '--connection',
          connectionId,
          '--failed',
          '--reason',
          'InvalidSourceData',
          '--dry-run',
        );
        assert.deepEqual(dry.wouldRetry, [accountSync.workflowId]);
        const zuora = new ZuoraClient({
          connectionId: 'test-side-channel',
          baseUrl: sims.zuora.url,
          clientId: sims.zuora.sim.credentials.clientId,
          clientSecret: sims.zuora.sim.credentials.clientSecret,
        });
        await zuora.updateAccount(zuoraId, { billToContact: { workEmail: 'emile@example.com' } });
        const retried = await tzsJson<{ retries: { workflowId: string; status: string; runId: string }[] }>(
          'syncs',
          'retry',
          '--connection',
          connectionId,
          '--failed',
          '--reason',
          'InvalidSourceData',
        );
        assert.deepEqual(
          retried.retries.map((r) => [r.workflowId, r.status]),
          [[accountSync.workflowId, 'started']],
        );
        const after = (await client.workflow.getHandle(accountSync.workflowId).result()) as AccountSyncResult;
        assert.equal(after.outcome, 'created');
        assert.equal(after.reasonKind, 'new');
        const none = await tzsJson<{ syncs: SyncRow[] }>(
          'syncs',
          'list',
          '--connection',
          connectionId,
          '--outcome',
          'failed',
        );
        assert.deepEqual(none.syncs, [], 'the retried sync is no longer listed as failed');
        const runs = await tzsJson<SyncDetail>('syncs', 'show', accountSync.workflowId);
        assert.deepEqual(runs.runs.map((r) => r.status).sort(), ['COMPLETED', 'FAILED']);
        assert.equal(runs.result?.['togaiAccountId'], after.togaiAccountId);
      },
    );
  });

  it('refuses what it cannot do with a message saying what to fix', async () => {
    const both = await tzs('syncs', 'retry', 'zuora-account:x:y', '--failed', '--connection', connectionId);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /not both/);
    const notASync = await tzs('syncs', 'retry', 'togai-invoice-sweep:abc');
    assert.equal(notASync.code, 1);
    assert.match(notASync.stderr, /not a sync's workflow ID/);
    const unknown = await tzs('syncs', 'show', `zuora-account:${connectionId}:nothing-here`);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no sync with workflow ID/);
    const badOutcome = await tzs('syncs', 'list', '--connection', connectionId, '--outcome', 'great');
    assert.notEqual(badOutcome.code, 0);
    assert.match(badOutcome.stderr, /Allowed choices are created, adopted/);
    assert.equal(badOutcome.stderr.includes('    at '), false, 'no stack trace');
  });
});
