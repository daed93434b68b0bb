import { Decimal as DecimalJs } from 'decimal.js';

/**
 * decimal.js with enough precision that sums and products of money never round: the default
 * (20 significant digits) would silently round `0.0000125 * 123456789012`.
 */
export const Decimal = DecimalJs.clone({
  precision: 200,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -30,
});
export type Decimal = InstanceType<typeof Decimal>;

export class InexactAmountError extends Error {
  constructor(readonly amount: string) {
    super(`${amount} cannot be written as an exact JSON number`);
    this.name = 'InexactAmountError';
  }
}

/**
 * Togai's schema types amounts as JSON `number`. `JSON.stringify` writes a double as its shortest
 * round-trip text, so when that text is our decimal (always so up to 15 significant digits) the
 * wire carries exactly the decimal we computed; otherwise it would be rounded silently, so refuse.
 */
export function toJsonNumber(value: Decimal | string): number {
  const d = typeof value === 'string' ? new Decimal(value) : value;
  const n = d.toNumber();
  if (!Number.isFinite(n) || !new Decimal(n).equals(d)) throw new InexactAmountError(d.toFixed());
  return n;
}

/** Parses a decimal string or a JSON number (read from its shortest text, never from binary). */
export function decimalOf(value: string | number): Decimal {
  return new Decimal(typeof value === 'number' ? String(value) : value);
}
