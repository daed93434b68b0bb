import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { InvoiceSyncSettings, ZuoraInvoiceRef } from '../activities/invoices.js';
import type { TogaiInvoice } from '../clients/togai/schemas.js';
import { togaiInvoiceToZuora, type InvoiceSyncResult } from '../flows/index.js';
import {
  itemsTotal,
  MAX_ZUORA_INVOICE_ITEMS,
  togaiChargeLines,
  zuoraInvoiceFromTogai,
} from '../mapping/invoice-togai-to-zuora.js';
import { FAILURE } from '../shared/failures.js';
import { zuoraInvoiceCreateKey } from '../shared/idempotency.js';
import { equals, isZero } from '../shared/money.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/** What the Zuora invoice part of a sync reports. */
export type InvoicePart = Pick<
  InvoiceSyncResult,
  'reason' | 'zuoraInvoiceId' | 'zuoraInvoiceNumber' | 'totals'
> & {
  outcome: 'created' | 'adopted' | 'empty';
};

/**
 * Flow 3: the one standalone Zuora invoice of a Togai invoice, looked up by its custom field
 * before it is created with a deterministic Idempotency-Key, and its total read back.
 */
export async function ensureZuoraInvoice(
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
  let outcome: InvoicePart['outcome'];
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
