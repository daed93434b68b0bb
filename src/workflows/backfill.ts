import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BackfillActivities } from '../activities/index.js';
import {
  backfill as contract,
  BACKFILL_LIST_LIMIT,
  BACKFILL_PLAN_LIMIT,
  type BackfillBucket,
  type BackfillInput,
  type BackfillPlan,
  type BackfillProgress,
  type BackfillRecord,
  type BackfillState,
} from '../flows/index.js';
import { FAILURE } from '../shared/failures.js';
import { checkInput } from './input.js';

const list = proxyActivities<BackfillActivities>(contract.listActivityOptions);
const sync = proxyActivities<BackfillActivities>(contract.syncActivityOptions);

export const progressQuery = defineQuery<BackfillProgress>(contract.progressQuery);
export const pauseUpdate = defineUpdate<BackfillProgress>(contract.pauseUpdate);
export const resumeUpdate = defineUpdate<BackfillProgress>(contract.resumeUpdate);
export const cancelUpdate = defineUpdate<BackfillProgress>(contract.cancelUpdate);

/**
 * Reasons are cut to this many characters in progress: with BACKFILL_LIST_LIMIT records per
 * bucket the state carried through continue-as-new stays well under Temporal's 2 MB payload limit.
 */
const REASON_MAX = 200;

/**
 * A backfill (src/flows/backfill.ts): lists the source page by page, syncs each record through
 * its own sync workflow (started by an activity through `startSync`, so webhooks and backfills
 * meet at one workflow ID), at most `concurrency` at once, and waits for each result to count it.
 *
 * Continue-as-new when Temporal suggests it (or after `pagesPerRun` pages): nothing new starts,
 * the records in flight finish (their results are counted in this run), and the state (cursor,
 * queue of listed records, counts and bounded lists) goes on in the new run: nothing is counted
 * twice or lost.
 * Updates `pause`/`resume`/`cancel` answer with the progress; `temporal workflow cancel` ends the
 * same way as the `cancel` update: nothing new starts, records in flight are abandoned (their
 * syncs go on) and listed, and the workflow completes with its summary.
 */
