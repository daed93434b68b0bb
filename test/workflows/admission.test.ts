import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  emptyStartCounts,
  FLOW,
  invoiceAdmission,
  type AdmitTogaiInvoicesInput,
  type AdmitTogaiInvoicesResult,
  type QueuedTogaiInvoice,
} from '../../src/flows/index.js';
import { timeSkippingEnv } from '../helpers/time-skipping.js';
import { runFlow } from './run.js';
import { CONNECTION, newWorld, stubActivities } from './stub-world.js';

/**
 * The invoice admission queue (src/workflows/admit-togai-invoices.ts) with a stubbed
 * `startInvoiceSyncs`: invoices are started in arrival order, in batches, each once however often
 * it is queued, and the run ends after its idle time (skipped by the test server).
 */
describe('Invoice admission queue (time-skipping server, stubbed activities)', function () {
  this.timeout(120_000);

  it('starts queued invoices oldest first in batches, ignores one queued twice, ends when idle', async () => {
    const workflowId = `${invoiceAdmission.workflowId(CONNECTION)}-${randomUUID()}`;
    const initial: QueuedTogaiInvoice[] = Array.from({ length: 30 }, (_, i) => ({
      togaiInvoiceId: `inv-${i}`,
    }));
    const batches: { ids: string[]; trigger: string | undefined }[] = [];
    const activities = stubActivities(newWorld(), {
      startInvoiceSyncs: async (req) => {
        if (batches.length === 0) {
          // While the first batch starts: one in it, one still queued, and a new one are queued again.
          const { client } = await timeSkippingEnv();
          const again: QueuedTogaiInvoice[] = [
            { togaiInvoiceId: 'inv-3' },
            { togaiInvoiceId: 'inv-29' },
            { togaiInvoiceId: 'inv-new' },
          ];
          await client.workflow.getHandle(workflowId).signal(invoiceAdmission.queueSignal, again);
        }
        const ids = (req.invoices ?? []).map((q) => q.togaiInvoiceId);
        batches.push({ ids, trigger: req.trigger });
        const counts = emptyStartCounts();
        counts.started = ids.length;
        return counts;
      },
    });
    const input: AdmitTogaiInvoicesInput = { connectionId: CONNECTION, queued: initial };
    const run = await runFlow<AdmitTogaiInvoicesResult>(FLOW.invoiceAdmission, input, activities, {
      workflowId,
    });
    assert.equal(run.error, undefined, String(run.error));
    const started = batches.flatMap((b) => b.ids);
    assert.deepEqual(
      started,
      [...initial.map((q) => q.togaiInvoiceId), 'inv-new'],
      'each once, oldest first',
    );
    assert.deepEqual(
      batches.map((b) => b.ids.length),
      [invoiceAdmission.batchSize, 30 - invoiceAdmission.batchSize + 1],
    );
    assert.ok(batches.every((b) => b.trigger === 'togai-webhook'));
    assert.deepEqual(run.result, { admitted: 31 });
  });

  it('what the bound defers waits on a timer and is retried; a failed batch stays queued; nothing is dropped', async () => {
    const initial: QueuedTogaiInvoice[] = [
      { togaiInvoiceId: 'inv-a', eventId: 'evt-a' },
      { togaiInvoiceId: 'inv-b' },
      { togaiInvoiceId: 'inv-c' },
    ];
    const calls: string[][] = [];
    const started: string[] = [];
    const activities = stubActivities(newWorld(), {
      startInvoiceSyncs: (req) => {
        const invoices = req.invoices ?? [];
        calls.push(invoices.map((q) => q.togaiInvoiceId));
        const counts = emptyStartCounts();
        // 1st: the bound is full, all come back; 2nd: the activity fails for good; 3rd: one
        // starts, two come back; 4th: the rest start.
        if (calls.length === 1) return Promise.resolve({ ...counts, deferred: invoices });
        if (calls.length === 2)
          return Promise.reject(ApplicationFailure.nonRetryable('Temporal unreachable', 'Test'));
        const [first, ...rest] = invoices;
        if (calls.length === 3 && first) {
          started.push(first.togaiInvoiceId);
          return Promise.resolve({ ...counts, started: 1, deferred: rest });
        }
        started.push(...invoices.map((q) => q.togaiInvoiceId));
        return Promise.resolve({ ...counts, started: invoices.length });
      },
    });
    const run = await runFlow<AdmitTogaiInvoicesResult>(
      FLOW.invoiceAdmission,
      { connectionId: CONNECTION, queued: initial } satisfies AdmitTogaiInvoicesInput,
      activities,
    );
    assert.equal(run.error, undefined, String(run.error));
    assert.deepEqual(calls, [
      ['inv-a', 'inv-b', 'inv-c'],
      ['inv-a', 'inv-b', 'inv-c'],
      ['inv-a', 'inv-b', 'inv-c'],
      ['inv-b', 'inv-c'],
    ]);
    assert.deepEqual(started, ['inv-a', 'inv-b', 'inv-c'], 'oldest first, each once');
    assert.deepEqual(run.result, { admitted: 3 });
    // The waits were workflow timers (skipped by the test server), not sleeping activities.
    const history = await run.handle.fetchHistory();
    const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
    assert.ok(timers >= 3, `timers: ${timers}`);
  });

  it('an input without a connection fails at once with InvalidWorkflowInput', async () => {
    const run = await runFlow(FLOW.invoiceAdmission, { queued: [] }, stubActivities(newWorld()));
    const failure = (run.error as { cause?: { type?: string; message?: string } }).cause;
    assert.equal(failure?.type, 'InvalidWorkflowInput');
    assert.match(failure?.message ?? '', /connectionId/);
  });
});
