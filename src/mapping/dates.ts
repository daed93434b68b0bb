import { DateTime, IANAZone } from 'luxon';
import type { TogaiInvoice } from '../clients/togai/schemas.js';

/**
 * Dates and date-times as Zuora reads them (issue 11). Togai states a billing period as UTC
 * instants of its own calendar (`startDate` inclusive, `endDate` exclusive, and optionally
 * `endDateInclusive`); Zuora takes calendar dates (`yyyy-mm-dd`) and, for usage, date-times without
 * an offset that it reads in the tenant's time zone ("send date-times without a time zone; they are
 * interpreted in your tenant's time zone"). So a November cycle stays November in every tenant:
 *
 *   Togai 2026-11-01T00:00Z .. 2026-12-01T00:00Z (zone UTC)
 *   → Zuora service period 2026-11-01 .. 2026-11-30 (inclusive)
 *   → usage StartDateTime 2026-11-01T00:00:00, EndDateTime 2026-11-30T23:59:59 (tenant's wall clock)
 *
 * Sending `2026-11-01T00:00:00.000Z` instead lands on 31 October for a tenant in
 * America/Los_Angeles. Zones are IANA names; conversions go through luxon. Pure (no clock).
 */

/** The calendar date of an instant in a zone: `calendarDate('2026-11-01T03:00:00Z', 'Asia/Kolkata')`. */
export function calendarDate(instant: string, zone: string): string {
  const at = DateTime.fromISO(instant, { setZone: false, zone: 'utc' }).setZone(zone);
  if (!at.isValid)
    throw new RangeError(`Not an ISO date-time in zone ${zone}: ${instant} (${at.invalidReason})`);
  return at.toISODate() ?? '';
}

/**
 * The inclusive last day of a half-open period ending at `endExclusive`: the day before when the
 * end is the start of a day in `zone`, else the end's own day (a period cut mid-day still covers
 * it). The start of a day is not always 00:00: where a DST change skips midnight (America/Santiago
 * on 2026-09-06, Asia/Beirut, America/Havana) the day begins at 01:00, and a period ending there
 * still ends the day before.
 */
export function inclusiveEndDate(endExclusive: string, zone: string): string {
  const at = DateTime.fromISO(endExclusive, { zone: 'utc' }).setZone(zone);
  if (!at.isValid) throw new RangeError(`Not an ISO date-time: ${endExclusive}`);
  const startOfDay = at.toMillis() === at.startOf('day').toMillis();
  return (startOfDay ? at.minus({ days: 1 }) : at).toISODate() ?? '';
}

/** A Togai invoice's billing period as Zuora's inclusive calendar dates, in Togai's zone. */
export function billingPeriod(invoice: TogaiInvoice, togaiZone: string): { start: string; end: string } {
  const start = calendarDate(invoice.startDate ?? invoice.invoiceDate, togaiZone);
  const end = invoice.endDateInclusive
    ? calendarDate(invoice.endDateInclusive, togaiZone)
    : invoice.endDate
      ? inclusiveEndDate(invoice.endDate, togaiZone)
      : calendarDate(invoice.invoiceDate, togaiZone);
  // A cycle closed on the day it began ends no earlier than it starts.
  return { start, end: end < start ? start : end };
}

/** A date-time without an offset, as Zuora reads it in the tenant's zone: `2026-11-01T00:00:00`. */
export function zuoraLocalDateTime(date: string, time: '00:00:00' | '23:59:59'): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`Not a calendar date: ${date}`);
  return `${date}T${time}`;
}

/** True for an IANA zone name luxon (and Intl) knows. */
export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}
