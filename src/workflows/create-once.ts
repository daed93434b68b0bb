import { ActivityFailure, ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import type { KeyGeneration } from '../shared/idempotency.js';
import { FAILURE } from '../shared/failures.js';
import { PATCH } from './patches.js';

/** The refusal of a create: Zuora's business answer, which a retry with the same key only replays. */
export function isCreateRefusal(err: unknown): err is ActivityFailure {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure && cause.type === FAILURE.ZuoraBusinessError;
}

/**
 * Creates a Zuora object once, never blocked by a stored failure. Zuora replays the first answer
 * to an Idempotency-Key for 24 h, failures included (../shared/contracts/README.md), so a refusal
 * that came from an attempt cut short (the worker died mid-request, a proxy answered for Zuora)
 * would block the object for a day under the same key. After a refusal: look up whether the
 * object exists after all (then it is adopted), else try once more under a key generation of this
 * run. A second refusal is Zuora's real answer and is thrown. `create(generation)` must derive its key
 * from the generation; the generation is decided here, in workflow code, so replays send the same
 * keys. Throws what the second attempt throws.
 */
export async function createOnce<T>(opts: {
  create: (generation: KeyGeneration) => Promise<T>;
  lookUp: () => Promise<T | undefined>;
  /**
   * A repair run (trigger `reconcile`): the object was made once and has since gone (deleted in
   * Zuora), and the caller's look-up just found it absent. The first attempt then uses this run's
   * key generation, since Zuora would answer the usual key for 24 h with the deleted object's id
   * and create nothing. Only new runs carry that trigger, so recorded histories replay unchanged.
   */
  fresh?: boolean;
}): Promise<T> {
  try {
    return await opts.create(opts.fresh ? runKeyGeneration() : 0);
  } catch (err) {
    if (!isCreateRefusal(err) || !patched(PATCH.freshKeyAfterRefusal)) throw err;
    const found = await opts.lookUp();
    if (found !== undefined) return found;
    // The run's own generation: a later run (after the cause was fixed) gets a key of its own too,
    // never this run's stored refusal. Runs from before that patch used generation 1.
    const generation = patched(PATCH.freshKeyPerRun) ? runKeyGeneration() : 1;
    return opts.create(generation);
  }
}

/** This run's own key generation: `r` + 12 hex digits of its run id (replays get the same). */
function runKeyGeneration(): KeyGeneration {
  return `r${workflowInfo().runId.replace(/-/g, '').slice(0, 12)}`;
}
