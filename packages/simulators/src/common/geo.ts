// The package's Node entry registers every locale, English included.
import countries from 'i18n-iso-countries';
import { iso31662 } from 'iso-3166';

/**
 * Countries and their subdivisions as the vendors check them: ISO 3166-1 codes and English names
 * (with the common aliases, e.g. "United States" and "USA") from `i18n-iso-countries`, ISO 3166-2
 * subdivisions from `iso-3166`.
 */

/** The ISO 3166-1 alpha-2 code of a country given by alpha-2, alpha-3 or English name; undefined if unknown. */
export function countryAlpha2(value: string): string | undefined {
  const v = value.trim();
  if (/^[A-Za-z]{2}$/.test(v)) return countries.isValid(v.toUpperCase()) ? v.toUpperCase() : undefined;
  if (/^[A-Za-z]{3}$/.test(v)) {
    const code = countries.alpha3ToAlpha2(v.toUpperCase());
    if (code) return code;
  }
  return countries.getAlpha2Code(v, 'en');
}

/** The country's official English name ("United States of America" for US). */
export function countryName(alpha2: string): string | undefined {
  return countries.getName(alpha2, 'en', { select: 'official' });
}

/**
 * A subdivision of `alpha2` given by its ISO 3166-2 code (with or without the country prefix:
 * "CA" or "US-CA") or its English name ("California"); undefined if the country has no such one.
 */
export function subdivision(alpha2: string, value: string): { code: string; name: string } | undefined {
  const v = value.trim().toUpperCase();
  const hit = iso31662.find(
    (s) => s.parent === alpha2 && (s.code === v || s.code === `${alpha2}-${v}` || s.name.toUpperCase() === v),
  );
  return hit ? { code: hit.code.slice(alpha2.length + 1), name: hit.name } : undefined;
}
