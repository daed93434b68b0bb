import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MAPPING_SETTING } from '../../src/mapping/zuora-account-to-togai.js';
import { createActivities } from '../../src/activities/index.js';
import {
  FLOW,
  togaiInvoiceToZuora,
  type InvoiceSyncResult,
  type SyncTogaiInvoiceInput,
} from '../../src/flows/index.js';
import { testEnv } from '../hooks.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import {
  closeCycle,
  ingest,
  seedAccount,
  seedCatalog,
  setting,
  TOGAI_INVOICES,
  ZUORA_BILLS_USAGE,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';

/**
 * Issue 12's call budget, counted by the simulators (admin `GET /requests`): a burst of linked
 * accounts' invoices with two usage lines each costs at most 2 Togai calls per invoice (plus one
 * read per usage meter for the whole burst) and 3 + (usage lines) Zuora calls.
 */
describe('Calls per invoice in a burst (real Temporal, both simulators, counted by the simulators)', function () {
  this.timeout(240_000);

  const INVOICES = 8;
  const METERS = 2;

  interface Counts {
    total: number;
    byOperation: Record<string, number>;
  }

  async function requests(url: string, reset = false): Promise<Counts> {
    if (reset) await fetch(`${url}/__admin/requests`, { method: 'DELETE' });
    return (await (await fetch(`${url}/__admin/requests`)).json()) as Counts;
  }

  /** Linked accounts with usage and closed cycles; the invoices' ids. */
  async function burst(env: SimulatedConnection): Promise<string[]> {
    const catalog = await seedCatalog(env);
    const invoices: string[] = [];
    for (let i = 0; i < INVOICES; i++) {
      const tag = randomBytes(3).toString('hex');
      const account = await seedAccount(env, catalog, {
        currency: 'USD',
        // Linked already (as flow 2 or an operator leaves it): the burst measures the invoice flow.
        accountSettings: [setting(MAPPING_SETTING.zuoraAccountId, `Z-${tag}`)],
        tag,
      });
      await ingest(env, catalog, account.togaiAccountId, 3 + i, '150');
      invoices.push(await closeCycle(env, account.togaiAccountId));
    }
    return invoices;
  }

  async function measure(env: SimulatedConnection): Promise<{ togai: number; zuora: number }> {
    const invoices = await burst(env);
    await requests(env.togai.url, true);
    await requests(env.zuora.url, true);
    // One worker, as in production: its caches serve every sync of the burst.
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('budget');
    const results = await withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, () =>
      Promise.all(
        invoices.map(
          (id) =>
            client.workflow.execute(FLOW.togaiInvoiceToZuora, {
              taskQueue,
              workflowId: `${togaiInvoiceToZuora.workflowId(env.connectionId, id)}:${taskQueue}`,
              args: [
                {
                  connectionId: env.connectionId,
                  togaiInvoiceId: id,
                  trigger: 'manual',
                } satisfies SyncTogaiInvoiceInput,
              ],
            }) as Promise<InvoiceSyncResult>,
        ),
      ),
    );
    for (const r of results) assert.equal(r.outcome, 'created');
    const togai = await requests(env.togai.url);
    const zuora = await requests(env.zuora.url);
    // The OAuth token is a per-process cost, not a per-invoice one.
    const zuoraCalls = zuora.total - (zuora.byOperation['createToken'] ?? 0);
    console.log(
      `      calls per invoice: Togai ${(togai.total / INVOICES).toFixed(2)} ${JSON.stringify(togai.byOperation)}; ` +
        `Zuora ${(zuoraCalls / INVOICES).toFixed(2)} ${JSON.stringify(zuora.byOperation)}`,
    );
    return { togai: togai.total, zuora: zuoraCalls };
  }

  it('Zuora bills the usage: ≤ 2 Togai calls per invoice plus one per meter, ≤ 3 + 2 usage lines Zuora calls', async () => {
    const env = await startSimulatedConnection({ connection: ZUORA_BILLS_USAGE });
    try {
      const { togai, zuora } = await measure(env);
      assert.ok(togai <= 2 * INVOICES + METERS, `Togai calls ${togai}`);
      assert.ok(zuora <= (3 + METERS) * INVOICES, `Zuora calls ${zuora}`);
    } finally {
      await env.close();
    }
  });

  it('Togai invoices: ≤ 2 Togai and ≤ 4 Zuora calls per invoice (account currency, look-up, usage check, create)', async () => {
    const env = await startSimulatedConnection({ connection: TOGAI_INVOICES });
    try {
      const { togai, zuora } = await measure(env);
      assert.ok(togai <= 2 * INVOICES, `Togai calls ${togai}`);
      assert.ok(zuora <= 4 * INVOICES, `Zuora calls ${zuora}`);
    } finally {
      await env.close();
    }
  });
});
