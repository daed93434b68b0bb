import type { TogaiInvoice, TogaiInvoiceLine, TogaiInvoiceStatus } from '../clients/togai/schemas.js';
import type { ZuoraCreateInvoiceRequest, ZuoraInvoiceItemInput } from '../clients/zuora/schemas.js';
import {
  Decimal,
  minorUnits,
  normalize,
  roundAllocating,
  toDecimal,
  type DecimalString,
} from '../shared/money.js';
import { billingPeriod, calendarDate } from './dates.js';
import { fitter, type FittedField } from './fit.js';

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

/** Zuora's limit of items per standalone invoice (POST /v1/invoices, "at most 1,000 items"). */
export const MAX_ZUORA_INVOICE_ITEMS = 1000;

/**
 * What each kind of Togai revenue line is (Togai's `InvoiceLineItem.type`): a container of other
 * lines, a charge (an item in Zuora), an adjustment (a discount or credit: a Zuora discount item),
 * a tax (a Zuora taxation item), a breakdown of its parent (slabs: never counted twice), or
 * information only (usage quantities, tags). A charge or adjustment of the other sign is taken as
 * the other: a negative custom amount is a credit, a positive rate adjustment a charge.
 */
export type LineRole = 'container' | 'charge' | 'adjustment' | 'tax' | 'breakdown' | 'info';

export const LINE_ROLES: Readonly<Record<string, LineRole>> = {
  GRAND_TOTAL_AMOUNT: 'container',
  TOTAL_AMOUNT: 'container',
  NET_AMOUNT: 'container',
  GROSS_AMOUNT: 'container',
  SUB_TOTAL_AMOUNT: 'container',
  PRICE_PLAN_AMOUNT: 'container',
  TOTAL_CREDITS: 'container',
  TOTAL_TAX_AMOUNT: 'container',
  TOTAL_ADVANCED_FEES: 'container',
  TOTAL_MISCELLANEOUS_CHARGES: 'container',
  TOTAL_PURCHASE_AMOUNT: 'container',
  TOTAL_PRICING_RULE_ADDITION_AMOUNT: 'container',
  USAGE_RATE_CARD_AMOUNT: 'charge',
  FIXED_FEE_RATE_CARD_AMOUNT: 'charge',
  LICENSE_RATE_CARD_AMOUNT: 'charge',
  CREDIT_GRANT_RATE_CARD_AMOUNT: 'charge',
  BILLING_ENTITLEMENT_RATE_CARD_AMOUNT: 'charge',
  ENTITLEMENT_OVERAGE_RATE_CARD_AMOUNT: 'charge',
  USAGE_CYCLE_AMOUNT: 'charge',
  ADVANCED_FIXED_FEE: 'charge',
  ADVANCED_LICENSE_RATE_CARD_AMOUNT: 'charge',
  ADVANCED_BILLING_ENTITLEMENT_RATE_CARD_AMOUNT: 'charge',
  ADVANCED_CREDIT_GRANT_RATE_CARD_AMOUNT: 'charge',
  MISCELLANEOUS_CHARGE: 'charge',
  TRUE_UP_AMOUNT: 'charge',
  PRICING_RULE_ADDITION_AMOUNT: 'charge',
  PROXY_AMOUNT: 'charge',
  CUSTOM_AMOUNT: 'charge',
  PRICING_RULE_REVENUE_UPDATE_AMOUNT: 'adjustment',
  RATE_CONFIG_ADJUSTMENT_AMOUNT: 'adjustment',
  SUB_CREDITS: 'adjustment',
  TAX_AMOUNT: 'tax',
  USAGE_RATE_CARD_SLAB_AMOUNT: 'breakdown',
  LICENSE_RATE_CARD_SLAB_AMOUNT: 'breakdown',
  ENTITLEMENT_OVERAGE_RATE_CARD_SLAB_AMOUNT: 'breakdown',
  TOTAL_USAGE: 'info',
  USAGE_METER_USAGE: 'info',
  CUSTOM_TAG: 'info',
  PRICING_RULE_USAGE_UPDATE_AMOUNT: 'info',
};

