import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/gateway.js';
import { capturingLogger, tempDir } from '../connections/helpers.js';
import { freePort } from '../helpers/ports.js';
import { startSimulatedConnection } from '../helpers/simulators.js';
import { testEnv } from '../hooks.js';
import { testKeyEnv } from '../helpers/codec.js';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { invoiceSweep, reconciliation } from '../../src/flows/index.js';

describe('gateway wiring of the admin API (dev mode)', () => {
  it('opens the store, generates the admin token into DATA_DIR, serves /admin behind it, and closes cleanly', async () => {
    const dir = tempDir('tzs-gw-');
    const logs = capturingLogger();
    const config = loadConfig({
      WORKER_METRICS_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
      DATA_DIR: dir.path,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(await freePort()),
      // Nothing listens there: /admin must not depend on Temporal.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    const gateway = await startGateway(config, logs.log);
    try {
      const token = readFileSync(join(dir.path, 'admin-token'), 'utf8').trim();
      assert.match(logs.text(), /admin-token/);
      assert.ok(!logs.text().includes(token), 'the token itself is not logged');

      const ok = await fetch(`${gateway.url}/admin/connections`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { connections: [] });
      const denied = await fetch(`${gateway.url}/admin/connections`);
      assert.equal(denied.status, 401);
      assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    } finally {
      await gateway.close();
      dir.remove();
    }
  });

  it('refuses to start in production without ADMIN_TOKEN', async () => {
    const dir = tempDir('tzs-gw-');
    try {
      const config = loadConfig({
        WORKER_METRICS_PORT: '0',
        GATEWAY_METRICS_PORT: '0',
        TZS_MODE: 'production',
        TZS_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
        DATA_DIR: dir.path,
        GATEWAY_PORT: String(await freePort()),
      });
      await assert.rejects(startGateway(config, capturingLogger().log), /ADMIN_TOKEN is required/);
    } finally {
      dir.remove();
    }
  });

  it('a connection created through the admin API gets its invoice sweep schedule at once', async function () {
    this.timeout(60_000);
    const sims = await startSimulatedConnection();
    const dir = tempDir('tzs-gw-');
    const config = loadConfig({
      WORKER_METRICS_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
      DATA_DIR: dir.path,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: testEnv().connection.options.address,
      // The schedule's input is encrypted with the suite's keys, which testEnv().client reads.
      ...testKeyEnv(),
    });
    const gateway = await startGateway(config, capturingLogger().log);
    try {
      const token = readFileSync(join(dir.path, 'admin-token'), 'utf8').trim();
      const res = await fetch(`${gateway.url}/admin/connections`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Swept from the start',
          zuora: {
            endpoint: sims.zuora.url,
            customEndpoint: true,
            clientId: sims.zuora.sim.credentials.clientId,
            clientSecret: sims.zuora.sim.credentials.clientSecret,
          },
          togai: { baseUrl: sims.togai.url, apiToken: DEFAULT_API_TOKEN },
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { connection } = (await res.json()) as { connection: { id: string } };
      const schedule = testEnv().client.schedule.getHandle(invoiceSweep.scheduleId(connection.id));
      const description = await schedule.describe();
      assert.equal(description.scheduleId, invoiceSweep.scheduleId(connection.id));
      await schedule.delete();
      // Its reconciliation too, daily by default (reconciliation.everyHours).
      const reconcile = testEnv().client.schedule.getHandle(reconciliation.scheduleId(connection.id));
      assert.deepEqual(
        (await reconcile.describe()).spec.intervals?.map((i) => i.every),
        [24 * 3_600_000],
      );
      await reconcile.delete();
    } finally {
      await gateway.close();
      await sims.close();
      dir.remove();
    }
  });
});
