import { ApplicationFailure, patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  invoiceReasonKind,
  ALL_FLOWS_ON,
  billingMode,
  togaiInvoiceToZuora,
  type InvoiceSyncResult,
  type SyncTogaiInvoiceInput,
} from '../flows/index.js';
import { isSyncableInvoiceStatus, togaiInvoiceCurrency } from '../mapping/invoice-togai-to-zuora.js';
import { FAILURE } from '../shared/failures.js';
import { SA } from '../shared/search-attributes.js';
import { ensureAccountLinked } from './invoice-account.js';
import { syncUsage, type UsagePart } from './invoice-usage.js';
import { ensureZuoraInvoice, type InvoicePart } from './invoice-zuora-invoice.js';
import { PATCH } from './patches.js';
import { checkInput } from './input.js';
import { countInvoiceResult, recordingOutcome } from './outcome.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/**
 * Flows 3, 4 and 5: a generated Togai invoice becomes, by the connection's billing mode, one
 * standalone Zuora invoice under the mapped account (flow 3, Togai invoices), or Zuora usage
 * records under each account's own subscription (flows 4/5, Zuora bills the usage); never both,
 * never twice however often it runs: every create is looked up first (custom fields outlive
 * Zuora's 24 h idempotency window) and sent with a deterministic Idempotency-Key (which covers an
 * answer lost after Zuora committed). Usage lines that cannot be synced yet are reported, counted
 * in `TzsPendingUsageLines`, and synced by a later run once their mapping exists.
 */
export async function syncTogaiInvoiceToZuora(input: SyncTogaiInvoiceInput): Promise<InvoiceSyncResult> {
  return recordingOutcome(() => sync(input), invoiceReasonKind, countInvoiceResult);
}

