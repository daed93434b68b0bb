import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import type { InvoiceSyncSettings, ZuoraInvoiceRef } from '../activities/invoices.js';
import type { TogaiInvoice } from '../clients/togai/schemas.js';
import {
  togaiAccountToZuora,
  togaiInvoiceToZuora,
  type AccountSyncResult,
  type InvoiceSyncResult,
  type SkippedUsageLine,
  type SyncTogaiAccountInput,
  type SyncTogaiInvoiceInput,
  type UsageRecordSynced,
} from '../flows/index.js';
import {
  isSyncableInvoiceStatus,
  itemsTotal,
  MAX_ZUORA_INVOICE_ITEMS,
  togaiChargeLines,
  togaiInvoiceCurrency,
  zuoraInvoiceFromTogai,
} from '../mapping/invoice-togai-to-zuora.js';
import { zuoraAccountIdFromSettings } from '../mapping/togai-account-to-zuora.js';
import {
  meterByName,
  meterMapping,
  meterRevenue,
  togaiUsageLines,
  usageFigures,
  USAGE_KEY_FIELD,
  zuoraUsageFromLine,
  type MeterNames,
} from '../mapping/usage-togai-to-zuora.js';
import { FAILURE } from '../shared/failures.js';
import { zuoraInvoiceCreateKey, zuoraUsageCreateKey } from '../shared/idempotency.js';
import { equals, isZero } from '../shared/money.js';
import { SA } from '../shared/search-attributes.js';
import type { syncTogaiAccountToZuora } from './sync-togai-account-to-zuora.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/**
 * Flows 3, 4 and 5: a generated Togai invoice becomes one standalone Zuora invoice under the
 * mapped account, and each of its usage lines one Zuora usage record (quantity or revenue mode),
 * never two however often it runs: every create is looked up first (custom fields outlive
 * Zuora's 24 h idempotency window) and sent with a deterministic Idempotency-Key (which covers
 * an answer lost after Zuora committed).
 */
export async function syncTogaiInvoiceToZuora(input: SyncTogaiInvoiceInput): Promise<InvoiceSyncResult> {
  const { connectionId, togaiInvoiceId } = input;
  upsertSearchAttributes([
    { key: SA.connectionId, value: connectionId },
    { key: SA.flow, value: togaiInvoiceToZuora.workflowType },
    { key: SA.togaiInvoiceId, value: togaiInvoiceId },
  ]);

  const settings = await acts.getInvoiceSyncSettings({ connectionId });
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

  const zuoraAccountId = await ensureAccountLinked(connectionId, togaiAccountId, settings.settingsNamespace);
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

  const synced = await ensureZuoraInvoice(connectionId, invoice, settings, zuoraAccountId, currency);
  const { usage, skipped } = await syncUsage(connectionId, invoice, settings, zuoraAccountId);
  upsertSearchAttributes([{ key: SA.skippedUsageLines, value: skipped.length }]);

  return {
    ...synced,
    togaiInvoiceId: invoice.id,
    togaiAccountId,
    zuoraAccountId,
    usage,
    skipped,
  };
}

async function togaiAccountCurrency(
  connectionId: string,
  togaiAccountId: string,
): Promise<string | undefined> {
  const account = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
  return account?.invoiceCurrency ?? undefined;
}

/**
 * The Zuora account the Togai account is linked to. Unlinked, flow 2 runs as a child under its
 * own deterministic id, so a concurrent account sync (webhook, another invoice) is joined rather
 * than duplicated: if that id is already running, we wait for its link to appear.
 */
