// The core without its Node entry, which would register every language: English is all we read.
import countries from 'i18n-iso-countries/index.js';
import english from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import { iso31662 } from 'iso-3166';

countries.registerLocale(english);

/**
 * Addresses between the two vendors' formats, for the account flows (1 and 2). Pure data
 * libraries only, so workflow code can call it:
 *
 * - Togai's `Address.country` is "Two letter country code ISO-3166-1 Alpha-2" (Togai's spec);
 *   Zuora's contact `country` is "a valid country name or abbreviation" and Zuora answers with the
 *   name ("United States"). Codes and English names (with common aliases: "USA", "United States")
 *   come from `i18n-iso-countries`.
 * - Zuora's `state`, in the United States and Canada: "a valid state or province name or
 *   2-character abbreviation" (zuora-sdk 3.21.0 CreateAccountContact); ISO 3166-2 subdivisions
 *   from `iso-3166`. Elsewhere the text is free, as in Togai ("State, county, province or region").
 *
 * A value neither side would accept is never guessed: it is left out and reported (`Unmapped`),
 * by field and reason only (addresses are customer data: the value itself is not repeated).
 */

/** A field left out of the request because the target would refuse its value, and why. */
export interface Unmapped {
  /** Where it would have gone, e.g. `address.country`. */
  field: string;
  reason: string;
}

/** The ISO 3166-1 alpha-2 code of a country given as alpha-2, alpha-3 or English name; undefined if unknown. */
export function countryAlpha2(value: string): string | undefined {
  const v = value.trim();
  if (/^[A-Za-z]{2}$/.test(v)) return countries.isValid(v.toUpperCase()) ? v.toUpperCase() : undefined;
  if (/^[A-Za-z]{3}$/.test(v)) {
    const code = countries.alpha3ToAlpha2(v.toUpperCase());
    if (code) return code;
  }
  return countries.getAlpha2Code(v, 'en');
}

/**
 * The two-letter code of a US state or Canadian province given as code ("CA", "US-CA") or English
 * name ("California"); undefined when it is neither.
 */
export function subdivisionCode(countryCode: string, value: string): string | undefined {
  const v = value.trim().toUpperCase();
  const hit = iso31662.find(
    (s) =>
      s.parent === countryCode &&
      (s.code === `${countryCode}-${v}` || s.code === v || s.name.toUpperCase() === v),
  );
  return hit?.code.slice(countryCode.length + 1);
}

/** Countries whose state Zuora checks against its list (and where we send the 2-letter code). */
export const STATE_CHECKED_COUNTRIES: readonly string[] = ['US', 'CA'];

/**
 * Country and state for the target: the country as an ISO alpha-2 code (Togai requires it; Zuora
 * takes it), the state as a 2-letter code in the US and Canada and as given elsewhere. Unknown
 * values are left out and reported under `prefix`.
 */
export function countryAndState(
  country: string | null | undefined,
  state: string | null | undefined,
  prefix: string,
  unmapped: Unmapped[],
): { country?: string; state?: string } {
  const out: { country?: string; state?: string } = {};
  const c = country?.trim();
  const code = c ? countryAlpha2(c) : undefined;
  if (c && code === undefined)
    unmapped.push({
      field: `${prefix}.country`,
      reason: 'not a country name or ISO 3166-1 code the other side knows: left out, fix it at the source',
    });
  if (code !== undefined) out.country = code;
  const s = state?.trim();
  if (!s) return out;
  if (code !== undefined && STATE_CHECKED_COUNTRIES.includes(code)) {
    const sub = subdivisionCode(code, s);
    if (sub === undefined)
      unmapped.push({
        field: `${prefix}.state`,
        reason: `not a ${code === 'US' ? 'US state' : 'Canadian province'} name or code: left out, fix it at the source`,
      });
    else out.state = sub;
  } else {
    out.state = s;
  }
  return out;
}
