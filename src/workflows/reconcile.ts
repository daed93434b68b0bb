import {
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  metricMeter,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcile.js';
import {
  addDrift,
  driftTotal,
  emptyChecked,
  emptyDriftCounts,
  RECONCILE_PASSES,
  reconciliation,
  type ReconcileConnectionInput,
  type ReconcileReport,
  type ReconcileResume,
} from '../flows/index.js';
import { FAILURE } from '../shared/failures.js';
import { checkInput } from './input.js';

/**
 * The reconciliation (issue 13): compares Zuora and Togai for a period and reports drift by kind
 * with the IDs on both sides (src/flows/reconciliation.ts says what each kind is and who repairs
 * it). Five passes, each paged by an activity that returns only the drift it found and a cursor,
 * so the history holds drift, not records; the report lists at most `maxItemsPerKind` items per
 * kind (counts stay exact) and the run continues as new when Temporal suggests it. With `repair`
 * on, the repairable items' syncs are started through `startSync` once every pass is done (one
 * start per object, however many items name it); money drift (totals, duplicates) and orphans
 * are reported only. The `report` query answers the report so far; the result is the report.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

const settingsActs = proxyActivities<ReconcileActivities>(reconciliation.settingsActivityOptions);
const pageActs = proxyActivities<ReconcileActivities>(reconciliation.pageActivityOptions);
const repairActs = proxyActivities<ReconcileActivities>(reconciliation.repairActivityOptions);

export const reportQuery = defineQuery<ReconcileReport | undefined>(reconciliation.reportQuery);

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${reconciliation.workflowType}: invalid input: ${message}`,
    FAILURE.InvalidWorkflowInput,
  );
}

function reportOf(
  connectionId: string,
  s: ReconcileResume,
  state: ReconcileReport['state'],
): ReconcileReport {
  return {
    connectionId,
    period: { since: s.since, until: s.until },
    startedAt: s.startedAt,
    ...(state === 'completed' && { finishedAt: new Date(Date.now()).toISOString() }),
    state,
    billingMode: s.billingMode,
    repair: s.repair,
    checked: s.checked,
    counts: s.counts,
    total: driftTotal(s.counts),
    items: s.items,
    repaired: s.items.filter((i) => i.repair?.status === 'started' || i.repair?.status === 'already-running')
      .length,
  };
}

export async function reconcileConnection(input: ReconcileConnectionInput): Promise<ReconcileReport> {
  checkInput(reconciliation.workflowType, input);
  const { connectionId } = input;
  let state: ReconcileResume | undefined = input.resume;
  setHandler(reportQuery, () => (state ? reportOf(connectionId, state, 'running') : undefined));

  if (!state) {
    const until = input.until ?? new Date(Date.now()).toISOString();
    if (input.since !== undefined && Date.parse(input.since) >= Date.parse(until)) {
      throw invalid(`since: must be before until (${until})`);
    }
    const settings = await settingsActs.getReconcileSettings({ connectionId });
    const since =
      input.since ??
      new Date(Date.parse(until) - (input.lookbackDays ?? settings.lookbackDays) * DAY_MS).toISOString();
    state = {
      since,
      until,
      repair: input.repair ?? settings.repair,
      startedAt: new Date(Date.now()).toISOString(),
      pass: 0,
      checked: emptyChecked(),
      counts: emptyDriftCounts(),
      items: [],
      billingMode: settings.billingMode,
    };
  }
  const s = state;
  const maxItems = input.maxItemsPerKind ?? 200;

  let calls = 0;
  while (s.pass < RECONCILE_PASSES.length) {
    const pass = RECONCILE_PASSES[s.pass];
    if (pass === undefined) break;
    const page = await pageActs.reconcilePage({
      connectionId,
      pass,
      since: s.since,
      until: s.until,
      zuoraPageSize: input.zuoraPageSize ?? 50,
      togaiPageSize: input.togaiPageSize ?? 50,
      maxPages: input.pagesPerCall ?? 4,
      ...(s.cursor !== undefined && { cursor: s.cursor }),
    });
    addDrift(s, page.items, maxItems);
    s.checked[pass] += page.checked;
    if (page.cursor !== undefined) {
      s.cursor = page.cursor;
    } else {
      delete s.cursor;
      s.pass++;
    }
    calls++;
    const historyFull =
      workflowInfo().continueAsNewSuggested ||
      (input.callsPerRun !== undefined && calls >= input.callsPerRun);
    if (s.pass < RECONCILE_PASSES.length && historyFull) {
      await continueAsNew<typeof reconcileConnection>({ ...input, resume: s });
    }
  }

  if (s.repair) {
    const syncs = new Map<
      string,
      { flow: NonNullable<(typeof s.items)[number]['repairBy']>['flow']; id: string }
    >();
    for (const item of s.items) {
      if (item.repairable && item.repairBy)
        syncs.set(`${item.repairBy.flow}\n${item.repairBy.id}`, item.repairBy);
    }
    const outcomes =
      syncs.size === 0
        ? []
        : await repairActs.startRepairs({
            connectionId,
            syncs: [...syncs.values()],
            requestedBy: `reconcile:${workflowInfo().workflowId}:${workflowInfo().runId}`,
          });
    const byKey = new Map(outcomes.map((o) => [`${o.flow}\n${o.id}`, o]));
    for (const item of s.items) {
      const outcome = item.repairBy ? byKey.get(`${item.repairBy.flow}\n${item.repairBy.id}`) : undefined;
      item.repair =
        item.repairable && outcome
          ? {
              status: outcome.status,
              workflowId: outcome.workflowId,
              flow: outcome.flow,
              ...(outcome.reason !== undefined && { reason: outcome.reason }),
            }
          : { status: 'reported-only', reason: 'not repaired automatically (see detail)' };
    }
  }
  const report = reportOf(connectionId, s, 'completed');
  // The worker's /metrics: drift found per kind (an alert rule fires on any), once per run.
  const drift = metricMeter.createCounter(
    'tzs_drift_items',
    'items',
    'Drift items a reconciliation run found, by kind',
  );
  for (const [kind, count] of Object.entries(report.counts)) if (count > 0) drift.add(count, { kind });
  metricMeter.createCounter('tzs_reconciliations', 'runs', 'Completed reconciliation runs').add(1);
  return report;
}
