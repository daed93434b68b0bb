import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/gateway.js';
import { capturingLogger, tempDir } from '../connections/helpers.js';
import { freePort } from '../helpers/ports.js';

describe('gateway wiring of the admin API (dev mode)', () => {
  it('opens the store, generates the admin token into DATA_DIR, serves /admin behind it, and closes cleanly', async () => {
    const dir = tempDir('tzs-gw-');
    const logs = capturingLogger();
    const config = loadConfig({
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
});
