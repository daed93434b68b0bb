import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  FLOW,
  invoiceAdmission,
  syncWorkflowId,
  type AdmitTogaiInvoicesInput,
  type QueuedTogaiInvoice,
  type StartSyncStatus,
  type SyncRequest,
} from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';

export type { SyncRequest } from '../flows/index.js';

/**
 * The one way a sync workflow is started (webhooks today; sweeps and backfills later), so every
 * start gets the same deterministic ID, policies, search attributes and de-duplication:
 *
 * - Workflow ID per object (`zuora-account:{conn}:{id}`, ...): redeliveries, retries and sweeps of
 *   the same object meet at one ID.
 * - `ALLOW_DUPLICATE_FAILED_ONLY`: after a completed run the ID refuses new runs (a redelivery does
 *   not sync again); after a failed, terminated, cancelled or timed-out one, a new start retries.
 * - `USE_EXISTING`: a start while a run is open returns that run instead of failing or replacing it.
 * - Per delivery (`Zuora-Notification-Id`, Togai event id): the memo of the run records which
 *   delivery started it (shown by `tzs syncs show`). Any delivery after a failed run starts a new
 *   run, a redelivery of the same notification included (issue 13): a sender that resends, or an
 *   operator who replays the notification from Zuora's or Togai's console, means "try again".
 *   Our answer is 200 either way, so no sender loops on it.
 *
 * - A first start for an object costs one call (`REJECT_DUPLICATE`, no run under the ID yet); only
 *   when a run exists are the rules above applied, from a describe of the latest run.
 *
 * The status says what happened: `started`, `already-running` or `already-completed`
 * (`duplicate-delivery` was answered before issue 13 and is no longer).
 */

export interface StartSyncResult {
  workflowId: string;
  runId?: string;
  /**
   * `deferred`: an invoice sync not started because its connection has `admission.limit` in flight.
   * `left-failed`: its latest run failed with a type in `leaveFailed` (a person must fix the data).
   */
  status: StartSyncStatus | 'deferred' | 'left-failed';
  /** For `left-failed`: the failure type of the latest run (its `TzsOutcomeReason`). */
  failureType?: string;
}

export interface StartSyncDeps {
  client: Client;
  taskQueue: string;
  /**
   * Budget for all Temporal calls of one start. Past it the call fails (the caller answers 503 and
   * the sender retries; the deterministic ID makes a start that did land meanwhile harmless).
   */
  timeoutMs: number;
}

/** Memo keys on every sync run: which delivery started it, and a token proving which start made it. */
export const MEMO_DELIVERY_ID = 'tzsDeliveryId';
const MEMO_START_TOKEN = 'tzsStartToken';

interface Plan {
  workflowId: string;
  deliveryId: string | undefined;
  searchAttributes: SearchAttributePair[];
}

function plan(request: SyncRequest): Plan {
  const { flow, input } = request;
  const workflowId = syncWorkflowId(request);
  const common: SearchAttributePair[] = [
    { key: SA.connectionId, value: input.connectionId },
    { key: SA.flow, value: flow },
  ];
  switch (request.flow) {
    case FLOW.zuoraAccountToTogai:
      return {
        workflowId,
        deliveryId: request.input.notificationId,
        searchAttributes: [...common, { key: SA.zuoraAccountId, value: request.input.zuoraAccountId }],
      };
    case FLOW.togaiAccountToZuora:
      return {
        workflowId,
        deliveryId: request.input.eventId,
        searchAttributes: [...common, { key: SA.togaiAccountId, value: request.input.togaiAccountId }],
      };
    case FLOW.togaiInvoiceToZuora:
      return {
        workflowId,
        deliveryId: request.input.eventId,
        searchAttributes: [...common, { key: SA.togaiInvoiceId, value: request.input.togaiInvoiceId }],
      };
  }
}

