import type { AccountSyncResult } from './common.js';
import type { InvoiceSyncResult } from './togai-invoice-to-zuora.js';

/**
 * How a sync ended, as the `TzsOutcome` search attribute records it (issue 13): the Web UI's filter,
 * `temporal workflow list --query` and `tzs syncs list` find every skipped or half-done sync by it.
 * Workflow-safe: types and pure functions only.
 */

/**
 * `created` / `adopted` / `skipped` / `empty` / `already-billed`: the run completed (its result
 * says what it did); `failed`: it ended with a failure (its type in `TzsOutcomeReason`);
 * `cancelled`: someone cancelled it.
 */
export type SyncOutcome =
  AccountSyncResult['outcome'] | InvoiceSyncResult['outcome'] | 'failed' | 'cancelled';

export const SYNC_OUTCOMES: readonly SyncOutcome[] = [
  'created',
  'adopted',
  'skipped',
  'empty',
  'already-billed',
  'failed',
  'cancelled',
];

/**
 * Why a completed sync ended as it did, as a kind an operator can filter on (`TzsOutcomeReason`);
 * the full sentence is the result's `reason`.
 *
 * - `new`: the other side was made by this run. `linked`: the source already named its
 *   counterpart. `found`: the counterpart existed (an earlier run, a person) and was adopted.
 * - `flow-off`: the connection's flow is switched off. `loop-guard`: flow 2 met an account flow 1
 *   made. `composite-invoice`: an invoice group's invoice (its members are synced).
 * - `billed-other-mode`: Zuora bills this invoice the other way already.
 * - `nothing-to-bill`: no charge lines and a zero total, or no usage lines.
 * - `usage-lines-pending`: some usage lines wait for a mapping or subscription (a later run syncs
 *   them); `usage-lines-skipped`: some usage lines can never be synced as they are. Both mark a
 *   half-done invoice, whatever else the run made.
 */
export type OutcomeReasonKind =
  | 'new'
  | 'linked'
  | 'found'
  | 'flow-off'
  | 'loop-guard'
  | 'composite-invoice'
  | 'billed-other-mode'
  | 'nothing-to-bill'
  | 'usage-lines-pending'
  | 'usage-lines-skipped';

export const OUTCOME_REASON_KINDS: readonly OutcomeReasonKind[] = [
  'new',
  'linked',
  'found',
  'flow-off',
  'loop-guard',
  'composite-invoice',
  'billed-other-mode',
  'nothing-to-bill',
  'usage-lines-pending',
  'usage-lines-skipped',
];

/**
 * The reason kind of an invoice sync's result: skipped usage lines win (a half-done invoice is
 * what an operator looks for), then the kind the run set, then one read from the outcome.
 */
export function invoiceReasonKind(result: InvoiceSyncResult): OutcomeReasonKind {
  if (result.skipped.some((s) => s.pending)) return 'usage-lines-pending';
  if (result.skipped.length > 0) return 'usage-lines-skipped';
  if (result.reasonKind) return result.reasonKind;
  switch (result.outcome) {
    case 'created':
      return 'new';
    case 'adopted':
      return 'found';
    case 'empty':
      return 'nothing-to-bill';
    case 'already-billed':
      return 'billed-other-mode';
    case 'skipped':
      return result.billingMode === 'none' ? 'flow-off' : 'composite-invoice';
  }
}

/** The reason kind of an account sync's result (flows 1 and 2 set it; `found` otherwise). */
export function accountReasonKind(result: AccountSyncResult): OutcomeReasonKind {
  return result.reasonKind ?? (result.outcome === 'created' ? 'new' : 'found');
}