async function ensureAccountLinked(
  connectionId: string,
  togaiAccountId: string,
  namespace: string,
): Promise<string> {
  const linked = await readLink(connectionId, togaiAccountId, namespace);
  if (linked) return linked;
  try {
    const child: AccountSyncResult = await executeChild<typeof syncTogaiAccountToZuora>(
      togaiAccountToZuora.workflowType,
      {
        workflowId: togaiAccountToZuora.workflowId(connectionId, togaiAccountId),
        args: [{ connectionId, togaiAccountId, trigger: 'child' } satisfies SyncTogaiAccountInput],
        // The account sync is worth finishing even if this invoice sync is terminated.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      },
    );
    if (child.zuoraAccountId) return child.zuoraAccountId;
    throw ApplicationFailure.nonRetryable(
      `Togai account ${togaiAccountId} could not be linked to Zuora: ${child.reason}`,
      FAILURE.AccountNotLinked,
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // The running account sync is bounded by its activities' 30-minute schedule-to-close; poll a
  // little longer than that for the link it writes.
  for (let waited = 0, delay = 1; waited < 35 * 60; waited += delay, delay = Math.min(delay * 2, 60)) {
    await sleep(delay * 1000);
    const link = await readLink(connectionId, togaiAccountId, namespace);
    if (link) return link;
  }
  throw ApplicationFailure.nonRetryable(
    `Togai account ${togaiAccountId} is still not linked to Zuora after the concurrent account sync ` +
      `(${togaiAccountToZuora.workflowId(connectionId, togaiAccountId)}): see that workflow, then retry this one`,
    FAILURE.AccountNotLinked,
  );
}

async function readLink(
  connectionId: string,
  togaiAccountId: string,
  namespace: string,
): Promise<string | undefined> {
  const account = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
  if (!account) {
    throw ApplicationFailure.nonRetryable(
      `Togai account ${togaiAccountId} does not exist`,
      FAILURE.TogaiNotFound,
    );
  }
  const settings = await acts.togaiListAccountSettings({
    connectionId,
    accountId: togaiAccountId,
    namespace,
  });
  return zuoraAccountIdFromSettings({ ...account, settings }, namespace);
}

type InvoicePart = Pick<
  InvoiceSyncResult,
  'outcome' | 'reason' | 'zuoraInvoiceId' | 'zuoraInvoiceNumber' | 'totals'
>;

async function ensureZuoraInvoice(
  connectionId: string,
  invoice: TogaiInvoice,
  settings: InvoiceSyncSettings,
  zuoraAccountId: string,
  currency: string,
): Promise<InvoicePart> {
  const togaiTotal = invoice.totalAmount;
  const field = settings.customFields.invoiceTogaiInvoiceId;
  const mismatch = (zuoraTotal: string, where: string): ApplicationFailure =>
    ApplicationFailure.nonRetryable(
      `Total mismatch: Togai invoice ${invoice.id} totals ${togaiTotal} ${currency}, ${where} ${zuoraTotal} ${currency}`,
      FAILURE.TotalMismatch,
      { togaiTotal, zuoraTotal, currency },
    );

  const found = await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id });
  let ref: ZuoraInvoiceRef | undefined = found[0];
  let outcome: InvoiceSyncResult['outcome'];
  let reason: string;
  if (ref) {
    outcome = 'adopted';
    reason =
      `Zuora invoice ${ref.invoiceNumber ?? ref.id} already carries Togai invoice ${invoice.id} in ${field}` +
      (found.length > 1 ? ` (${found.length} invoices do; the first was taken)` : '');
  } else {
    if (togaiChargeLines(invoice).length === 0) {
      // Zuora refuses an invoice without items; a zero invoice has nothing to bill anyway.
      if (!isZero(togaiTotal)) throw mismatch('0', 'while it has no charge lines to invoice, i.e.');
      return {
        outcome: 'empty',
        reason: `Togai invoice ${invoice.id} has no charge lines and totals 0: no Zuora invoice is needed`,
        totals: { currency, togai: togaiTotal, zuora: '0' },
      };
    }
    const body = zuoraInvoiceFromTogai(invoice, {
      zuoraAccountId,
      currency,
      status: settings.invoiceStatus,
      togaiInvoiceIdField: field,
    });
    if (body.invoiceItems.length > MAX_ZUORA_INVOICE_ITEMS) {
      // Zuora's limit per standalone invoice; retrying cannot change it.
      throw ApplicationFailure.nonRetryable(
        `Togai invoice ${invoice.id} has ${body.invoiceItems.length} charge lines; a Zuora standalone invoice holds at most ${MAX_ZUORA_INVOICE_ITEMS}`,
        FAILURE.TooManyInvoiceItems,
      );
    }
    // Checked before creating: an invoice that cannot match is better not made at all.
    const planned = itemsTotal(body);
    if (!equals(planned, togaiTotal)) throw mismatch(planned, 'its charge lines sum to');
    ref = await acts.zuoraCreateInvoice({
      connectionId,
      body,
      idempotencyKey: zuoraInvoiceCreateKey(connectionId, invoice.id),
    });
    outcome = 'created';
    reason = `created Zuora invoice ${ref.invoiceNumber ?? ref.id} (${settings.invoiceStatus}) for Togai invoice ${invoice.id}`;
  }

  // Read back: what Zuora holds is what counts (an adopted invoice may have been edited since).
  const zuora = await acts.zuoraGetInvoice({ connectionId, invoiceKey: ref.id });
  const zuoraTotal = zuora.amount ?? '0';
  if (!equals(zuoraTotal, togaiTotal))
    throw mismatch(zuoraTotal, `Zuora invoice ${zuora.invoiceNumber ?? zuora.id} totals`);
  const number = zuora.invoiceNumber ?? ref.invoiceNumber;
  return {
    outcome,
    reason,
    zuoraInvoiceId: zuora.id,
    ...(number !== undefined && { zuoraInvoiceNumber: number }),
    totals: { currency, togai: togaiTotal, zuora: zuoraTotal },
  };
}

async function syncUsage(
  connectionId: string,
  invoice: TogaiInvoice,
  settings: InvoiceSyncSettings,
  zuoraAccountId: string,
): Promise<{ usage: UsageRecordSynced[]; skipped: SkippedUsageLine[] }> {
  const usage: UsageRecordSynced[] = [];
  const skipped: SkippedUsageLine[] = [];
  let meters: MeterNames[] | undefined;
  const start = invoice.startDate ?? invoice.invoiceDate;
  const end = invoice.endDate ?? invoice.invoiceDate;

  for (const line of togaiUsageLines(invoice)) {
    let meterId = line.meterId;
    if (meterId === undefined) {
      meters ??= await acts.togaiListUsageMeterNames({ connectionId });
      meterId = meterByName(line.description, meters);
    }
    const base = { line: line.index, description: line.description };
    if (meterId === undefined) {
      skipped.push({ ...base, reason: `no usage meter (or several) is named "${line.description}"` });
      continue;
    }
    const meterSettings = await acts.togaiListUsageMeterSettings({
      connectionId,
      usageMeterId: meterId,
      namespace: settings.settingsNamespace,
    });
    const decided = meterMapping(meterSettings, settings.settingsNamespace, settings.usageSyncMode);
    if ('skip' in decided) {
      skipped.push({ ...base, meterId, reason: decided.skip });
      continue;
    }
    const { mapping } = decided;
    const figures = usageFigures(mapping.mode, line.quantity, meterRevenue(invoice, meterId));
    const key = zuoraUsageCreateKey(connectionId, invoice.id, meterId);
    const existing = await acts.zuoraFindUsagesByField({ connectionId, field: USAGE_KEY_FIELD, value: key });
    let id = existing[0];
    let outcome: UsageRecordSynced['outcome'] = 'adopted';
    if (id === undefined) {
      const body = zuoraUsageFromLine(mapping, figures, {
        zuoraAccountId,
        togaiInvoiceId: invoice.id,
        meterId,
        start,
        end,
        unitAmountField: settings.customFields.usageUnitAmount,
        idempotencyKey: key,
      });
      id = (await acts.zuoraCreateUsage({ connectionId, body, idempotencyKey: key })).id;
      outcome = 'created';
    }
    usage.push({ meterId, mode: mapping.mode, zuoraUsageId: id, ...figures, outcome });
  }
  return { usage, skipped };
}
