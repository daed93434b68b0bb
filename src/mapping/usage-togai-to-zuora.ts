import type { TogaiInvoice, TogaiInvoiceLine, TogaiSetting } from '../clients/togai/schemas.js';
import type { ZuoraCreateUsageRequest } from '../clients/zuora/schemas.js';
import type { UsageSyncMode } from '../connections/settings.js';
import { Decimal, isZero, normalize, toDecimal, type DecimalString } from '../shared/money.js';

/**
 * Flows 4 and 5's pure part: which Togai usage meter a usage line belongs to, where that meter
 * bills in Zuora, and the Zuora usage record the line becomes.
 *
 * The rule (docs/architecture.md, "Invoice flow"):
 *  - a usage line (`usageInfo`, type USAGE_METER_USAGE) names its meter in `metadata.usageMeterId`,
 *    else in its `id`; a line with neither is matched to the one meter whose name, display name
 *    or billable name equals its description;
 *  - the meter's Togai settings (entityType USAGE_METER, entityId the meter id, namespace the
 *    connection's `togai.settingsNamespace`) say where it bills: `zuora_subscription_id` and
 *    `zuora_charge_id` (both required; a value of 32 hex digits is a Zuora id, anything else a
 *    number such as A-S00000001 / C-00000001), `zuora_usage_sync_mode` quantity|revenue (default:
 *    the connection's usageSyncMode) and `zuora_uom` (default `Each`, Zuora's stock unit);
 *  - quantity mode: Zuora quantity = Togai quantity, the per-unit amount in the usage custom field
 *    named by the connection (customFields.usageUnitAmount); revenue mode: Zuora quantity = the
 *    line's revenue (its USAGE_RATE_CARD_AMOUNT value), per-unit amount 1.
 */

export const USAGE_METER_ENTITY_TYPE = 'USAGE_METER';

export const USAGE_METER_SETTING = {
  zuoraSubscriptionId: 'zuora_subscription_id',
  zuoraChargeId: 'zuora_charge_id',
  syncMode: 'zuora_usage_sync_mode',
  unitOfMeasure: 'zuora_uom',
} as const;

/**
 * Usage custom field holding the record's Idempotency-Key: later runs find the record by it (an
 * object-query filter) long after Zuora's 24 h idempotency window. Must be filterable in Zuora.
 */
export const USAGE_KEY_FIELD = 'TogaiUsageKey__c';

export const DEFAULT_UOM = 'Each';

/** Per-unit amounts that are averages (tiered prices) keep this many decimals, rounded half-up. */
export const UNIT_AMOUNT_DECIMALS = 12;

