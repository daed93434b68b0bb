import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { backfill, FLOW } from '../../src/flows/index.js';
import { INPUT_RULES } from '../../src/flows/inputs.js';
import { FAILURE } from '../../src/shared/failures.js';
import { checkInput } from '../../src/workflows/input.js';

/** Inputs as an operator types them into `temporal workflow start --input`, right and wrong. */
describe('Workflow inputs are checked in the first workflow task (src/flows/inputs.ts)', () => {
  const good: Record<string, unknown> = {
    [FLOW.zuoraAccountToTogai]: { connectionId: 'conn_1', zuoraAccountId: '8a1b2c', trigger: 'manual' },
    [FLOW.togaiAccountToZuora]: { connectionId: 'conn_1', togaiAccountId: 'ACC-1', trigger: 'backfill' },
    [FLOW.togaiInvoiceToZuora]: {
      connectionId: 'conn_1',
      togaiInvoiceId: 'inv.01',
      trigger: 'sweep',
      pending: { since: '2026-11-01T00:00:00Z', reruns: 2 },
    },
    [FLOW.invoiceSweep]: { connectionId: 'conn_1', since: '2026-10-01T00:00:00+02:00', pageSize: 50 },
    [FLOW.invoiceAdmission]: { connectionId: 'conn_1', queued: [{ togaiInvoiceId: 'inv.02' }] },
    [FLOW.reconciliation]: {
      connectionId: 'conn_1',
      since: '2026-10-01T00:00:00Z',
      until: '2026-11-01T00:00:00+01:00',
      repair: true,
    },
    [backfill.workflowType]: {
      connectionId: 'conn_1',
      kind: 'togai-invoices',
      since: '2026-10-01T00:00:00Z',
      until: '2026-11-01T00:00:00+01:00',
      dryRun: true,
      concurrency: 10,
    },
  };
  /** Sync, sweep and queue workflow types (FLOW), and the backfill (src/flows/backfill.ts). */
  const types = [...Object.values(FLOW), backfill.workflowType].sort();

  function refusal(type: string, input: unknown): ApplicationFailure {
    try {
      checkInput(type, input);
    } catch (err) {
      assert.ok(err instanceof ApplicationFailure);
      return err;
    }
    return assert.fail(`${type} accepted ${JSON.stringify(input)}`);
  }

  it("accepts each contract's input, and fields a newer version added (runs replay across versions)", () => {
    for (const [type, input] of Object.entries(good)) {
      checkInput(type, input);
      checkInput(type, { ...(input as object), addedLater: true });
    }
    assert.deepEqual(Object.keys(good).sort(), types, 'every workflow type is tried');
    assert.deepEqual(Object.keys(INPUT_RULES).sort(), types, 'every workflow type has rules');
  });

  it('refuses a wrong input at once (non-retryable InvalidWorkflowInput) naming every bad field', () => {
    const cases: [string, unknown, RegExp[]][] = [
      [
        FLOW.togaiInvoiceToZuora,
        { connectionId: 'conn_1', invoiceId: 'x', trigger: 'manual' },
        [/togaiInvoiceId/],
      ],
      [
        FLOW.togaiInvoiceToZuora,
        { connectionId: 'conn 1', togaiInvoiceId: 'a:b', trigger: 'cron' },
        [/connectionId/, /togaiInvoiceId/, /trigger/],
      ],
      [FLOW.zuoraAccountToTogai, 'conn_1', [/\(input\)/]],
      [
        backfill.workflowType,
        { connectionId: 'conn_1', kind: 'togai-invoices', since: 'last week', concurrency: 0, dryRun: 'yes' },
        [/since: expected an ISO-8601 time/, /concurrency/, /dryRun/],
      ],
      [backfill.workflowType, { connectionId: 'conn_1', kind: 'invoices' }, [/kind: expected one of/]],
      [FLOW.togaiAccountToZuora, null, [/\(input\)/]],
      [
        FLOW.invoiceSweep,
        { connectionId: 'conn_1', since: '1 Oct 2026' },
        [/since: expected epoch milliseconds or an ISO-8601 time/],
      ],
      [
        FLOW.invoiceSweep,
        { connectionId: 'conn_1', since: -5, pageSize: 500, concurrency: 0 },
        [/since/, /pageSize/, /concurrency/],
      ],
      [FLOW.invoiceAdmission, { connectionId: 'conn_1', idleMs: 10 }, [/idleMs/]],
      [
        FLOW.reconciliation,
        { connectionId: 'conn_1', since: 'last week', repair: 'yes', togaiPageSize: 500 },
        [/since: expected an ISO-8601 time/, /repair: expected true or false/, /togaiPageSize/],
      ],
    ];
    for (const [type, input, expected] of cases) {
      const err = refusal(type, input);
      assert.equal(err.type, FAILURE.InvalidWorkflowInput);
      assert.equal(err.nonRetryable, true);
      assert.ok(err.message.startsWith(`${type}: invalid input: `), err.message);
      for (const re of expected) assert.match(err.message, re);
    }
  });

  it('does not echo field values into the failure (they can be customer identifiers)', () => {
    const err = refusal(FLOW.togaiInvoiceToZuora, {
      connectionId: 'conn_1',
      togaiInvoiceId: 'jane.doe@example.com has spaces',
      trigger: 'manual',
    });
    assert.doesNotMatch(err.message, /jane\.doe/);
  });
});
