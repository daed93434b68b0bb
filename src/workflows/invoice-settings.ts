import type { InvoiceSyncSettings } from '../activities/invoices.js';

/**
 * The invoice flow's mapping settings, with the values v0.1 behaved by for runs whose settings
 * were read before these settings existed (their histories hold settings without `mapping`):
 * ISO 4217 decimals, UTC calendar, taxation items, zero lines kept, zero invoices created.
 */
export function invoiceMappingDefaults(
  settings: InvoiceSyncSettings,
): Required<Omit<InvoiceSyncSettings['mapping'], 'taxCode'>> & { taxCode?: string } {
  const m: Partial<InvoiceSyncSettings['mapping']> = settings.mapping ?? {};
  return {
    currencyDecimals: m.currencyDecimals ?? {},
    taxLines: m.taxLines ?? 'taxation-items',
    ...(m.taxCode !== undefined && { taxCode: m.taxCode }),
    zeroAmountLines: m.zeroAmountLines ?? 'include',
    zeroTotalInvoices: m.zeroTotalInvoices ?? 'create',
    zeroQuantityUsage: m.zeroQuantityUsage ?? 'sync',
    togaiTimeZone: m.togaiTimeZone ?? 'UTC',
    zuoraTimeZone: m.zuoraTimeZone ?? 'UTC',
  };
}
