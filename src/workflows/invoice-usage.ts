import { ActivityFailure, ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { InvoiceSyncSettings } from '../activities/invoices.js';
import type { TogaiInvoice, TogaiSetting } from '../clients/togai/schemas.js';
import {
  togaiInvoiceToZuora,
  type Flows,
  type SkippedUsageLine,
  type UsageRecordSynced,
} from '../flows/index.js';
import { legacyMeterMapping, legacyZuoraUsageFromLine } from '../mapping/legacy-usage-v0.1.js';
import {
  meterByName,
  meterMapping,
  meterRevenue,
  routeUsage,
  SKIP_KINDS,
  togaiUsageLines,
  usageFigures,
  USAGE_KEY_FIELD,
  zuoraUsageFromLine,
  type MeterNames,
  type Skip,
  type SubscriptionCharges,
} from '../mapping/usage-togai-to-zuora.js';
import { billingPeriod, zuoraLocalDateTime } from '../mapping/dates.js';
import { FAILURE } from '../shared/failures.js';
import { isZero } from '../shared/money.js';
import { createOnce } from './create-once.js';
import { invoiceMappingDefaults } from './invoice-settings.js';
import {
  legacyUsageKeyPrefix,
  usageCreateIdempotencyKey,
  usageRecordKey,
  usageRecordKeyPrefix,
  zuoraUsageCreateKey,
} from '../shared/idempotency.js';
import { PATCH } from './patches.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/** Flows 4 and 5 for one invoice: what was synced and what was skipped (with why). */
export interface UsagePart {
  usage: UsageRecordSynced[];
  skipped: SkippedUsageLine[];
}

export interface UsageContext {
  connectionId: string;
  /** The invoice's currency (ISO 4217): revenue-mode quantities are money at its precision. */
  currency: string;
  invoice: TogaiInvoice;
  settings: InvoiceSyncSettings;
  flows: Flows;
  zuoraAccountId: string;
  /** The Togai account's settings (routing: `zuora_subscription`, `zuora_subscriptions`). */
  accountSettings: TogaiSetting[];
  /** The Zuora account's subscriptions, when the caller read them already. */
  subscriptions?: SubscriptionCharges[];
  /** A repair run (reconciliation): records are created under this run's key (see `createOnce`). */
  fresh?: boolean;
}

/** Zuora's refusals of one usage record that leave the rest of the invoice syncable. */
const LINE_REFUSALS: readonly string[] = [FAILURE.ZuoraBusinessError, FAILURE.ZuoraNotFound];

/**
 * The invoice's usage lines as Zuora usage records, each under its own account's subscription
 * (issue 10). A line that cannot be routed or that Zuora refuses is skipped with its reason and
 * never fails the sync: pending kinds are synced by a later run (the sweep reruns syncs with
 * pending lines), and every record is looked up by its key before it is created.
 */
export async function syncUsage(ctx: UsageContext): Promise<UsagePart> {
  // Runs started before per-account routing finish on the v0.1 rule they began with.
  if (!patched(PATCH.usageRoutedPerAccount)) return legacySyncUsage(ctx);

  const { connectionId, invoice, settings } = ctx;
  const namespace = settings.settingsNamespace;
  // Settings read by runs from before the field was a setting lack it: the name it always had.
  const keyField = settings.customFields.usageKey ?? USAGE_KEY_FIELD;
  const options = invoiceMappingDefaults(settings);
  // Calendar days of Togai's period, sent without an offset: Zuora reads them in the tenant's zone.
  const period = billingPeriod(invoice, options.togaiTimeZone);
  const usage: UsageRecordSynced[] = [];
  const skipped: SkippedUsageLine[] = [];
  const skip = (line: { index: number; description: string }, s: Skip, meterId?: string): void => {
    skipped.push({
      line: line.index,
      description: line.description,
      ...(meterId !== undefined && { meterId }),
      kind: s.kind,
      pending: SKIP_KINDS[s.kind].pending,
      reason: s.reason,
    });
  };
  let meters: MeterNames[] | undefined;
  // Read once per sync, only when a line needs routing: the account's subscriptions and charges.
  let subscriptions: SubscriptionCharges[] | undefined = ctx.subscriptions;

  // One starts-with look-up tells whether any record of this invoice exists (a rerun), so a first
  // run does not look each line up (issue 12: fewer calls per invoice).
  const guarded = patched(PATCH.billingGuard);
  const fewerCalls = guarded && patched(PATCH.fewerCallsPerInvoice);
  const legacyPossible = !fewerCalls || settings.legacyUsageKeys !== false;
  const someExist = fewerCalls
    ? await anyUsageRecord(connectionId, invoice.id, keyField, legacyPossible)
    : true;
  for (const line of togaiUsageLines(invoice)) {
    let meterId = line.meterId;
    if (meterId === undefined) {
      meters ??= await acts.togaiListUsageMeterNames({ connectionId });
      meterId = meterByName(line.description, meters);
    }
    if (meterId === undefined) {
      skip(line, { kind: 'no-meter', reason: `no usage meter (or several) is named "${line.description}"` });
      continue;
    }
    const meterSettings = await acts.togaiListUsageMeterSettings({
      connectionId,
      usageMeterId: meterId,
      namespace,
    });
    const decided = meterMapping(meterSettings, namespace, settings.usageSyncMode, ctx.flows);
    if ('skip' in decided) {
      skip(line, decided.skip, meterId);
      continue;
    }
    const { mapping } = decided;
    const figures = usageFigures(mapping.mode, line.quantity, meterRevenue(invoice, meterId), {
      code: ctx.currency,
      decimals: options.currencyDecimals,
    });
    if (isZero(figures.quantity) && options.zeroQuantityUsage === 'skip') {
      skip(
        line,
        { kind: 'zero-quantity', reason: 'quantity 0: no usage record (zuora.zeroQuantityUsage is skip)' },
        meterId,
      );
      continue;
    }
    // Keyed by invoice and meter only (a second connection to the same tenants finds the record);
    // records made before that carry v0.1's per-connection key and are looked up by it too.
    const legacyKey = zuoraUsageCreateKey(connectionId, invoice.id, meterId);
    const key = guarded ? usageRecordKey(invoice.id, meterId) : legacyKey;
    let existing: string[] = [];
    if (someExist) {
      existing = await acts.zuoraFindUsagesByField({ connectionId, field: keyField, value: key });
      if (guarded && legacyPossible && existing.length === 0)
        existing = await acts.zuoraFindUsagesByField({ connectionId, field: keyField, value: legacyKey });
    }
    const found = existing[0];
    if (found !== undefined) {
      usage.push({ meterId, mode: mapping.mode, zuoraUsageId: found, ...figures, outcome: 'adopted' });
      continue;
    }
    subscriptions ??= await acts.zuoraListSubscriptions({ connectionId, accountKey: ctx.zuoraAccountId });
    const route = routeUsage(
      meterId,
      mapping,
      ctx.accountSettings,
      namespace,
      ctx.zuoraAccountId,
      subscriptions,
    );
    if ('skip' in route) {
      skip(line, route.skip, meterId);
      continue;
    }
    const body = zuoraUsageFromLine(mapping, route, figures, {
      zuoraAccountId: ctx.zuoraAccountId,
      togaiInvoiceId: invoice.id,
      meterId,
      start: zuoraLocalDateTime(period.start, '00:00:00'),
      end: zuoraLocalDateTime(period.end, '23:59:59'),
      unitAmountField: settings.customFields.usageUnitAmount,
      keyField,
      idempotencyKey: key,
    });
    try {
      // The Idempotency-Key names the body too: Zuora replays a refusal for 24 h, and a fixed
      // mapping (another subscription, UOM) must be a new request.
      const { id } = await createOnce({
        create: (generation) =>
          acts.zuoraCreateUsage({
            connectionId,
            body,
            idempotencyKey: guarded ? usageCreateIdempotencyKey(key, body, generation) : key,
          }),
        lookUp: async () => {
          const [found] = await acts.zuoraFindUsagesByField({ connectionId, field: keyField, value: key });
          return found === undefined ? undefined : { id: found };
        },
        fresh: ctx.fresh === true,
      });
      usage.push({
        meterId,
        mode: mapping.mode,
        zuoraUsageId: id,
        ...figures,
        outcome: 'created',
        subscriptionNumber: route.subscription.number,
        chargeNumber: route.charge.number ?? route.charge.id,
      });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (!(cause instanceof ApplicationFailure) || !LINE_REFUSALS.includes(cause.type ?? '')) throw err;
      skip(line, { kind: 'refused', reason: `Zuora refused the usage record: ${cause.message}` }, meterId);
    }
  }
  return { usage, skipped };
}

/** Whether any usage record of the invoice exists (today's keys, and v0.1's when possible). */
async function anyUsageRecord(
  connectionId: string,
  togaiInvoiceId: string,
  keyField: string,
  legacyPossible: boolean,
): Promise<boolean> {
  const prefixes = [usageRecordKeyPrefix(togaiInvoiceId)];
  if (legacyPossible) prefixes.push(legacyUsageKeyPrefix(connectionId, togaiInvoiceId));
  for (const value of prefixes) {
    const found = await acts.zuoraFindUsagesByField({
      connectionId,
      field: keyField,
      value,
      startsWith: true,
      pageSize: 1,
    });
    if (found.length > 0) return true;
  }
  return false;
}

/** Usage lines of a Togai invoice already billed (or not) as Zuora usage records. */
export interface UsageBilling {
  /** Usage records found for the invoice (at most the look-up's page). */
  records: number;
  /** Lines with revenue that have no usage record: billing them needs a person. */
  unbilled: { line: number; description: string; meterId?: string }[];
}

/**
 * Whether the invoice's usage is billed in Zuora as usage records already (flows 4/5, by this
 * connection or another to the same tenants), read before the invoice flow creates a Zuora
 * invoice: one starts-with look-up per key version; each line's record is looked up only when
 * some exist.
 */
export async function usageBilledAlready(
  connectionId: string,
  invoice: TogaiInvoice,
  keyField: string,
  legacyUsageKeys = true,
): Promise<UsageBilling> {
  let records = 0;
  const prefixes = [usageRecordKeyPrefix(invoice.id)];
  if (legacyUsageKeys) prefixes.push(legacyUsageKeyPrefix(connectionId, invoice.id));
  for (const prefix of prefixes) {
    const ids = await acts.zuoraFindUsagesByField({
      connectionId,
      field: keyField,
      value: prefix,
      startsWith: true,
    });
    records += ids.length;
  }
  if (records === 0) return { records, unbilled: [] };
  const unbilled: UsageBilling['unbilled'] = [];
  for (const line of togaiUsageLines(invoice)) {
    const meterId = line.meterId;
    const base = { line: line.index, description: line.description };
    if (meterId === undefined) {
      unbilled.push(base);
      continue;
    }
    if (isZero(meterRevenue(invoice, meterId).revenue)) continue;
    let hit = false;
    for (const value of [
      usageRecordKey(invoice.id, meterId),
      zuoraUsageCreateKey(connectionId, invoice.id, meterId),
    ]) {
      if (hit) break;
      hit = (await acts.zuoraFindUsagesByField({ connectionId, field: keyField, value })).length > 0;
    }
    if (!hit) unbilled.push({ ...base, meterId });
  }
  return { records, unbilled };
}

/** v0.1's usage sync (one subscription per meter), for runs that began before routing per account. */
async function legacySyncUsage(ctx: UsageContext): Promise<UsagePart> {
  const { connectionId, invoice, settings } = ctx;
  const usage: UsageRecordSynced[] = [];
  const skipped: SkippedUsageLine[] = [];
  let meters: MeterNames[] | undefined;
  const start = invoice.startDate ?? invoice.invoiceDate;
  const end = invoice.endDate ?? invoice.invoiceDate;
  const skip = (base: { line: number; description: string }, reason: string, meterId?: string): void => {
    skipped.push({
      ...base,
      ...(meterId !== undefined && { meterId }),
      kind: 'no-mapping',
      pending: false,
      reason,
    });
  };

  for (const line of togaiUsageLines(invoice)) {
    let meterId = line.meterId;
    if (meterId === undefined) {
      meters ??= await acts.togaiListUsageMeterNames({ connectionId });
      meterId = meterByName(line.description, meters);
    }
    const base = { line: line.index, description: line.description };
    if (meterId === undefined) {
      skip(base, `no usage meter (or several) is named "${line.description}"`);
      continue;
    }
    const meterSettings = await acts.togaiListUsageMeterSettings({
      connectionId,
      usageMeterId: meterId,
      namespace: settings.settingsNamespace,
    });
    const decided = legacyMeterMapping(meterSettings, settings.settingsNamespace, settings.usageSyncMode);
    if ('skip' in decided) {
      skip(base, decided.skip, meterId);
      continue;
    }
    const { mapping } = decided;
    const figures = usageFigures(mapping.mode, line.quantity, meterRevenue(invoice, meterId));
    const key = zuoraUsageCreateKey(connectionId, invoice.id, meterId);
    const existing = await acts.zuoraFindUsagesByField({ connectionId, field: USAGE_KEY_FIELD, value: key });
    let id = existing[0];
    let outcome: UsageRecordSynced['outcome'] = 'adopted';
    if (id === undefined) {
      const body = legacyZuoraUsageFromLine(mapping, figures, {
        zuoraAccountId: ctx.zuoraAccountId,
        togaiInvoiceId: invoice.id,
        meterId,
        start,
        end,
        unitAmountField: settings.customFields.usageUnitAmount,
        keyField: USAGE_KEY_FIELD,
        idempotencyKey: key,
      });
      id = (await acts.zuoraCreateUsage({ connectionId, body, idempotencyKey: key })).id;
      outcome = 'created';
    }
    usage.push({ meterId, mode: mapping.mode, zuoraUsageId: id, ...figures, outcome });
  }
  return { usage, skipped };
}
