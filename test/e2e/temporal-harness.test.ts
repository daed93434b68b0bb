import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { testEnv } from '../hooks.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import * as activities from '../fixtures/activities.js';
import type * as workflows from '../fixtures/workflows/index.js';
import { SA } from '../../src/shared/search-attributes.js';

const workflowsPath = fileURLToPath(new URL('../fixtures/workflows/index.js', import.meta.url));
const EventType = proto.temporal.api.enums.v1.EventType;

describe('Temporal harness (real dev server, real worker)', () => {
  it('runs a workflow whose activity is retried after retryable errors, and records it in history', async () => {
    const taskQueue = uniqueTaskQueue();
    const { client } = testEnv();
    const workflowId = `retry-probe-${taskQueue}`;
    const result = await withWorker({ taskQueue, workflowsPath, activities }, async () => {
      const handle = await client.workflow.start<typeof workflows.retryProbe>('retryProbe', {
        taskQueue,
        workflowId,
        args: [2],
      });
      return handle.result();
    });
    assert.deepEqual(result, { attempt: 3 });

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    assert.equal(scheduled.length, 1, 'one activity scheduled; retries are server-side attempts');
    assert.equal(scheduled[0]?.activityTaskScheduledEventAttributes?.activityType?.name, 'flaky');
    assert.equal(started.length, 1);
    assert.equal(started[0]?.activityTaskStartedEventAttributes?.attempt, 3);
    assert.equal(started[0]?.activityTaskStartedEventAttributes?.lastFailure?.message, 'injected failure 2');
    assert.equal(completed.length, 1);
    assert.equal(events.at(-1)?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  });

  it('fails fast on a non-retryable error, with its reason on the workflow failure', async () => {
    const taskQueue = uniqueTaskQueue();
    const { client } = testEnv();
    const err = await withWorker({ taskQueue, workflowsPath, activities }, async () =>
      client.workflow
        .execute<typeof workflows.nonRetryableProbe>('nonRetryableProbe', {
          taskQueue,
          workflowId: `nr-${taskQueue}`,
          args: ['bill-to email missing'],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    assert.ok(err instanceof WorkflowFailedError, 'workflow failed');
    assert.ok(err.cause instanceof ActivityFailure);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.message, 'bill-to email missing');
    assert.equal(err.cause.cause.type, 'InvalidInput');
    const history = await client.workflow.getHandle(`nr-${taskQueue}`).fetchHistory();
    const started = (history.events ?? []).find(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    );
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 1, 'not retried');
  });

  it('has the project search attributes registered, so workflows are listable by them', async () => {
    const taskQueue = uniqueTaskQueue();
    const { client } = testEnv();
    const connectionId = `conn-${taskQueue}`;
    await withWorker({ taskQueue, workflowsPath, activities }, async () =>
      client.workflow.execute<typeof workflows.searchAttributeProbe>('searchAttributeProbe', {
        taskQueue,
        workflowId: `sa-${taskQueue}`,
        args: [connectionId],
      }),
    );
    const desc = await client.workflow.getHandle(`sa-${taskQueue}`).describe();
    assert.equal(desc.typedSearchAttributes.get(SA.connectionId), connectionId);
    assert.equal(desc.typedSearchAttributes.get(SA.flow), 'probe');
    // Visibility is eventually consistent; poll briefly for the list query.
    let ids: string[] = [];
    for (let i = 0; i < 50 && ids.length === 0; i++) {
      ids = [];
      for await (const wf of client.workflow.list({ query: `TzsConnectionId = "${connectionId}"` }))
        ids.push(wf.workflowId);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(ids, [`sa-${taskQueue}`]);
  });
});
