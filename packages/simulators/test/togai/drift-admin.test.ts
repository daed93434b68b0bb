import assert from 'node:assert/strict';
import { startTogaiSimulator, type RunningTogaiSimulator } from '../../src/togai/simulator.js';
import { TOKEN } from './helpers.js';

/** The admin stand-in for a setting removed in Togai's UI (reconciliation drift tests). */
describe('Togai simulator: drift admin endpoint (setting removed)', function () {
  this.timeout(30_000);
  let t: RunningTogaiSimulator;

  before(async () => {
    t = await startTogaiSimulator({ apiToken: TOKEN });
  });
  after(async () => {
    await t.close();
  });

  it('deletes one setting by its full id; the settings API no longer lists it', async () => {
    t.sim.seed({
      customers: [
        {
          id: 'cust-drift',
          name: 'Drift Co',
          primaryEmail: 'drift@example.com',
          address: {},
          account: {
            id: 'acct-drift',
            name: 'Drift account',
            settings: [
              {
                id: 'zuoraAccountId',
                namespace: 'zuora',
                name: 'zuoraAccountId',
                dataType: 'STRING',
                value: 'z-1',
              },
            ],
          },
        },
      ],
    });
    const list = async (): Promise<string[]> => {
      const res = await fetch(`${t.url}/settings?entity_type=ACCOUNT&entity_id=acct-drift&namespace=zuora`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { data: { id: string }[] }).data.map((s) => s.id);
    };
    assert.deepEqual(await list(), ['zuoraAccountId']);
    const fullId = 'setting.zuora.zuoraAccountId.ACCOUNT.acct-drift';
    const del = await fetch(`${t.url}/__admin/settings/${fullId}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(await list(), []);
    assert.equal((await fetch(`${t.url}/__admin/settings/${fullId}`, { method: 'DELETE' })).status, 404);
  });
});