export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  checkInput(contract.workflowType, input);
  checkKindFields(input);
  const { connectionId, kind } = input;
  const dryRun = input.dryRun ?? false;
  const concurrency = input.concurrency ?? 10;
  const pageSize = input.pageSize ?? 50;
  const since = input.since !== undefined ? Date.parse(input.since) : undefined;
  const until = input.until !== undefined ? Date.parse(input.until) : undefined;

  const state: BackfillState = input.resume ?? {
    part: 0,
    listingDone: false,
    queue: [],
    progress: {
      connectionId,
      kind,
      dryRun,
      phase: 'listing',
      paused: false,
      seen: 0,
      synced: bucket(),
      adopted: bucket(),
      skipped: bucket(),
      failed: bucket(),
      inFlight: 0,
      queued: 0,
      joined: 0,
      deferrals: 0,
      abandoned: [],
      ...(dryRun && { plans: { create: 0, link: 0, skip: 0, records: [] } }),
      run: 1,
      // Workflow time: deterministic on replay.
      startedAt: new Date().toISOString(),
      warnings: [],
    },
  };
  const p = state.progress;
  const inFlight = new Map<string, CancellationScope>();
  const tasks = new Set<Promise<void>>();
  let cancelling = false;
  let changes = 0;
  const changed = (): void => void changes++;

  const snapshot = (): BackfillProgress => ({
    ...p,
    phase: cancelling ? 'cancelling' : p.paused ? 'paused' : state.listingDone ? 'syncing' : 'listing',
    inFlight: inFlight.size,
    queued: state.queue.length,
  });
  setHandler(progressQuery, snapshot);
  setHandler(pauseUpdate, () => {
    p.paused = true;
    changed();
    return snapshot();
  });
  setHandler(resumeUpdate, () => {
    p.paused = false;
    changed();
    return snapshot();
  });
  setHandler(cancelUpdate, () => {
    cancelling = true;
    changed();
    return snapshot();
  });

  const add = (b: BackfillBucket, record: BackfillRecord): void => {
    b.count++;
    b.records.push({ ...record, reason: record.reason.slice(0, REASON_MAX) });
    if (b.records.length > BACKFILL_LIST_LIMIT) b.records.shift();
  };
  const addPlan = (plan: BackfillPlan): void => {
    const plans = p.plans ?? (p.plans = { create: 0, link: 0, skip: 0, records: [] });
    plans[plan.action]++;
    plans.records.push(plan);
    if (plans.records.length > BACKFILL_PLAN_LIMIT) plans.records.shift();
  };

  const syncOne = async (id: string): Promise<void> => {
    if (dryRun) {
      addPlan(await list.backfillPlanRecord({ connectionId, kind, id }));
      return;
    }
    // At the connection's bound an invoice sync waits, and is asked for again: never dropped.
    for (let delay = 2; ; delay = Math.min(delay * 2, 60)) {
      const r = await sync.backfillSyncRecord({ connectionId, kind, id });
      if (r.status === 'deferred') {
        p.deferrals++;
        await sleep(delay * 1000);
        continue;
      }
      if (r.status !== 'started') p.joined++;
      const outcome = r.outcome ?? 'failed';
      // The workflow ID follows from the id (the webhooks' scheme); a failed one is kept at hand.
      add(p[outcome], {
        id,
        reason: r.reason ?? '',
        ...(outcome === 'failed' && { workflowId: r.workflowId }),
      });
      return;
    }
  };
  const launch = (id: string): void => {
    const scope = new CancellationScope();
    inFlight.set(id, scope);
    const task = scope
      .run(() => syncOne(id))
      .catch((err: unknown) => {
        if (cancelling && isCancellation(err)) {
          if (p.abandoned.length < BACKFILL_LIST_LIMIT) p.abandoned.push(id);
        } else {
          add(p.failed, { id, reason: activityFailureReason(err) });
        }
      })
      .finally(() => {
        inFlight.delete(id);
        tasks.delete(task);
        changed();
      });
    tasks.add(task);
  };

  let pages = 0;
  try {
    for (;;) {
      if (cancelling) break;
      if (p.paused) {
        await condition(() => !p.paused || cancelling);
        continue;
      }
      // Time for a fresh history: nothing new starts, what is in flight finishes (so no result is
      // lost with the old run), then the state (cursor, queue, counts) goes on in a new run.
      const full =
        workflowInfo().continueAsNewSuggested ||
        (input.pagesPerRun !== undefined && pages >= input.pagesPerRun);
      if (full && !(state.listingDone && state.queue.length === 0)) {
        if (inFlight.size > 0) {
          const seenChanges = changes;
          await condition(() => changes !== seenChanges);
          continue;
        }
        p.run++;
        await condition(allHandlersFinished);
        await continueAsNew<typeof backfill>({ ...input, resume: state });
      }
      const next = state.queue[0];
      if (next !== undefined && inFlight.size < concurrency) {
        state.queue.shift();
        launch(next);
        continue;
      }
      if (!state.listingDone && state.queue.length < concurrency) {
        const page = await list.backfillListPage({
          connectionId,
          kind,
          part: state.part,
          pageSize,
          ...(state.cursor !== undefined && { cursor: state.cursor }),
          ...(since !== undefined && { since }),
          ...(until !== undefined && { until }),
        });
        pages++;
        p.seen += page.ids.length;
        state.queue.push(...page.ids);
        state.part = page.part;
        state.listingDone = page.done;
        if (page.cursor !== undefined) state.cursor = page.cursor;
        else delete state.cursor;
        if (page.warning !== undefined) p.warnings.push(page.warning);
        continue;
      }
      if (state.queue.length === 0 && state.listingDone && inFlight.size === 0) break;
      const seenChanges = changes;
      await condition(() => changes !== seenChanges);
    }
  } catch (err) {
    // `temporal workflow cancel`: the same graceful end as the cancel update.
    if (!isCancellation(err)) throw err;
    cancelling = true;
  }

  if (cancelling) {
    await CancellationScope.nonCancellable(async () => {
      // A workflow task of its own for the end: completing in the task that accepted the cancel
      // update would lose the update whenever the server refuses that completion (UnhandledCommand,
      // e.g. an activity of a record in flight finished meanwhile). A timer ends this task.
      await sleep(1);
      for (const scope of inFlight.values()) scope.cancel();
      await Promise.all([...tasks]);
      for (const id of state.queue) if (p.abandoned.length < BACKFILL_LIST_LIMIT) p.abandoned.push(id);
      state.queue = [];
    });
  }
  const summary = snapshot();
  return { ...summary, phase: cancelling ? 'cancelled' : 'done' };
}

function bucket(): BackfillBucket {
  return { count: 0, records: [] };
}

/** An activity that failed past its retries: its cause's type and message. */
function activityFailureReason(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/** Rules across fields (src/flows/inputs.ts checks each field alone). */
function checkKindFields(input: BackfillInput): void {
  const problems: string[] = [];
  if (input.kind === 'togai-invoices') {
    if (input.since === undefined) problems.push('since: required for kind togai-invoices');
    if (
      input.since !== undefined &&
      input.until !== undefined &&
      Date.parse(input.until) <= Date.parse(input.since)
    )
      problems.push('until: expected a time after since');
  } else {
    if (input.since !== undefined) problems.push(`since: only for kind togai-invoices, not ${input.kind}`);
    if (input.until !== undefined) problems.push(`until: only for kind togai-invoices, not ${input.kind}`);
  }
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `${contract.workflowType}: invalid input: ${problems.join('; ')}`,
      FAILURE.InvalidWorkflowInput,
    );
  }
}
