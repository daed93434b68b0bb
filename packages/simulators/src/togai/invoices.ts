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
  /** Fixed-fee rate cards: charged once per cycle, per currency. */
  fixedFees?: { name: string; amounts: Record<string, Decimal> }[];
  /** A pricing rule taking `percent` off the gross amount. */
  discount?: { name: string; percent: Decimal };
  /** The least a cycle costs (before tax and credits), per currency: a true-up line tops it up. */
  minimumCommitment?: { name: string; amounts: Record<string, Decimal> };
  tax?: { name: string; percent: Decimal };
}

/** A line an operator adds to a cycle's invoice (Togai's custom line items): positive or negative. */
export interface CustomLine {
  description: string;
  value: Decimal;
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
  /** Whether the view carries `endDateInclusive` (Togai's inclusive end, endDate − 1 ms). Default yes. */
  endDateInclusive?: boolean;
  customLines?: CustomLine[];
  /** Credits this invoice used up (set when the cycle closed). */
  creditsApplied?: Decimal;
  /** The view frozen when the cycle closed: later price or account changes do not rewrite it. */
  frozen?: Invoice;
}

export interface RenderContext {
  account: Account;
  customer: Customer;
  meters: ReadonlyMap<string, UsageMeter>;
  pricePlan: PricePlan | undefined;
  /** Credits the account has left: a DRAFT shows what they would take; a closing cycle takes it. */
  creditBalance?: Decimal;
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

/**
 * The revenue tree of a cycle: GRAND_TOTAL_AMOUNT = TOTAL_AMOUNT (NET_AMOUNT (GROSS_AMOUNT (usage
 * rate cards, fixed fees), the discount), the minimum commitment's true-up, custom lines) + the
 * tax (TOTAL_TAX_AMOUNT → TAX_AMOUNT, on TOTAL_AMOUNT) − credits (TOTAL_CREDITS → SUB_CREDITS, at
 * most what is due). Lines of amount 0 are left out, containers always present. Exact decimals.
 */
export function revenueTree(
  record: InvoiceRecord,
  ctx: RenderContext,
): { tree: InvoiceLineItem; total: Decimal; credits: Decimal } {
  const currency = ctx.account.invoiceCurrency;
  const plan = ctx.pricePlan;
  const line = (
    type: InvoiceLineItem['type'],
    description: string,
    value: Decimal,
    children: InvoiceLineItem[] = [],
    extra: Partial<InvoiceLineItem> = {},
  ): InvoiceLineItem => ({
    description,
    type,
    units: currency,
    value: toJsonNumber(value),
    ...extra,
    ...(children.length > 0 ? { metadata: { ...extra.metadata, lineItems: children } } : {}),
  });
  const { lines: usage, total: usageTotal } = priceInvoice(record, ctx);
  const fixed = (plan?.fixedFees ?? []).flatMap((fee) => {
    const amount = fee.amounts[currency];
    return amount && !amount.isZero()
      ? [
          {
            amount,
            line: line('FIXED_FEE_RATE_CARD_AMOUNT', fee.name, amount, [], {
              quantity: 1,
              valuePerQuantity: toJsonNumber(amount),
            }),
          },
        ]
      : [];
  });
  const gross = fixed.reduce((t, f) => t.plus(f.amount), usageTotal);
  const discount = plan?.discount
    ? gross.times(plan.discount.percent).dividedBy(100).negated()
    : new Decimal(0);
  const net = gross.plus(discount);
  const minimum = plan?.minimumCommitment?.amounts[currency];
  const trueUp = minimum && minimum.greaterThan(net) ? minimum.minus(net) : new Decimal(0);
  const custom = record.customLines ?? [];
  const totalAmount = custom.reduce((t, c) => t.plus(c.value), net.plus(trueUp));
  const tax =
    plan?.tax && totalAmount.isPositive()
      ? totalAmount.times(plan.tax.percent).dividedBy(100)
      : new Decimal(0);
  const due = totalAmount.plus(tax);
  const balance = record.creditsApplied ?? ctx.creditBalance ?? new Decimal(0);
  const credits = due.isPositive() ? Decimal.min(balance, due) : new Decimal(0);
  const total = due.minus(credits);

  const grossLine = line('GROSS_AMOUNT', 'Sum Total', gross, [...usage, ...fixed.map((f) => f.line)]);
  const netLine = line('NET_AMOUNT', 'Total amount due', net, [
    grossLine,
    ...(discount.isZero()
      ? []
      : [line('PRICING_RULE_REVENUE_UPDATE_AMOUNT', plan?.discount?.name ?? 'Discount', discount)]),
  ]);
  const totalLine = line('TOTAL_AMOUNT', 'Total Amount', totalAmount, [
    netLine,
    ...(trueUp.isZero()
      ? []
      : [line('TRUE_UP_AMOUNT', plan?.minimumCommitment?.name ?? 'Minimum commitment', trueUp)]),
    ...custom.map((c) => line('CUSTOM_AMOUNT', c.description, c.value)),
  ]);
  const grand = line('GRAND_TOTAL_AMOUNT', 'Grand Total Amount', total, [
    totalLine,
    ...(tax.isZero()
      ? []
      : [line('TOTAL_TAX_AMOUNT', 'Total Tax', tax, [line('TAX_AMOUNT', plan?.tax?.name ?? 'Tax', tax)])]),
    ...(credits.isZero()
      ? []
      : [
          line('TOTAL_CREDITS', 'Total Credits', credits.negated(), [
            line('SUB_CREDITS', 'Credits', credits.negated()),
          ]),
        ]),
  ]);
  return { tree: grand, total, credits };
}

/** The full invoice as `GET /invoices/{id}` returns it. */
export function renderInvoice(record: InvoiceRecord, ctx: RenderContext): Invoice {
  if (record.frozen) return record.frozen;
  const { account, customer } = ctx;
  const netTermDays = account.netTermDays ?? 0;
  const { tree, total } = revenueTree(record, ctx);
  const totalAmount = toJsonNumber(total);
  const due = record.status === 'DUE';
  return {
    id: record.id,
    customerId: record.customerId,
    ownerId: record.accountId,
    ...(ctx.pricePlan ? { pricePlanId: ctx.pricePlan.id } : {}),
    usageInfo: usageLines(record, ctx),
    revenueInfo: tree,
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
    // Togai's own example: the last millisecond of the half-open period [startDate, endDate).
    ...(record.endDateInclusive !== false ? { endDateInclusive: iso(record.endDate - 1) } : {}),
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
