/**
 * The one list of failure types a sync can end with: the `type` of the ApplicationFailure that
 * the Web UI shows, what it means, whether Temporal retries it, and what the operator does.
 *
 * Everything else derives from this table: the clients' error classes name their type from it
 * (`clients/errors.ts`), workflows throw its types, retry policies list its never-retried types
 * (`flows/*`), and `npm run docs:failures` prints it as the table in docs/architecture.md (a test
 * keeps the two equal).
 *
 * A leaf shared with workflow code: no imports, no I/O.
 */

export interface FailureTypeInfo {
  /** false: the activity or workflow fails at once; retrying cannot help, a person must act. */
  retryable: boolean;
  /** Where it is raised: a vendor call's classification, the activity plumbing, or a workflow rule. */
  raisedBy: 'vendor call' | 'activity' | 'workflow';
  meaning: string;
  /** What the operator does about it, then (for non-retryable ones) retries the workflow. */
  action: string;
}

export const FAILURE_TYPES = {
  ZuoraRetryable: {
    retryable: true,
    raisedBy: 'vendor call',
    meaning:
      'Zuora did not answer, answered 5xx, or a Zuora error code ending in 50/61/70/99, or 409 (same Idempotency-Key in flight)',
    action: 'Nothing: retried with backoff. If it persists past the activity deadline, check Zuora status.',
  },
  ZuoraRateLimited: {
    retryable: true,
    raisedBy: 'vendor call',
    meaning: 'Zuora answered 429 (rate or concurrency limit)',
    action: 'Nothing: retried after Retry-After. Lower the connection concurrency if it is frequent.',
  },
  ZuoraNotFound: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'Zuora has no such object (404 or an error code ending in 40)',
    action: 'Check the id the workflow input or the Togai settings name, correct it, retry.',
  },
  ZuoraBusinessError: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'Zuora refused the request (validation or business rule); its message is in the failure',
    action: 'Fix the data or the tenant set-up Zuora complains about, retry.',
  },
  ZuoraInvalidResponse: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'A Zuora 2xx answer did not match its contract',
    action: 'Report it: the client or the contract needs a change.',
  },
  TogaiRetryable: {
    retryable: true,
    raisedBy: 'vendor call',
    meaning: 'Togai did not answer or answered 5xx',
    action: 'Nothing: retried with backoff.',
  },
  TogaiRateLimited: {
    retryable: true,
    raisedBy: 'vendor call',
    meaning: 'Togai answered 429',
    action: 'Nothing: retried with backoff. Lower the connection requests per second if it is frequent.',
  },
  TogaiNotFound: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'Togai has no such object (a deleted account, an invoice of another organization)',
    action: 'Check the id; nothing to sync if it was deleted.',
  },
  TogaiBusinessError: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'Togai refused the request (validation); its message is in the failure',
    action: 'Fix the data Togai complains about, retry.',
  },
  TogaiInvalidResponse: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'A Togai 2xx answer did not match its contract',
    action: 'Report it: the client or the contract needs a change.',
  },
  AuthFailed: {
    retryable: false,
    raisedBy: 'vendor call',
    meaning: 'Zuora or Togai refused the connection credentials (after one token refresh), or 403',
    action: 'Rotate the credentials (tzs connections rotate), then retry.',
  },
  UnknownConnection: {
    retryable: false,
    raisedBy: 'activity',
    meaning: 'The workflow names a connection the store does not hold (deleted, or a typo)',
    action: 'Start the sync with an existing connection id.',
  },
  WorkerMisconfigured: {
    retryable: false,
    raisedBy: 'activity',
    meaning:
      'The worker that ran the activity lacks a dependency (e.g. a Temporal client for starting syncs)',
    action: 'Run the worker with `npm run worker` (or runWorker), then retry.',
  },
  InvalidWorkflowInput: {
    retryable: false,
    raisedBy: 'workflow',
    meaning:
      "The workflow's input does not match its contract (src/flows): the message names each field and what it must be",
    action:
      'Start the workflow again with the input the message asks for (docs/architecture.md shows each input).',
  },
  InvalidSourceData: {
    retryable: false,
    raisedBy: 'workflow',
    meaning:
      'The source record lacks what the other side needs (email, currency) or links conflict; the message says what to fix where',
    action: 'Fix the record as the message says, retry.',
  },
  InvoiceNotGenerated: {
    retryable: false,
    raisedBy: 'workflow',
    meaning: 'The Togai invoice is not generated (DRAFT, VOID, refund states)',
    action:
      'Nothing: only generated invoices are synced; its invoice.generated event or the sweep starts it.',
  },
  CurrencyMismatch: {
    retryable: false,
    raisedBy: 'workflow',
    meaning: "The Togai invoice's currency differs from the linked Zuora account's",
    action: 'Link the Togai account to a Zuora account in that currency, retry.',
  },
  TotalMismatch: {
    retryable: false,
    raisedBy: 'workflow',
    meaning: "The Zuora invoice's total would differ (or differs) from the Togai invoice's",
    action:
      'Compare both invoices (figures in the failure), correct the Zuora invoice or report the mapping, retry.',
  },
  NegativeInvoice: {
    retryable: false,
    raisedBy: 'workflow',
    meaning:
      'The Togai invoice totals less than zero: Zuora records that as a credit memo, not a standalone invoice',
    action:
      'Create the credit memo in Zuora (or settle the invoice in Togai); the sync then has nothing to add.',
  },
  BilledInOtherMode: {
    retryable: false,
    raisedBy: 'workflow',
    meaning:
      "Part of the Togai invoice's usage is already billed in Zuora as usage records (flows 4/5, before the connection's billing mode changed) and the rest is not: a Zuora invoice would bill the synced part twice",
    action:
      'Bill the unbilled lines named in the failure in Zuora by hand, or switch the connection back to the billing mode the invoice started in (tzs connections update --flow-…) and retry.',
  },
  AccountNotLinked: {
    retryable: false,
    raisedBy: 'workflow',
    meaning: 'The Togai account could not be linked to a Zuora account (the account sync did not link it)',
    action: 'Open the account sync workflow named in the message, fix its cause, retry.',
  },
  TooManyInvoiceItems: {
    retryable: false,
    raisedBy: 'workflow',
    meaning: 'The invoice has more charge lines than a Zuora standalone invoice holds (1,000)',
    action: 'Split the invoice in Togai or sync it by hand.',
  },
} as const satisfies Record<string, FailureTypeInfo>;

