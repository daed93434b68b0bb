import type { TogaiInvoice, TogaiInvoiceLine, TogaiInvoiceStatus } from '../clients/togai/schemas.js';
import type { ZuoraCreateInvoiceRequest, ZuoraInvoiceItemInput } from '../clients/zuora/schemas.js';
import { normalize, sum, type DecimalString } from '../shared/money.js';

/**
 * Flow 3's pure part: which Togai invoices are synced and the Zuora standalone invoice one
 * becomes. No I/O, so the workflow can call it and the unit tests can pin it.
 */

/**
 * A Togai invoice is "generated" once its cycle closed: DUE, or MERGED into another. PAID and
 * PARTIALLY_PAID only happen after DUE, so a sweep that finds one not yet synced still syncs it.
 * DRAFT (the ongoing cycle) changes until it closes and is refused; VOID and the refund states
 * are not sales to invoice.
 */
export const SYNCABLE_INVOICE_STATUSES: readonly TogaiInvoiceStatus[] = [
  'DUE',
  'MERGED',
  'PAID',
  'PARTIALLY_PAID',
];

export function isSyncableInvoiceStatus(status: TogaiInvoiceStatus): boolean {
  return SYNCABLE_INVOICE_STATUSES.includes(status);
}

/** The invoice's currency as Togai states it (account's invoice currency at generation). */
export function togaiInvoiceCurrency(invoice: TogaiInvoice): string | undefined {
  return invoice.invoiceDetails?.account?.invoiceCurrency ?? undefined;
}

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
    return; // its slabs are a breakdown of it, not further charges
  }
  for (const child of line.lineItems ?? []) collect(child, type, into);
}

/**
 * The charge lines of a Togai invoice: the children of GROSS_AMOUNT in the revenue tree
 * (GRAND_TOTAL_AMOUNT → TOTAL_AMOUNT → NET_AMOUNT → GROSS_AMOUNT → charges → slabs). Without a
 * GROSS_AMOUNT node, every USAGE_RATE_CARD_AMOUNT line is taken. Slabs are never separate items:
 * they break one charge down and would count it twice.
 */
export function togaiChargeLines(invoice: TogaiInvoice): TogaiInvoiceLine[] {
  const gross = findLine(invoice.revenueInfo, 'GROSS_AMOUNT');
  if (gross) return [...(gross.lineItems ?? [])];
  const lines: TogaiInvoiceLine[] = [];
  if (invoice.revenueInfo) collect(invoice.revenueInfo, 'USAGE_RATE_CARD_AMOUNT', lines);
  return lines;
}

/** Zuora's limit of items per standalone invoice (POST /v1/invoices, "at most 1,000 items"). */
export const MAX_ZUORA_INVOICE_ITEMS = 1000;

/** `YYYY-MM-DD` of an ISO date-time (Togai answers in UTC), as Zuora's date fields take it. */
export function isoDate(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  if (!match?.[1]) throw new RangeError(`Not an ISO date: ${value}`);
  return match[1];
}

/** The service period of the invoice as Zuora dates: start, and the inclusive end. */
export function servicePeriod(invoice: TogaiInvoice): { start: string; end: string } {
  const start = isoDate(invoice.startDate ?? invoice.invoiceDate);
  const endRaw = invoice.endDateInclusive ?? invoice.endDate ?? invoice.invoiceDate;
  const end = isoDate(endRaw);
  // A cycle closed on the day it began has its end before the start once truncated to a date.
  return { start, end: end < start ? start : end };
}

export interface ZuoraInvoiceOptions {
  zuoraAccountId: string;
  currency: string;
  status: 'Draft' | 'Posted';
  /** Invoice custom field that carries the Togai invoice id (the look-up key of later runs). */
  togaiInvoiceIdField: string;
}

/** One item per charge line, amounts exactly as Togai computed them (never re-priced here). */
export function zuoraInvoiceFromTogai(
  invoice: TogaiInvoice,
  options: ZuoraInvoiceOptions,
): ZuoraCreateInvoiceRequest {
  const period = servicePeriod(invoice);
  const items: ZuoraInvoiceItemInput[] = togaiChargeLines(invoice).map((line) => ({
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

/** The sum of what the Zuora invoice will hold: compared with Togai's total before creating. */
export function itemsTotal(body: ZuoraCreateInvoiceRequest): DecimalString {
  return sum(body.invoiceItems.map((i) => i.amount));
}
