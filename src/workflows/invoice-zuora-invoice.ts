import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { InvoiceSyncSettings, ZuoraInvoiceRef } from '../activities/invoices.js';
import type { TogaiInvoice } from '../clients/togai/schemas.js';
import { togaiInvoiceToZuora, type InvoiceSyncResult } from '../flows/index.js';
import {
  plannedTotal,
  zuoraInvoiceFromTogai,
  type RoundingReport,
} from '../mapping/invoice-togai-to-zuora.js';
import type { FittedField } from '../mapping/fit.js';
import { FAILURE } from '../shared/failures.js';
import { zuoraInvoiceCreateKey } from '../shared/idempotency.js';
import { equals } from '../shared/money.js';
import { invoiceMappingDefaults } from './invoice-settings.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/** What the Zuora invoice part of a sync reports. */
export type InvoicePart = Pick<
  InvoiceSyncResult,
  'reason' | 'zuoraInvoiceId' | 'zuoraInvoiceNumber' | 'totals' | 'rounding' | 'fitted'
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
  const field = settings.customFields.invoiceTogaiInvoiceId;
  const mapping = invoiceMappingDefaults(settings);
  const plan = zuoraInvoiceFromTogai(invoice, {
    zuoraAccountId,
    currency,
    status: settings.invoiceStatus,
    togaiInvoiceIdField: field,
    ...mapping,
  });
  if (plan.kind === 'refuse') {
    // Retrying cannot change the invoice Togai holds: a person must look at it.
    throw ApplicationFailure.nonRetryable(plan.reason, FAILURE[plan.failure], plan.details);
  }
  const rounding: RoundingReport = plan.rounding;
  // What Zuora must hold: Togai's total at the currency's precision (the report says by how much it moved).
  const expected = rounding.zuoraTotal;
  const totals = (zuora: string) => ({ currency, togai: invoice.totalAmount, zuora });
  const mismatch = (zuoraTotal: string, where: string): ApplicationFailure =>
    ApplicationFailure.nonRetryable(
      `Total mismatch: Togai invoice ${invoice.id} totals ${invoice.totalAmount} ${currency} (${expected} at ${currency}'s precision), ${where} ${zuoraTotal} ${currency}`,
      FAILURE.TotalMismatch,
      { togaiTotal: invoice.totalAmount, expected, zuoraTotal, currency },
    );

  const found = await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id });
  let ref: ZuoraInvoiceRef | undefined = found[0];
  let outcome: InvoicePart['outcome'];
  let reason: string;
  let fitted: FittedField[] = [];
  if (ref) {
    outcome = 'adopted';
    reason =
      `Zuora invoice ${ref.invoiceNumber ?? ref.id} already carries Togai invoice ${invoice.id} in ${field}` +
      (found.length > 1 ? ` (${found.length} invoices do; the first was taken)` : '');
  } else {
    const skipZero = mapping.zeroTotalInvoices === 'skip' && equals(expected, '0');
    if (plan.kind === 'empty' || skipZero) {
      return {
        outcome: 'empty',
        reason:
          plan.kind === 'empty'
            ? `Togai invoice ${invoice.id} has no charge lines and totals 0: no Zuora invoice is needed`
            : `Togai invoice ${invoice.id} totals 0 and the connection skips zero invoices (zuora.zeroTotalInvoices)`,
        totals: totals('0'),
        rounding,
      };
    }
    // Checked before creating: an invoice that cannot match is better not made at all.
    const planned = plannedTotal(plan.body);
    if (!equals(planned, expected)) throw mismatch(planned, 'the Zuora invoice planned for it sums to');
    ref = await acts.zuoraCreateInvoice({
      connectionId,
      body: plan.body,
      idempotencyKey: zuoraInvoiceCreateKey(connectionId, invoice.id),
    });
    outcome = 'created';
    reason = `created Zuora invoice ${ref.invoiceNumber ?? ref.id} (${settings.invoiceStatus}) for Togai invoice ${invoice.id}`;
    fitted = plan.fitted;
  }

  // Read back: what Zuora holds is what counts (an adopted invoice may have been edited since).
  const zuora = await acts.zuoraGetInvoice({ connectionId, invoiceKey: ref.id });
  const zuoraTotal = zuora.amount ?? '0';
  if (!equals(zuoraTotal, expected))
    throw mismatch(zuoraTotal, `Zuora invoice ${zuora.invoiceNumber ?? zuora.id} totals`);
  const number = zuora.invoiceNumber ?? ref.invoiceNumber;
  return {
    outcome,
    reason,
    zuoraInvoiceId: zuora.id,
    ...(number !== undefined && { zuoraInvoiceNumber: number }),
    totals: totals(zuoraTotal),
    rounding,
    ...(fitted.length > 0 && { fitted }),
  };
}
