import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type proto from '@temporalio/proto';
import {
  FLOW,
  type StartCounts,
  type SweepTogaiInvoicesInput,
  type SweepTogaiInvoicesResult,
} from '../../src/flows/index.js';
import { emptyStartCounts } from '../../src/flows/index.js';
import { runFlow } from './run.js';
import { CONNECTION, newWorld, stubActivities } from './stub-world.js';

/**
 * The sweep's continue-as-new, which the integration suite would need thousands of invoices to
 * reach: after `batchesPerRun` batches a run continues as new, carrying its position, counts and
 * checkpoint, and the chain's last run reports the whole sweep.
 */
type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

describe('Invoice sweep (time-skipping server, stubbed activities)', function () {
  this.timeout(120_000);

  it('continues as new every `batchesPerRun` batches and carries position, counts and checkpoint across runs', async () => {
    const world = newWorld();
    // DUE: 7 pages of 2 invoices, then MERGED: 1 page of 1.
    const pages: Record<string, string[][]> = {
      DUE: Array.from({ length: 7 }, (_, p) => [`due-${p}-a`, `due-${p}-b`]),
      MERGED: [['merged-0']],
    };
    const started: string[] = [];
    const activities = stubActivities(world, {
      togaiListInvoicePages: (req) => {
        const list = pages[req.status] ?? [];
        const index = req.nextToken === undefined ? 0 : Number(req.nextToken);
        const next = index + 1 < list.length ? String(index + 1) : undefined;
        return Promise.resolve({
          invoiceIds: list[index] ?? [],
          ...(next !== undefined && { nextToken: next }),
        });
      },
      startInvoiceSyncs: (req) => {
        started.push(...req.invoiceIds);
        const counts: StartCounts = emptyStartCounts();
        counts.started = req.invoiceIds.length;
        return Promise.resolve(counts);
      },
    });
    const input: SweepTogaiInvoicesInput = {
      connectionId: CONNECTION,
      since: '2026-11-01T00:00:00Z',
      pagesPerBatch: 1,
      batchesPerRun: 3,
    };
    const run = await runFlow<SweepTogaiInvoicesResult>(FLOW.invoiceSweep, input, activities);
    assert.equal(run.error, undefined, String(run.error));
    const result = run.result;
    assert.ok(result);
    assert.equal(result.listed, 15);
    assert.equal(result.counts.started, 15);
    assert.equal(result.since, Date.parse('2026-11-01T00:00:00Z'));
    assert.deepEqual(started, [...pages['DUE']!.flat(), 'merged-0'], 'every invoice once, in order');
    // 8 batches at 3 per run: runs of 3, 3 and 2 batches, chained by continue-as-new (the test
    // server lists no workflows, so the chain is followed through each run's last event).
    const statuses: string[] = [];
    let runId: string | undefined = run.handle.firstExecutionRunId;
    while (runId) {
      const handle: WorkflowHandle = run.env.client.workflow.getHandle(run.handle.workflowId, runId);
      statuses.push((await handle.describe()).status.name);
      const last: IHistoryEvent | undefined = (await handle.fetchHistory()).events?.at(-1);
      runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    assert.deepEqual(statuses, ['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'COMPLETED']);
  });
});
