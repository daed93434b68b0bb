import type { TogaiInvoice, TogaiInvoiceLine } from '../clients/togai/schemas.js';
import type { ZuoraCreateInvoiceRequest, ZuoraInvoiceItemInput } from '../clients/zuora/schemas.js';
import { normalize, sum, type DecimalString } from '../shared/money.js';

/**
 * v0.1's standalone-invoice mapping, kept only so invoice syncs started before whole invoices were
 * mapped at the currency's precision (workflow patch `invoice-at-currency-precision`) replay and
 * finish as they began: one item per charge line under GROSS_AMOUNT, amounts exactly as Togai
 * stated them, dates cut from Togai's UTC date-times. New runs never take this path. Remove it
 * (and the patch's old branch, `deprecatePatch`) once no run from before that version is open.
 */

function findLine(line: TogaiInvoiceLine | null | undefined, type: string): TogaiInvoiceLine | undefined {
  if (!line) return undefined;
  if (line.type === type) return line;
  for (const child of line.lineItems ?? []) {
    const found = findLine(child, type);
    if (found) return found;
  }
  return undefined;
}

function collect(line: TogaiInvoiceLine, type: string, into: TogaiInvoiceLine[]): void {
  if (line.type === type) {
    into.push(line);
    return;
  }
  for (const child of line.lineItems ?? []) collect(child, type, into);
}

/** v0.1: the children of GROSS_AMOUNT, or every USAGE_RATE_CARD_AMOUNT line without one. */
export function legacyTogaiChargeLines(invoice: TogaiInvoice): TogaiInvoiceLine[] {
  const gross = findLine(invoice.revenueInfo, 'GROSS_AMOUNT');
  if (gross) return [...(gross.lineItems ?? [])];
  const lines: TogaiInvoiceLine[] = [];
  if (invoice.revenueInfo) collect(invoice.revenueInfo, 'USAGE_RATE_CARD_AMOUNT', lines);
  return lines;
}

function isoDate(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  if (!match?.[1]) throw new RangeError(`Not an ISO date: ${value}`);
  return match[1];
}

function servicePeriod(invoice: TogaiInvoice): { start: string; end: string } {
  const start = isoDate(invoice.startDate ?? invoice.invoiceDate);
  const end = isoDate(invoice.endDateInclusive ?? invoice.endDate ?? invoice.invoiceDate);
  return { start, end: end < start ? start : end };
}

/** v0.1: one item per charge line, amounts exactly as Togai computed them. */
export function legacyZuoraInvoiceFromTogai(
  invoice: TogaiInvoice,
  options: {
    zuoraAccountId: string;
    currency: string;
    status: 'Draft' | 'Posted';
    togaiInvoiceIdField: string;
  },
): ZuoraCreateInvoiceRequest {
  const period = servicePeriod(invoice);
  const items: ZuoraInvoiceItemInput[] = legacyTogaiChargeLines(invoice).map((line) => ({
    amount: normalize(line.value),
    serviceStartDate: period.start,
    serviceEndDate: period.end,
    chargeName: line.description.slice(0, 100),
    ...(line.quantity != null && { quantity: normalize(line.quantity) }),
    ...(line.valuePerQuantity != null && { unitPrice: normalize(line.valuePerQuantity) }),
  }));
  return {
    accountId: options.zuoraAccountId,
    invoiceDate: isoDate(invoice.invoiceDate),
    ...(invoice.dueDate && { dueDate: isoDate(invoice.dueDate) }),
    currency: options.currency,
    status: options.status,
    comments: `Togai invoice ${invoice.id}${invoice.sequenceId ? ` (${invoice.sequenceId})` : ''}`,
    invoiceItems: items,
    customFields: { [options.togaiInvoiceIdField]: invoice.id },
  };
}

/** v0.1: the items' sum, compared with Togai's total before creating. */
export function legacyItemsTotal(body: ZuoraCreateInvoiceRequest): DecimalString {
  return sum(body.invoiceItems.map((i) => i.amount));
}
