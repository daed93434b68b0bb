import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  log,
  metricMeter,
  patched,
  TemporalFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InvoiceSyncResult, OutcomeReasonKind, SyncOutcome } from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';
import { PATCH } from './patches.js';

/**
 * Runs a sync workflow's body and records how it ended in `TzsOutcome` and `TzsOutcomeReason`
 * (src/flows/outcome.ts), so `temporal workflow list --query 'TzsOutcome="skipped"'` and the Web
 * UI's filter find every skipped, half-done or failed sync. A failure is recorded with its type
 * (src/shared/failures.ts) and thrown on unchanged; a workflow-task error (a bug, not a
 * `TemporalFailure`) records nothing, since its task is retried and its commands dropped.
 * Runs begun before the patch replay without the upsert.
 */
export async function recordingOutcome<R extends { outcome: SyncOutcome; reasonKind?: OutcomeReasonKind }>(
  body: () => Promise<R>,
  reasonKind: (result: R) => OutcomeReasonKind,
  /** More counters read from a completed run's result (the invoice flow's skipped lines and rounding). */
  countMore?: (result: R) => void,
): Promise<R> {
  try {
    const result = await body();
    if (!patched(PATCH.outcomeSearchAttributes)) return result;
    const kind = reasonKind(result);
    record(result.outcome, kind);
    countMore?.(result);
    // What the sync did, in the worker's log (with its workflowId and connectionId; not on replay).
    log.info(`sync ${result.outcome} (${kind})${'reason' in result ? `: ${String(result.reason)}` : ''}`, {
      outcome: result.outcome,
      reason: kind,
    });
    return { ...result, reasonKind: kind };
  } catch (err) {
    if (err instanceof TemporalFailure && patched(PATCH.outcomeSearchAttributes)) {
      if (isCancellation(err)) record('cancelled', 'Cancelled');
      else record('failed', failureType(err));
    }
    throw err;
  }
}

function record(outcome: SyncOutcome, reason: string): void {
  upsertSearchAttributes([
    { key: SA.outcome, value: outcome },
    { key: SA.outcomeReason, value: reason },
  ]);
  // The worker's /metrics (Prometheus: tzs_syncs_total); the SDK drops it on replay, so a run
  // counts once however often its history is replayed.
  metricMeter
    .createCounter(
      'tzs_syncs',
      'syncs',
      'Sync workflows by flow, how they ended and why (reason kind or failure type)',
    )
    .add(1, { flow: workflowInfo().workflowType, outcome, reason });
}

/** The failure type an operator filters on: the innermost application failure's, as the Web UI shows it. */
export function failureType(err: TemporalFailure): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) {
    current = current.cause;
  }
  if (current instanceof ApplicationFailure) return current.type ?? 'Error';
  if (current instanceof TemporalFailure) return current.name;
  return 'Error';
}

const ZERO = /^[+-]?0*(\.0*)?$/;

/**
 * The invoice flow's counters on the worker's /metrics: usage lines left unsynced by kind
 * (`tzs_usage_lines_skipped_total`), and invoice lines whose amount rounding to the currency moved
 * (`tzs_rounding_adjusted_lines_total`) with the invoices whose total moved
 * (`tzs_rounded_invoices_total`), by currency (ISO 4217 code).
 */
export function countInvoiceResult(result: InvoiceSyncResult): void {
  if (result.skipped.length > 0) {
    const skipped = metricMeter.createCounter(
      'tzs_usage_lines_skipped',
      'lines',
      'Usage lines not synced, by kind',
    );
    for (const line of result.skipped) skipped.add(1, { kind: line.kind, pending: String(line.pending) });
  }
  const rounding = result.rounding;
  if (rounding && rounding.lines.length > 0) {
    metricMeter
      .createCounter(
        'tzs_rounding_adjusted_lines',
        'lines',
        "Invoice lines sent to Zuora at another amount than Togai's (currency precision)",
      )
      .add(rounding.lines.length, { currency: rounding.currency });
  }
  if (rounding && !ZERO.test(rounding.difference)) {
    metricMeter
      .createCounter(
        'tzs_rounded_invoices',
        'invoices',
        "Invoices whose Zuora total differs from Togai's exact total by rounding",
      )
      .add(1, { currency: rounding.currency });
  }
}
