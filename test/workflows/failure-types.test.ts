import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import { createSweepActivities } from '../../src/activities/sweep.js';
import {
  FLOW,
  FLOW_CONTRACTS,
  type FlowName,
  type SyncTogaiAccountInput,
  type SyncTogaiInvoiceInput,
  type SyncZuoraAccountInput,
  type SweepTogaiInvoicesInput,
} from '../../src/flows/index.js';
import { FAILURE_TYPES, type FailureType } from '../../src/shared/failures.js';
import { usageRecordKey } from '../../src/shared/idempotency.js';
import { failureOf, runFlow } from './run.js';
import {
  baseActivities,
  CONNECTION,
  linkSettings,
  newWorld,
  stubActivities,
  togaiAccount,
  togaiInvoice,
  zuoraAccount,
  type World,
} from './stub-world.js';

/**
 * Every failure type of the one list (src/shared/failures.ts), each provoked in a real workflow
 * with stubbed activities on the time-skipping server: a non-retryable type fails the workflow at
 * once with that type (an activity raising it runs once, even when it claims to be retryable for
 * the NEVER_RETRIED types), a retryable one is retried and the sync completes. The record type
 * below makes a new failure type without a scenario a compile error.
 */

interface Scenario {
  flow: FlowName;
  input: unknown;
  world: (w: World) => void;
  /** The activity that raises the type (absent: the workflow raises it itself). */
  activity?: keyof Activities;
  /** Replaces that activity (or others) for this scenario. */
  overrides?: (w: World) => Partial<Activities>;
  /** A Togai account whose account sync is running (and never ends) while the flow runs. */
  hold?: string;
  /**
   * How often the workflow itself calls the activity before failing (default 1: no retry). A
   * refused create is looked up and tried once more under a fresh key (src/workflows/create-once.ts),
   * so it is called twice, never by the retry policy.
   */
  calls?: number;
}

const zuoraSync = (id: string): SyncZuoraAccountInput => ({
  connectionId: CONNECTION,
  zuoraAccountId: id,
  trigger: 'manual',
});
const togaiSync = (id: string): SyncTogaiAccountInput => ({
  connectionId: CONNECTION,
  togaiAccountId: id,
  trigger: 'manual',
});
const invoiceSync = (id: string): SyncTogaiInvoiceInput => ({
  connectionId: CONNECTION,
  togaiInvoiceId: id,
  trigger: 'manual',
});

/** A linked Togai account with its Zuora account, and one invoice. */
function linkedInvoice(w: World, invoice = togaiInvoice('inv-1', 'acct-1')): void {
  w.togaiAccounts.set('acct-1', togaiAccount('acct-1'));
  w.togaiSettings.push(...linkSettings('acct-1', 'z-1'));
  w.zuoraAccounts.set('z-1', zuoraAccount('z-1'));
  w.togaiInvoices.set(invoice.id, invoice);
}

/** `name` fails once with `type`, then behaves: what Temporal's retry must ride out. */
function failOnce(
  w: World,
  name: keyof Activities,
  type: FailureType,
  extra: { nextRetryDelay?: string } = {},
): Partial<Activities> {
  const real = baseActivities(w) as unknown as Record<string, (input: unknown) => Promise<unknown>>;
  let failed = false;
  const fn = (input: unknown): Promise<unknown> => {
    if (!failed) {
      failed = true;
      return Promise.reject(ApplicationFailure.create({ message: `${type} (stub)`, type, ...extra }));
    }
    return real[name]!(input);
  };
  return { [name]: fn };
}

const raise = (type: FailureType, nonRetryable: boolean) => () =>
  Promise.reject(ApplicationFailure.create({ message: `${type} (stub)`, type, nonRetryable }));

