import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { FLOW, SYNC_OUTCOMES, syncWorkflowId, type SyncOutcome, type SyncRequest } from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';
import {
  MEMO_DELIVERY_ID,
  startOrQueue,
  type QueuedStart,
  type StartSyncDeps,
  type StartSyncResult,
} from './start-sync.js';

/**
 * The operator's view of syncs (issue 13): which syncs of a connection ended how, what one sync
 * linked on both sides, and retrying failed ones through the same start path as the webhooks
 * (`startOrQueue`). Reads Temporal's visibility (the `Tzs…` search attributes) and the runs'
 * results; used by `tzs syncs list|show|retry`. Times are ISO-8601 UTC.
 */

/** The three per-record sync workflows, by the short names the CLI takes. */
export const SYNC_FLOWS = {
  'zuora-account': FLOW.zuoraAccountToTogai,
  'togai-account': FLOW.togaiAccountToZuora,
  'togai-invoice': FLOW.togaiInvoiceToZuora,
} as const;
export type SyncFlowName = keyof typeof SYNC_FLOWS;

/** What `listSyncs` filters on. `outcome: 'running'` lists open runs; `failed` also finds runs of versions that predate `TzsOutcome`. */
export interface SyncFilter {
  connectionId: string;
  outcome?: SyncOutcome | 'running';
  /** `TzsOutcomeReason`: a reason kind (flow-off, usage-lines-pending, …) or, for failed syncs, a failure type. */
  reason?: string;
  flow?: SyncFlowName;
  /** At most this many syncs (default 50). */
  limit?: number;
  /** Also list earlier runs of a workflow ID whose latest run ended otherwise (default: latest runs only). */
  allRuns?: boolean;
}

/** One sync as `tzs syncs list` shows it: its latest run (unless `allRuns`). */
export interface SyncRow {
  workflowId: string;
  runId: string;
  flow: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, CANCELLED, TIMED_OUT, … */
  status: string;
  outcome?: string;
  reason?: string;
  zuoraAccountId?: string;
  togaiAccountId?: string;
  togaiInvoiceId?: string;
  startTime: string;
  closeTime?: string;
}

const FAILED_STATUSES = ['Failed', 'TimedOut', 'Terminated', 'Canceled'];