/** One money line of a Togai invoice, after the tree is read: what it becomes in Zuora. */
export interface MoneyLine {
  /** Position among the invoice's money lines (the report names lines by it). */
  index: number;
  type: string;
  description: string;
  role: 'charge' | 'adjustment' | 'tax';
  /** Exact, as Togai computed it. Adjustments are ≤ 0. */
  amount: DecimalString;
  quantity?: DecimalString;
  unitPrice?: DecimalString;
  /** The charge this adjustment or tax belongs to, when Togai nests it under one. */
  chargeIndex?: number;
}

/**
 * Reads Togai's revenue tree (`revenueInfo`: GRAND_TOTAL_AMOUNT → TOTAL_AMOUNT → NET_AMOUNT →
 * GROSS_AMOUNT → charges → slabs, with credits, taxes and adjustments beside them) into its money
 * lines. Lines of a type Togai may add later are taken by sign, so their money is never dropped.
 */
export function togaiMoneyLines(invoice: TogaiInvoice): MoneyLine[] {
  const lines: MoneyLine[] = [];
  const add = (line: TogaiInvoiceLine, role: MoneyLine['role'], chargeIndex?: number): number => {
    const index = lines.length;
    lines.push({
      index,
      type: line.type,
      description: line.description,
      role,
      amount: normalize(line.value),
      ...(line.quantity != null && { quantity: normalize(line.quantity) }),
      ...(line.valuePerQuantity != null && { unitPrice: normalize(line.valuePerQuantity) }),
      ...(chargeIndex !== undefined && { chargeIndex }),
    });
    return index;
  };
  const walk = (line: TogaiInvoiceLine, chargeIndex?: number): void => {
    const role = LINE_ROLES[line.type] ?? (line.lineItems?.length ? 'container' : 'charge');
    const negative = toDecimal(line.value).isNegative();
    const children = line.lineItems ?? [];
    switch (role) {
      case 'container':
        if (children.length > 0) for (const child of children) walk(child, chargeIndex);
        else if (!toDecimal(line.value).isZero()) add(line, negative ? 'adjustment' : 'charge', chargeIndex);
        return;
      case 'charge':
      case 'adjustment': {
        const asRole = negative ? 'adjustment' : toDecimal(line.value).isPositive() ? 'charge' : role;
        const index = add(line, asRole, asRole === 'adjustment' ? chargeIndex : undefined);
        // Beneath a charge: slabs break it down; anything else adjusts or taxes that charge.
        for (const child of children) walk(child, asRole === 'charge' ? index : chargeIndex);
        return;
      }
      case 'tax':
        add(line, 'tax', chargeIndex);
        return;
      case 'breakdown':
      case 'info':
        return;
    }
  };
  if (invoice.revenueInfo) walk(invoice.revenueInfo);
  return lines;
}

/** Zuora's limits on a standalone invoice's parts (zuora-sdk 3.21.0 `CreateInvoiceItem`, `CreateDiscountItem`, `CreateTaxationItem`). */
export const ZUORA_INVOICE_LIMITS = {
  chargeName: 130,
  description: 500,
  discountItemsPerItem: 10,
  taxItemsPerItem: 5,
  taxName: 128,
  comments: 255,
} as const;

export interface ZuoraInvoiceOptions {
  zuoraAccountId: string;
  currency: string;
  status: 'Draft' | 'Posted';
  /** Invoice custom field that carries the Togai invoice id (the look-up key of later runs). */
  togaiInvoiceIdField: string;
  /** The tenant's decimal places where they differ from ISO 4217 (connection `zuora.currencyDecimals`). */
  currencyDecimals: Readonly<Record<string, number>>;
  /** The zone Togai's billing periods are calendar days of (connection `togai.timeZone`, IANA). */
  togaiTimeZone: string;
  /** Taxes as Zuora taxation items (needs Zuora Taxation) or as invoice items of their own. */
  taxLines: 'taxation-items' | 'invoice-items';
  taxCode?: string | undefined;
  /** Charge lines of amount 0: kept as items (what was used, at no cost) or left out. */
  zeroAmountLines: 'include' | 'omit';
}

