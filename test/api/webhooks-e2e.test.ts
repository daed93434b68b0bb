import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { createGatewayApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/gateway.js';
import { ConnectionService } from '../../src/connections/service.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import { startTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import { startZuoraSimulator, ZuoraTestClient } from '@togai-zuora-sync/simulators/zuora';
import { togaiAccountToZuora, zuoraAccountToTogai } from '../../src/flows/index.js';
import { capturingLogger, goodVerifier, tempDir, testKeyring, validInput } from '../connections/helpers.js';
import * as fixtureActivities from '../fixtures/webhook-workflows/activities.js';
import { runsOf } from '../fixtures/webhook-workflows/activities.js';
import { freePort } from '../helpers/ports.js';
import { testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import { TEST_KEYRING } from '../helpers/codec.js';
import { testEnv } from '../hooks.js';

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../fixtures/webhook-workflows/index.js', import.meta.url));

/** Polls (strongly consistent describe) until the workflow exists and has closed. */
async function closedRun(workflowId: string): Promise<WorkflowExecutionDescription> {
  const handle = testEnv().client.workflow.getHandle(workflowId);
  for (let i = 0; i < 300; i++) {
    try {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') return d;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${workflowId} did not start and close in time`);
}

describe('webhooks end to end: the vendor simulators call the gateway, workflows run', function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteConnectionStore;
  let service: ConnectionService;

  before(async () => {
    dir = tempDir('tzs-webhooks-e2e-');
    store = new SqliteConnectionStore(join(dir.path, 'tzs.sqlite'), testKeyring());
    await store.migrate();
    service = new ConnectionService({
      store,
      verifier: goodVerifier(),
      log: capturingLogger().log,
      publicBaseUrl: 'https://sync.example.com',
    });
  });
  after(async () => {
    await store.close();
    dir.remove();
  });

  it('a Zuora simulator callout (Basic + HMAC as set up) and a Togai simulator event each start one sync', async () => {
    const { connection, setup } = await service.create(validInput({ name: 'Simulated' }));
    const taskQueue = uniqueTaskQueue('webhooks-e2e');
    const app = createGatewayApp({
      connection: testEnv().connection,
      log: capturingLogger().log,
      webhooks: { service, client: testEnv().client, taskQueue, settings: testConfig().webhooks },
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    assert.ok(setup.zuora.basic && setup.zuora.hmac);
    const zuora = new ZuoraTestClient(
      await startZuoraSimulator({
        callout: {
          // The simulator's defaults are the template defaults the docs tell operators to use.
          url: `${base}/webhooks/zuora/${connection.id}`,
          basicAuth: setup.zuora.basic,
          signature: { secret: setup.zuora.hmac.secret },
        },
      }),
    );
    const togai = await startTogaiSimulator({
      webhooks: [{ url: `${base}/webhooks/togai/${connection.id}`, secret: setup.togai.hmac.secret }],
    });
    try {
      await withWorker(
        { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: fixtureActivities },
        async () => {
          const created = await zuora.conforming('POST', '/v1/accounts', {
            body: { name: 'Callout Co', currency: 'USD', billToContact: { firstName: 'A', lastName: 'B' } },
          });
          const accountId = (created.body as { accountId: string }).accountId;
          const zuoraRun = await closedRun(zuoraAccountToTogai.workflowId(connection.id, accountId));
          assert.equal(zuoraRun.status.name, 'COMPLETED');
          assert.deepEqual(runsOf(zuoraRun.workflowId), [zuoraRun.runId]);
          await zuora.sim.sim.webhooks.settled();
          const zuoraLog = zuora.sim.sim.webhooks.log();
          assert.deepEqual(
            zuoraLog.map((a) => [a.status, a.delivered]),
            [[200, true]],
            'delivered on the first attempt',
          );

          const seeded = await fetch(`${togai.url}/__admin/seed`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              customers: [
                {
                  id: 'C-E2E',
                  name: 'Cust',
                  primaryEmail: 'c@x.io',
                  address: {},
                  account: { id: 'A-E2E', name: 'Acc' },
                },
              ],
            }),
          });
          assert.ok(seeded.ok, `seed answered ${seeded.status}`);
          const togaiRun = await closedRun(togaiAccountToZuora.workflowId(connection.id, 'A-E2E'));
          assert.equal(togaiRun.status.name, 'COMPLETED');
          await togai.sim.webhooks.settled();
          assert.deepEqual(
            togai.sim.webhooks.log().map((a) => [a.status, a.delivered]),
            [[200, true]],
          );
        },
      );
    } finally {
      await zuora.sim.close();
      await togai.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('startGateway mounts /webhooks with the configured task queue and namespace', async () => {
    const { connection, setup } = await service.create(validInput({ name: 'Gateway wiring' }));
    const taskQueue = uniqueTaskQueue('webhooks-gw');
    const config = loadConfig({
      WORKER_METRICS_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
      DATA_DIR: dir.path,
      ADMIN_TOKEN: 'admin-token-for-tests-0123456789abcdef',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: testEnv().address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'silent',
    });
    const gateway = await startGateway(config, capturingLogger().log, {
      // The gateway encrypts webhook inputs with this keyring; the suite's workers decode them.
      connections: { store, service, keyring: TEST_KEYRING, close: () => Promise.resolve() },
    });
    try {
      await withWorker(
        { taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: fixtureActivities },
        async () => {
          const raw = JSON.stringify({ AccountId: 'gw-account' });
          assert.ok(setup.zuora.basic && setup.zuora.hmac);
          const res = await fetch(`${gateway.url}/webhooks/zuora/${connection.id}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Basic ${Buffer.from(`${setup.zuora.basic.username}:${setup.zuora.basic.password}`).toString('base64')}`,
              'x-zuora-signature': createHmac('sha256', setup.zuora.hmac.secret).update(raw).digest('base64'),
            },
            body: raw,
          });
          assert.equal(res.status, 200);
          const body = (await res.json()) as { workflowId: string; status: string };
          assert.equal(body.status, 'started');
          const run = await closedRun(body.workflowId);
          assert.equal(run.status.name, 'COMPLETED');
          assert.equal(run.taskQueue, taskQueue);
        },
      );
    } finally {
      await gateway.close();
    }
  });
});