export interface StartSyncOptions {
  /**
   * `pending-usage`: a completed invoice sync whose latest run left usage lines pending (its
   * `TzsPendingUsageLines` > 0) runs again, to sync them now that their mapping may exist.
   * `drifted`: reconciliation found the object's two sides apart since its sync completed (a link
   * deleted, an invoice or usage record missing): a completed sync runs again. Without `rerun`, a
   * completed run is left alone, as always.
   */
  rerun?: 'pending-usage' | 'drifted';
  /**
   * Invoice syncs only: start it only while fewer than `limit` invoice syncs of the connection are
   * running (Temporal's visibility count; eventually consistent, so concurrent starters may pass
   * the bound by their number). Otherwise the answer is `deferred` and nothing starts.
   */
  admission?: { limit: number };
  /**
   * Failure types a new start must not retry (the sweep passes `NEEDS_A_PERSON`): a latest run that
   * failed with one of them, as its `TzsOutcomeReason` says, is answered `left-failed` and nothing
   * starts, so a sweep every 5 minutes does not rerun (and re-alert) a failure only a data fix ends.
   * A person retries it with `tzs syncs retry`; a webhook for it still starts a new run.
   */
  leaveFailed?: readonly string[];
}

/**
 * Runs older than this no longer count against the bound: an invoice sync takes seconds to
 * minutes (35 at most waiting for its account's link), so one running for hours is stuck (a
 * workflow task failing after a bad deploy, say), and must not hold its connection's room forever.
 */
export const STUCK_SYNC_AFTER_MS = 2 * 60 * 60 * 1000;

/** Running invoice syncs of a connection started within `STUCK_SYNC_AFTER_MS`, as visibility counts them. */
export async function runningInvoiceSyncs(client: Client, connectionId: string): Promise<number> {
  const since = new Date(Date.now() - STUCK_SYNC_AFTER_MS).toISOString();
  const { count } = await client.workflow.count(
    `TzsConnectionId="${connectionId}" AND WorkflowType="${FLOW.togaiInvoiceToZuora}" AND ExecutionStatus="Running" AND StartTime > "${since}"`,
  );
  return count;
}

export async function startSync(
  deps: StartSyncDeps,
  request: SyncRequest,
  options: StartSyncOptions = {},
): Promise<StartSyncResult> {
  const { client } = deps;
  const { workflowId, deliveryId, searchAttributes } = plan(request);
  return client.connection.withDeadline(Date.now() + deps.timeoutMs, async () => {
    // Past the connection's bound, invoice syncs wait (issue 12): counted once per start.
    const admitted =
      !options.admission ||
      request.flow !== FLOW.togaiInvoiceToZuora ||
      (await runningInvoiceSyncs(client, request.input.connectionId)) < options.admission.limit;

    // The common case of a burst, a first start for the object: one call. REJECT_DUPLICATE refuses
    // when any run exists under the ID, and then the full rules below decide.
    if (admitted && options.rerun === undefined) {
      try {
        const handle = await client.workflow.start(request.flow, {
          workflowId,
          taskQueue: deps.taskQueue,
          args: [request.input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          typedSearchAttributes: searchAttributes,
          memo: {
            [MEMO_START_TOKEN]: randomUUID(),
            ...(deliveryId !== undefined ? { [MEMO_DELIVERY_ID]: deliveryId } : {}),
          },
        });
        return { workflowId, runId: handle.firstExecutionRunId, status: 'started' };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }

    // Answering from the latest run first is the only place a delivery's own earlier (failed)
    // run can be recognised.
    const latest = await describeOrUndefined(client, workflowId);
    let reusePolicy: WorkflowIdReusePolicy = WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY;
    if (latest) {
      const status = latest.status.name;
      if (status === 'RUNNING') return { workflowId, runId: latest.runId, status: 'already-running' };
      const failureType = latest.typedSearchAttributes.get(SA.outcomeReason);
      if (
        status === 'FAILED' &&
        typeof failureType === 'string' &&
        options.leaveFailed?.includes(failureType)
      ) {
        return { workflowId, runId: latest.runId, status: 'left-failed', failureType };
      }
      const pending = Number(latest.typedSearchAttributes.get(SA.pendingUsageLines) ?? 0);
      if (
        status === 'COMPLETED' &&
        ((options.rerun === 'pending-usage' && pending > 0) || options.rerun === 'drifted')
      ) {
        reusePolicy = WorkflowIdReusePolicy.ALLOW_DUPLICATE;
      } else if (status === 'COMPLETED') {
        return { workflowId, runId: latest.runId, status: 'already-completed' };
      }
    }
    if (!admitted) return { workflowId, status: 'deferred' };
    const token = randomUUID();
    try {
      const handle = await client.workflow.start(request.flow, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [request.input],
        workflowIdReusePolicy: reusePolicy,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        typedSearchAttributes: searchAttributes,
        memo: {
          [MEMO_START_TOKEN]: token,
          ...(deliveryId !== undefined ? { [MEMO_DELIVERY_ID]: deliveryId } : {}),
        },
      });
      // USE_EXISTING answers with the open run's id whether or not this call created it, and the
      // SDK does not pass on the server's `started` flag: the memo token tells them apart.
      const run = await client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
      const mine = run.memo?.[MEMO_START_TOKEN] === token;
      return { workflowId, runId: handle.firstExecutionRunId, status: mine ? 'started' : 'already-running' };
    } catch (err) {
      // The reuse policy refused: a concurrent delivery's run completed between our look and start.
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const done = await describeOrUndefined(client, workflowId);
        if (done?.status.name === 'COMPLETED') {
          return { workflowId, runId: done.runId, status: 'already-completed' };
        }
        if (done?.status.name === 'RUNNING') {
          return { workflowId, runId: done.runId, status: 'already-running' };
        }
      }
      throw err;
    }
  });
}

