import type { TogaiInvoice, TogaiInvoiceLine, TogaiSetting } from '../clients/togai/schemas.js';
import type { ZuoraCreateUsageRequest } from '../clients/zuora/schemas.js';
import type { UsageSyncMode } from '../connections/settings.js';
import { fitText } from './fit.js';
import {
  Decimal,
  equals,
  isZero,
  normalize,
  roundToCurrency,
  toDecimal,
  type DecimalString,
} from '../shared/money.js';

/**
 * Flows 4 and 5's pure part: which Togai usage meter a usage line belongs to, where that meter
 * bills in Zuora, and the Zuora usage record the line becomes.
 *
 * The rule (docs/architecture.md, "Invoice flow"):
 *  - a usage line (`usageInfo`, type USAGE_METER_USAGE) names its meter in `metadata.usageMeterId`,
 *    else in its `id`; a line with neither is matched to the one meter whose name, display name
 *    or billable name equals its description;
 *  - the meter's Togai settings (entityType USAGE_METER, entityId the meter id, namespace the
 *    connection's `togai.settingsNamespace`) say what it is in Zuora's catalog, the same for every
 *    account: `zuora_product_rate_plan_charge` (required; 32 hex digits = the product rate plan
 *    charge's id, anything else its number), `zuora_usage_sync_mode` quantity|revenue (default:
 *    the connection's usageSyncMode) and `zuora_uom` (default: the subscription charge's unit);
 *  - which subscription a line bills to is decided per Zuora account (`routeUsage`): the Togai
 *    account's setting `zuora_subscriptions` (JSON, meter id → subscription) or `zuora_subscription`
 *    (all meters), else the account's one active subscription holding that charge;
 *  - quantity mode: Zuora quantity = Togai quantity, the per-unit amount in the usage custom field
 *    named by the connection (customFields.usageUnitAmount); revenue mode: Zuora quantity = the
 *    line's revenue (its USAGE_RATE_CARD_AMOUNT value), per-unit amount 1.
 */

export const USAGE_METER_ENTITY_TYPE = 'USAGE_METER';

/** Settings of a usage meter (entityType USAGE_METER, the connection's namespace). */
export const USAGE_METER_SETTING = {
  /** The Zuora product rate plan charge the meter's usage is rated by: id (32 hex) or number. */
  productRatePlanCharge: 'zuora_product_rate_plan_charge',
  syncMode: 'zuora_usage_sync_mode',
  unitOfMeasure: 'zuora_uom',
} as const;

/** Settings of a Togai account (entityType ACCOUNT, the connection's namespace) that route its usage. */
export const ACCOUNT_USAGE_SETTING = {
  /** STRING: the subscription (number or id) every meter of this account bills to. */
  subscription: 'zuora_subscription',
  /** JSON: `{"<usage meter id>": "<subscription number or id>"}`, wins over `zuora_subscription`. */
  subscriptionsByMeter: 'zuora_subscriptions',
} as const;

/**
 * The default usage custom field holding the record's Idempotency-Key (the connection's
 * `customFields.usageKey`): later runs find the record by it (an object-query filter) long after
 * Zuora's 24 h idempotency window. Must be filterable in Zuora. Runs from before the field was a
 * setting use this name.
 */
export const USAGE_KEY_FIELD = 'TogaiUsageKey__c';

export const DEFAULT_UOM = 'Each';

/** v0.1: per-unit amounts that are averages (tiered prices) kept this many decimals, rounded half-up. */
export const UNIT_AMOUNT_DECIMALS = 12;

/**
 * Averages keep at least this many significant digits (not decimal places: 45,000,000,001 units at
 * 0.0000011088… need them), more until quantity × unit amount rounds to the revenue at the
 * currency's precision.
 */
export const UNIT_AMOUNT_SIGNIFICANT_DIGITS = 12;

/** Zuora usage `Quantity`: "**Character limit**: 16" (zuora-sdk 3.21.0 CreateUsageRequest.Quantity). */
export const ZUORA_QUANTITY_MAX_CHARS = 16;

export interface TogaiUsageLine {
  /** Position in `usageInfo`, to name the line in reports when it has no meter. */
  index: number;
  description: string;
  meterId?: string;
  quantity: DecimalString;
}