const SCENARIOS: Record<FailureType, Scenario> = {
  ZuoraRetryable: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-9'),
    world: (w) => w.zuoraAccounts.set('z-9', zuoraAccount('z-9')),
    activity: 'zuoraGetAccount',
    overrides: (w) => failOnce(w, 'zuoraGetAccount', 'ZuoraRetryable'),
  },
  ZuoraRateLimited: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-9'),
    world: (w) => w.zuoraAccounts.set('z-9', zuoraAccount('z-9')),
    activity: 'zuoraGetAccount',
    // Retry-After: the next attempt waits 30 s (skipped here), not the policy's 1 s.
    overrides: (w) => failOnce(w, 'zuoraGetAccount', 'ZuoraRateLimited', { nextRetryDelay: '30s' }),
  },
  TogaiRetryable: {
    flow: FLOW.togaiAccountToZuora,
    input: togaiSync('acct-9'),
    world: (w) => w.togaiAccounts.set('acct-9', togaiAccount('acct-9')),
    activity: 'togaiGetAccount',
    overrides: (w) => failOnce(w, 'togaiGetAccount', 'TogaiRetryable'),
  },
  TogaiRateLimited: {
    flow: FLOW.togaiAccountToZuora,
    input: togaiSync('acct-9'),
    world: (w) => w.togaiAccounts.set('acct-9', togaiAccount('acct-9')),
    activity: 'togaiGetAccount',
    overrides: (w) => failOnce(w, 'togaiGetAccount', 'TogaiRateLimited'),
  },
  ZuoraNotFound: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-missing'),
    world: () => undefined,
    activity: 'zuoraGetAccount',
  },
  ZuoraBusinessError: {
    flow: FLOW.togaiAccountToZuora,
    input: togaiSync('acct-9'),
    world: (w) => w.togaiAccounts.set('acct-9', togaiAccount('acct-9')),
    activity: 'zuoraCreateAccount',
    overrides: () => ({ zuoraCreateAccount: raise('ZuoraBusinessError', true) }),
    calls: 2,
  },
  ZuoraInvalidResponse: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w),
    activity: 'zuoraGetInvoice',
    overrides: () => ({ zuoraGetInvoice: raise('ZuoraInvalidResponse', true) }),
  },
  InvalidWorkflowInput: {
    flow: FLOW.togaiInvoiceToZuora,
    // As a hand start from the CLI can look: the id under the wrong field name.
    input: { connectionId: CONNECTION, invoiceId: 'inv-1', trigger: 'manual' },
    world: (w) => linkedInvoice(w),
  },
  TogaiNotFound: {
    flow: FLOW.togaiAccountToZuora,
    input: togaiSync('acct-gone'),
    world: () => undefined,
  },
  TogaiBusinessError: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-9'),
    world: (w) => w.zuoraAccounts.set('z-9', zuoraAccount('z-9')),
    activity: 'togaiCreateCustomer',
    overrides: () => ({ togaiCreateCustomer: raise('TogaiBusinessError', true) }),
  },
  TogaiInvalidResponse: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w),
    activity: 'togaiGetInvoice',
    overrides: () => ({ togaiGetInvoice: raise('TogaiInvalidResponse', true) }),
  },
  AuthFailed: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-9'),
    world: (w) => w.zuoraAccounts.set('z-9', zuoraAccount('z-9')),
    activity: 'zuoraGetAccount',
    // Claims to be retryable: the retry policy's NEVER_RETRIED list still stops it.
    overrides: () => ({ zuoraGetAccount: raise('AuthFailed', false) }),
  },
  UnknownConnection: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w),
    activity: 'getInvoiceSyncSettings',
    overrides: () => ({ getInvoiceSyncSettings: raise('UnknownConnection', false) }),
  },
  WorkerMisconfigured: {
    flow: FLOW.invoiceSweep,
    input: { connectionId: CONNECTION, since: '2026-11-01T00:00:00Z' } satisfies SweepTogaiInvoicesInput,
    world: () => undefined,
    activity: 'startInvoiceSyncs',
    overrides: () => ({
      togaiListInvoicePages: () => Promise.resolve({ invoiceIds: ['inv-1'] }),
      // The real activity, built without a Temporal client to start syncs with.
      startInvoiceSyncs: (req) =>
        createSweepActivities({
          clients: { forConnection: () => Promise.reject(new Error('not used')) },
        }).startInvoiceSyncs(req),
    }),
  },
  InvalidSourceData: {
    flow: FLOW.zuoraAccountToTogai,
    input: zuoraSync('z-9'),
    world: (w) => w.zuoraAccounts.set('z-9', zuoraAccount('z-9', { email: null })),
  },
  InvoiceNotGenerated: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { status: 'DRAFT' })),
  },
  CurrencyMismatch: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { currency: 'EUR' })),
  },
  TotalMismatch: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { lines: 2, total: '25' })),
  },
  NegativeInvoice: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) =>
      linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { lines: 1, amount: '10', credit: '-15' })),
  },
  BilledInOtherMode: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => {
      // Usage mode billed another meter of this invoice before the connection switched to
      // invoices; meter fee-0 (10 USD) has no record: a Zuora invoice would bill the rest twice.
      linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { lines: 1, amount: '10', usageQuantity: '5' }));
      w.zuoraUsages.push({ id: 'zu-old', key: usageRecordKey('inv-1', 'other-meter') });
    },
  },
  AccountNotLinked: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-2'),
    world: (w) => {
      w.togaiAccounts.set('acct-2', togaiAccount('acct-2'));
      w.togaiInvoices.set('inv-2', togaiInvoice('inv-2', 'acct-2'));
    },
    // An account sync that never finishes holds flow 2's ID: the link never appears.
    hold: 'acct-2',
  },
  TooManyInvoiceItems: {
    flow: FLOW.togaiInvoiceToZuora,
    input: invoiceSync('inv-1'),
    world: (w) => linkedInvoice(w, togaiInvoice('inv-1', 'acct-1', { lines: 1001, amount: '1' })),
  },
};