/** An invoice sync past its connection's bound: queued on the admission workflow, started when there is room. */
export interface QueuedStart {
  workflowId: string;
  status: 'queued';
  admissionWorkflowId: string;
}

/**
 * What the gateway's webhooks and `tzs syncs retry` do for one sync: `startSync`, and for an
 * invoice sync over the connection's bound of syncs in flight (`maxInFlight`, the connection's
 * `maxInFlightInvoiceSyncs`), a place on its admission queue instead. Throws what `startSync`
 * and `queueInvoiceSyncs` throw (Temporal unreachable or past `deps.timeoutMs`).
 */
export async function startOrQueue(
  deps: StartSyncDeps,
  request: SyncRequest,
  maxInFlight?: number,
): Promise<StartSyncResult | QueuedStart> {
  const started = await startSync(
    deps,
    request,
    maxInFlight !== undefined ? { admission: { limit: maxInFlight } } : {},
  );
  if (started.status !== 'deferred' || request.flow !== FLOW.togaiInvoiceToZuora) return started;
  const { connectionId, togaiInvoiceId, eventId } = request.input;
  const admissionWorkflowId = await queueInvoiceSyncs(deps, connectionId, [
    { togaiInvoiceId, ...(eventId !== undefined && { eventId }) },
  ]);
  return { workflowId: started.workflowId, status: 'queued', admissionWorkflowId };
}

/**
 * Queues invoice syncs that `startSync` deferred on the connection's admission queue
 * (src/flows/invoice-admission.ts) by signal-with-start: the queue workflow is started if none is
 * open, and starts the sync once the connection has room. Durable from the moment this returns.
 * Returns the queue's workflow ID.
 */
export async function queueInvoiceSyncs(
  deps: StartSyncDeps,
  connectionId: string,
  invoices: QueuedTogaiInvoice[],
): Promise<string> {
  const workflowId = invoiceAdmission.workflowId(connectionId);
  const input: AdmitTogaiInvoicesInput = { connectionId };
  await deps.client.connection.withDeadline(Date.now() + deps.timeoutMs, () =>
    deps.client.workflow.signalWithStart(invoiceAdmission.workflowType, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      signal: invoiceAdmission.queueSignal,
      signalArgs: [invoices],
      typedSearchAttributes: [
        { key: SA.connectionId, value: connectionId },
        { key: SA.flow, value: invoiceAdmission.workflowType },
      ],
    }),
  );
  return workflowId;
}

async function describeOrUndefined(
  client: Client,
  workflowId: string,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
