import { Decimal, toJsonNumber } from './decimal.js';
import { priceUsage, type PricedRateCard, type UsageRateCard } from './pricing.js';
import type {
  Account,
  Customer,
  Invoice,
  InvoiceLineItem,
  InvoiceStatus,
  InvoiceSummary,
  UsageMeter,
} from './types.js';

/**
 * Invoice rendering. The revenue tree follows the spec's Invoice example
 * (GRAND_TOTAL_AMOUNT → TOTAL_AMOUNT → NET_AMOUNT → GROSS_AMOUNT → USAGE_RATE_CARD_AMOUNT →
 * USAGE_RATE_CARD_SLAB_AMOUNT) with two changes forced by the official schema, whose
 * `InvoiceLineItem` is closed (additionalProperties: false) and has no `lineItems`:
 *
 *  - a line's children are in `metadata.lineItems` (metadata is the only open object);
 *  - a usage line and a rate-card line name their usage meter in `id` and in
 *    `metadata.usageMeterId` (no other field can link a line to a meter); slab lines carry
 *    `metadata.usageMeterId`, `metadata.slabOrder` and `metadata.priceType`.
 *
 * `valuePerQuantity` is the rate where one applies to every unit (PER_UNIT slabs; a rate card
 * whose units all fell in one PER_UNIT slab); it is left out otherwise (FLAT, PACKAGE, mixed tiers).
 * Amounts are exact decimals computed with decimal.js, in the account's invoice currency.
 */

export interface PricePlan {
  id: string;
  name: string;
  rateCards: UsageRateCard[];
}

/** The mutable state of one invoice; the API view is rendered from it. */
export interface InvoiceRecord {
  id: string;
  accountId: string;
  customerId: string;
  status: InvoiceStatus;
  startDate: number;
  /** Planned end of the cycle while DRAFT; the close time once DUE. */
  endDate: number;
  generatedAt?: number;
  updatedAt: number;
  sequenceId?: string;
  /** Accrued quantity per usage meter id, in first-accrual order. */
  usage: Map<string, Decimal>;
  /** The view frozen when the cycle closed: later price or account changes do not rewrite it. */
  frozen?: Invoice;
}

export interface RenderContext {
  account: Account;
  customer: Customer;
  meters: ReadonlyMap<string, UsageMeter>;
  pricePlan: PricePlan | undefined;
}

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function usageLines(record: InvoiceRecord, ctx: RenderContext): InvoiceLineItem[] {
  return [...record.usage].map(([meterId, quantity]) => {
    const meter = ctx.meters.get(meterId);
    return {
      id: meterId,
      description: meter?.billableName ?? meter?.displayName ?? meterId,
      type: 'USAGE_METER_USAGE',
      value: toJsonNumber(quantity),
      units: 'USAGE_UNITS',
      metadata: { usageMeterId: meterId },
    };
  });
}

function rateCardLine(priced: PricedRateCard, description: string): InvoiceLineItem {
  const slabs: InvoiceLineItem[] = priced.slabs.map((s) => ({
    description: `Slab ${s.order}`,
    type: 'USAGE_RATE_CARD_SLAB_AMOUNT',
    ...(s.priceType === 'PER_UNIT' ? { valuePerQuantity: toJsonNumber(s.rate) } : {}),
    quantity: toJsonNumber(s.quantity),
    units: priced.currency,
    value: toJsonNumber(s.value),
    metadata: { usageMeterId: priced.usageMeterId, slabOrder: s.order, priceType: s.priceType },
  }));
  return {
    id: priced.usageMeterId,
    description,
    type: 'USAGE_RATE_CARD_AMOUNT',
    ...(priced.valuePerQuantity ? { valuePerQuantity: toJsonNumber(priced.valuePerQuantity) } : {}),
    quantity: toJsonNumber(priced.quantity),
    units: priced.currency,
    value: toJsonNumber(priced.value),
    metadata: { usageMeterId: priced.usageMeterId, lineItems: slabs },
  };
}