export interface TogaiUsageLine {
  /** Position in `usageInfo`, to name the line in reports when it has no meter. */
  index: number;
  description: string;
  meterId?: string;
  quantity: DecimalString;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function meterIdOf(line: TogaiInvoiceLine): string | undefined {
  return text(line.metadata?.['usageMeterId']) ?? text(line.id);
}

/** The invoice's usage lines. Togai states the accrued quantity in `quantity`, or else in `value`. */
export function togaiUsageLines(invoice: TogaiInvoice): TogaiUsageLine[] {
  return (invoice.usageInfo ?? []).map((line, index) => {
    const meterId = meterIdOf(line);
    return {
      index,
      description: line.description,
      ...(meterId !== undefined && { meterId }),
      quantity: normalize(line.quantity ?? line.value),
    };
  });
}

export interface MeterNames {
  id: string;
  name: string;
  displayName?: string | null | undefined;
  billableName?: string | null | undefined;
}

/** The one meter named like the line; undefined when none or several are (a guess would be wrong). */
export function meterByName(description: string, meters: readonly MeterNames[]): string | undefined {
  const wanted = description.trim();
  const hits = meters.filter((m) =>
    [m.name, m.displayName, m.billableName].some((n) => n?.trim() === wanted),
  );
  return hits.length === 1 ? hits[0]?.id : undefined;
}

function walk(line: TogaiInvoiceLine | null | undefined, visit: (l: TogaiInvoiceLine) => void): void {
  if (!line) return;
  visit(line);
  for (const child of line.lineItems ?? []) walk(child, visit);
}

/** The meter's charge line in the revenue tree: its revenue and, when one rate applies, that rate. */
export function meterRevenue(
  invoice: TogaiInvoice,
  meterId: string,
): { revenue: DecimalString; valuePerQuantity?: DecimalString } {
  let found: TogaiInvoiceLine | undefined;
  walk(invoice.revenueInfo, (l) => {
    if (!found && l.type === 'USAGE_RATE_CARD_AMOUNT' && meterIdOf(l) === meterId) found = l;
  });
  // A meter without a rate card earned nothing on this invoice.
  if (!found) return { revenue: '0' };
  return {
    revenue: normalize(found.value),
    ...(found.valuePerQuantity != null && { valuePerQuantity: normalize(found.valuePerQuantity) }),
  };
}

/**
 * The per-unit amount carried to Zuora in quantity mode: Togai's own rate when a single one
 * applies, else the average revenue ÷ quantity (tiered prices), 0 for no usage.
 */
export function unitAmount(
  revenue: DecimalString,
  quantity: DecimalString,
  valuePerQuantity?: DecimalString,
): DecimalString {
  if (valuePerQuantity !== undefined) return normalize(valuePerQuantity);
  if (isZero(quantity)) return '0';
  return normalize(
    toDecimal(revenue)
      .dividedBy(toDecimal(quantity))
      .toDecimalPlaces(UNIT_AMOUNT_DECIMALS, Decimal.ROUND_HALF_UP),
  );
}

export interface MeterMapping {
  subscription: string;
  charge: string;
  mode: UsageSyncMode;
  uom: string;
}

/** Where the meter bills in Zuora, or why it cannot be synced (the line is then skipped). */
export function meterMapping(
  settings: readonly TogaiSetting[],
  namespace: string,
  defaultMode: UsageSyncMode,
): { mapping: MeterMapping } | { skip: string } {
  const value = (id: string): string | undefined =>
    text(settings.find((s) => s.id === id && s.namespace === namespace)?.value);
  const subscription = value(USAGE_METER_SETTING.zuoraSubscriptionId);
  const charge = value(USAGE_METER_SETTING.zuoraChargeId);
  const missing = [
    !subscription && USAGE_METER_SETTING.zuoraSubscriptionId,
    !charge && USAGE_METER_SETTING.zuoraChargeId,
  ].filter((m) => m !== false);
  if (!subscription || !charge) {
    return {
      skip: `no Zuora mapping: setting ${missing.map((m) => `${namespace}.${m}`).join(' and ')} missing`,
    };
  }
  const modeRaw = value(USAGE_METER_SETTING.syncMode);
  const mode = modeRaw?.toLowerCase();
  if (mode !== undefined && mode !== 'quantity' && mode !== 'revenue') {
    return {
      skip: `setting ${namespace}.${USAGE_METER_SETTING.syncMode} is "${modeRaw}", expected quantity or revenue`,
    };
  }
  return {
    mapping: {
      subscription,
      charge,
      mode: mode ?? defaultMode,
      uom: value(USAGE_METER_SETTING.unitOfMeasure) ?? DEFAULT_UOM,
    },
  };
}

const ZUORA_ID = /^[0-9a-f]{32}$/i;

export interface ZuoraUsageOptions {
  zuoraAccountId: string;
  togaiInvoiceId: string;
  meterId: string;
  /** Invoice period, ISO date-times as Togai gives them. */
  start: string;
  end: string;
  unitAmountField: string;
  idempotencyKey: string;
}

/** The quantity and per-unit amount a line becomes in Zuora, by mode. */
export function usageFigures(
  mode: UsageSyncMode,
  quantity: DecimalString,
  revenue: { revenue: DecimalString; valuePerQuantity?: DecimalString },
): { quantity: DecimalString; unitAmount: DecimalString } {
  return mode === 'quantity'
    ? { quantity, unitAmount: unitAmount(revenue.revenue, quantity, revenue.valuePerQuantity) }
    : { quantity: revenue.revenue, unitAmount: '1' };
}

export function zuoraUsageFromLine(
  mapping: MeterMapping,
  figures: { quantity: DecimalString; unitAmount: DecimalString },
  options: ZuoraUsageOptions,
): ZuoraCreateUsageRequest {
  return {
    AccountId: options.zuoraAccountId,
    ...(ZUORA_ID.test(mapping.subscription)
      ? { SubscriptionId: mapping.subscription }
      : { SubscriptionNumber: mapping.subscription }),
    ...(ZUORA_ID.test(mapping.charge) ? { ChargeId: mapping.charge } : { ChargeNumber: mapping.charge }),
    Quantity: figures.quantity,
    StartDateTime: options.start,
    EndDateTime: options.end,
    UOM: mapping.uom,
    Description: `Togai invoice ${options.togaiInvoiceId}, usage meter ${options.meterId} (${mapping.mode})`,
    customFields: {
      // A string keeps the amount exact; a number field would go through a float in Zuora's UI.
      [options.unitAmountField]: figures.unitAmount,
      [USAGE_KEY_FIELD]: options.idempotencyKey,
    },
  };
}
