import { z } from 'zod';
import { Decimal, decimalOf } from './decimal.js';

/**
 * Usage pricing with Togai's own rate-card vocabulary (the spec's `UsageRateCard`: a `ratePlan` of
 * ordered slabs and per-currency `rateValues`), so a seeded price plan reads like a real one.
 * Rates are accepted as decimal strings (exact) or JSON numbers (read from their shortest text).
 */

/** A decimal written as a string or a JSON number; never negative. */
export const decimalInput = z
  .union([z.string().regex(/^\d+(\.\d+)?$/, 'a non-negative decimal'), z.number().nonnegative()])
  .transform((v) => decimalOf(v));

/** Per-currency amounts: `{ "USD": "10", "JPY": 1500 }`. */
export const currencyAmountsSchema = z.record(z.string().length(3), decimalInput);

export const priceTypeSchema = z.enum(['FLAT', 'PER_UNIT', 'PACKAGE']);
export type PriceType = z.infer<typeof priceTypeSchema>;

export const slabSchema = z.object({
  order: z.number().int().min(1).max(10),
  startAfter: decimalInput,
  priceType: priceTypeSchema,
  /** For PACKAGE: `packageSize` (units per package, default 1); a started package is charged in full. */
  slabConfig: z.record(z.string(), z.string()).optional(),
});

export const usageRateCardSchema = z
  .object({
    displayName: z.string().optional(),
    usageMeterId: z.string().min(1),
    ratePlan: z.object({
      pricingModel: z.enum(['TIERED', 'VOLUME']),
      slabs: z.array(slabSchema).min(1).max(10),
    }),
    rateValues: z
      .array(
        z.object({
          currency: z.string().length(3),
          slabRates: z.array(z.object({ order: z.number().int().min(1), rate: decimalInput })).min(1),
        }),
      )
      .min(1),
  })
  .superRefine((card, ctx) => {
    const slabs = [...card.ratePlan.slabs].sort((a, b) => a.order - b.order);
    const orders = new Set(slabs.map((s) => s.order));
    if (orders.size !== slabs.length) ctx.addIssue({ code: 'custom', message: 'slab orders must be unique' });
    for (let i = 1; i < slabs.length; i++) {
      const prev = slabs[i - 1];
      const cur = slabs[i];
      if (prev && cur && !cur.startAfter.greaterThan(prev.startAfter)) {
        ctx.addIssue({ code: 'custom', message: `slab ${cur.order} must start after slab ${prev.order}` });
      }
    }
    for (const slab of slabs) {
      const size = slab.slabConfig?.['packageSize'];
      if (slab.priceType === 'PACKAGE' && size !== undefined && !/^\d+(\.\d+)?$/.test(size)) {
        ctx.addIssue({
          code: 'custom',
          message: `slab ${slab.order}: packageSize must be a positive decimal`,
        });
      }
    }
    for (const rv of card.rateValues) {
      for (const o of orders) {
        if (!rv.slabRates.some((r) => r.order === o)) {
          ctx.addIssue({ code: 'custom', message: `${rv.currency}: no rate for slab ${o}` });
        }
      }
    }
  });

/** Input form (what a seed request carries). */
export type UsageRateCardInput = z.input<typeof usageRateCardSchema>;
/** Parsed form, with Decimal rates. */
export type UsageRateCard = z.output<typeof usageRateCardSchema>;

export interface PricedSlab {
  order: number;
  priceType: PriceType;
  startAfter: Decimal;
  /** Units that fell in this slab (the whole quantity for VOLUME). */
  quantity: Decimal;
  rate: Decimal;
  value: Decimal;
}

export interface PricedRateCard {
  usageMeterId: string;
  currency: string;
  quantity: Decimal;
  value: Decimal;
  /** The single per-unit rate when every unit was charged at it; undefined for mixed slabs. */
  valuePerQuantity: Decimal | undefined;
  /** Only slabs the quantity reached, in slab order. */
  slabs: PricedSlab[];
}

export class NoRateForCurrencyError extends Error {
  constructor(
    readonly usageMeterId: string,
    readonly currency: string,
  ) {
    super(`rate card of usage meter ${usageMeterId} has no rates in ${currency}`);
    this.name = 'NoRateForCurrencyError';
  }
}

function slabValue(priceType: PriceType, quantity: Decimal, rate: Decimal, config?: Record<string, string>) {
  switch (priceType) {
    case 'PER_UNIT':
      return quantity.times(rate);
    case 'FLAT':
      return rate;
    case 'PACKAGE': {
      const size = new Decimal(config?.['packageSize'] ?? '1');
      return quantity.dividedBy(size).ceil().times(rate);
    }
  }
}

/**
 * Prices `quantity` units with one rate card in `currency`. TIERED charges each slab for the units
 * inside it (slab i covers (startAfter_i, startAfter_i+1]); VOLUME charges all units with the last
 * slab the quantity reached. A slab is reached only by units strictly above its `startAfter`, so a
 * zero quantity costs nothing, FLAT slabs included.
 */
export function priceUsage(card: UsageRateCard, currency: string, quantity: Decimal): PricedRateCard {
  const rates = card.rateValues.find((rv) => rv.currency === currency);
  if (!rates) throw new NoRateForCurrencyError(card.usageMeterId, currency);
  const rateOf = (order: number): Decimal => {
    const r = rates.slabRates.find((sr) => sr.order === order);
    if (!r) throw new NoRateForCurrencyError(card.usageMeterId, currency);
    return r.rate;
  };
  const slabs = [...card.ratePlan.slabs].sort((a, b) => a.order - b.order);
  const priced: PricedSlab[] = [];
  if (card.ratePlan.pricingModel === 'TIERED') {
    slabs.forEach((slab, i) => {
      const next = slabs[i + 1];
      const upper = next ? Decimal.min(quantity, next.startAfter) : quantity;
      const inSlab = upper.minus(slab.startAfter);
      if (!inSlab.greaterThan(0)) return;
      const rate = rateOf(slab.order);
      priced.push({
        order: slab.order,
        priceType: slab.priceType,
        startAfter: slab.startAfter,
        quantity: inSlab,
        rate,
        value: slabValue(slab.priceType, inSlab, rate, slab.slabConfig),
      });
    });
  } else {
    const reached = slabs.filter((s) => quantity.greaterThan(s.startAfter)).at(-1);
    if (reached) {
      const rate = rateOf(reached.order);
      priced.push({
        order: reached.order,
        priceType: reached.priceType,
        startAfter: reached.startAfter,
        quantity,
        rate,
        value: slabValue(reached.priceType, quantity, rate, reached.slabConfig),
      });
    }
  }
  const value = priced.reduce((sum, s) => sum.plus(s.value), new Decimal(0));
  const only = priced.length === 1 ? priced[0] : undefined;
  const uniform = only?.priceType === 'PER_UNIT' && only.quantity.equals(quantity) ? only.rate : undefined;
  return {
    usageMeterId: card.usageMeterId,
    currency,
    quantity,
    value,
    valuePerQuantity: uniform,
    slabs: priced,
  };
}
