import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import {
  FLOW,
  togaiAccountToZuora,
  type InvoiceSyncResult,
  type SyncTogaiInvoiceInput,
} from '../../src/flows/index.js';
import { usageRecordKey, zuoraUsageCreateKey } from '../../src/shared/idempotency.js';
import { failureOf, runFlow, type Run } from './run.js';
import {
  baseActivities,
  CONNECTION,
  linkSettings,
  newWorld,
  stubActivities,
  togaiAccount,
  togaiInvoice,
  zuoraAccount,
} from './stub-world.js';

const EventType = proto.temporal.api.enums.v1.EventType;

/**
 * The invoice flow's paths the integration suite cannot reach in reasonable time: joining an
 * account sync that is already running (polling with backoff for up to 35 minutes), and the
 * standalone invoice's 1,000-item limit. Time-skipping server, stubbed activities.
 */
describe('Invoice flow (time-skipping server, stubbed activities)', function () {
  this.timeout(120_000);

  const input = (id: string): SyncTogaiInvoiceInput => ({
    connectionId: CONNECTION,
    togaiInvoiceId: id,
    trigger: 'manual',
  });

  /** Timers the workflow started, in seconds, from its history. */
  async function timers(handle: {
    fetchHistory(): Promise<proto.temporal.api.history.v1.IHistory>;
  }): Promise<number[]> {
    const events = (await handle.fetchHistory()).events ?? [];
    return events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
      .map((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0));
  }

  const hold = (togaiAccountId: string) => ({
    holdAccountSync: { connectionId: CONNECTION, togaiAccountId, trigger: 'togai-webhook' as const },
  });

  /** The running account sync was joined: still its first run, still running, never replaced. */
  function assertJoined(run: Run<unknown>): void {
    assert.deepEqual(run.held, { status: 'RUNNING', replaced: false });
  }

  it('joins an account sync that is already running: polls its link with backoff until it appears, starts no second one', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-j', togaiAccount('acct-j'));
    world.zuoraAccounts.set('z-j', zuoraAccount('z-j'));
    world.togaiInvoices.set('inv-j', togaiInvoice('inv-j', 'acct-j'));
    let reads = 0;
    const base = baseActivities(world);
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-j'),
      stubActivities(world, {
        // The running account sync writes the link on the 6th read.
        togaiListAccountSettings: (req) => {
          if (req.accountId === 'acct-j' && ++reads === 6)
            world.togaiSettings.push(...linkSettings('acct-j', 'z-j'));
          return base.togaiListAccountSettings(req);
        },
      }),
      hold('acct-j'),
    );
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.result?.outcome, 'created');
    assert.equal(run.result?.zuoraAccountId, 'z-j');
    assert.equal(world.zuoraInvoices.length, 1);
    // One read before the child start, then one after each timer: 1, 2, 4, 8, 16 s.
    assert.deepEqual(await timers(run.handle), [1, 2, 4, 8, 16]);
    assertJoined(run);
  });

  it('gives up with AccountNotLinked once the account sync has had its 35 minutes, naming that workflow', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-k', togaiAccount('acct-k'));
    world.togaiInvoices.set('inv-k', togaiInvoice('inv-k', 'acct-k'));
    const run = await runFlow(
      FLOW.togaiInvoiceToZuora,
      input('inv-k'),
      stubActivities(world),
      hold('acct-k'),
    );
    const { failure } = failureOf(run);
    assert.equal(failure.type, 'AccountNotLinked');
    assert.match(failure.message, new RegExp(togaiAccountToZuora.workflowId(CONNECTION, 'acct-k')));
    const waited = (await timers(run.handle)).reduce((a, b) => a + b, 0);
    assert.ok(waited >= 35 * 60, `waited ${waited} s of workflow time`);
    assert.equal(world.zuoraInvoices.length, 0, 'nothing was created');
    assertJoined(run);
  });

  it('an invoice of 1,001 charge lines fails TooManyInvoiceItems before anything is created; 1,000 is accepted', async () => {
    for (const [lines, expected] of [
      [1001, 'TooManyInvoiceItems'],
      [1000, 'created'],
    ] as const) {
      const world = newWorld();
      world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
      world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
      world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
      world.togaiInvoices.set('inv-1', togaiInvoice('inv-1', 'acct-1', { lines, amount: '0.01' }));
      const run = await runFlow<InvoiceSyncResult>(
        FLOW.togaiInvoiceToZuora,
        input('inv-1'),
        stubActivities(world),
      );
      if (expected === 'created') {
        assert.equal(run.result?.outcome, 'created', String(run.error));
        assert.equal(run.result?.totals?.zuora, '10');
      } else {
        const { failure } = failureOf(run);
        assert.equal(failure.type, expected);
        assert.match(failure.message, /1001 charge lines.*at most 1000/);
        assert.equal(world.calls.get('zuoraCreateInvoice') ?? 0, 0);
      }
    }
  });

  it("a stored refusal never blocks the invoice: after a refused create and an empty look-up, one more try under the run's own key generation creates it once", async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
    world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
    world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
    world.togaiInvoices.set('inv-p', togaiInvoice('inv-p', 'acct-1'));
    const keys: string[] = [];
    const base = baseActivities(world);
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-p'),
      stubActivities(world, {
        // What Zuora replays for 24 h to a key whose first request was cut: a 400.
        zuoraCreateInvoice: (req) => {
          keys.push(req.idempotencyKey);
          if (keys.length === 1)
            return Promise.reject(
              ApplicationFailure.nonRetryable('Request body incomplete (replayed)', 'ZuoraBusinessError'),
            );
          return base.zuoraCreateInvoice(req);
        },
      }),
    );
    assert.equal(run.result?.outcome, 'created', String(run.error));
    assert.equal(world.zuoraInvoices.length, 1, 'exactly one Zuora invoice');
    assert.equal(keys.length, 2);
    // The second key names this run: a later run (the cause fixed) would not meet its stored answer.
    const runPart = run.handle.firstExecutionRunId.replace(/-/g, '').slice(0, 12);
    assert.ok(keys[1]?.endsWith(`:gr${runPart}`) && !keys[0]?.includes(':g'), keys.join(' '));
    assert.equal(
      world.calls.get('zuoraFindInvoicesByField'),
      2,
      'looked up before the create and after the refusal',
    );
  });

  it('a refused create whose object exists after all (an earlier attempt committed) is adopted, not made twice', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
    world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
    world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
    world.togaiInvoices.set('inv-q', togaiInvoice('inv-q', 'acct-1'));
    const base = baseActivities(world);
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-q'),
      stubActivities(world, {
        zuoraCreateInvoice: async (req) => {
          await base.zuoraCreateInvoice(req);
          throw ApplicationFailure.nonRetryable('Answer lost, refusal replayed', 'ZuoraBusinessError');
        },
      }),
    );
    assert.equal(run.result?.outcome, 'created', String(run.error));
    assert.equal(world.zuoraInvoices.length, 1);
    assert.equal(world.calls.get('zuoraCreateInvoice'), 1, 'no second create');
  });

  it('a second refusal is Zuora’s real answer: the sync fails with it, having tried two keys', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
    world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
    world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
    world.togaiInvoices.set('inv-r', togaiInvoice('inv-r', 'acct-1'));
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-r'),
      stubActivities(world, {
        zuoraCreateInvoice: () =>
          Promise.reject(ApplicationFailure.nonRetryable('Account is closed', 'ZuoraBusinessError')),
      }),
    );
    const { failure } = failureOf(run);
    assert.equal(failure.type, 'ZuoraBusinessError');
    assert.match(failure.message, /Account is closed/);
    assert.equal(world.calls.get('zuoraCreateInvoice'), 2);
    assert.equal(world.zuoraInvoices.length, 0);
  });

  it('a composite (invoice group) invoice is skipped: its MERGED member invoices are the ones synced, so nothing is billed twice', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
    world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
    world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
    world.togaiInvoices.set('inv-g', { ...togaiInvoice('inv-g', 'acct-1'), invoiceType: 'COMPOSITE' });
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-g'),
      stubActivities(world),
    );
    assert.equal(run.result?.outcome, 'skipped', String(run.error));
    assert.match(
      run.result?.reason ?? '',
      /composite \(invoice group\) invoice: its member invoices \(status MERGED\)/,
    );
    assert.equal(world.zuoraInvoices.length, 0);
    assert.equal(
      world.calls.get('zuoraFindInvoicesByField') ?? 0,
      0,
      'nothing looked up or created in Zuora',
    );
  });

  it('a usage record of this invoice, of another meter, blocks nothing when every line with revenue has its record: already billed', async () => {
    const world = newWorld();
    world.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
    world.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
    world.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
    world.togaiInvoices.set('inv-u', togaiInvoice('inv-u', 'acct-1', { lines: 2, usageQuantity: '3' }));
    // Records made in usage mode: one under v0.1's per-connection key, one under today's key.
    world.zuoraUsages.push(
      { id: 'zu-a', key: zuoraUsageCreateKey(CONNECTION, 'inv-u', 'fee-0') },
      { id: 'zu-b', key: usageRecordKey('inv-u', 'fee-1') },
    );
    const run = await runFlow<InvoiceSyncResult>(
      FLOW.togaiInvoiceToZuora,
      input('inv-u'),
      stubActivities(world),
    );
    assert.equal(run.result?.outcome, 'already-billed', String(run.error));
    assert.equal(world.zuoraInvoices.length, 0);
  });
});
