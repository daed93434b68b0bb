import { FAILURE, type FailureType } from '../shared/failures.js';
import { VENDOR_CALL_FAILURES, vendorActivityOptions, type StartCounts } from './common.js';

/**
 * The invoice sweep's contract: a Temporal Schedule per connection runs `sweepTogaiInvoices`,
 * which lists Togai's generated invoices since a checkpoint and starts the invoice sync of each
 * (docs/architecture.md, "Sweep"). Imported by the workflow, its activities, the schedule code
 * and the tests. Times are epoch milliseconds (UTC).
 */

/** The statuses a generated invoice can be listed under: DUE once finalized, MERGED once merged. */
export type SweptInvoiceStatus = 'DUE' | 'MERGED';
export const SWEPT_STATUSES: readonly SweptInvoiceStatus[] = ['DUE', 'MERGED'];

export interface SweepTogaiInvoicesInput {
  connectionId: string;
  /** Backfill: list from here (epoch ms or ISO-8601) instead of from the last checkpoint. */
  since?: number | string;
  /** How far before the checkpoint to look again. Default 1 hour. */
  overlapMs?: number;
  /** First run without a checkpoint or `since`: how far back to look. Default 24 hours. */
  initialLookbackMs?: number;
  /** Invoices per Togai page (1..50). Default 50. */
  pageSize?: number;
  /** Pages per listing activity, i.e. the batch of starts. Default 4. */
  pagesPerBatch?: number;
  /** Starts in flight at once within a batch. Default 10. */
  concurrency?: number;
  /**
   * Batches per run before continuing as new, besides whenever Temporal suggests it (the default,
   * at about 4,000 history events): a long backfill never carries a large history.
   */
  batchesPerRun?: number;
  /**
   * Invoices whose usage lines have been pending for less than this (default 7 days) are rerun by
   * the sweeps, oldest first, each after a back-off; older ones are given up (counted as
   * `pendingReruns.expired`) and left to an operator (a new run of that invoice's sync).
   */
  pendingLookbackMs?: number;
  /** The first rerun waits this long after the previous run closed, doubling per rerun, at most a day. Default 5 minutes. */
  pendingBackoffMs?: number;
  /** At most this many such reruns per sweep (default 100). */
  pendingRerunLimit?: number;
  /** Set by the workflow itself when it continues as new; never by callers. */
  resume?: SweepResume;
}

export interface SweepResume {
  statusIndex: number;
  nextToken?: string;
  /** Digests of the page tokens the current status's listing was handed: a repeat is a loop. */
  seenTokens?: string[];
  warnings?: string[];
  since: number;
  checkpoint: number;
  listed: number;
  counts: StartCounts;
  /** Invoices handed to the admission queue so far. */
  queued?: number;
  /** Invoices not rerun: their latest sync failed with a type only a data fix ends. */
  leftFailed?: number;
}

export interface SweepTogaiInvoicesResult {
  connectionId: string;
  /** Epoch ms: the next scheduled sweep lists from `checkpoint - overlapMs`. */
  checkpoint: number;
  /** Epoch ms: what this sweep listed from. */
  since: number;
  listed: number;
  counts: StartCounts;
  /** Invoices over the connection's bound of syncs in flight, handed to its admission queue. */
  queued?: number;
  /**
   * Invoices whose latest sync failed with a type only a data fix ends (`NEEDS_A_PERSON`): not
   * rerun by the sweep (`tzs syncs list --outcome failed` lists them; `tzs syncs retry` after the fix).
   */
  leftFailed?: number;
  /** What rerunning the syncs with pending usage lines answered. */
  pendingReruns?: PendingRerunCounts;
  /** Why nothing was listed: the connection's invoice and usage flows are off. */
  disabled?: string;
  /** What went wrong without failing the sweep, e.g. a listing whose page tokens looped. */
  warnings?: string[];
}

/** What the pending reruns of one sweep did: starts, and the invoices left for later or given up. */
export type PendingRerunCounts = StartCounts & {
  /** Pending since before the window: no longer rerun (an operator's turn). Absent in runs of older sweeps. */
  expired?: number;
  /** Not yet due (backing off) or over this sweep's limit: a later sweep reruns them. */
  deferred?: number;
};

export const invoiceSweep = {
  workflowType: 'sweepTogaiInvoices',
  /** The connection's schedule; its runs get `{scheduleId}-{time}` IDs, never a sync's. */
  scheduleId: (connectionId: string): string => `togai-invoice-sweep:${connectionId}`,
  /** Listing: a bounded run of Togai pages, heartbeating per page. */
  listActivityOptions: vendorActivityOptions({
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '30 seconds',
  }),
  /** Starting a batch of syncs through `startSync` (Temporal calls only), heartbeating per start. */
  startActivityOptions: vendorActivityOptions({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '1 minute',
  }),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.WorkerMisconfigured,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
