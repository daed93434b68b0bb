import { FAILURE, type FailureType } from '../shared/failures.js';
import { VENDOR_CALL_FAILURES } from './common.js';
import { invoiceSweep } from './invoice-sweep.js';

/**
 * The invoice admission queue's contract (issue 12, "finish what was started"). A connection runs
 * at most `maxInFlightInvoiceSyncs` invoice syncs at once (src/connections/settings.ts); a webhook
 * that arrives past the bound is not refused and not dropped: the gateway queues it, by
 * signal-with-start, on this one workflow per connection, which starts the queued syncs in arrival
 * order as running ones finish. The sweep hands it what the bound holds back too. A queue carries
 * its entries through continue-as-new in its input (about 60 bytes each: some 30,000 fit in
 * Temporal's 2 MB payload limit). Temporal keeps the queue, so a gateway or worker restart loses
 * nothing. Workflow-safe: types and constants only.
 */

/** One queued invoice: the sync the webhook would have started. */
export interface QueuedTogaiInvoice {
  togaiInvoiceId: string;
  /** Id of the Togai event that asked for it. */
  eventId?: string;
}

export interface AdmitTogaiInvoicesInput {
  connectionId: string;
  /** Carried over by continue-as-new: invoices queued and not yet started, oldest first. */
  queued?: QueuedTogaiInvoice[];
  /** How long an empty queue stays open, in ms (default `invoiceAdmission.idleMs`, 10 minutes). */
  idleMs?: number;
  /** Carried over by continue-as-new: syncs started by the runs before. */
  admitted?: number;
}

export interface AdmitTogaiInvoicesResult {
  /** Syncs this run (and the runs it continued from) started or found started. */
  admitted: number;
}

export const invoiceAdmission = {
  workflowType: 'admitTogaiInvoices',
  /** One queue per connection: every gateway replica signals the same workflow. */
  workflowId: (connectionId: string): string => `togai-invoice-admission:${connectionId}`,
  /** The signal a gateway sends with each deferred invoice (`QueuedTogaiInvoice[]`). */
  queueSignal: 'queueTogaiInvoices',
  /** The query that answers what waits, oldest first (`QueuedTogaiInvoice[]`). */
  queuedQuery: 'queued',
  /** Invoices handed to one `startInvoiceSyncs` activity (which waits for room before each start). */
  batchSize: 25,
  /** An empty queue ends the run after this long; the next deferred webhook starts a new one. */
  idleMs: 10 * 60 * 1000,
  /** Starts per run before continue-as-new, so the history stays small in a 10,000-invoice burst. */
  startsPerRun: 2_000,
  /** Signals per run before continue-as-new (Temporal refuses more than 10,000 per run by default). */
  signalsPerRun: 5_000,
  /** The longest wait before asking again whether the connection has room, in ms. */
  maxWaitMs: 10_000,
  startActivityOptions: invoiceSweep.startActivityOptions,
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.WorkerMisconfigured,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
