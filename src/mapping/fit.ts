/**
 * Text fitted to a target field's limit (the vendors' contracts, e.g. Zuora's `chargeName` 130,
 * a contact's `city` 100): cut at a grapheme boundary, never inside a surrogate pair, a combining
 * sequence or an emoji, and counted in UTF-16 units as the vendors' JSON limits are. Pure.
 */

export interface FittedField {
  /** Where the value went, e.g. `billToContact.city`. */
  field: string;
  /** UTF-16 length of the source value, and the target's limit. No content: it may be personal data. */
  length: number;
  limit: number;
  /** Where the full value was kept, when the target has room for it elsewhere. */
  keptIn?: string;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** `value` cut to at most `max` UTF-16 units at a grapheme boundary, trailing space trimmed. */
export function fitText(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  for (const { segment } of segmenter.segment(value)) {
    if (out.length + segment.length > max) break;
    out += segment;
  }
  return out.trimEnd();
}

/**
 * Collects what was fitted while a request is built: `fit(field, value, max)` returns the value
 * that fits and records the fitting (lengths only) when it had to cut.
 */
export function fitter(): {
  fit: (field: string, value: string, max: number, keptIn?: string) => string;
  fitted: FittedField[];
} {
  const fitted: FittedField[] = [];
  const fit = (field: string, value: string, max: number, keptIn?: string): string => {
    if (value.length <= max) return value;
    fitted.push({ field, length: value.length, limit: max, ...(keptIn !== undefined && { keptIn }) });
    return fitText(value, max);
  };
  return { fitted, fit };
}
