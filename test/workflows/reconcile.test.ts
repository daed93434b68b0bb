import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type proto from '@temporalio/proto';
import {
  FLOW,
  type DriftItem,
  type ReconcileConnectionInput,
  type ReconcilePageRequest,
  type ReconcileReport,
} from '../../src/flows/index.js';
import type { RepairRequest } from '../../src/activities/index.js';
import { runFlow } from './run.js';
import { CONNECTION, newWorld, stubActivities } from './stub-world.js';

type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/**
 * What the integration suite would need thousands of records for: a reconciliation continues as
 * new every `callsPerRun` page calls, carrying its position, counts and (capped) items, and the
 * chain's last run reports the whole comparison; repairs start once, per object, at the end.
 */
describe('Reconciliation (time-skipping server, stubbed activities)', function () {
  this.timeout(120_000);

  it('continues as new, carries counts and at most maxItemsPerKind items, and repairs each object once', async () => {
    const world = newWorld();
    const calls: ReconcilePageRequest[] = [];
    const repairs: RepairRequest[] = [];
    const missing = (n: number): DriftItem => ({
      kind: 'invoice-missing',
      ids: { togaiInvoiceId: `inv.${n}` },
      detail: `inv.${n} has no Zuora invoice`,
      repairable: true,
      repairBy: { flow: 'syncTogaiInvoiceToZuora', id: `inv.${n}` },
    });
    const activities = stubActivities(world, {
      getReconcileSettings: () =>
        Promise.resolve({ billingMode: 'togai-invoices', repair: false, lookbackDays: 35 }),
      // The Togai invoice pass has 4 pages of 3 missing invoices; the other passes one empty page each.
      reconcilePage: (req) => {
        calls.push(req);
        if (req.pass !== 'togai-invoices') return Promise.resolve({ items: [], checked: 1 });
        const page = req.cursor === undefined ? 0 : Number(req.cursor);
        const items = [0, 1, 2].map((i) => missing(page * 3 + i));
        return Promise.resolve({ items, checked: 3, ...(page < 3 && { cursor: String(page + 1) }) });
      },
      startRepairs: (req) => {
        repairs.push(req);
        return Promise.resolve(
          req.syncs.map((s) => ({
            ...s,
            workflowId: `togai-invoice:${CONNECTION}:${s.id}`,
            status: 'started',
          })),
        );
      },
    });
    const input: ReconcileConnectionInput = {
      connectionId: CONNECTION,
      until: '2026-12-01T00:00:00Z',
      repair: true,
      maxItemsPerKind: 5,
      callsPerRun: 3,
    };
    const run = await runFlow<ReconcileReport>(FLOW.reconciliation, input, activities);
    assert.equal(run.error, undefined, String(run.error));
    const report = run.result;
    assert.ok(report);
    assert.deepEqual(report.period, { since: '2026-10-27T00:00:00.000Z', until: '2026-12-01T00:00:00Z' });
    assert.equal(report.counts['invoice-missing'], 12, 'every item counted');
    assert.equal(report.total, 12);
    assert.deepEqual(
      report.items.map((i) => i.ids.togaiInvoiceId),
      ['inv.0', 'inv.1', 'inv.2', 'inv.3', 'inv.4'],
      'at most maxItemsPerKind listed',
    );
    assert.equal(report.checked['togai-invoices'], 12);
    assert.deepEqual(
      calls.map((c) => `${c.pass}${c.cursor === undefined ? '' : `@${c.cursor}`}`),
      [
        'zuora-accounts',
        'togai-accounts',
        'togai-invoices',
        'togai-invoices@1',
        'togai-invoices@2',
        'togai-invoices@3',
        'zuora-invoices',
        'zuora-usages',
      ],
      'each page once, in order, across runs',
    );
    // Repairs: one call at the end, one start per listed object.
    assert.equal(repairs.length, 1);
    assert.deepEqual(
      repairs[0]?.syncs.map((s) => s.id),
      ['inv.0', 'inv.1', 'inv.2', 'inv.3', 'inv.4'],
    );
    assert.ok(report.items.every((i) => i.repair?.status === 'started'));
    assert.equal(report.repaired, 5);
    // 8 page calls at 3 per run: runs of 3, 3 and 2, chained by continue-as-new.
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

  it('a bad input fails at once with InvalidWorkflowInput naming the field', async () => {
    const world = newWorld();
    const run = await runFlow<ReconcileReport>(
      FLOW.reconciliation,
      { connectionId: CONNECTION, since: 'last week' },
      stubActivities(world),
    );
    const cause = (run.error as { cause?: { type?: string; message?: string; nonRetryable?: boolean } })
      .cause;
    assert.equal(cause?.type, 'InvalidWorkflowInput');
    assert.equal(cause?.nonRetryable, true);
    assert.match(cause?.message ?? '', /since: expected an ISO-8601 time/);
  });
});