/** A non-empty trimmed string, or undefined. */
export function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function meterIdOf(line: TogaiInvoiceLine): string | undefined {
  return nonEmptyText(line.metadata?.['usageMeterId']) ?? nonEmptyText(line.id);
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
  currency?: { code: string; decimals: Readonly<Record<string, number>> },
): DecimalString {
  if (valuePerQuantity !== undefined) return normalize(valuePerQuantity);
  if (isZero(quantity)) return '0';
  const exact = toDecimal(revenue).dividedBy(toDecimal(quantity));
  // v0.1 (no currency given): decimal places, as recorded runs expect.
  if (!currency) return normalize(exact.toDecimalPlaces(UNIT_AMOUNT_DECIMALS, Decimal.ROUND_HALF_UP));
  const target = roundToCurrency(revenue, currency.code, currency.decimals);
  let digits = UNIT_AMOUNT_SIGNIFICANT_DIGITS;
  let unit = exact.toSignificantDigits(digits, Decimal.ROUND_HALF_UP);
  // Each digit more divides the error by ten; the division's own 40 digits end the search.
  while (
    digits < 40 &&
    !equals(
      roundToCurrency(normalize(unit.times(toDecimal(quantity))), currency.code, currency.decimals),
      target,
    )
  ) {
    digits++;
    unit = exact.toSignificantDigits(digits, Decimal.ROUND_HALF_UP);
  }
  return normalize(unit);
}

/**
 * A quantity Zuora takes (at most 16 characters): as it is when it fits, else rounded half-up to
 * the decimal places that fit (the unit amount is then computed from it, so the money is kept);
 * undefined when even its integer part does not fit.
 */
export function zuoraQuantity(quantity: DecimalString): DecimalString | undefined {
  const q = normalize(quantity);
  if (q.length <= ZUORA_QUANTITY_MAX_CHARS) return q;
  const integerDigits = toDecimal(q).abs().truncated().toFixed().length + (q.startsWith('-') ? 1 : 0);
  const places = ZUORA_QUANTITY_MAX_CHARS - integerDigits - 1;
  if (places < 0)
    return integerDigits <= ZUORA_QUANTITY_MAX_CHARS
      ? normalize(toDecimal(q).toDecimalPlaces(0, Decimal.ROUND_HALF_UP))
      : undefined;
  return normalize(toDecimal(q).toDecimalPlaces(places, Decimal.ROUND_HALF_UP));
}

/**
 * Why a usage line was not synced. `pending` kinds are fixable by a mapping or a Zuora set-up, so
 * the sweep runs the invoice's sync again (for `PENDING_USAGE_RETRY_DAYS`) until they sync; the
 * others are the connection's choice and stay skipped.
 */
export const SKIP_KINDS = {
  'no-meter': { pending: true },
  'no-mapping': { pending: true },
  'legacy-mapping': { pending: true },
  'bad-setting': { pending: true },
  'no-subscription': { pending: true },
  'ambiguous-subscription': { pending: true },
  refused: { pending: true },
  /** The meter's mode is a usage flow switched off: synced by a rerun once it is switched on. */
  'flow-off': { pending: true },
  'zero-quantity': { pending: false },
  /** The meter is marked not billed in Zuora (`zuora_usage_sync_mode` = none). */
  'not-billed': { pending: false },
} as const;
export type SkipKind = keyof typeof SKIP_KINDS;

export interface Skip {
  kind: SkipKind;
  reason: string;
}

/** What a usage meter is in Zuora's catalog, the same for every account. */
export interface MeterMapping {
  productRatePlanCharge: string;
  mode: UsageSyncMode;
  /** Unit of measure when set on the meter; otherwise the subscription charge's. */
  uom?: string;
}

/** The meter's Zuora mapping from its settings, or why it cannot be synced (the line is then skipped). */
export function meterMapping(
  settings: readonly TogaiSetting[],
  namespace: string,
  defaultMode: UsageSyncMode,
  flows: { usageQuantity: boolean; usageRevenue: boolean },
): { mapping: MeterMapping } | { skip: Skip } {
  const value = (id: string): string | undefined =>
    nonEmptyText(settings.find((s) => s.id === id && s.namespace === namespace)?.value);
  const modeRaw = value(USAGE_METER_SETTING.syncMode);
  const mode = modeRaw?.toLowerCase();
  // Usage a business never bills in Zuora (internal meters, free features): not pending for ever.
  if (mode === 'none') {
    return {
      skip: {
        kind: 'not-billed',
        reason: `the usage meter is marked not billed in Zuora (${namespace}.${USAGE_METER_SETTING.syncMode} = none)`,
      },
    };
  }
  const prpc = value(USAGE_METER_SETTING.productRatePlanCharge);
  if (!prpc) {
    const legacy = value('zuora_subscription_id') ?? value('zuora_charge_id');
    return {
      skip: legacy
        ? {
            kind: 'legacy-mapping',
            reason:
              `the meter names one subscription for everyone (${namespace}.zuora_subscription_id / zuora_charge_id, v0.1), ` +
              `which cannot serve several accounts: set ${namespace}.${USAGE_METER_SETTING.productRatePlanCharge} to the product rate plan charge`,
          }
        : {
            kind: 'no-mapping',
            reason: `no Zuora mapping: setting ${namespace}.${USAGE_METER_SETTING.productRatePlanCharge} is missing on the usage meter`,
          },
    };
  }
  if (mode !== undefined && mode !== 'quantity' && mode !== 'revenue') {
    return {
      skip: {
        kind: 'bad-setting',
        reason: `setting ${namespace}.${USAGE_METER_SETTING.syncMode} is "${modeRaw}", expected quantity, revenue or none`,
      },
    };
  }
  const resolved = mode ?? defaultMode;
  if (!(resolved === 'quantity' ? flows.usageQuantity : flows.usageRevenue)) {
    return {
      skip: {
        kind: 'flow-off',
        reason: `the meter syncs in ${resolved} mode, and flow ${resolved === 'quantity' ? '4 (usage by quantity)' : '5 (usage by revenue)'} is off for this connection`,
      },
    };
  }
  const uom = value(USAGE_METER_SETTING.unitOfMeasure);
  return { mapping: { productRatePlanCharge: prpc, mode: resolved, ...(uom !== undefined && { uom }) } };
}

