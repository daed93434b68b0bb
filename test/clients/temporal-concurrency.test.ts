import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { callVendor } from '../../src/clients/errors.js';
import { LimiterRegistry } from '../../src/clients/limits.js';
import { ZuoraClient, ZuoraTokenRegistry } from '../../src/clients/zuora/index.js';
import { AdminClient } from '@togai-zuora-sync/simulators/common';
import { startZuoraSimulator, type RunningZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';
import { testEnv } from '../hooks.js';
import { slowServer } from '../helpers/slow-server.js';
import { testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import type * as workflows from './fixtures/workflows.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/workflows.js', import.meta.url));
const EventType = proto.temporal.api.enums.v1.EventType;
const CLIENT_ID = '6c1f0a3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b';
const SECRET = 'zuora-concurrency-secret-0123456789';

describe('Zuora concurrency cap under a real worker', function () {
  this.timeout(120_000);
  let zsim: RunningZuoraSimulator;
  let slow: Server;

  before(async () => {
    zsim = await startZuoraSimulator({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
      concurrencyLimit: 40,
      seed: { accounts: [{ accountNumber: 'A-BURST', name: 'Burst', currency: 'USD' }] },
    });
  });
  after(async () => {
    await new Promise((r) => slow?.close(r));
    await zsim?.close();
  });

  it('200 concurrent activities of one connection: zero 429s from a tenant limited to 40, no retries', async () => {
    const { url } = await slowServer(zsim.sim.app, 100).then((s) => ((slow = s.server), s));
    const tokens = new ZuoraTokenRegistry();
    const limiters = new LimiterRegistry();
    // A client per activity, as the activities build them; the cap lives in the shared registry.
    const activities: workflows.ClientProbeActivities = {
      zuoraAccountNumber: (key) =>
        callVendor(async () => {
          const zuora = new ZuoraClient({
            connectionId: 'conn_burst',
            baseUrl: url,
            clientId: CLIENT_ID,
            clientSecret: SECRET,
            tokens,
            limiters,
          });
          return (await zuora.getAccount(key)).basicInfo.accountNumber;
        }),
      togaiAccountName: () => Promise.reject(new Error('not used')),
    };
    const taskQueue = uniqueTaskQueue('burst');
    const workflowId = `zuora-burst-${taskQueue}`;
    const { client } = testEnv();
    const config = testConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '200' });
    const result = await withWorker({ taskQueue, workflowsPath, activities, config }, () =>
      client.workflow.execute<typeof workflows.zuoraFanOut>('zuoraFanOut', {
        taskQueue,
        workflowId,
        args: [200, 'A-BURST'],
      }),
    );
    assert.equal(result.length, 200);
    assert.ok(result.every((n) => n === 'A-BURST'));

    const refusals = await new AdminClient(zsim.url).refusals();
    assert.equal(refusals['total'], 0, JSON.stringify(refusals));
    const peak = zsim.sim.limits.concurrency.peak;
    assert.ok(peak <= 40, `never more than 40 in flight (peak ${peak})`);
    assert.ok(peak >= 20, `the worker really ran activities side by side (peak ${peak})`);

    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    assert.equal(started.length, 200);
    assert.ok(
      started.every((e) => e.activityTaskStartedEventAttributes?.attempt === 1),
      'no activity needed a retry',
    );
  });
});
