import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { InvoiceSyncSettings, ZuoraInvoiceRef, ZuoraInvoiceSummary } from '../activities/invoices.js';
import type { TogaiInvoice } from '../clients/togai/schemas.js';
import { togaiInvoiceToZuora, type InvoiceSyncResult } from '../flows/index.js';
import {
  legacyItemsTotal,
  legacyTogaiChargeLines,
  legacyZuoraInvoiceFromTogai,
} from '../mapping/legacy-invoice-v0.1.js';
import {
  MAX_ZUORA_INVOICE_ITEMS,
  plannedTotal,
  zuoraInvoiceFromTogai,
  type RoundingReport,
} from '../mapping/invoice-togai-to-zuora.js';
import type { FittedField } from '../mapping/fit.js';
import { FAILURE } from '../shared/failures.js';
import { zuoraInvoiceCreateKey } from '../shared/idempotency.js';
import { equals, isZero } from '../shared/money.js';
import { USAGE_KEY_FIELD } from '../mapping/usage-togai-to-zuora.js';
import { invoiceMappingDefaults } from './invoice-settings.js';
import { createOnce } from './create-once.js';
import { usageBilledAlready } from './invoice-usage.js';
import { PATCH } from './patches.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/** What the Zuora invoice part of a sync reports. */
export type InvoicePart = Pick<
  InvoiceSyncResult,
  'reason' | 'zuoraInvoiceId' | 'zuoraInvoiceNumber' | 'totals' | 'rounding' | 'fitted'
> & {
  outcome: 'created' | 'adopted' | 'empty' | 'already-billed';
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
  /** A repair run (reconciliation): create under this run's key (see `createOnce`). */
  fresh = false,
): Promise<InvoicePart> {
  // Runs started before whole invoices at the currency's precision finish as v0.1 began them.
  if (!patched(PATCH.invoiceAtCurrencyPrecision))
    return legacyEnsureZuoraInvoice(connectionId, invoice, settings, zuoraAccountId, currency);
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
      // Amounts go in the details (encrypted payloads), never the message (kept in clear by Temporal).
      `Total mismatch: Togai invoice ${invoice.id} and ${where} differ (both totals, ${currency}, in the failure details)`,
      FAILURE.TotalMismatch,
      { togaiTotal: invoice.totalAmount, expected, zuoraTotal, currency },
    );

  const found = await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id });
  let ref: ZuoraInvoiceSummary | undefined = found[0];
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
    // Zuora may bill this invoice's usage already (usage records from before the billing mode
    // changed, or from another connection): a Zuora invoice would bill it twice.
    if (patched(PATCH.billingGuard)) {
      const keyField = settings.customFields.usageKey ?? USAGE_KEY_FIELD;
      // Every connection to these tenants is checked under today's keys; v0.1's named a connection.
      const legacyUsageKeys = !patched(PATCH.fewerCallsPerInvoice) || settings.legacyUsageKeys !== false;
      const billed = await usageBilledAlready(connectionId, invoice, keyField, legacyUsageKeys);
      if (billed.records > 0 && billed.unbilled.length === 0) {
        return {
          outcome: 'already-billed',
          reason: `Togai invoice ${invoice.id}'s usage is already billed in Zuora as usage records (${keyField} starts with its id): no Zuora invoice is created, so nothing is billed twice`,
        };
      }
      if (billed.records > 0) {
        const lines = billed.unbilled.map((l) => `#${l.line} ${l.description}`).join(', ');
        throw ApplicationFailure.nonRetryable(
          `Togai invoice ${invoice.id} is partly billed in Zuora as usage records; line(s) ${lines} are not: a Zuora invoice would bill the rest twice. Bill those lines in Zuora by hand, or switch the connection back to usage billing and retry`,
          FAILURE.BilledInOtherMode,
          { unbilled: billed.unbilled },
        );
      }
    }
    // Checked before creating: an invoice that cannot match is better not made at all.
    const planned = plannedTotal(plan.body);
    if (!equals(planned, expected)) throw mismatch(planned, 'the Zuora invoice planned for it');
    const body = plan.body;
    ref = await createOnce({
      create: (generation) =>
        acts.zuoraCreateInvoice({
          connectionId,
          body,
          idempotencyKey: zuoraInvoiceCreateKey(connectionId, invoice.id, body, generation),
        }),
      lookUp: async () =>
        (await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id }))[0],
      fresh,
    });
    outcome = 'created';
    reason = `created Zuora invoice ${ref.invoiceNumber ?? ref.id} (${settings.invoiceStatus}) for Togai invoice ${invoice.id}`;
    fitted = plan.fitted;
  }

  // Read back: what Zuora holds is what counts (an adopted invoice may have been edited since). An
  // invoice this run created carries Zuora's total in the create's answer: no second call.
  const created = outcome === 'created' && ref.amount !== undefined && patched(PATCH.fewerCallsPerInvoice);
  const zuora = created ? ref : await acts.zuoraGetInvoice({ connectionId, invoiceKey: ref.id });
  const zuoraTotal = zuora.amount ?? '0';
  if (!equals(zuoraTotal, expected))
    throw mismatch(zuoraTotal, `Zuora invoice ${zuora.invoiceNumber ?? zuora.id}`);
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