/** A visibility-query string literal; ids come from our own deterministic IDs, but quotes would break the query. */
function literal(value: string): string {
  if (/["\\\n]/.test(value))
    throw new Error(`${JSON.stringify(value)}: quotes, backslashes and newlines are not allowed here`);
  return `"${value}"`;
}

/** The visibility query for a filter (shown by `tzs syncs list --json` so it can be pasted into the Web UI). */
export function syncQuery(filter: SyncFilter): string {
  const types = filter.flow ? [SYNC_FLOWS[filter.flow]] : Object.values(SYNC_FLOWS);
  const parts = [
    `TzsConnectionId=${literal(filter.connectionId)}`,
    `WorkflowType IN (${types.map(literal).join(', ')})`,
  ];
  if (filter.outcome === 'running') parts.push('ExecutionStatus="Running"');
  else if (filter.outcome === 'failed' || filter.outcome === 'cancelled')
    // Runs of versions before TzsOutcome have only their status.
    parts.push(
      `(TzsOutcome=${literal(filter.outcome)} OR ExecutionStatus IN (${(filter.outcome === 'failed'
        ? FAILED_STATUSES.filter((s) => s !== 'Canceled')
        : ['Canceled']
      )
        .map(literal)
        .join(', ')}))`,
    );
  else if (filter.outcome !== undefined) parts.push(`TzsOutcome=${literal(filter.outcome)}`);
  if (filter.reason !== undefined) parts.push(`TzsOutcomeReason=${literal(filter.reason)}`);
  return parts.join(' AND ');
}

function keyword(sa: TypedSearchAttributes, key: (typeof SA)[keyof typeof SA]): string | undefined {
  const value = sa.get(key as typeof SA.outcome);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function row(info: Omit<WorkflowExecutionInfo, 'raw'>): SyncRow {
  const sa = info.typedSearchAttributes;
  const optional = {
    outcome: keyword(sa, SA.outcome),
    reason: keyword(sa, SA.outcomeReason),
    zuoraAccountId: keyword(sa, SA.zuoraAccountId),
    togaiAccountId: keyword(sa, SA.togaiAccountId),
    togaiInvoiceId: keyword(sa, SA.togaiInvoiceId),
    closeTime: info.closeTime?.toISOString(),
  };
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    flow: info.type,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

/**
 * The syncs of a connection matching `filter`, newest first. By default one row per workflow ID,
 * its latest run, and only if that run matches: a sync that failed and was then retried
 * successfully is not listed as failed.
 */
export async function listSyncs(client: Client, filter: SyncFilter): Promise<SyncRow[]> {
  if (
    filter.outcome !== undefined &&
    filter.outcome !== 'running' &&
    !SYNC_OUTCOMES.includes(filter.outcome)
  ) {
    throw new Error(`outcome ${filter.outcome}: expected one of ${[...SYNC_OUTCOMES, 'running'].join(', ')}`);
  }
  const limit = filter.limit ?? 50;
  const rows: SyncRow[] = [];
  const seen = new Set<string>();
  for await (const info of client.workflow.list({ query: syncQuery(filter), pageSize: 100 })) {
    if (rows.length >= limit) break;
    if (seen.has(info.workflowId)) continue;
    seen.add(info.workflowId);
    if (!filter.allRuns && !(await isLatestRun(client, info))) continue;
    rows.push(row(info));
  }
  return rows;
}

async function isLatestRun(client: Client, info: WorkflowExecutionInfo): Promise<boolean> {
  if (info.status.name === 'RUNNING') return true;
  const latest = await client.workflow.getHandle(info.workflowId).describe();
  return latest.runId === info.runId;
}

/** One sync in full: its latest run, what it linked on both sides, how it ended, and its earlier runs. */
export interface SyncDetail extends SyncRow {
  /** The notification or event id that started the run, when a webhook did. */
  deliveryId?: string;
  /** The run's result (completed runs): the IDs on both sides, reason, usage records, rounding. */
  result?: Record<string, unknown>;
  /** How a failed run ended: its failure type and message, as the Web UI shows them. */
  failure?: { type: string; message: string };
  /** Every run of the workflow ID, newest first. */
  runs: Pick<SyncRow, 'runId' | 'status' | 'outcome' | 'reason' | 'startTime' | 'closeTime'>[];
}

/** Throws `Error` naming the workflow ID when no run of it exists (visibility forgets closed runs after the namespace's retention). */
export async function showSync(client: Client, workflowId: string): Promise<SyncDetail> {
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new Error(
        `no sync with workflow ID ${workflowId} (never started, or older than the namespace's retention)`,
      );
    throw err;
  }
  const base = row(description);
  const delivery = description.memo?.[MEMO_DELIVERY_ID];
  const detail: SyncDetail = {
    ...base,
    ...(typeof delivery === 'string' && { deliveryId: delivery }),
    runs: [],
  };
  if (description.status.name === 'COMPLETED') {
    detail.result = (await client.workflow.getHandle(workflowId, description.runId).result()) as Record<
      string,
      unknown
    >;
  } else if (description.status.name !== 'RUNNING') {
    try {
      await client.workflow.getHandle(workflowId, description.runId).result();
    } catch (err) {
      detail.failure = describeFailure(err);
    }
  }
  for await (const info of client.workflow.list({ query: `WorkflowId=${literal(workflowId)}` })) {
    const r = row(info);
    detail.runs.push({
      runId: r.runId,
      status: r.status,
      startTime: r.startTime,
      ...(r.outcome !== undefined && { outcome: r.outcome }),
      ...(r.reason !== undefined && { reason: r.reason }),
      ...(r.closeTime !== undefined && { closeTime: r.closeTime }),
    });
  }
  return detail;
}

function describeFailure(err: unknown): { type: string; message: string } {
  let current: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  // The innermost cause carries the application's type and message (an activity's or the workflow's own).
  while (current instanceof Error && current.cause instanceof Error) {
    if ('type' in current && typeof current.type === 'string' && current.type !== '') break;
    current = current.cause;
  }
  if (current instanceof Error) {
    const type = 'type' in current && typeof current.type === 'string' ? current.type : current.name;
    return { type, message: current.message };
  }
  return { type: 'Error', message: String(current) };
}

/**
 * The sync request a workflow ID stands for, read from the ID itself (the deterministic IDs of
 * src/flows: `zuora-account:{conn}:{id}`, `togai-account:…`, `togai-invoice:…`), so a retry
 * starts exactly the workflow a webhook would. Throws when the ID is not a sync's.
 */
export function requestForWorkflowId(workflowId: string): SyncRequest {
  const last = workflowId.lastIndexOf(':');
  const first = workflowId.indexOf(':');
  if (first <= 0 || last <= first || last === workflowId.length - 1) {
    throw new Error(
      `${workflowId} is not a sync's workflow ID (expected zuora-account:, togai-account: or togai-invoice:{connection}:{id})`,
    );
  }
  const prefix = workflowId.slice(0, first);
  const connectionId = workflowId.slice(first + 1, last);
  const id = workflowId.slice(last + 1);
  const request: SyncRequest | undefined =
    prefix === 'zuora-account'
      ? { flow: FLOW.zuoraAccountToTogai, input: { connectionId, zuoraAccountId: id, trigger: 'manual' } }
      : prefix === 'togai-account'
        ? { flow: FLOW.togaiAccountToZuora, input: { connectionId, togaiAccountId: id, trigger: 'manual' } }
        : prefix === 'togai-invoice'
          ? { flow: FLOW.togaiInvoiceToZuora, input: { connectionId, togaiInvoiceId: id, trigger: 'manual' } }
          : undefined;
  if (!request || syncWorkflowId(request) !== workflowId) {
    throw new Error(
      `${workflowId} is not a sync's workflow ID (expected zuora-account:, togai-account: or togai-invoice:{connection}:{id})`,
    );
  }
  return request;
}

/** What a retry did for one sync: the start's answer, or why it was not retried. */
export interface RetryOutcome {
  workflowId: string;
  status: StartSyncResult['status'] | QueuedStart['status'] | 'not-retried';
  runId?: string;
  /** For `not-retried`: the latest run is open or completed; nothing to retry. */
  reason?: string;
}

/**
 * Retries one sync: a new run of the same workflow ID through `startOrQueue` (the webhooks' path),
 * only when its latest run ended without success. A completed or running sync is left alone and
 * answered `not-retried` with why. `maxInFlight` is the connection's bound of invoice syncs.
 */
export async function retrySync(
  deps: StartSyncDeps,
  workflowId: string,
  maxInFlight: number | undefined,
): Promise<RetryOutcome> {
  const request = requestForWorkflowId(workflowId);
  let status: string | undefined;
  try {
    status = (await deps.client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (status === 'RUNNING' || status === 'COMPLETED') {
    return {
      workflowId,
      status: 'not-retried',
      reason:
        status === 'RUNNING'
          ? 'its latest run is still running'
          : 'its latest run completed (see its outcome with tzs syncs show); a completed sync is not run again',
    };
  }
  const started = await startOrQueue(deps, request, maxInFlight);
  return {
    workflowId,
    status: started.status,
    ...('runId' in started && started.runId !== undefined && { runId: started.runId }),
  };
}
