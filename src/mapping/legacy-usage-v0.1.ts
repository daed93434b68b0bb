import type { TogaiSetting } from '../clients/togai/schemas.js';
import type { ZuoraCreateUsageRequest } from '../clients/zuora/schemas.js';
import type { UsageSyncMode } from '../connections/settings.js';
import type { DecimalString } from '../shared/money.js';
import {
  DEFAULT_UOM,
  nonEmptyText as text,
  USAGE_KEY_FIELD,
  type ZuoraUsageOptions,
} from './usage-togai-to-zuora.js';

/**
 * v0.1's usage mapping, kept only so invoice syncs started before the per-account routing
 * (workflow patch `usage-routed-per-account`) replay and finish as they began: a meter's settings
 * named one subscription and charge (`zuora_subscription_id`, `zuora_charge_id`) for every account,
 * which cannot serve a second account on the same meter. New runs never take this path. Remove it
 * (and the patch's old branch, `deprecatePatch`) once no run from before that version is open.
 */

const ZUORA_ID = /^[0-9a-f]{32}$/i;

export const LEGACY_USAGE_METER_SETTING = {
  zuoraSubscriptionId: 'zuora_subscription_id',
  zuoraChargeId: 'zuora_charge_id',
  syncMode: 'zuora_usage_sync_mode',
  unitOfMeasure: 'zuora_uom',
} as const;

export interface LegacyMeterMapping {
  subscription: string;
  charge: string;
  mode: UsageSyncMode;
  uom: string;
}

/** Where the meter bills in Zuora, or why it cannot be synced (the line is then skipped). */
export function legacyMeterMapping(
  settings: readonly TogaiSetting[],
  namespace: string,
  defaultMode: UsageSyncMode,
): { mapping: LegacyMeterMapping } | { skip: string } {
  const value = (id: string): string | undefined =>
    text(settings.find((s) => s.id === id && s.namespace === namespace)?.value);
  const subscription = value(LEGACY_USAGE_METER_SETTING.zuoraSubscriptionId);
  const charge = value(LEGACY_USAGE_METER_SETTING.zuoraChargeId);
  const missing = [
    !subscription && LEGACY_USAGE_METER_SETTING.zuoraSubscriptionId,
    !charge && LEGACY_USAGE_METER_SETTING.zuoraChargeId,
  ].filter((m) => m !== false);
  if (!subscription || !charge) {
    return {
      skip: `no Zuora mapping: setting ${missing.map((m) => `${namespace}.${m}`).join(' and ')} missing`,
    };
  }
  const modeRaw = value(LEGACY_USAGE_METER_SETTING.syncMode);
  const mode = modeRaw?.toLowerCase();
  if (mode !== undefined && mode !== 'quantity' && mode !== 'revenue') {
    return {
      skip: `setting ${namespace}.${LEGACY_USAGE_METER_SETTING.syncMode} is "${modeRaw}", expected quantity or revenue`,
    };
  }
  return {
    mapping: {
      subscription,
      charge,
      mode: mode ?? defaultMode,
      uom: value(LEGACY_USAGE_METER_SETTING.unitOfMeasure) ?? DEFAULT_UOM,
    },
  };
}

export function legacyZuoraUsageFromLine(
  mapping: LegacyMeterMapping,
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
