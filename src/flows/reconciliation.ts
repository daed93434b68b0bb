import { FAILURE, type FailureType } from '../shared/failures.js';
import { VENDOR_CALL_FAILURES, vendorActivityOptions, type BillingMode } from './common.js';

/**
 * The reconciliation's contract (issue 13): a Temporal Schedule per connection runs
 * `reconcileConnection`, which compares Zuora and Togai for a period and reports drift by kind
 * with the IDs on both sides; with `repair` on it starts the repairing syncs through the same
 * start path as the webhooks. Imported by the workflow, its activities, the schedule code, the CLI
 * and the tests. Times are ISO-8601 with an offset.
 */

/**
 * What can drift, and who repairs it:
 * - `link-broken`: a linked pair no longer linked on both sides (a Zuora account's Togai id fields
 *   and the Togai account's mapping settings disagree, or one names a missing object). Repaired by
 *   the account sync of the side that still has the link.
 * - `invoice-missing`: a generated Togai invoice without its Zuora invoice (Togai-invoices mode).
 *   Repaired by the invoice sync.
 * - `invoice-duplicated`: more than one Zuora invoice carries one Togai invoice id. Reported only.
 * - `total-mismatch`: the Zuora invoice's total differs from Togai's at the currency's precision.
 *   Reported only (money: a person decides).
 * - `usage-mismatch`: in Zuora-bills-usage mode, the usage records of an invoice differ from its
 *   usage lines (missing: repaired by the invoice sync; another quantity, or an extra record:
 *   reported only).
 * - `orphan`: a Zuora account, invoice or usage record carrying a Togai id Togai does not know.
 *   Reported only.
 */
export type DriftKind =
  'link-broken' | 'invoice-missing' | 'invoice-duplicated' | 'total-mismatch' | 'usage-mismatch' | 'orphan';

export const DRIFT_KINDS: readonly DriftKind[] = [
  'link-broken',
  'invoice-missing',
  'invoice-duplicated',
  'total-mismatch',
  'usage-mismatch',
  'orphan',
];

/** The IDs a drift item names on each side (only those that apply). */
export interface DriftIds {
  zuoraAccountId?: string;
  zuoraInvoiceId?: string;
  /** Several Zuora invoices for one Togai invoice (`invoice-duplicated`). */
  zuoraInvoiceIds?: string[];
  zuoraUsageId?: string;
  togaiAccountId?: string;
  togaiCustomerId?: string;
  togaiInvoiceId?: string;
  /** `usage-mismatch`: the usage meter of the line. */
  usageMeterId?: string;
}

/** How a repair went: which sync was started for the item, and what the start answered. */
export interface DriftRepair {
  /** `started` (a new run), `already-running`, `already-completed` (nothing new to run), or why not. */
  status: string;
  workflowId?: string;
  flow?: string;
  /** Why the item was not repaired (not repairable, or the start failed). */
  reason?: string;
}

export interface DriftItem {
  kind: DriftKind;
  ids: DriftIds;
  /** For a person: what differs, with both values (IDs and amounts, never names or emails). */
  detail: string;
  /** Whether the reconciliation may start a sync to repair it (`repairBy` names the sync). */
  repairable: boolean;
  /** The sync that repairs it: the workflow type and its input's object id. */
  repairBy?: {
    flow: 'syncZuoraAccountToTogai' | 'syncTogaiAccountToZuora' | 'syncTogaiInvoiceToZuora';
    id: string;
  };
  /** Set when `repair` was on and the item was repairable. */
  repair?: DriftRepair;
}

export interface ReconcileConnectionInput {
  connectionId: string;
  /** Period start (ISO-8601 with offset): invoices whose period ends at or after it. Default: `until` − lookback. */
  since?: string;
  /** Period end (ISO-8601 with offset). Default: the workflow's start time. */
  until?: string;
  /** Start the repairing syncs. Default: the connection's `reconciliation.repair` setting. */
  repair?: boolean;
  /** Days before `until` when `since` is absent. Default: the connection's `reconciliation.lookbackDays`. */
  lookbackDays?: number;
  /** Zuora object-query page size (1..99). Default 50. */
  zuoraPageSize?: number;
  /** Togai page size (1..50). Default 50. */
  togaiPageSize?: number;
  /** Pages per activity call: bounds one call's time and answer. Default 4. */
  pagesPerCall?: number;
  /** Items kept per kind in the report (counts stay exact). Default 200. */
  maxItemsPerKind?: number;
  /**
   * Page calls per run before continuing as new, besides whenever Temporal suggests it (the
   * default, at about 4,000 history events): a reconciliation of a large tenant never carries a
   * large history.
   */
  callsPerRun?: number;
  /** Set by the workflow itself when it continues as new; never by callers. */
  resume?: ReconcileResume;
}

