import assert from 'node:assert/strict';
import { Decimal } from '../../src/togai/decimal.js';
import { DEMO_SEED } from '../../src/togai/demo-seed.js';
import { createTogaiSimulator } from '../../src/togai/simulator.js';
import type { TogaiStoreSnapshot } from '../../src/togai/store.js';
import { DEMO_ZUORA_SEED } from '../../src/zuora/demo-seed.js';
import { TOGAI_SYNC_CUSTOM_FIELDS } from '../../src/zuora/options.js';
import { createZuoraSimulator } from '../../src/zuora/simulator.js';
import type { ZuoraStateSnapshot } from '../../src/zuora/state.js';

/** Through JSON text, as demo mode writes and reads its file. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('demo tenants and their snapshots (demo mode of npm start)', () => {
  it('the Zuora demo seed matches the Togai one: its account carries a seeded Togai account, its charges are the ones the meters name', () => {
    const togaiAccounts = (DEMO_SEED.customers ?? []).map(
      (c) => (c as { account: { id: string } }).account.id,
    );
    const account = DEMO_ZUORA_SEED.accounts?.[0] as Record<string, unknown>;
    assert.ok(togaiAccounts.includes(account['TogaiAccountId__c'] as string));
    assert.ok(
      TOGAI_SYNC_CUSTOM_FIELDS.Account.some((f) => f.name === 'TogaiAccountId__c'),
      'the seed uses the custom field the flows look accounts up by',
    );
    const charges = (DEMO_ZUORA_SEED.subscriptions ?? []).flatMap((s) =>
      (s.ratePlans ?? []).flatMap((p) => (p.ratePlanCharges ?? []).map((c) => c.productRatePlanChargeNumber)),
    );
    const named = (DEMO_SEED.usageMeters ?? []).map(
      (m) => m.settings?.find((s) => s.id === 'zuora_product_rate_plan_charge')?.value,
    );
    assert.equal(named.length, 2);
    assert.deepEqual([...charges].sort(), [...named].sort());
  });

  it('Togai: a restored tenant is the same tenant (decimals, usage on DRAFTs, numbering, duplicate event ids)', async () => {
    const first = await createTogaiSimulator({ seed: DEMO_SEED });
    const event = (id: string, schemaName: string, attributes: { name: string; value: string }[] = []) => ({
      id,
      schemaName,
      timestamp: first.clock.date().toISOString(),
      accountId: 'ACC-DEMO-1',
      attributes,
      dimensions: {},
    });
    first.store.ingest([
      event('e1', 'api_call'),
      event('e2', 'storage', [{ name: 'gigabytes', value: '150.125' }]),
    ]);
    first.store.grantCredit('ACC-DEMO-1', new Decimal('0.0015'));
    first.closeCycle('ACC-DEMO-1');
    first.store.ingest([event('e3', 'api_call')]);

    const snapshot = viaJson<TogaiStoreSnapshot>(first.exportState());
    const second = await createTogaiSimulator();
    second.importState(snapshot);
    assert.deepEqual(second.state(), first.state());

    // Same answers from here on: a replayed event id is a duplicate, the next invoice is numbered on.
    assert.deepEqual(second.store.ingest([event('e3', 'api_call')]), { accepted: 0, duplicates: 1 });
    assert.deepEqual(first.store.ingest([event('e3', 'api_call')]), { accepted: 0, duplicates: 1 });
    const [a] = first.closeCycle('ACC-DEMO-1');
    const [b] = second.closeCycle('ACC-DEMO-1');
    assert.ok(a && b);
    assert.equal(b.sequenceId, a.sequenceId);
    assert.equal(b.totalAmount, a.totalAmount);
    assert.deepEqual(b.revenueInfo, a.revenueInfo);
  });

  it('Zuora: a restored tenant holds the same objects and numbers new ones on', async () => {
    const first = await createZuoraSimulator({ seed: DEMO_ZUORA_SEED });
    first.context.state.nextAccountNumber();
    first.context.state.nextInvoiceNumber();
    const snapshot = viaJson<ZuoraStateSnapshot>(first.exportState());
    const second = await createZuoraSimulator();
    second.importState(snapshot);
    const { tokens: _a, ...before } = first.context.state.snapshot();
    const { tokens: _b, ...after } = second.context.state.snapshot();
    assert.deepEqual(viaJson(after), viaJson(before), 'the same objects, as the admin API shows them');
    assert.equal(second.context.state.nextAccountNumber(), first.context.state.nextAccountNumber());
    assert.equal(second.context.state.nextInvoiceNumber(), 'INV00000002');
    assert.throws(() => second.importState({ ...snapshot, version: 2 as 1 }), /snapshot version 2/);
  });
});
