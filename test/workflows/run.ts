import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../src/activities/index.js';
import { FLOW, togaiAccountToZuora, type SyncTogaiAccountInput } from '../../src/flows/index.js';
import { createWorker, PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { testConfig } from '../helpers/temporal.js';
import { bundleFor } from '../helpers/temporal.js';
import { timeSkippingEnv } from '../helpers/time-skipping.js';
import { testDataConverter } from '../helpers/codec.js';

/** One run of a production workflow with stubbed activities on the time-skipping server. */
export interface Run<R> {
  result?: R;
  error?: unknown;
  handle: WorkflowHandleWithFirstExecutionRunId;
  env: TestWorkflowEnvironment;
  /** The held account sync just before it was terminated: its status, and whether another run replaced it. */
  held?: { status: string; replaced: boolean };
}

const HELD_WORKFLOWS = fileURLToPath(new URL('../fixtures/held-workflows/index.js', import.meta.url));

export async function runFlow<R>(
  workflowType: string,
  input: unknown,
  activities: Activities,
  options: {
    workflowId?: string;
    /** Runs a never-ending account sync under flow 2's ID for this account while the flow runs. */
    holdAccountSync?: SyncTogaiAccountInput;
  } = {},
): Promise<Run<R>> {
  const env = await timeSkippingEnv();
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await createWorker({
    config: testConfig(),
    connection: env.nativeConnection,
    dataConverter: testDataConverter,
    taskQueue,
    workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH),
    activities,
  });
  const handle = await env.client.workflow.start(workflowType, {
    taskQueue,
    workflowId: options.workflowId ?? `${workflowType}-${randomUUID()}`,
    args: [input],
  });
  const outcome = handle.result().then(
    (result): Run<R> => ({ result: result as R, handle, env }),
    (error: unknown): Run<R> => ({ error, handle, env }),
  );
  const hold = options.holdAccountSync;
  if (!hold) return worker.runUntil(outcome);

  const holdQueue = `held-${randomUUID()}`;
  const holder = await createWorker({
    config: testConfig(),
    connection: env.nativeConnection,
    dataConverter: testDataConverter,
    taskQueue: holdQueue,
    workflowBundle: await bundleFor(HELD_WORKFLOWS),
  });
  return holder.runUntil(async () => {
    const held = await env.client.workflow.start(FLOW.togaiAccountToZuora, {
      taskQueue: holdQueue,
      workflowId: togaiAccountToZuora.workflowId(hold.connectionId, hold.togaiAccountId),
      args: [hold],
    });
    const run = await worker.runUntil(outcome);
    const description = await held.describe();
    // Once the flow under test has completed, the time-skipping server may skip straight to the
    // held run's 10-year run timeout (nothing else is scheduled): that run was open until then.
    const info = description.raw.workflowExecutionInfo;
    const ranFor = Number(info?.closeTime?.seconds ?? 0) - Number(info?.executionTime?.seconds ?? 0);
    const runTimeout = Number(description.raw.executionConfig?.workflowRunTimeout?.seconds ?? Infinity);
    const status =
      description.status.name === 'TIMED_OUT' && ranFor >= runTimeout ? 'RUNNING' : description.status.name;
    // The time-skipping server may end an idle workflow once nothing else runs: already gone is fine.
    await held.terminate('test done').catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
    return {
      ...run,
      held: { status, replaced: description.runId !== held.firstExecutionRunId },
    };
  });
}

/** The failure a workflow ended with: its own (thrown by the workflow) or its activity's. */
export function failureOf(run: Run<unknown>): {
  failure: ApplicationFailure;
  fromActivity?: ActivityFailure;
} {
  if (!(run.error instanceof WorkflowFailedError)) {
    throw new Error(
      `expected a failed workflow, got ${run.error instanceof Error ? run.error.message : 'a result'}`,
    );
  }
  const cause = run.error.cause;
  if (cause instanceof ApplicationFailure) return { failure: cause };
  if (cause instanceof ActivityFailure && cause.cause instanceof ApplicationFailure) {
    return { failure: cause.cause, fromActivity: cause };
  }
  throw new Error(`unexpected failure cause: ${String(cause)}`);
}