/** v0.1's flow 3 (charge lines, exact amounts), for runs that began before issue 11's mapping. */
async function legacyEnsureZuoraInvoice(
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
      `Total mismatch: Togai invoice ${invoice.id} and ${where} differ (both totals, ${currency}, in the failure details)`,
      FAILURE.TotalMismatch,
      { togaiTotal, zuoraTotal, currency },
    );
  const found = await acts.zuoraFindInvoicesByField({ connectionId, field, value: invoice.id });
  let ref: ZuoraInvoiceRef | undefined = found[0];
  let outcome: InvoicePart['outcome'];
  let reason: string;
  if (ref) {
    outcome = 'adopted';
    reason = `Zuora invoice ${ref.invoiceNumber ?? ref.id} already carries Togai invoice ${invoice.id} in ${field}`;
  } else {
    if (legacyTogaiChargeLines(invoice).length === 0) {
      if (!isZero(togaiTotal)) throw mismatch('0', 'its charge lines (it has none to invoice)');
      return {
        outcome: 'empty',
        reason: `Togai invoice ${invoice.id} has no charge lines and totals 0: no Zuora invoice is needed`,
        totals: { currency, togai: togaiTotal, zuora: '0' },
      };
    }
    const body = legacyZuoraInvoiceFromTogai(invoice, {
      zuoraAccountId,
      currency,
      status: settings.invoiceStatus,
      togaiInvoiceIdField: field,
    });
    if (body.invoiceItems.length > MAX_ZUORA_INVOICE_ITEMS) {
      throw ApplicationFailure.nonRetryable(
        `Togai invoice ${invoice.id} has ${body.invoiceItems.length} charge lines; a Zuora standalone invoice holds at most ${MAX_ZUORA_INVOICE_ITEMS}`,
        FAILURE.TooManyInvoiceItems,
      );
    }
    const planned = legacyItemsTotal(body);
    if (!equals(planned, togaiTotal)) throw mismatch(planned, 'its charge lines');
    ref = await acts.zuoraCreateInvoice({
      connectionId,
      body,
      idempotencyKey: zuoraInvoiceCreateKey(connectionId, invoice.id),
    });
    outcome = 'created';
    reason = `created Zuora invoice ${ref.invoiceNumber ?? ref.id} (${settings.invoiceStatus}) for Togai invoice ${invoice.id}`;
  }
  const zuora = await acts.zuoraGetInvoice({ connectionId, invoiceKey: ref.id });
  const zuoraTotal = zuora.amount ?? '0';
  if (!equals(zuoraTotal, togaiTotal))
    throw mismatch(zuoraTotal, `Zuora invoice ${zuora.invoiceNumber ?? zuora.id}`);
  const number = zuora.invoiceNumber ?? ref.invoiceNumber;
  return {
    outcome,
    reason,
    zuoraInvoiceId: zuora.id,
    ...(number !== undefined && { zuoraInvoiceNumber: number }),
    totals: { currency, togai: togaiTotal, zuora: zuoraTotal },
  };
}
