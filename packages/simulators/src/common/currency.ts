import { code as currencyCode } from 'currency-codes';
import { Decimal } from 'decimal.js';

/**
 * Money as the vendors keep it: an amount is held at its currency's decimal places (ISO 4217
 * minor units, from the `currency-codes` package), or the tenant's own where it customised them
 * (Zuora: Billing Settings > Customize Currencies), rounded by the tenant's rounding mode (Zuora's
 * default is half up).
 */

export const ROUNDING_MODES = ['HALF_UP', 'HALF_EVEN', 'HALF_DOWN', 'UP', 'DOWN'] as const;
export type RoundingMode = (typeof ROUNDING_MODES)[number];

const DECIMAL_ROUNDING: Record<RoundingMode, Decimal.Rounding> = {
  HALF_UP: Decimal.ROUND_HALF_UP,
  HALF_EVEN: Decimal.ROUND_HALF_EVEN,
  HALF_DOWN: Decimal.ROUND_HALF_DOWN,
  UP: Decimal.ROUND_UP,
  DOWN: Decimal.ROUND_DOWN,
};

/** Decimal places of `currency`: the override, else ISO 4217's, else 2 (a code ISO does not list). */
export function currencyDigits(currency: string, overrides: Readonly<Record<string, number>> = {}): number {
  const upper = currency.toUpperCase();
  return overrides[upper] ?? currencyCode(upper)?.digits ?? 2;
}

/** `amount` (an exact decimal string) at the currency's precision, as a plain decimal string. */
export function roundMoney(
  amount: string,
  currency: string,
  opts: { overrides?: Readonly<Record<string, number>>; mode?: RoundingMode } = {},
): string {
  const digits = currencyDigits(currency, opts.overrides);
  return new Decimal(amount).toDecimalPlaces(digits, DECIMAL_ROUNDING[opts.mode ?? 'HALF_UP']).toFixed();
}
