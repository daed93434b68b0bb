import { continueAsNew, metricMeter, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SweepActivities } from '../activities/sweep.js';
import {
  emptyStartCounts,
  invoiceSweep,
  SWEPT_STATUSES,
  type PendingRerunCounts,
  type StartCounts,
  type SweepResume,
  type SweepTogaiInvoicesInput,
  type SweepTogaiInvoicesResult,
} from '../flows/index.js';
import { PATCH } from './patches.js';
import { checkInput } from './input.js';

/**
 * The invoice sweep (issue 6): webhooks can be missed, so a Temporal Schedule per connection runs
 * this workflow to list Togai's generated invoices since a checkpoint and start the invoice sync
 * of each through `startSync`, under the same workflow ID a webhook would use (one run per
 * invoice; completed runs are not run again).
 *
 * The checkpoint travels from run to run as the workflow's result: a scheduled run reads the last
 * successful run's result (`workflowInfo().lastResult`), so no store of our own is needed and a
 * failed sweep leaves the checkpoint where it was (the next one covers its window). Each run lists
 * from `checkpoint - overlapMs`, so invoices whose period ended while the previous sweep was
 * listing, or that Togai generated a little after their period end, are listed again (a second
 * start of an already-synced invoice is a cheap no-op). The checkpoint never goes backwards.
 *
 * Backfill: start this workflow by hand with an explicit `since` (docs/architecture.md).
 */

const HOUR_MS = 60 * 60 * 1000;

const list = proxyActivities<SweepActivities>(invoiceSweep.listActivityOptions);
const start = proxyActivities<SweepActivities>(invoiceSweep.startActivityOptions);

function toEpochMs(value: number | string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new TypeError(`since: expected epoch ms or an ISO-8601 time, got ${String(value)}`);
  return ms;
}

/** The checkpoint of the last successful scheduled run, when there is one. */
function previousCheckpoint(): number | undefined {
  const last = workflowInfo().lastResult as Partial<SweepTogaiInvoicesResult> | undefined;
  return typeof last?.checkpoint === 'number' && Number.isFinite(last.checkpoint)
    ? last.checkpoint
    : undefined;
}

export async function sweepTogaiInvoices(input: SweepTogaiInvoicesInput): Promise<SweepTogaiInvoicesResult> {
  checkInput('sweepTogaiInvoices', input);
  const { connectionId } = input;
  const pageSize = input.pageSize ?? 50;
  const pagesPerBatch = input.pagesPerBatch ?? 4;
  const concurrency = input.concurrency ?? 10;

  let state: SweepResume;
  if (input.resume) {
    state = input.resume;
  } else {
    // Workflow time is the time of this workflow task: deterministic on replay.
    const now = Date.now();
    const previous = previousCheckpoint();
    const from =
      input.since !== undefined
        ? toEpochMs(input.since)
        : previous !== undefined
          ? previous - (input.overlapMs ?? HOUR_MS)
          : now - (input.initialLookbackMs ?? 24 * HOUR_MS);
    state = {
      statusIndex: 0,
      since: from,
      // Invoices ending after `now` are listed by the next sweep; a backfill of an old window
      // never moves a newer checkpoint back.
      checkpoint: Math.max(previous ?? now, now),
      listed: 0,
      counts: emptyStartCounts(),
    };
  }

  let batches = 0;
  let disabled: string | undefined;
  while (state.statusIndex < SWEPT_STATUSES.length) {
    const status = SWEPT_STATUSES[state.statusIndex];
    if (status === undefined) break;
    const page = await list.togaiListInvoicePages({
      connectionId,
      status,
      since: state.since,
      pageSize,
      maxPages: pagesPerBatch,
      ...(state.nextToken !== undefined && { nextToken: state.nextToken }),
      ...(state.seenTokens !== undefined && { seenTokens: state.seenTokens }),
    });
    if (page.disabled !== undefined) {
      disabled = page.disabled;
      break;
    }
    state.listed += page.invoiceIds.length;
    if (page.invoiceIds.length > 0) {
      const started = await start.startInvoiceSyncs({
        connectionId,
        invoiceIds: page.invoiceIds,
        concurrency,
      });
      // Known keys only: newer activities also say what the connection's bound sent to its queue.
      for (const key of Object.keys(state.counts) as (keyof StartCounts)[])
        state.counts[key] += started[key] ?? 0;
      if (started.queued) state.queued = (state.queued ?? 0) + started.queued;
      if (started.leftFailed) state.leftFailed = (state.leftFailed ?? 0) + started.leftFailed;
    }
    if (page.loop !== undefined) state.warnings = [...(state.warnings ?? []), page.loop];
    if (page.nextToken !== undefined && page.loop === undefined) {
      state.nextToken = page.nextToken;
      if (page.seenTokens !== undefined) state.seenTokens = page.seenTokens;
    } else {
      delete state.nextToken;
      delete state.seenTokens;
      state.statusIndex++;
    }
    batches++;
    // Very many invoices: keep the history small; the state (checkpoint included) goes along.
    const historyFull =
      workflowInfo().continueAsNewSuggested ||
      (input.batchesPerRun !== undefined && batches >= input.batchesPerRun);
    if (state.statusIndex < SWEPT_STATUSES.length && historyFull) {
      await continueAsNew<typeof sweepTogaiInvoices>({ ...input, resume: state });
    }
  }

  // Syncs that completed with usage lines waiting for a mapping run again, so those lines sync
  // once their mapping exists (runs from before this step replay without it).
  let pendingReruns: PendingRerunCounts | undefined;
  if (disabled === undefined && patched(PATCH.sweepRerunsPendingUsage)) {
    pendingReruns = await start.restartPendingInvoiceSyncs({
      connectionId,
      closedAfter: Date.now() - (input.pendingLookbackMs ?? 7 * 24 * HOUR_MS),
      limit: input.pendingRerunLimit ?? 100,
      ...(input.pendingBackoffMs !== undefined && { backoffMs: input.pendingBackoffMs }),
    });
  }

  // The worker's /metrics: a sweep that stops completing is what the "sweep not running" alert watches.
  metricMeter.createCounter('tzs_sweeps', 'runs', 'Completed invoice sweeps').add(1, {
    disabled: String(disabled !== undefined),
  });
  metricMeter
    .createCounter('tzs_sweep_invoices_listed', 'invoices', 'Generated Togai invoices the sweeps listed')
    .add(state.listed);
  return {
    connectionId,
    // With every billing flow off nothing was listed: the window stays open for when one is on.
    checkpoint: disabled === undefined ? state.checkpoint : (previousCheckpoint() ?? state.since),
    since: state.since,
    listed: state.listed,
    counts: state.counts,
    ...(pendingReruns && { pendingReruns }),
    ...(state.queued !== undefined && { queued: state.queued }),
    ...(state.leftFailed !== undefined && { leftFailed: state.leftFailed }),
    ...(disabled !== undefined && { disabled }),
    ...(state.warnings !== undefined && { warnings: state.warnings }),
  };
}