/** A Zuora subscription as routing needs it (from GET /v1/subscriptions/accounts/{key}). */
export interface SubscriptionCharges {
  id: string;
  number: string;
  status: string;
  /** The subscription's currency (its account's): read by usage syncs instead of the account. */
  currency?: string;
  charges: {
    id: string;
    number?: string;
    productRatePlanChargeId?: string;
    productRatePlanChargeNumber?: string;
    uom?: string;
  }[];
}

/** Where one usage line bills: the subscription and its charge, by number where Zuora has one. */
export interface UsageRoute {
  subscription: { id: string; number: string };
  charge: { id: string; number?: string; uom?: string };
  /** How the subscription was chosen, for the sync result. */
  via: 'account-setting' | 'only-active-subscription';
}

function subscriptionNamedFor(
  meterId: string,
  accountSettings: readonly TogaiSetting[],
  namespace: string,
): { named?: string; setting?: string } | { skip: Skip } {
  const value = (id: string): string | undefined =>
    nonEmptyText(accountSettings.find((s) => s.id === id && s.namespace === namespace)?.value);
  const byMeter = value(ACCOUNT_USAGE_SETTING.subscriptionsByMeter);
  if (byMeter !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(byMeter);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {
        skip: {
          kind: 'bad-setting',
          reason: `the Togai account's setting ${namespace}.${ACCOUNT_USAGE_SETTING.subscriptionsByMeter} is not a JSON object of usage meter id → subscription`,
        },
      };
    }
    const named = nonEmptyText((parsed as Record<string, unknown>)[meterId]);
    if (named) return { named, setting: `${namespace}.${ACCOUNT_USAGE_SETTING.subscriptionsByMeter}` };
  }
  const named = value(ACCOUNT_USAGE_SETTING.subscription);
  return named ? { named, setting: `${namespace}.${ACCOUNT_USAGE_SETTING.subscription}` } : {};
}

/**
 * The subscription and charge one account's usage of one meter bills to (issue 10): the Togai
 * account's settings name a subscription, or the Zuora account has exactly one active subscription
 * holding the meter's product rate plan charge. Anything else is a skip that names what to set.
 */
