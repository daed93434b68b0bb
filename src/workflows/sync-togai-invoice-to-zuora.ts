import { ApplicationFailure, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
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
  const { connectionId, togaiInvoiceId } = input;
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
  if (!flows.invoices && !usageOn) {
    return {
      outcome: 'skipped',
      billingMode: 'none',
      reason: `flows 3, 4 and 5 (invoice and usage sync) are off for connection ${connectionId}: nothing to do`,
      togaiInvoiceId: invoice.id,
      togaiAccountId,
      zuoraAccountId: '',
      usage: [],
      skipped: [],
    };
  }

  const link = await ensureAccountLinked(connectionId, togaiAccountId, settings.settingsNamespace, flows);
  const zuoraAccountId = link.zuoraAccountId;
  upsertSearchAttributes([{ key: SA.zuoraAccountId, value: zuoraAccountId }]);

  const zuoraCurrency = await acts.zuoraGetAccountCurrency({ connectionId, accountKey: zuoraAccountId });
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
    ? await ensureZuoraInvoice(connectionId, invoice, settings, zuoraAccountId, currency)
    : undefined;
  const { usage, skipped } = usageOn
    ? await syncUsage({
        connectionId,
        currency,
        invoice,
        settings,
        flows,
        zuoraAccountId,
        accountSettings: link.settings,
      })
    : { usage: [], skipped: [] };
  const pending = skipped.filter((s) => s.pending).length;
  upsertSearchAttributes([
    { key: SA.skippedUsageLines, value: skipped.length },
    { key: SA.pendingUsageLines, value: pending },
  ]);

  return {
    ...(synced ?? usageOutcome({ usage, skipped }, invoice.id)),
    billingMode: billingMode(flows),
    togaiInvoiceId: invoice.id,
    togaiAccountId,
    zuoraAccountId,
    usage,
    skipped,
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
