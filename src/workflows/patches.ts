/**
 * Every workflow patch (`patched(id)`), in the order they were introduced: a run started before a
 * patch replays on the code it began with, a new run takes the patched code. Once no run from
 * before a patch can be open (retention plus the longest run), its old branch goes and the call
 * becomes `deprecatePatch(id)`; the id must never be reused.
 */
export const PATCH = {
  /** Issue 10: usage routed to each account's subscription (v0.1: one subscription per meter). */
  usageRoutedPerAccount: 'usage-routed-per-account',
  /** Issue 10: the sweep reruns syncs that left usage lines pending. */
  sweepRerunsPendingUsage: 'sweep-reruns-pending-usage',
  /** Issue 10 review: nothing billed both ways; usage record keys without the connection; composite invoices skipped. */
  billingGuard: 'billing-guard',
  /** Issue 10 review: syncs with pending lines record TzsPendingSince and TzsPendingReruns. */
  pendingSince: 'pending-since',
  /** Issue 11: the whole invoice at the currency's precision (v0.1: charge lines as they are). */
  invoiceAtCurrencyPrecision: 'invoice-at-currency-precision',
  /** Issue 12: a refused create is looked up and tried once more under the next key generation. */
  freshKeyAfterRefusal: 'fresh-key-after-refusal',
  /** Issue 12: fewer vendor calls per invoice (no account read, one usage look-up first, no read-back). */
  fewerCallsPerInvoice: 'fewer-calls-per-invoice',
  /** Issue 12 review: the retry after a refusal uses the run's own key generation (was 1 in every run). */
  freshKeyPerRun: 'fresh-key-per-run',
  /** Issue 13: every sync records how it ended (TzsOutcome, TzsOutcomeReason) when it closes. */
  outcomeSearchAttributes: 'outcome-search-attributes',
} as const;
