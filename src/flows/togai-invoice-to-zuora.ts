import { FAILURE, type FailureType } from '../shared/failures.js';
import type { DecimalString } from '../shared/money.js';
import type { UsageSyncMode } from '../connections/settings.js';
import type { FittedField } from '../mapping/fit.js';
import type { RoundingReport } from '../mapping/invoice-togai-to-zuora.js';
import type { SkipKind } from '../mapping/usage-togai-to-zuora.js';
import type { OutcomeReasonKind } from './outcome.js';
import { VENDOR_CALL_FAILURES, vendorActivityOptions, type BillingMode, type SyncTrigger } from './common.js';

/**
 * The invoice flow's contract (flows 3, 4 and 5: a generated Togai invoice becomes one standalone
 * Zuora invoice and its usage lines Zuora usage records): workflow type, ID, input, result,
 * activity options and failures. Imported by the workflow, the gateway (Togai
 * `invoice.generated`), the sweep and the tests.
 */

export interface SyncTogaiInvoiceInput {
  connectionId: string;
  togaiInvoiceId: string;
  trigger: SyncTrigger;
  /** Id of the Togai event, when a webhook started it. */
  eventId?: string;
  /**
   * Set by the sweep when it reruns a sync for its pending usage lines: since when (ISO-8601, UTC)
   * the invoice has had pending lines, and how many reruns came before this one.
   */
  pending?: { since: string; reruns: number };
}

/** One usage record the run made or found. Quantities and amounts are exact decimal strings. */
export interface UsageRecordSynced {
  meterId: string;
  mode: UsageSyncMode;
  zuoraUsageId: string;
  quantity: DecimalString;
  /** Per unit, in the invoice's currency. */
  unitAmount: DecimalString;
  /** Togai's exact figure when the quantity sent differs: revenue mode rounds money to the currency, quantity mode fits Zuora's 16 characters (the unit amount then follows). */
  exactQuantity?: DecimalString;
  outcome: 'created' | 'adopted';
  /** The subscription and its charge the record bills to (records this run created). */
  subscriptionNumber?: string;
  chargeNumber?: string;
}

/** A usage line not synced, and why; the rest of the invoice is synced regardless. */
export interface SkippedUsageLine {
  /** Position in the Togai invoice's `usageInfo`. */
  line: number;
  description: string;
  meterId?: string;
  /** no-meter, no-mapping, no-subscription, ambiguous-subscription, refused, flow-off, … (mapping/usage-togai-to-zuora.ts). */
  kind: SkipKind;
  /** True when a mapping or a Zuora set-up can fix it: a later run (the sweep's rerun) syncs the line then. */
  pending: boolean;
  reason: string;
}

/** What `syncTogaiInvoiceToZuora` returns: a small report of what it did. */
export interface InvoiceSyncResult {
  /**
   * created: this run made the Zuora invoice or a usage record; adopted: an earlier run (or a
   * person) had made all of them; empty: nothing to bill (no charge lines and a zero total, or no
   * usage lines); skipped: no invoice or usage flow is on for the connection, or a composite
   * invoice (its member invoices are synced); already-billed: Zuora bills this invoice the other
   * way already (its Zuora invoice, or its usage records, from before the billing mode changed).
   */
  outcome: 'created' | 'adopted' | 'empty' | 'skipped' | 'already-billed';
  /** Who bills: Togai invoices (flow 3) or Zuora bills the usage (flows 4/5); none when skipped. */
  billingMode?: BillingMode;
  reason: string;
  /** The reason as a kind (src/flows/outcome.ts), also in `TzsOutcomeReason`; absent in results of runs before issue 13. */
  reasonKind?: OutcomeReasonKind;
  togaiInvoiceId: string;
  togaiAccountId: string;
  zuoraAccountId: string;
  zuoraInvoiceId?: string;
  zuoraInvoiceNumber?: string;
  /** Flow 3: both invoice totals in the invoice's currency (ISO 4217 code); Togai's exact, Zuora's at its precision. */
  totals?: { currency: string; togai: DecimalString; zuora: DecimalString };
  /** Flow 3: how amounts were rounded to the currency's decimal places (every line that moved). */
  rounding?: RoundingReport;
  /** Texts cut to Zuora's field limits (lengths only), and where the full text was kept. */
  fitted?: FittedField[];
  usage: UsageRecordSynced[];
  skipped: SkippedUsageLine[];
}

export const togaiInvoiceToZuora = {
  workflowType: 'syncTogaiInvoiceToZuora',
  /** One ID per Togai invoice: the webhook, the sweep and backfills meet at it. */
  workflowId: (connectionId: string, togaiInvoiceId: string): string =>
    `togai-invoice:${connectionId}:${togaiInvoiceId}`,
  /** One vendor call per activity, retried from 1 s doubling to 1 min, for 30 min. */
  activityOptions: vendorActivityOptions(),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.InvoiceNotGenerated,
    FAILURE.CurrencyMismatch,
    FAILURE.TotalMismatch,
    FAILURE.NegativeInvoice,
    FAILURE.BilledInOtherMode,
    FAILURE.AccountNotLinked,
    FAILURE.TooManyInvoiceItems,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
