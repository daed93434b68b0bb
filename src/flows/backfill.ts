import { FAILURE, type FailureType } from '../shared/failures.js';
import { VENDOR_CALL_FAILURES, vendorActivityOptions } from './common.js';

/**
 * The backfill's contract (issue 13): one workflow type, `backfill`, syncs what existed before a
 * connection did, by `kind`:
 *
 * - `zuora-accounts`: every Zuora account → flow 1 (`syncZuoraAccountToTogai`) per account;
 * - `togai-accounts`: every Togai account → flow 2 (`syncTogaiAccountToZuora`) per account;
 * - `togai-invoices`: Togai's generated invoices (DUE, MERGED) whose billing period ends in
 *   `[since, until)` → the invoice sync (flows 3–5 as the connection's flows say) per invoice.
 *
 * It pages through the source with a checkpoint (the page cursor, in its state), starts each
 * record's sync through `startSync` (trigger `backfill`, the webhooks' deterministic IDs: a record
 * a webhook syncs meanwhile is synced once), keeps `concurrency` records in flight, waits for each
 * one's result, and continues as new before its history grows large. Pause, resume and cancel are
 * updates; `progress` is a query. A dry run writes nothing and says per record what a real run
 * would create or link, with the payload.
 *
 * Workflow ID: `backfill:{kind}:{connectionId}`, started with the conflict policy FAIL: while one
 * backfill of a kind runs for a connection, a second start of it is refused (the CLI attaches to
 * the running one instead). After it closed, a new one may start.
 */

export const BACKFILL_KINDS = ['zuora-accounts', 'togai-accounts', 'togai-invoices'] as const;
export type BackfillKind = (typeof BACKFILL_KINDS)[number];

export interface BackfillInput {
  connectionId: string;
  kind: BackfillKind;
  /** `togai-invoices` only, required there: ISO-8601 with offset; invoices whose period ends at or after it. */
  since?: string;
  /** `togai-invoices` only: ISO-8601 with offset; invoices whose period ends before it. Default: no bound. */
  until?: string;
  /** Compute and report what would be created or linked; write nothing. Default false. */
  dryRun?: boolean;
  /** Records in flight at once (1..100). Default 10. */
  concurrency?: number;
  /** Records per listing page (1..50). Default 50. */
  pageSize?: number;
  /** Pages per run before continuing as new, besides whenever Temporal suggests it. Default: only then. */
  pagesPerRun?: number;
  /** Set by the workflow itself when it continues as new; never by callers. */
  resume?: BackfillState;
}

/** One record's outcome (or dry-run plan) as progress lists it; reasons never carry customer data. */
export interface BackfillRecord {
  /** The source record's id (Zuora account id, Togai account id, Togai invoice id). */
  id: string;
  reason: string;
  /** Failed records: the sync's workflow ID (others follow from the id: `zuora-account:{conn}:{id}`, …). */
  workflowId?: string;
}

/** A count and the last `BACKFILL_LIST_LIMIT` records of one outcome. */
export interface BackfillBucket {
  count: number;
  records: BackfillRecord[];
}

/** What a dry run says one record's sync would do. `payload`: the create body (customer data). */
export interface BackfillPlan {
  id: string;
  action: 'create' | 'link' | 'skip';
  /** What would be created or linked: `togai-customer:…`, `zuora-account:…`, `zuora-invoice:…`. */
  target: string;
  reason: string;
  payload?: unknown;
}

export type BackfillPhase = 'listing' | 'syncing' | 'paused' | 'cancelling' | 'done' | 'cancelled';

/** The `progress` query's answer, and the workflow's result. */
export interface BackfillProgress {
  connectionId: string;
  kind: BackfillKind;
  dryRun: boolean;
  phase: BackfillPhase;
  paused: boolean;
  /** Records listed so far. */
  seen: number;
  /** The sync created the other side (outcome `created`). */
  synced: BackfillBucket;
  /** The other side existed and was linked (outcome `adopted`). */
  adopted: BackfillBucket;
  /** Nothing to do: loop guard, flow off, empty or composite invoice, billed already. */
  skipped: BackfillBucket;
  /** The sync failed: its failure type and message. */
  failed: BackfillBucket;
  /** Records being synced now, and listed but not yet started. */
  inFlight: number;
  queued: number;
  /** Records whose sync a webhook or sweep had started (the backfill waited for that run). */
  joined: number;
  /** Times an invoice sync waited for the connection's bound of syncs in flight. */
  deferrals: number;
  /** Records listed but never awaited because the backfill was cancelled (their syncs go on). */
  abandoned: string[];
  /** Dry run: counts per action and the plans (the last `BACKFILL_PLAN_LIMIT`). */
  plans?: { create: number; link: number; skip: number; records: BackfillPlan[] };
  /** This run's number in the chain (1 = the first; continue-as-new adds one). */
  run: number;
  /** ISO-8601: when the backfill's first run began. */
  startedAt: string;
  /** Listing warnings (a page cursor handed back twice). */
  warnings: string[];
}

/** What travels from run to run. */
export interface BackfillState {
  progress: BackfillProgress;
  /** The listing's cursor (page token); absent before the first page and after the last. */
  cursor?: string;
  /** `togai-invoices`: the index in SWEPT_STATUSES being listed. */
  part: number;
  listingDone: boolean;
  /** Listed, not yet finished (in flight in the previous run ones first). */
  queue: string[];
}

/** One listed page of record ids. */
export interface BackfillPage {
  ids: string[];
  cursor?: string;
  part: number;
  done: boolean;
  warning?: string;
}

/** The per-record result the workflow receives from `backfillSyncRecord`. */
export interface BackfillRecordResult {
  id: string;
  workflowId: string;
  /** `deferred`: not started (connection's bound); the workflow retries it later. */
  status:
    'started' | 'already-running' | 'already-completed' | 'duplicate-delivery' | 'deferred' | 'left-failed';
  outcome?: 'synced' | 'adopted' | 'skipped' | 'failed';
  reason?: string;
}

/** Records kept per bucket (the counts stay exact). */
export const BACKFILL_LIST_LIMIT = 1000;
/** Dry-run plans kept (each carries a payload, about 1 kB): bounded for the 2 MB payload limit. */
export const BACKFILL_PLAN_LIMIT = 300;

export const backfill = {
  workflowType: 'backfill',
  /** One backfill of a kind per connection at a time. */
  workflowId: (kind: BackfillKind, connectionId: string): string => `backfill:${kind}:${connectionId}`,
  progressQuery: 'progress',
  pauseUpdate: 'pause',
  resumeUpdate: 'resume',
  cancelUpdate: 'cancel',
  /** Listing and dry-run look-ups: a few vendor calls each. */
  listActivityOptions: vendorActivityOptions({ startToCloseTimeout: '2 minutes' }),
  /**
   * Starting one record's sync and waiting for its result (Temporal calls only, heartbeating):
   * an invoice sync may wait up to 35 minutes for its account's link.
   */
  syncActivityOptions: vendorActivityOptions({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    scheduleToCloseTimeout: '6 hours',
  }),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.WorkerMisconfigured,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
