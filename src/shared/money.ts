import { code as iso4217 } from 'currency-codes';
import { Decimal as DecimalJs } from 'decimal.js';

/**
 * Money and quantities travel as exact decimal strings ("1234.5600", "-0.001"). Arithmetic goes
 * through decimal.js only: a float sum of invoice lines drifts by a cent sooner or later, and a
 * cent off is a reconciliation ticket.
 *
 * A private Decimal constructor keeps our precision and rounding away from anything else in the
 * process that configures the global one. 40 significant digits is far beyond any ledger amount.
 * Half-up matches Zuora's default rounding mode for currency amounts.
 */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -40 });
export type Decimal = InstanceType<typeof Decimal>;

/** An exact decimal number written in plain (non-exponent) notation, e.g. "12.50". */
export type DecimalString = string;

const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export class InvalidDecimalError extends Error {
  constructor(value: unknown) {
    super(`Not a decimal number: ${JSON.stringify(value)}`);
    this.name = 'InvalidDecimalError';
  }
}

/** Parses a decimal string (or a safe integer) without ever going through a binary float. */
export function toDecimal(value: DecimalString | number | Decimal): Decimal {
  if (value instanceof Decimal) return value;
  if (typeof value === 'number') {
    // Only integers are exact as JS numbers; a fractional number has already lost its digits.
    if (!Number.isSafeInteger(value)) throw new InvalidDecimalError(value);
    return new Decimal(value);
  }
  const trimmed = value.trim();
  if (!DECIMAL_PATTERN.test(trimmed)) throw new InvalidDecimalError(value);
  return new Decimal(trimmed);
}

/** The canonical form: plain notation, no trailing zeros, no "-0". */
export function normalize(value: DecimalString | number | Decimal): DecimalString {
  const d = toDecimal(value);
  return d.isZero() ? '0' : d.toFixed();
}

export function isDecimalString(value: unknown): value is DecimalString {
  return typeof value === 'string' && DECIMAL_PATTERN.test(value.trim());
}

export function add(a: DecimalString, b: DecimalString): DecimalString {
  return normalize(toDecimal(a).plus(toDecimal(b)));
}

export function subtract(a: DecimalString, b: DecimalString): DecimalString {
  return normalize(toDecimal(a).minus(toDecimal(b)));
}

export function multiply(a: DecimalString, b: DecimalString): DecimalString {
  return normalize(toDecimal(a).times(toDecimal(b)));
}

export function sum(values: Iterable<DecimalString>): DecimalString {
  let total = new Decimal(0);
  for (const v of values) total = total.plus(toDecimal(v));
  return normalize(total);
}

/** -1, 0 or 1; "1.50" and "1.5" compare equal. */
export function compare(a: DecimalString, b: DecimalString): -1 | 0 | 1 {
  const c = toDecimal(a).comparedTo(toDecimal(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

export function equals(a: DecimalString, b: DecimalString): boolean {
  return compare(a, b) === 0;
}

export function isZero(a: DecimalString): boolean {
  return toDecimal(a).isZero();
}

export function negate(a: DecimalString): DecimalString {
  return normalize(toDecimal(a).negated());
}

/**
 * Digits after the decimal point of a currency (ISO 4217 "minor unit": USD 2, JPY 0, BHD 3), from
 * the `currency-codes` package's copy of the ISO 4217 list, unless `overrides` (a Zuora tenant's
 * own currency settings, the connection's `zuora.currencyDecimals`) say otherwise.
 * Throws RangeError for a code that is not ISO 4217.
 */
export function minorUnits(currency: string, overrides: Readonly<Record<string, number>> = {}): number {
  const code = currency.toUpperCase();
  const override = overrides[code];
  if (override !== undefined) return override;
  const digits = iso4217(code)?.digits;
  if (digits === undefined) throw new RangeError(`Not an ISO 4217 currency code: ${currency}`);
  return digits;
}

/**
 * The one rounding rule for amounts sent to Zuora: half-up (away from zero for negatives, as
 * Zuora's "Round half up") to the currency's minor units, written with exactly that many
 * decimals: "12.30", JPY "14".
 */
export function roundToCurrency(
  amount: DecimalString,
  currency: string,
  overrides: Readonly<Record<string, number>> = {},
): DecimalString {
  return toDecimal(amount).toFixed(minorUnits(currency, overrides), Decimal.ROUND_HALF_UP);
}

/**
 * Rounds each amount to the currency and makes the rounded amounts add up to the rounded total
 * (largest remainder: the residual, in minor units, goes one unit at a time to the amounts whose
 * rounding lost the most, largest amount first on ties), so a Zuora document built from them
 * totals exactly what the source totals at that precision. Returns the rounded amounts in input
 * order and the rounding differences (rounded - exact) for the report.
 */
export function roundAllocating(
  amounts: readonly DecimalString[],
  currency: string,
  overrides: Readonly<Record<string, number>> = {},
): { rounded: DecimalString[]; total: DecimalString; exactTotal: DecimalString } {
  const digits = minorUnits(currency, overrides);
  const unit = new Decimal(10).pow(-digits);
  const exact = amounts.map((a) => toDecimal(a));
  const exactTotal = exact.reduce((t, a) => t.plus(a), new Decimal(0));
  const total = exactTotal.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
  const rounded = exact.map((a) => a.toDecimalPlaces(digits, Decimal.ROUND_HALF_UP));
  let residual = total.minus(rounded.reduce((t, a) => t.plus(a), new Decimal(0)));
  // Who lost the most by rounding gets the first unit back (or gives the first one up).
  const order = exact
    .map((a, i) => ({ i, lost: a.minus(rounded[i] ?? 0), size: a.abs() }))
    .sort(
      (x, y) =>
        (residual.isPositive() ? y.lost.comparedTo(x.lost) : x.lost.comparedTo(y.lost)) ||
        y.size.comparedTo(x.size),
    );
  for (let k = 0; !residual.isZero() && order.length > 0; k = (k + 1) % order.length) {
    const step = residual.isPositive() ? unit : unit.negated();
    const target = order[k];
    if (!target) break;
    rounded[target.i] = (rounded[target.i] ?? new Decimal(0)).plus(step);
    residual = residual.minus(step);
  }
  return {
    rounded: rounded.map((r) => r.toFixed(digits)),
    total: total.toFixed(digits),
    exactTotal: normalize(exactTotal),
  };
}

/** For people and logs: "12.30 USD". Not for machines: they get decimal strings. */
export function formatMoney(amount: DecimalString, currency: string): string {
  return `${roundToCurrency(amount, currency)} ${currency.toUpperCase()}`;
}

/** "12.34" USD -> "1234"; rejects amounts that are not whole minor units rather than rounding. */
export function toMinorUnits(amount: DecimalString, currency: string): DecimalString {
  const scaled = toDecimal(amount).times(new Decimal(10).pow(minorUnits(currency)));
  if (!scaled.isInteger()) {
    throw new RangeError(`${amount} has more decimals than ${currency.toUpperCase()} allows`);
  }
  return normalize(scaled);
}

export function fromMinorUnits(minor: DecimalString | number, currency: string): DecimalString {
  return normalize(toDecimal(minor).dividedBy(new Decimal(10).pow(minorUnits(currency))));
}
