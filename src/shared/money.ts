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

const minorUnitCache = new Map<string, number>();

/**
 * Digits after the decimal point of a currency (ISO 4217 minor units): USD 2, JPY 0, BHD 3.
 * Node's ICU data knows the table, so we do not keep our own copy.
 */
export function minorUnits(currency: string): number {
  const code = currency.toUpperCase();
  let digits = minorUnitCache.get(code);
  if (digits === undefined) {
    if (!/^[A-Z]{3}$/.test(code)) throw new RangeError(`Not an ISO 4217 currency code: ${currency}`);
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
      .maximumFractionDigits;
    if (digits === undefined) throw new RangeError(`Unknown minor units for currency ${currency}`);
    minorUnitCache.set(code, digits);
  }
  return digits;
}

/** Rounds (half-up) to the currency's minor unit and writes exactly that many decimals: "12.30". */
export function roundToCurrency(amount: DecimalString, currency: string): DecimalString {
  return toDecimal(amount).toFixed(minorUnits(currency), Decimal.ROUND_HALF_UP);
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