export function routeUsage(
  meterId: string,
  mapping: MeterMapping,
  accountSettings: readonly TogaiSetting[],
  namespace: string,
  zuoraAccountId: string,
  subscriptions: readonly SubscriptionCharges[],
): UsageRoute | { skip: Skip } {
  const named = subscriptionNamedFor(meterId, accountSettings, namespace);
  if ('skip' in named) return named;
  const prpc = mapping.productRatePlanCharge;
  const holdsCharge = (c: SubscriptionCharges['charges'][number]): boolean =>
    c.productRatePlanChargeId === prpc || c.productRatePlanChargeNumber === prpc;
  const fix =
    `name it in the Togai account's setting ${namespace}.${ACCOUNT_USAGE_SETTING.subscription} ` +
    `(or ${namespace}.${ACCOUNT_USAGE_SETTING.subscriptionsByMeter} for this meter)`;

  let candidates: readonly SubscriptionCharges[];
  if (named.named !== undefined) {
    const sub = subscriptions.find((s) => s.number === named.named || s.id === named.named);
    if (!sub) {
      return {
        skip: {
          kind: 'no-subscription',
          reason: `subscription ${named.named} (${named.setting}) is not a subscription of Zuora account ${zuoraAccountId}`,
        },
      };
    }
    if (sub.status !== 'Active') {
      return {
        skip: {
          kind: 'no-subscription',
          reason: `subscription ${sub.number} (${named.setting}) is ${sub.status}, not Active`,
        },
      };
    }
    candidates = [sub];
  } else {
    candidates = subscriptions.filter((s) => s.status === 'Active');
  }
  const hits = candidates.flatMap((s) => s.charges.filter(holdsCharge).map((c) => ({ s, c })));
  const first = hits[0];
  if (!first) {
    return {
      skip: {
        kind: 'no-subscription',
        reason:
          named.named !== undefined
            ? `subscription ${named.named} (${named.setting}) has no charge of product rate plan charge ${prpc}`
            : `no active subscription of Zuora account ${zuoraAccountId} holds product rate plan charge ${prpc}: add it to a subscription, or ${fix}`,
      },
    };
  }
  if (hits.length > 1) {
    const which = hits.map((h) => `${h.s.number}/${h.c.number ?? h.c.id}`).join(', ');
    return {
      skip: {
        kind: 'ambiguous-subscription',
        reason: `product rate plan charge ${prpc} is on several charges of Zuora account ${zuoraAccountId} (${which}): ${fix}`,
      },
    };
  }
  return {
    subscription: { id: first.s.id, number: first.s.number },
    charge: {
      id: first.c.id,
      ...(first.c.number !== undefined && { number: first.c.number }),
      ...(first.c.uom !== undefined && { uom: first.c.uom }),
    },
    via: named.named !== undefined ? 'account-setting' : 'only-active-subscription',
  };
}

export interface ZuoraUsageOptions {
  zuoraAccountId: string;
  togaiInvoiceId: string;
  meterId: string;
  /** Invoice period, ISO date-times as Togai gives them. */
  start: string;
  end: string;
  unitAmountField: string;
  /** Usage custom field holding `idempotencyKey` (filterable): the look-up of later runs. */
  keyField: string;
  idempotencyKey: string;
}

/**
 * The quantity and per-unit amount a line becomes in Zuora, by mode. In revenue mode the quantity
 * is money: with `currency` given it is rounded half-up to the currency's decimal places (what
 * Zuora bills at unit price 1), and `exactQuantity` keeps Togai's figure when that changed it.
 */
export function usageFigures(
  mode: UsageSyncMode,
  quantity: DecimalString,
  revenue: { revenue: DecimalString; valuePerQuantity?: DecimalString },
  currency?: { code: string; decimals: Readonly<Record<string, number>> },
): { quantity: DecimalString; unitAmount: DecimalString; exactQuantity?: DecimalString } {
  if (mode === 'quantity') {
    if (!currency)
      return { quantity, unitAmount: unitAmount(revenue.revenue, quantity, revenue.valuePerQuantity) };
    const fitted = zuoraQuantity(quantity);
    if (fitted === undefined || fitted === normalize(quantity))
      return {
        quantity,
        unitAmount: unitAmount(revenue.revenue, quantity, revenue.valuePerQuantity, currency),
      };
    // Rounded to fit Zuora's 16 characters: the per-unit amount follows, so the money does not move.
    return {
      quantity: fitted,
      unitAmount: isZero(fitted) ? '0' : unitAmount(revenue.revenue, fitted, undefined, currency),
      exactQuantity: quantity,
    };
  }
  if (!currency) return { quantity: revenue.revenue, unitAmount: '1' };
  const rounded = normalize(roundToCurrency(revenue.revenue, currency.code, currency.decimals));
  return {
    quantity: rounded,
    unitAmount: '1',
    ...(!toDecimal(rounded).equals(toDecimal(revenue.revenue)) && { exactQuantity: revenue.revenue }),
  };
}

export function zuoraUsageFromLine(
  mapping: MeterMapping,
  route: UsageRoute,
  figures: { quantity: DecimalString; unitAmount: DecimalString },
  options: ZuoraUsageOptions,
): ZuoraCreateUsageRequest {
  return {
    AccountId: options.zuoraAccountId,
    SubscriptionNumber: route.subscription.number,
    ...(route.charge.number !== undefined
      ? { ChargeNumber: route.charge.number }
      : { ChargeId: route.charge.id }),
    Quantity: figures.quantity,
    StartDateTime: options.start,
    EndDateTime: options.end,
    UOM: mapping.uom ?? route.charge.uom ?? DEFAULT_UOM,
    // Zuora's Description holds 200 characters (contract): long ids are cut, never refused.
    Description: fitText(
      `Togai invoice ${options.togaiInvoiceId}, usage meter ${options.meterId} (${mapping.mode})`,
      200,
    ),
    customFields: {
      // A string keeps the amount exact; a number field would go through a float in Zuora's UI.
      [options.unitAmountField]: figures.unitAmount,
      [options.keyField]: options.idempotencyKey,
    },
  };
}