async function sync(input: SyncTogaiInvoiceInput): Promise<InvoiceSyncResult> {
  checkInput('syncTogaiInvoiceToZuora', input);
  const { connectionId, togaiInvoiceId } = input;
  // Reconciliation found this invoice's Zuora side gone: what was created before must be made anew.
  const repair = input.trigger === 'reconcile';
  upsertSearchAttributes([
    { key: SA.connectionId, value: connectionId },
    { key: SA.flow, value: togaiInvoiceToZuora.workflowType },
    { key: SA.togaiInvoiceId, value: togaiInvoiceId },
  ]);

  const settings = await acts.getInvoiceSyncSettings({ connectionId });
  // Runs started before flows could be chosen read settings without `flows`: they did everything.
  const flows = settings.flows ?? ALL_FLOWS_ON;
  const usageOn = flows.usageQuantity || flows.usageRevenue;
  const invoice = await acts.togaiGetInvoice({ connectionId, invoiceId: togaiInvoiceId });
  if (!invoice) {
    throw ApplicationFailure.nonRetryable(
      `Togai invoice ${togaiInvoiceId} does not exist`,
      FAILURE.TogaiNotFound,
    );
  }
  if (!isSyncableInvoiceStatus(invoice.status)) {
    throw ApplicationFailure.nonRetryable(
      `Togai invoice ${invoice.id} is ${invoice.status}, not generated (DUE or MERGED): only a closed cycle's invoice is synced to Zuora`,
      FAILURE.InvoiceNotGenerated,
    );
  }
  const togaiAccountId = invoice.ownerId ?? undefined;
  if (!togaiAccountId) {
    throw ApplicationFailure.nonRetryable(
      `Togai invoice ${invoice.id} names no account (ownerId)`,
      FAILURE.TogaiNotFound,
    );
  }
  upsertSearchAttributes([{ key: SA.togaiAccountId, value: togaiAccountId }]);
  const skipped = (reason: string, mode: InvoiceSyncResult['billingMode']): InvoiceSyncResult => ({
    outcome: 'skipped',
    billingMode: mode,
    reason,
    togaiInvoiceId: invoice.id,
    togaiAccountId,
    zuoraAccountId: '',
    usage: [],
    skipped: [],
  });
  // A composite invoice (an invoice group's) repeats its member invoices, which are MERGED and
  // synced one by one under their own accounts: syncing it as well would bill them twice.
  if (invoice.invoiceType === 'COMPOSITE' && patched(PATCH.billingGuard)) {
    return skipped(
      `Togai invoice ${invoice.id} is a composite (invoice group) invoice: its member invoices (status MERGED) are synced to Zuora one by one, so it is not`,
      billingMode(flows),
    );
  }
  if (!flows.invoices && !usageOn) {
    return skipped(
      `flows 3, 4 and 5 (invoice and usage sync) are off for connection ${connectionId}: nothing to do`,
      'none',
    );
  }

  const link = await ensureAccountLinked(connectionId, togaiAccountId, settings.settingsNamespace, flows);
  const zuoraAccountId = link.zuoraAccountId;
  upsertSearchAttributes([{ key: SA.zuoraAccountId, value: zuoraAccountId }]);

  // Zuora bills the usage: the account's subscriptions are read anyway (routing), and carry its
  // currency, so the account itself is not read (one call less per invoice).
  const subscriptions =
    !flows.invoices && usageOn && patched(PATCH.fewerCallsPerInvoice)
      ? await acts.zuoraListSubscriptions({ connectionId, accountKey: zuoraAccountId })
      : undefined;
  const zuoraCurrency =
    subscriptions?.find((s) => s.currency)?.currency ??
    (await acts.zuoraGetAccountCurrency({ connectionId, accountKey: zuoraAccountId }));
  const togaiCurrency =
    togaiInvoiceCurrency(invoice) ?? (await togaiAccountCurrency(connectionId, togaiAccountId));
  if (!zuoraCurrency || !togaiCurrency || zuoraCurrency.toUpperCase() !== togaiCurrency.toUpperCase()) {
    throw ApplicationFailure.nonRetryable(
      `Currency mismatch: Togai invoice ${invoice.id} is in ${togaiCurrency ?? 'an unknown currency'}, ` +
        `Zuora account ${zuoraAccountId} bills in ${zuoraCurrency ?? 'an unknown currency'}; ` +
        `a Zuora account's currency is fixed, so link the Togai account to a Zuora account in ${togaiCurrency ?? 'its currency'}`,
      FAILURE.CurrencyMismatch,
      { togaiCurrency, zuoraCurrency },
    );
  }
  const currency = zuoraCurrency;

  const synced = flows.invoices
    ? await ensureZuoraInvoice(connectionId, invoice, settings, zuoraAccountId, currency, repair)
    : undefined;
  // Usage billing after invoice billing (the mode changed, or an operator reran an old invoice):
  // a Zuora invoice made for this Togai invoice means Zuora bills it already.
  if (!flows.invoices && usageOn && patched(PATCH.billingGuard)) {
    const field = settings.customFields.invoiceTogaiInvoiceId;
    const [billed] = await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id });
    if (billed) {
      return {
        outcome: 'already-billed',
        billingMode: billingMode(flows),
        reason: `Togai invoice ${invoice.id} is already billed in Zuora as invoice ${billed.invoiceNumber ?? billed.id} (flow 3, ${field}): its usage is not synced as usage records, so nothing is billed twice`,
        togaiInvoiceId: invoice.id,
        togaiAccountId,
        zuoraAccountId,
        zuoraInvoiceId: billed.id,
        ...(billed.invoiceNumber !== undefined && { zuoraInvoiceNumber: billed.invoiceNumber }),
        usage: [],
        skipped: [],
      };
    }
  }
  const { usage, skipped: skippedLines } = usageOn
    ? await syncUsage({
        connectionId,
        currency,
        invoice,
        settings,
        flows,
        zuoraAccountId,
        accountSettings: link.settings,
        ...(subscriptions !== undefined && { subscriptions }),
        ...(repair && { fresh: true }),
      })
    : { usage: [], skipped: [] };
  const pending = skippedLines.filter((s) => s.pending).length;
  upsertSearchAttributes([
    { key: SA.skippedUsageLines, value: skippedLines.length },
    { key: SA.pendingUsageLines, value: pending },
  ]);
  // The sweep reruns the oldest pending invoices first, backs off per rerun, and gives up after
  // its window: it reads when the lines first became pending and how often they were rerun.
  if (pending > 0 && patched(PATCH.pendingSince)) {
    const since = Date.parse(input.pending?.since ?? '');
    const reruns = input.pending?.reruns;
    upsertSearchAttributes([
      { key: SA.pendingSince, value: new Date(Number.isFinite(since) ? since : Date.now()) },
      { key: SA.pendingReruns, value: Number.isInteger(reruns) && reruns! >= 0 ? reruns! : 0 },
    ]);
  }

  return {
    ...(synced ?? usageOutcome({ usage, skipped: skippedLines }, invoice.id)),
    billingMode: billingMode(flows),
    togaiInvoiceId: invoice.id,
    togaiAccountId,
    zuoraAccountId,
    usage,
    skipped: skippedLines,
  };
}

/** Zuora bills the usage (no Zuora invoice): the outcome is what happened to the usage records. */
function usageOutcome(
  part: UsagePart,
  invoiceId: string,
): Pick<InvoicePart, 'reason'> & {
  outcome: InvoiceSyncResult['outcome'];
} {
  const created = part.usage.filter((u) => u.outcome === 'created').length;
  const pending = part.skipped.filter((s) => s.pending).length;
  const tail = pending > 0 ? `; ${pending} usage line(s) wait for a mapping and sync on a later run` : '';
  if (created > 0)
    return {
      outcome: 'created',
      reason: `created ${created} Zuora usage record(s) for Togai invoice ${invoiceId}${tail}`,
    };
  if (part.usage.length > 0)
    return {
      outcome: 'adopted',
      reason: `every usage record of Togai invoice ${invoiceId} was already in Zuora${tail}`,
    };
  if (part.skipped.length > 0)
    return {
      outcome: 'skipped',
      reason: `no usage line of Togai invoice ${invoiceId} could be synced${tail}`,
    };
  return {
    outcome: 'empty',
    reason: `Togai invoice ${invoiceId} has no usage lines: nothing for Zuora to bill`,
  };
}

async function togaiAccountCurrency(
  connectionId: string,
  togaiAccountId: string,
): Promise<string | undefined> {
  const account = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
  return account?.invoiceCurrency ?? undefined;
}
