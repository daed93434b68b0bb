import { z } from 'zod';
import { normalize, type DecimalString } from '../shared/money.js';

/**
 * Zod type for an amount read from a vendor response: a decimal string, or a JSON number that
 * arrived exactly (the clients' lossless JSON parser turns fractional numbers into strings, so
 * numbers reaching here are integers). Output is always the canonical decimal string.
 */
export const decimalSchema = z.union([z.string(), z.number()]).transform((value, ctx): DecimalString => {
  try {
    return normalize(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not an exact decimal: ${String(value)}` });
    return z.NEVER;
  }
});
