import {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { backfill, type BackfillInput, type BackfillKind, type BackfillProgress } from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';

/**
 * Starting and reaching a backfill (src/flows/backfill.ts) from the CLI and tests. One backfill
 * of a kind per connection at a time: its ID is `backfill:{kind}:{connectionId}`, started with the
 * conflict policy FAIL (a second start while one runs throws WorkflowExecutionAlreadyStartedError)
 * and the reuse policy ALLOW_DUPLICATE (once closed, a new backfill may start under the ID).
 */
export async function startBackfill(
  client: Client,
  taskQueue: string,
  input: BackfillInput,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start(backfill.workflowType, {
    workflowId: backfill.workflowId(input.kind, input.connectionId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: SA.connectionId, value: input.connectionId },
      { key: SA.flow, value: backfill.workflowType },
    ],
  });
}

/** The latest backfill of a kind for a connection (running or closed), followed across continue-as-new. */
export function backfillHandle(client: Client, kind: BackfillKind, connectionId: string): WorkflowHandle {
  return client.workflow.getHandle(backfill.workflowId(kind, connectionId));
}

/** The `progress` query of a backfill. */
export function queryProgress(handle: WorkflowHandle): Promise<BackfillProgress> {
  return handle.query<BackfillProgress>(backfill.progressQuery);
}

/** `pause`, `resume` or `cancel`: each answers with the progress after it. */
export function updateBackfill(
  handle: WorkflowHandle,
  update: 'pause' | 'resume' | 'cancel',
): Promise<BackfillProgress> {
  return handle.executeUpdate<BackfillProgress, []>(update);
}
