import { randomUUID } from 'node:crypto';
import { Decimal } from '../shared/money.js';

/**
 * JSON without binary floats at the boundary.
 *
 * Both vendors put amounts in JSON numbers (`"amount": 881.94`). `JSON.parse` would turn those
 * into IEEE doubles before any of our code sees them; `parseJsonLossless` instead hands every
 * number that is not a safe integer to `JSON.parse` as a string of its exact digits, so money and
 * quantity schemas read the digits the vendor wrote. Safe integers stay numbers (counts, sizes,
 * `expires_in`), which keeps the integer schemas honest.
 *
 * Outgoing, `stringifyJson` writes decimal.js values as bare JSON numbers with all their digits,
 * which is what the vendors' schemas (`type: number`) require.
 */

function isNumberStart(ch: string): boolean {
  return ch === '-' || (ch >= '0' && ch <= '9');
}

const NUMBER_CHARS = /[-+0-9.eE]/;

export function parseJsonLossless(text: string): unknown {
  let out = '';
  let i = 0;
  let chunkStart = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      // Skip the string, honouring escapes; its content is never touched.
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (isNumberStart(ch)) {
      let j = i + 1;
      while (j < n && NUMBER_CHARS.test(text[j]!)) j++;
      const token = text.slice(i, j);
      const isSafeInteger = /^-?\d+$/.test(token) && Number.isSafeInteger(Number(token));
      if (!isSafeInteger) {
        out += `${text.slice(chunkStart, i)}"${token}"`;
        chunkStart = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  out += text.slice(chunkStart);
  return JSON.parse(out);
}

/** JSON.stringify, except decimal.js values become bare numbers with every digit kept. */
export function stringifyJson(value: unknown): string {
  const marker = `@@dec-${randomUUID()}@@`;
  let sawDecimal = false;
  const json = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown): unknown {
      // The replacer sees the toJSON() result; the holder still has the Decimal itself.
      const original: unknown = this[key];
      if (original instanceof Decimal) {
        sawDecimal = true;
        return `${marker}${original.toFixed()}`;
      }
      return v;
    },
  );
  if (!sawDecimal) return json;
  return json.replace(new RegExp(`"${marker}(-?[0-9.]+)"`, 'g'), '$1');
}