/** How amounts were rounded to the currency: every line whose amount changed, and the totals. */
export interface RoundingReport {
  currency: string;
  /** Togai's exact total, and the total Zuora holds at the currency's precision. */
  togaiTotal: DecimalString;
  zuoraTotal: DecimalString;
  /** zuoraTotal − togaiTotal: what rounding moved, never silently. */
  difference: DecimalString;
  /** Lines sent at another amount than Togai's (rounded, or given a residual minor unit). */
  lines: { description: string; togai: DecimalString; zuora: DecimalString }[];
}

export type InvoicePlan =
  | { kind: 'create'; body: ZuoraCreateInvoiceRequest; rounding: RoundingReport; fitted: FittedField[] }
  /** Nothing to invoice: no lines and a zero total (Zuora refuses an invoice without items). */
  | { kind: 'empty'; rounding: RoundingReport }
  /** The invoice cannot be built as Togai states it; `reason` says why, for a person. */
  | {
      kind: 'refuse';
      failure: 'TotalMismatch' | 'NegativeInvoice' | 'TooManyInvoiceItems';
      reason: string;
      details: Record<string, unknown>;
    };

interface Piece {
  /** The money line it comes from. */
  line: MoneyLine;
  amount: Decimal;
}

/**
 * Flow 3's document: a Togai invoice as one Zuora standalone invoice that totals what Togai's
 * does at the currency's precision (issue 11). Charges are items; adjustments (discounts, credits)
 * are discount items of the charge they belong to, or spread over the charges in proportion to
 * their amounts when Togai states them for the whole invoice; taxes likewise become taxation items
 * (`FlatFee`, the amount Togai computed) or items of their own. Amounts are rounded half-up to the
 * currency's decimal places and the residual of that rounding goes, a minor unit at a time, to the
 * lines that lost most (`roundAllocating`), so Σ Zuora = round(Togai total); the report lists every
 * line that moved. Texts are fitted to Zuora's limits, the full description kept where Zuora has
 * room. Pure: the workflow calls it and its history shows the result.
 */
