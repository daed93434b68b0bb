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
import { invoiceMappingDefaults } from './invoice-settings.js';
import { zuoraUsageCreateKey } from '../shared/idempotency.js';

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
  if (!patched('usage-routed-per-account')) return legacySyncUsage(ctx);

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
  let subscriptions: SubscriptionCharges[] | undefined;

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
    const key = zuoraUsageCreateKey(connectionId, invoice.id, meterId);
    const existing = await acts.zuoraFindUsagesByField({ connectionId, field: keyField, value: key });
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
      const { id } = await acts.zuoraCreateUsage({ connectionId, body, idempotencyKey: key });
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