/**
 * Prices the accrued usage. A meter without a rate card in the plan, or whose rate card has no
 * rates in the invoice currency, shows in `usageInfo` but earns nothing.
 */
export function priceInvoice(
  record: InvoiceRecord,
  ctx: RenderContext,
): { lines: InvoiceLineItem[]; total: Decimal } {
  const currency = ctx.account.invoiceCurrency;
  const lines: InvoiceLineItem[] = [];
  let total = new Decimal(0);
  for (const [meterId, quantity] of record.usage) {
    const card = ctx.pricePlan?.rateCards.find((c) => c.usageMeterId === meterId);
    if (!card || !card.rateValues.some((rv) => rv.currency === currency)) continue;
    const priced = priceUsage(card, currency, quantity);
    const meter = ctx.meters.get(meterId);
    lines.push(
      rateCardLine(priced, card.displayName ?? meter?.billableName ?? meter?.displayName ?? meterId),
    );
    total = total.plus(priced.value);
  }
  return { lines, total };
}

function totalsTree(currency: string, total: number, rateCardLines: InvoiceLineItem[]): InvoiceLineItem {
  const line = (
    type: InvoiceLineItem['type'],
    description: string,
    children: InvoiceLineItem[],
  ): InvoiceLineItem => ({
    description,
    type,
    units: currency,
    value: total,
    metadata: { lineItems: children },
  });
  const gross = line('GROSS_AMOUNT', 'Sum Total', rateCardLines);
  const net = line('NET_AMOUNT', 'Total amount due', [gross]);
  const totalAmount = line('TOTAL_AMOUNT', 'Total Amount', [net]);
  return line('GRAND_TOTAL_AMOUNT', 'Grand Total Amount', [totalAmount]);
}

/** The full invoice as `GET /invoices/{id}` returns it. */
export function renderInvoice(record: InvoiceRecord, ctx: RenderContext): Invoice {
  if (record.frozen) return record.frozen;
  const { account, customer } = ctx;
  const netTermDays = account.netTermDays ?? 0;
  const { lines, total } = priceInvoice(record, ctx);
  const totalAmount = toJsonNumber(total);
  const due = record.status === 'DUE';
  return {
    id: record.id,
    customerId: record.customerId,
    ownerId: record.accountId,
    ...(ctx.pricePlan ? { pricePlanId: ctx.pricePlan.id } : {}),
    usageInfo: usageLines(record, ctx),
    revenueInfo: totalsTree(account.invoiceCurrency, totalAmount, lines),
    invoiceDetails: {
      customer: {
        name: customer.name,
        primaryEmail: customer.primaryEmail,
        billingAddress: customer.billingAddress,
        address: customer.address,
      },
      account: {
        name: account.name,
        invoiceCurrency: account.invoiceCurrency,
        address: account.address ?? customer.address,
        primaryEmail: account.primaryEmail ?? customer.primaryEmail,
      },
      ...(ctx.pricePlan ? { pricePlanName: ctx.pricePlan.name } : {}),
    },
    status: record.status,
    ...(due ? { finalizingStatus: 'FINALIZED' as const } : {}),
    invoiceClass: 'INVOICE',
    invoiceType: 'STANDARD',
    startDate: iso(record.startDate),
    endDate: iso(record.endDate),
    invoiceDate: iso(record.endDate),
    ...(due ? { dueDate: iso(record.endDate + netTermDays * DAY_MS) } : {}),
    ...(record.generatedAt !== undefined ? { generatedAt: iso(record.generatedAt) } : {}),
    updatedAt: iso(record.updatedAt),
    ...(record.sequenceId ? { sequenceId: record.sequenceId } : {}),
    totalAmount,
    paidAmount: 0,
    netTermDays,
  };
}

/** The list form: the spec's InvoiceSummary is closed, so the line trees are dropped. */
export function summarize(invoice: Invoice): InvoiceSummary {
  const { usageInfo: _usage, revenueInfo: _revenue, ...summary } = invoice;
  return summary;
}