export type FailureType = keyof typeof FAILURE_TYPES;

/** `FAILURE.TotalMismatch === 'TotalMismatch'`: typed names, no string literals elsewhere. */
export const FAILURE = Object.fromEntries(Object.keys(FAILURE_TYPES).map((k) => [k, k])) as {
  readonly [K in FailureType]: K;
};

/**
 * Types no retry can fix whichever activity raises them: every activity's retry policy lists them,
 * so even a failure an activity forgot to mark non-retryable fails fast.
 */
export const NEVER_RETRIED: readonly FailureType[] = [
  FAILURE.InvalidSourceData,
  FAILURE.UnknownConnection,
  FAILURE.AuthFailed,
];

/** The docs table: `| type | retried | raised by | meaning | what to do |`. */
export function failureTableMarkdown(): string {
  const rows = Object.entries(FAILURE_TYPES).map(
    ([type, f]) =>
      `| \`${type}\` | ${f.retryable ? 'yes' : 'no'} | ${f.raisedBy} | ${f.meaning} | ${f.action} |`,
  );
  return [
    '| Failure type | Retried | Raised by | Meaning | What to do |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/**
 * Failures that only a change of the data (in Zuora, in Togai, or the connection's settings) can
 * end: the invoice sweep does not rerun a sync whose latest run failed with one of them (it would
 * fail again every 5 minutes); `tzs syncs retry` does, after the fix. Source: each type's "What to
 * do" in the failure table.
 */
export const NEEDS_A_PERSON: readonly FailureType[] = [
  FAILURE.InvalidSourceData,
  FAILURE.CurrencyMismatch,
  FAILURE.TotalMismatch,
  FAILURE.NegativeInvoice,
  FAILURE.BilledInOtherMode,
  FAILURE.TooManyInvoiceItems,
  FAILURE.InvalidWorkflowInput,
];