describe('Failure types: each one provoked in a real workflow (time-skipping server, stubbed activities)', function () {
  this.timeout(120_000);

  for (const [type, info] of Object.entries(FAILURE_TYPES) as [
    FailureType,
    (typeof FAILURE_TYPES)[FailureType],
  ][]) {
    const scenario = SCENARIOS[type];
    const title = info.retryable
      ? `${type} (${info.raisedBy}) is retried and the sync completes`
      : `${type} (${info.raisedBy}) fails the workflow at once, with its reason`;
    it(title, async () => {
      const world = newWorld();
      scenario.world(world);
      const run = await runFlow(
        scenario.flow,
        scenario.input,
        stubActivities(world, scenario.overrides?.(world)),
        {
          ...(scenario.hold !== undefined && { holdAccountSync: togaiSync(scenario.hold) }),
        },
      );
      const calls = scenario.activity ? (world.calls.get(scenario.activity) ?? 0) : undefined;
      if (info.retryable) {
        assert.equal(run.error, undefined, `expected completion, got ${String(run.error)}`);
        assert.equal(calls, 2, `${scenario.activity} ran once, failed, and once more`);
        return;
      }
      const { failure, fromActivity } = failureOf(run);
      assert.equal(failure.type, type);
      assert.ok(
        FLOW_CONTRACTS[scenario.flow].failures.includes(type),
        `${scenario.flow}'s contract (src/flows) lists ${type} among the failures it ends with`,
      );
      assert.ok(failure.message.length > 0);
      if (scenario.activity) {
        assert.ok(fromActivity, 'raised by an activity');
        assert.equal(calls, scenario.calls ?? 1, `${scenario.activity} was not retried by the retry policy`);
      } else {
        assert.equal(fromActivity, undefined, 'raised by the workflow itself');
        assert.equal(failure.nonRetryable, true);
      }
    });
  }
});
