import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import { createGatewayApp } from '../../src/api/app.js';
import type { AccountSyncResult } from '../../src/flows/index.js';
import { togaiAccountToZuora, zuoraAccountToTogai } from '../../src/flows/index.js';
import { capturingLogger } from '../connections/helpers.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import { testEnv } from '../hooks.js';

async function closedRun(workflowId: string): Promise<WorkflowExecutionDescription> {
  const handle = testEnv().client.workflow.getHandle(workflowId);
  for (let i = 0; i < 600; i++) {
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

async function put(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `PUT ${url}`);
}

describe('webhooks through the real account workflows (both simulators, production workflows)', function () {
  this.timeout(120_000);
  let env: SimulatedConnection;
  let server: Server;

  before(async () => {
    env = await startSimulatedConnection();
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await env.close();
  });

  it('a Zuora UI account fires the callout, flow 1 creates the Togai side, and Togai’s event for it finds the link', async () => {
    const taskQueue = uniqueTaskQueue('webhooks-real');
    const app = createGatewayApp({
      connection: testEnv().connection,
      log: capturingLogger().log,
      webhooks: {
        service: env.service,
        client: testEnv().client,
        taskQueue,
        settings: testConfig().webhooks,
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const setup = env.webhookSetup;
    assert.ok(setup.zuora.basic && setup.zuora.hmac);
    await put(`${env.zuora.url}/__admin/callout`, {
      url: `${base}/webhooks/zuora/${env.connectionId}`,
      basicAuth: setup.zuora.basic,
      signature: { secret: setup.zuora.hmac.secret },
    });
    await put(`${env.togai.url}/__admin/webhooks`, [
      { url: `${base}/webhooks/togai/${env.connectionId}`, secret: setup.togai.hmac.secret },
    ]);
    const zuoraAccountsBefore = (await env.zuoraState()).accounts.length;

    await withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, async () => {
      const res = await fetch(`${env.zuora.url}/__admin/ui/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Webhook Corp',
          currency: 'EUR',
          billToContact: {
            firstName: 'Grace',
            lastName: 'Hopper',
            workEmail: 'grace@webhook.example',
            address1: '1 Compiler Way',
            city: 'Arlington',
            zipCode: '22201',
            country: 'United States',
            state: 'Virginia',
          },
        }),
      });
      assert.equal(res.status, 200);
      const { accountId } = (await res.json()) as { accountId: string };

      const flow1 = await closedRun(zuoraAccountToTogai.workflowId(env.connectionId, accountId));
      assert.equal(flow1.status.name, 'COMPLETED');
      const result = (await testEnv()
        .client.workflow.getHandle(flow1.workflowId)
        .result()) as AccountSyncResult;
      assert.equal(result.outcome, 'created');
      assert.ok(result.togaiAccountId);

      // Togai announced the account flow 1 created; the gateway started flow 2 for it, which must
      // recognise the link instead of creating a second Zuora account.
      const flow2 = await closedRun(togaiAccountToZuora.workflowId(env.connectionId, result.togaiAccountId));
      assert.equal(flow2.status.name, 'COMPLETED');
      const loop = (await testEnv()
        .client.workflow.getHandle(flow2.workflowId)
        .result()) as AccountSyncResult;
      assert.notEqual(loop.outcome, 'created', loop.reason);
      assert.equal(loop.zuoraAccountId, accountId);
      assert.equal((await env.zuoraState()).accounts.length, zuoraAccountsBefore + 1);
    });
  });

  it('a callout whose 200 is lost is retried by Zuora and still makes one Togai customer, one run', async () => {
    const taskQueue = uniqueTaskQueue('webhooks-lost-200');
    const app = createGatewayApp({
      connection: testEnv().connection,
      log: capturingLogger().log,
      webhooks: {
        service: env.service,
        client: testEnv().client,
        taskQueue,
        settings: testConfig().webhooks,
      },
    });
    const gateway = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const gatewayBase = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    // A network that loses the gateway's first answer: the request reaches the gateway (which
    // starts the sync), but Zuora sees a 502 and retries with the same Zuora-Notification-Id.
    let forwarded = 0;
    const lossy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            (e): e is [string, string] =>
              typeof e[1] === 'string' && !['host', 'content-length'].includes(e[0]),
          ),
        );
        void fetch(`${gatewayBase}${req.url ?? '/'}`, {
          method: req.method,
          headers,
          body: Buffer.concat(chunks),
        })
          .then(async (answer) => {
            forwarded += 1;
            const text = await answer.text();
            if (forwarded === 1) res.writeHead(502).end('lost');
            else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
          })
          .catch(() => res.writeHead(500).end());
      });
    });
    await new Promise<void>((r) => lossy.listen(0, '127.0.0.1', r));
    const lossyBase = `http://127.0.0.1:${(lossy.address() as AddressInfo).port}`;
    try {
      const setup = env.webhookSetup;
      assert.ok(setup.zuora.basic && setup.zuora.hmac);
      await put(`${env.zuora.url}/__admin/callout`, {
        url: `${lossyBase}/webhooks/zuora/${env.connectionId}`,
        basicAuth: setup.zuora.basic,
        signature: { secret: setup.zuora.hmac.secret },
        attempts: 3,
        intervalMs: 200,
      });
      // Togai's own event is not under test here.
      await put(`${env.togai.url}/__admin/webhooks`, []);

      await withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, async () => {
        const res = await fetch(`${env.zuora.url}/__admin/ui/accounts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'Lost Answer Ltd',
            currency: 'USD',
            billToContact: {
              firstName: 'Lin',
              lastName: 'Ost',
              workEmail: 'lost@answer.example',
              country: 'US',
            },
          }),
        });
        const { accountId, notificationId } = (await res.json()) as {
          accountId: string;
          notificationId: string;
        };
        const flow1 = await closedRun(zuoraAccountToTogai.workflowId(env.connectionId, accountId));
        assert.equal(flow1.status.name, 'COMPLETED');

        let attempts: { deliveryId: string; status?: number; delivered: boolean }[] = [];
        // A wait for Zuora's retry (a loaded machine can take seconds), not a timing assertion.
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline && !attempts.some((a) => a.delivered)) {
          const log = (await (await fetch(`${env.zuora.url}/__admin/deliveries`)).json()) as {
            attempts: { deliveryId: string; status?: number; delivered: boolean }[];
          };
          attempts = log.attempts.filter((a) => a.deliveryId === notificationId);
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepEqual(
          attempts.map((a) => [a.status, a.delivered]),
          [
            [502, false],
            [200, true],
          ],
          'the lost answer made Zuora retry once, and the retry was acknowledged',
        );

        const runs: string[] = [];
        for await (const wf of testEnv().client.workflow.list({
          query: `WorkflowId = "${flow1.workflowId}"`,
        })) {
          runs.push(wf.runId);
        }
        assert.equal(runs.length, 1, 'one run of flow 1');
        const customers = (await env.togaiState()).customers.filter((c) => c.id === `zuora-${accountId}`);
        assert.equal(customers.length, 1, 'one Togai customer');
      });
    } finally {
      lossy.closeAllConnections();
      gateway.closeAllConnections();
      await new Promise((r) => lossy.close(r));
      await new Promise((r) => gateway.close(r));
    }
  });
});
