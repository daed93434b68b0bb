import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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
        batches.push({ ids: req.invoiceIds, trigger: req.trigger });
        const counts = emptyStartCounts();
        counts.started = req.invoiceIds.length;
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

  it('an input without a connection fails at once with InvalidWorkflowInput', async () => {
    const run = await runFlow(FLOW.invoiceAdmission, { queued: [] }, stubActivities(newWorld()));
    const failure = (run.error as { cause?: { type?: string; message?: string } }).cause;
    assert.equal(failure?.type, 'InvalidWorkflowInput');
    assert.match(failure?.message ?? '', /connectionId/);
  });
});
