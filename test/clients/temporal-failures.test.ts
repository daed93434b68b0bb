import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { callVendor } from '../../src/clients/errors.js';
import { LimiterRegistry } from '../../src/clients/limits.js';
import { TogaiClient } from '../../src/clients/togai/index.js';
import { ZuoraClient, ZuoraTokenRegistry } from '../../src/clients/zuora/index.js';
import { AdminClient } from '@togai-zuora-sync/simulators/common';
import { startTogaiSimulator, type RunningTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import { startZuoraSimulator, type RunningZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';
import { testEnv } from '../hooks.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import type * as workflows from './fixtures/workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.js', import.meta.url));
const EventType = proto.temporal.api.enums.v1.EventType;
const CLIENT_ID = '3f1c2b7a-5d6e-4f80-9a1b-2c3d4e5f6a7b';
const SECRET = 'zuora-test-secret-0123456789';

/**
 * The whole path an activity takes: client error → toApplicationFailure (via callVendor) →
 * Temporal's retry decision, on a real dev server and a real worker.
 */
describe('clients → Temporal failures (real worker)', function () {
  this.timeout(60_000);
  let zsim: RunningZuoraSimulator;
  let tsim: RunningTogaiSimulator;
  const tokens = new ZuoraTokenRegistry();
  const limiters = new LimiterRegistry();

  // Activities are one line each: callVendor turns client errors into ApplicationFailures.
  const activities: workflows.ClientProbeActivities = {
    zuoraAccountNumber: (key) =>
      callVendor(async () => {
        const zuora = new ZuoraClient({
          connectionId: 'conn_probe',
          baseUrl: zsim.url,
          clientId: CLIENT_ID,
          clientSecret: SECRET,
          tokens,
          limiters,
        });
        return (await zuora.getAccount(key)).basicInfo.accountNumber;
      }),
    togaiAccountName: (id) =>
      callVendor(async () => {
        const togai = new TogaiClient({
          connectionId: 'conn_probe',
          baseUrl: tsim.url,
          apiToken: 'wrong',
          limiters,
        });
        return (await togai.getAccount(id)).name;
      }),
  };

  before(async () => {
    zsim = await startZuoraSimulator({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
      seed: { accounts: [{ accountNumber: 'A-SEED', name: 'Seeded', currency: 'USD' }] },
    });
    tsim = await startTogaiSimulator({ apiToken: 'right' });
  });
  after(async () => {
    await zsim?.close();
    await tsim?.close();
  });

  it('a 429 is retried after its Retry-After (nextRetryDelay), not after the policy interval of 10 minutes', async () => {
    await new AdminClient(zsim.url).setFaults([
      { method: 'GET', path: '/v1/accounts/*', burst429: 1, times: 1 },
    ]);
    const taskQueue = uniqueTaskQueue('clients');
    const workflowId = `zuora-429-${taskQueue}`;
    const { client } = testEnv();
    const result = await withWorker({ taskQueue, workflowsPath, activities }, () =>
      client.workflow.execute<typeof workflows.zuoraAccountProbe>('zuoraAccountProbe', {
        taskQueue,
        workflowId,
        args: ['A-SEED'],
      }),
    );
    assert.equal(result, 'A-SEED');
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    const attrs = started?.activityTaskStartedEventAttributes;
    assert.equal(attrs?.attempt, 2, 'succeeded on the second attempt');
    const info = attrs?.lastFailure?.applicationFailureInfo;
    assert.equal(info?.type, 'ZuoraRateLimited');
    assert.equal(info?.nonRetryable, false);
    assert.equal(Number(info?.nextRetryDelay?.seconds ?? 0), 1, 'Retry-After: 1');
  });

  it('a missing account (HTTP 200, success false, code ending 40) fails the activity at once as non-retryable ZuoraNotFound', async () => {
    const taskQueue = uniqueTaskQueue('clients');
    const { client } = testEnv();
    const err = await withWorker({ taskQueue, workflowsPath, activities }, () =>
      client.workflow
        .execute<typeof workflows.zuoraAccountProbe>('zuoraAccountProbe', {
          taskQueue,
          workflowId: `zuora-404-${taskQueue}`,
          args: ['A-MISSING'],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const cause = err.cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'ZuoraNotFound');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /^Zuora getAccount failed .*Cannot find entity/);
  });

  it('a refused Togai token fails as non-retryable AuthFailed', async () => {
    const taskQueue = uniqueTaskQueue('clients');
    const { client } = testEnv();
    const err = await withWorker({ taskQueue, workflowsPath, activities }, () =>
      client.workflow
        .execute<typeof workflows.togaiAccountProbe>('togaiAccountProbe', {
          taskQueue,
          workflowId: `togai-401-${taskQueue}`,
          args: ['ACC-1'],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ActivityFailure);
    const cause = err.cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'AuthFailed');
    assert.equal(cause.nonRetryable, true);
    assert.match(cause.message, /Togai refused the API token/);
  });
});