export function zuoraInvoiceFromTogai(invoice: TogaiInvoice, options: ZuoraInvoiceOptions): InvoicePlan {
  const { currency } = options;
  const lines = togaiMoneyLines(invoice);
  const exact = lines.reduce((t, l) => t.plus(l.amount), new Decimal(0));
  const togaiTotal = normalize(invoice.totalAmount);
  if (!exact.equals(toDecimal(togaiTotal))) {
    return {
      kind: 'refuse',
      failure: 'TotalMismatch',
      // Amounts go in the details (encrypted payloads), never the message (kept in clear by Temporal).
      reason: `Togai invoice ${invoice.id}'s lines do not add up to its total (both in the failure details, ${currency}): its revenue tree has a line this sync does not understand`,
      details: {
        currency,
        togaiTotal,
        linesTotal: normalize(exact),
        types: [...new Set(lines.map((l) => l.type))],
      },
    };
  }
  if (exact.isNegative()) {
    return {
      kind: 'refuse',
      failure: 'NegativeInvoice',
      reason: `Togai invoice ${invoice.id} totals less than zero (the amount is in the failure details): Zuora records that as a credit memo, not a standalone invoice; create it in Zuora (or settle it in Togai), then retry`,
      details: { currency, togaiTotal },
    };
  }
  let charges = lines.filter((l) => l.role === 'charge');
  if (options.zeroAmountLines === 'omit') charges = charges.filter((l) => !toDecimal(l.amount).isZero());
  // Taxes Zuora holds as items, and an invoice of taxes or adjustments only, make items of them.
  const asItems = lines.filter((l) => l.role === 'tax' && options.taxLines === 'invoice-items');
  const items = [...charges, ...asItems];
  const attached = lines.filter((l) => !items.includes(l) && l.role !== 'charge');
  if (items.length === 0) {
    const rounding = report(currency, options.currencyDecimals, togaiTotal, []);
    return exact.isZero()
      ? { kind: 'empty', rounding }
      : {
          kind: 'refuse',
          failure: 'TotalMismatch',
          reason: `Togai invoice ${invoice.id} has a non-zero total (in the failure details) without a charge line to invoice it on`,
          details: { currency, togaiTotal },
        };
  }
  if (items.length > MAX_ZUORA_INVOICE_ITEMS) {
    return {
      kind: 'refuse',
      failure: 'TooManyInvoiceItems',
      reason: `Togai invoice ${invoice.id} has ${items.length} charge lines; a Zuora standalone invoice holds at most ${MAX_ZUORA_INVOICE_ITEMS}`,
      details: { items: items.length },
    };
  }

  // Adjustments and taxes per item: their own charge's, or the whole invoice's spread by weight.
  const discounts = items.map((): Piece[] => []);
  const taxes = items.map((): Piece[] => []);
  const itemOf = new Map(items.map((l, i) => [l.index, i]));
  const spread = (piece: MoneyLine, weights: Decimal[], into: Piece[][]): void => {
    const whole = weights.reduce((t, w) => t.plus(w), new Decimal(0));
    const share = (i: number): Decimal =>
      whole.isZero()
        ? i === largest(weights)
          ? toDecimal(piece.amount)
          : new Decimal(0)
        : toDecimal(piece.amount)
            .times(weights[i] ?? 0)
            .dividedBy(whole);
    weights.forEach((_, i) => into[i]?.push({ line: piece, amount: share(i) }));
  };
  for (const adj of attached.filter((l) => l.role === 'adjustment')) {
    const own = adj.chargeIndex !== undefined ? itemOf.get(adj.chargeIndex) : undefined;
    if (own !== undefined) discounts[own]?.push({ line: adj, amount: toDecimal(adj.amount) });
    else
      spread(
        adj,
        items.map((l) => Decimal.max(toDecimal(l.amount), 0)),
        discounts,
      );
  }
  const nets = items.map((l, i) =>
    (discounts[i] ?? []).reduce((t, p) => t.plus(p.amount), toDecimal(l.amount)),
  );
  for (const tax of attached.filter((l) => l.role === 'tax')) {
    const own = tax.chargeIndex !== undefined ? itemOf.get(tax.chargeIndex) : undefined;
    if (own !== undefined) taxes[own]?.push({ line: tax, amount: toDecimal(tax.amount) });
    else
      spread(
        tax,
        nets.map((n) => Decimal.max(n, 0)),
        taxes,
      );
  }

  // One rounding over every amount Zuora will hold, so they add up to Togai's total.
  const flat: { kind: 'item' | 'discount' | 'tax'; item: number; piece: Piece }[] = [];
  items.forEach((l, i) => {
    flat.push({ kind: 'item', item: i, piece: { line: l, amount: toDecimal(l.amount) } });
    for (const p of discounts[i] ?? []) flat.push({ kind: 'discount', item: i, piece: p });
    for (const p of taxes[i] ?? []) flat.push({ kind: 'tax', item: i, piece: p });
  });
  const rounded = roundAllocating(
    flat.map((f) => normalize(f.piece.amount)),
    currency,
    options.currencyDecimals,
  ).rounded;
  const sent = new Map<MoneyLine, Decimal>();
  flat.forEach((f, k) =>
    sent.set(f.piece.line, (sent.get(f.piece.line) ?? new Decimal(0)).plus(rounded[k] ?? '0')),
  );
  const rounding = report(
    currency,
    options.currencyDecimals,
    togaiTotal,
    lines.map((l) => ({ description: l.description, togai: l.amount, zuora: normalize(sent.get(l) ?? 0) })),
  );

  const period = billingPeriod(invoice, options.togaiTimeZone);
  const digits = minorUnits(currency, options.currencyDecimals);
  const { fit, fitted } = fitter();
  const zuoraItems: ZuoraInvoiceItemInput[] = items.map((line, i) => {
    const mine = flat.map((f, k) => ({ f, amount: rounded[k] ?? '0' })).filter((x) => x.f.item === i);
    const amount = mine.find((x) => x.f.kind === 'item')?.amount ?? '0';
    const group = (kind: 'discount' | 'tax', max: number): { line: MoneyLine; amount: Decimal }[] => {
      const byLine = new Map<MoneyLine, Decimal>();
      for (const x of mine.filter((m) => m.f.kind === kind && !toDecimal(m.amount).isZero())) {
        byLine.set(x.f.piece.line, (byLine.get(x.f.piece.line) ?? new Decimal(0)).plus(x.amount));
      }
      const entries = [...byLine].map(([l, a]) => ({ line: l, amount: a }));
      if (entries.length <= max) return entries;
      // More than Zuora takes on one item: one entry carries them all.
      const total = entries.reduce((t, e) => t.plus(e.amount), new Decimal(0));
      return [
        {
          line: {
            ...entries[0]!.line,
            description: `${entries.length} Togai ${kind === 'discount' ? 'adjustments' : 'taxes'}`,
          },
          amount: total,
        },
      ];
    };
    const name = fit(
      `invoiceItems[${i}].chargeName`,
      line.description,
      ZUORA_INVOICE_LIMITS.chargeName,
      `invoiceItems[${i}].description`,
    );
    return {
      amount,
      serviceStartDate: period.start,
      serviceEndDate: period.end,
      chargeName: name,
      ...(name !== line.description && {
        description: fit(
          `invoiceItems[${i}].description`,
          line.description,
          ZUORA_INVOICE_LIMITS.description,
        ),
      }),
      ...(line.quantity !== undefined && { quantity: line.quantity }),
      ...(line.unitPrice !== undefined && { unitPrice: line.unitPrice }),
      ...(line.role === 'tax' && { itemType: 'Tax' }),
      discountItems: group('discount', ZUORA_INVOICE_LIMITS.discountItemsPerItem).map((d) => ({
        amount: d.amount.toFixed(digits),
        chargeName: fit(
          `invoiceItems[${i}].discountItems.chargeName`,
          d.line.description,
          ZUORA_INVOICE_LIMITS.chargeName,
        ),
      })),
      taxItems: group('tax', ZUORA_INVOICE_LIMITS.taxItemsPerItem).map((t) => ({
        name: fit(
          `invoiceItems[${i}].taxItems.name`,
          t.line.description || 'Tax',
          ZUORA_INVOICE_LIMITS.taxName,
        ),
        taxAmount: t.amount.toFixed(digits),
        taxDate: period.end,
        taxMode: 'TaxExclusive' as const,
        taxRate: t.amount.toFixed(digits),
        taxRateType: 'FlatFee' as const,
        ...(options.taxCode !== undefined && { taxCode: options.taxCode }),
      })),
    };
  });
  for (const item of zuoraItems) {
    if (item.discountItems?.length === 0) delete item.discountItems;
    if (item.taxItems?.length === 0) delete item.taxItems;
  }
  const comments = `Togai invoice ${invoice.id}${invoice.sequenceId ? ` (${invoice.sequenceId})` : ''}`;
  return {
    kind: 'create',
    body: {
      accountId: options.zuoraAccountId,
      invoiceDate: calendarDate(invoice.invoiceDate, options.togaiTimeZone),
      ...(invoice.dueDate && { dueDate: calendarDate(invoice.dueDate, options.togaiTimeZone) }),
      currency,
      status: options.status,
      comments: fit('comments', comments, ZUORA_INVOICE_LIMITS.comments),
      invoiceItems: zuoraItems,
      customFields: { [options.togaiInvoiceIdField]: invoice.id },
    },
    rounding,
    fitted,
  };
}

function largest(values: readonly Decimal[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v.greaterThan(values[best] ?? 0)) best = i;
  });
  return best;
}

function report(
  currency: string,
  overrides: Readonly<Record<string, number>>,
  togaiTotal: DecimalString,
  lines: RoundingReport['lines'],
): RoundingReport {
  const { total } = roundAllocating([togaiTotal], currency, overrides);
  return {
    currency,
    togaiTotal,
    zuoraTotal: total,
    difference: normalize(toDecimal(total).minus(toDecimal(togaiTotal))),
    lines: lines.filter((l) => !toDecimal(l.togai).equals(toDecimal(l.zuora))).slice(0, 50),
  };
}

/** The sum of what the Zuora invoice will hold (items, discount and taxation items). */
export function plannedTotal(body: ZuoraCreateInvoiceRequest): DecimalString {
  let total = new Decimal(0);
  for (const item of body.invoiceItems) {
    total = total.plus(toDecimal(item.amount));
    for (const d of item.discountItems ?? []) total = total.plus(toDecimal(d.amount));
    for (const t of item.taxItems ?? []) total = total.plus(toDecimal(t.taxAmount));
  }
  return normalize(total);
}
