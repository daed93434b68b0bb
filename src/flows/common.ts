import type { ActivityOptions } from '@temporalio/common';
import { FAILURE, NEVER_RETRIED, type FailureType } from '../shared/failures.js';
import type { Unmapped } from '../mapping/address.js';
import type { FittedField } from '../mapping/fit.js';
import type { OutcomeReasonKind } from './outcome.js';

/**
 * What every flow contract shares: what started a sync, how a start ended, and the shape of a
 * vendor-calling activity's options. Workflow-safe: types and constants only.
 */

/**
 * Which of the five flows run for a connection (its `flows` setting, src/connections/settings.ts).
 * Flows 3 and 4/5 are two ways of billing and never run together.
 */
export interface Flows {
  /** Flow 1: a Zuora account (Zuora callout) becomes a Togai customer and account. */
  zuoraAccountToTogai: boolean;
  /** Flow 2: a Togai account (Togai account.created) becomes a Zuora account. */
  togaiAccountToZuora: boolean;
  /** Flow 3: a generated Togai invoice becomes one standalone Zuora invoice (Togai bills). */
  invoices: boolean;
  /** Flow 4: the invoice's usage lines become Zuora usage records by quantity (Zuora bills). */
  usageQuantity: boolean;
  /** Flow 5: the invoice's usage lines become Zuora usage records by revenue, unit price 1 (Zuora bills). */
  usageRevenue: boolean;
}

/** What v0.1 did, before flows could be chosen: everything. Runs replaying old histories read it. */
export const ALL_FLOWS_ON: Flows = {
  zuoraAccountToTogai: true,
  togaiAccountToZuora: true,
  invoices: true,
  usageQuantity: true,
  usageRevenue: true,
};

/** Who bills the customer for what Togai rated. */
export type BillingMode = 'togai-invoices' | 'zuora-bills-usage' | 'none';

export function billingMode(flows: Flows): BillingMode {
  if (flows.invoices) return 'togai-invoices';
  return flows.usageQuantity || flows.usageRevenue ? 'zuora-bills-usage' : 'none';
}

/** What started a sync: shown in the workflow's input in the Web UI. */
export type SyncTrigger =
  'zuora-callout' | 'togai-webhook' | 'sweep' | 'backfill' | 'reconcile' | 'manual' | 'child';

/**
 * How `startSync` (gateway, sweep, backfills, `tzs syncs retry`) ended for one object: a new run,
 * a run already open, or a run that already completed. `duplicate-delivery` (a redelivery after
 * a failed run) was answered before issue 13; it stays in the type so older sweep results read.
 */
export type StartSyncStatus = 'started' | 'already-running' | 'already-completed' | 'duplicate-delivery';

/**
 * What an account sync (flow 1 or 2) did, and why: created the other side, adopted an existing
 * link, or skipped (flow 2's loop guard: the Togai account came from Zuora).
 */
export interface AccountSyncResult {
  outcome: 'created' | 'adopted' | 'skipped';
  reason: string;
  /** The reason as a kind (src/flows/outcome.ts), also in `TzsOutcomeReason`; absent in results of runs before issue 13. */
  reasonKind?: OutcomeReasonKind;
  zuoraAccountId?: string;
  zuoraAccountNumber?: string;
  togaiCustomerId?: string;
  togaiAccountId?: string;
  /** Texts this run cut to the target's limits (field, lengths; never the text). */
  fitted?: FittedField[];
  /** Values this run left out because the target would refuse them (field and why; never the value). */
  unmapped?: Unmapped[];
}

/**
 * What any flow that calls both vendors through activities can end with, besides its own rules:
 * a vendor's refusal, an answer off contract, refused credentials, a connection that is gone.
 */
export const VENDOR_CALL_FAILURES: readonly FailureType[] = [
  FAILURE.ZuoraNotFound,
  FAILURE.ZuoraBusinessError,
  FAILURE.ZuoraInvalidResponse,
  FAILURE.TogaiNotFound,
  FAILURE.TogaiBusinessError,
  FAILURE.TogaiInvalidResponse,
  FAILURE.AuthFailed,
  FAILURE.UnknownConnection,
];

/** Starts per status, as a sweep batch reports them. */
export type StartCounts = Record<StartSyncStatus, number>;

export function emptyStartCounts(): StartCounts {
  return { started: 0, 'already-running': 0, 'already-completed': 0, 'duplicate-delivery': 0 };
}

/**
 * Options of an activity that makes one vendor call. Vendor failures say themselves whether they
 * are retryable (and when: `nextRetryDelay` from Retry-After); `NEVER_RETRIED` types (plus any
 * given) are never retried, because only a person can fix them. The schedule-to-close bound turns
 * an outage longer than that into a failed workflow an operator can retry from the Web UI, instead
 * of a sync stuck for days.
 */
export function vendorActivityOptions(
  overrides: Partial<Omit<ActivityOptions, 'retry'>> = {},
  extraNonRetryable: readonly FailureType[] = [],
): ActivityOptions {
  return {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '30 minutes',
    ...overrides,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: [...NEVER_RETRIED, ...extraNonRetryable],
    },
  };
}
