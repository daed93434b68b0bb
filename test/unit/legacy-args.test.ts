import assert from 'node:assert/strict';
import { acceptLegacyPositionalArgs, legacyArgsToInput } from '../../src/activities/legacy-args.js';
import { createActivities, type ConnectionClients } from '../../src/activities/index.js';

/**
 * Activities scheduled by workflows before one-input-object activities were deployed still carry
 * positional arguments; the deploy bridge maps them onto each activity's input object.
 */
describe('activities: positional arguments of runs from before the deploy', () => {
  it('maps each legacy activity’s positional arguments onto the fields its input object has today', async () => {
    const seen: unknown[] = [];
    const wrapped = acceptLegacyPositionalArgs({
      zuoraCreateUsage: (input: unknown) => Promise.resolve(seen.push(input)),
      togaiListInvoicePages: (input: unknown) => Promise.resolve(seen.push(input)),
    });
    const call = wrapped.zuoraCreateUsage as unknown as (...args: unknown[]) => Promise<unknown>;
    await call('conn_1', { Quantity: '1' }, 'key-1');
    await wrapped.zuoraCreateUsage({ connectionId: 'conn_2', body: {}, idempotencyKey: 'key-2' });
    await wrapped.togaiListInvoicePages({ connectionId: 'conn_3' });
    assert.deepEqual(seen, [
      { connectionId: 'conn_1', body: { Quantity: '1' }, idempotencyKey: 'key-1' },
      { connectionId: 'conn_2', body: {}, idempotencyKey: 'key-2' },
      { connectionId: 'conn_3' },
    ]);
  });

  it('knows every activity that took positional arguments, by the names their inputs use now', async () => {
    // The real factory: a legacy call must reach the activity's own destructuring intact.
    const asked: string[] = [];
    const activities = createActivities({
      clients: {
        forConnection: (connectionId: string) => {
          asked.push(connectionId);
          return Promise.reject(new Error('stop here'));
        },
      } satisfies { forConnection(id: string): Promise<ConnectionClients> },
    }) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const legacyShaped = [
      'getAccountSyncSettings',
      'zuoraGetAccount',
      'zuoraFindAccountsByField',
      'zuoraCreateAccount',
      'zuoraUpdateAccount',
      'togaiGetCustomer',
      'togaiGetAccount',
      'togaiCreateCustomer',
      'togaiListAccountSettings',
      'togaiInsertSetting',
      'togaiUpdateSetting',
      'getInvoiceSyncSettings',
      'togaiGetInvoice',
      'togaiListUsageMeterSettings',
      'togaiListUsageMeterNames',
      'zuoraGetAccountCurrency',
      'zuoraFindInvoicesByField',
      'zuoraCreateInvoice',
      'zuoraGetInvoice',
      'zuoraFindUsagesByField',
      'zuoraCreateUsage',
    ];
    for (const name of legacyShaped) {
      const fn = activities[name];
      assert.ok(fn, `${name} is still an activity`);
      await assert.rejects(fn('conn_legacy', 'a', 'b'), /stop here/);
      assert.ok(legacyArgsToInput(name, ['conn_legacy']) !== 'conn_legacy', `${name} is mapped`);
    }
    assert.deepEqual(new Set(asked), new Set(['conn_legacy']), 'every legacy call reached its connection id');
    assert.equal(asked.length, legacyShaped.length);
  });
});