/** Where a run stopped, carried across continue-as-new (bounded: items are capped per kind). */
export interface ReconcileResume {
  since: string;
  until: string;
  repair: boolean;
  startedAt: string;
  /** Index into the passes (`RECONCILE_PASSES`) and the cursor within it. */
  pass: number;
  cursor?: string;
  checked: ReconcileChecked;
  counts: Record<DriftKind, number>;
  items: DriftItem[];
  billingMode: BillingMode;
}

/** The passes of a run, in order; each pages through one listing. */
export type ReconcilePass =
  'zuora-accounts' | 'togai-accounts' | 'togai-invoices' | 'zuora-invoices' | 'zuora-usages';
export const RECONCILE_PASSES: readonly ReconcilePass[] = [
  'zuora-accounts',
  'togai-accounts',
  'togai-invoices',
  'zuora-invoices',
  'zuora-usages',
];

/** What was looked at, per listing. */
export type ReconcileChecked = Record<ReconcilePass, number>;

/** The report: the workflow's result, and what its `report` query answers while it runs. */
export interface ReconcileReport {
  connectionId: string;
  period: { since: string; until: string };
  /** When the run started and (once done) finished, ISO-8601 UTC. */
  startedAt: string;
  finishedAt?: string;
  /** `running` while the query answers mid-run. */
  state: 'running' | 'completed';
  billingMode: BillingMode;
  repair: boolean;
  checked: ReconcileChecked;
  /** Exact counts per kind (items beyond `maxItemsPerKind` are counted, not listed). */
  counts: Record<DriftKind, number>;
  /** Sum of `counts`: 0 means no drift. */
  total: number;
  items: DriftItem[];
  /** Items repaired (a sync started or found running) out of the repairable ones. */
  repaired: number;
}

/** One page run of a pass: the drift it found and where to go on. */
export interface ReconcilePage {
  items: DriftItem[];
  checked: number;
  /** Absent: the pass is done. */
  cursor?: string;
}

export interface ReconcilePageRequest {
  connectionId: string;
  pass: ReconcilePass;
  since: string;
  until: string;
  cursor?: string;
  zuoraPageSize: number;
  togaiPageSize: number;
  maxPages: number;
}

export function emptyDriftCounts(): Record<DriftKind, number> {
  return {
    'link-broken': 0,
    'invoice-missing': 0,
    'invoice-duplicated': 0,
    'total-mismatch': 0,
    'usage-mismatch': 0,
    orphan: 0,
  };
}

export function emptyChecked(): ReconcileChecked {
  return {
    'zuora-accounts': 0,
    'togai-accounts': 0,
    'togai-invoices': 0,
    'zuora-invoices': 0,
    'zuora-usages': 0,
  };
}

export const reconciliation = {
  workflowType: 'reconcileConnection',
  /** The connection's schedule; its runs get `{scheduleId}-{time}` IDs. */
  scheduleId: (connectionId: string): string => `reconciliation:${connectionId}`,
  /** A run started now (`tzs reconcile run`): its own ID, never a sync's or the schedule's. */
  manualWorkflowId: (connectionId: string, at: string): string => `reconciliation:${connectionId}:run-${at}`,
  /** The query that answers the report so far. */
  reportQuery: 'report',
  /** A page run: several vendor calls per record, heartbeating per page. */
  pageActivityOptions: vendorActivityOptions({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
  }),
  settingsActivityOptions: vendorActivityOptions(),
  /** Starting the repairs through `startSync` (Temporal calls only). */
  repairActivityOptions: vendorActivityOptions({
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '1 minute',
  }),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.WorkerMisconfigured,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;

/** The connection's reconciliation settings, as the workflow reads them at its start. */
export interface ReconcileSettings {
  billingMode: BillingMode;
  repair: boolean;
  lookbackDays: number;
}

/**
 * Adds a page's items to a report in progress: every item counted, at most `maxPerKind` listed
 * per kind (the history and the printed report stay bounded; the counts stay exact).
 */
export function addDrift(
  report: Pick<ReconcileReport, 'counts' | 'items'>,
  items: readonly DriftItem[],
  maxPerKind: number,
): void {
  for (const item of items) {
    report.counts[item.kind]++;
    const listed = report.items.filter((i) => i.kind === item.kind).length;
    if (listed < maxPerKind) report.items.push(item);
  }
}

/** Total drift of a report (0: the two systems agree on what was checked). */
export function driftTotal(counts: Readonly<Record<DriftKind, number>>): number {
  return DRIFT_KINDS.reduce((t, k) => t + counts[k], 0);
}
