import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  patched,
  TemporalFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OutcomeReasonKind, SyncOutcome } from '../flows/index.js';
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
): Promise<R> {
  try {
    const result = await body();
    if (!patched(PATCH.outcomeSearchAttributes)) return result;
    const kind = reasonKind(result);
    record(result.outcome, kind);
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
