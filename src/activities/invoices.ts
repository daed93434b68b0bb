import { callVendor, NotFoundError, toApplicationFailure } from '../clients/errors.js';
import type { TogaiInvoice, TogaiSetting } from '../clients/togai/schemas.js';
import type { ZuoraCreateInvoiceRequest, ZuoraCreateUsageRequest } from '../clients/zuora/schemas.js';
import { syncSettingsOf, type SyncSettings } from '../connections/settings.js';
import {
  USAGE_METER_ENTITY_TYPE,
  type MeterNames,
  type SubscriptionCharges,
} from '../mapping/usage-togai-to-zuora.js';
import type { DecimalString } from '../shared/money.js';
import type { AccountKeyInput, ConnectionInput, CreateInput, FieldLookupInput } from './accounts.js';
import type { ClientSource } from './connection-clients.js';
import { allPages } from './paging.js';
import { ReadCaches } from './read-cache.js';

/**
 * The invoice flow's activities (flows 3, 4, 5): one vendor call each, as the account flows'.
 * Decisions (sync or refuse, create or adopt, skip a line) stay in the workflow.
 */

/** The non-secret settings the invoice workflow decides with (from the one settings shape). */
export type InvoiceSyncSettings = Pick<
  SyncSettings,
  'flows' | 'customFields' | 'settingsNamespace' | 'invoiceStatus' | 'usageSyncMode' | 'mapping'
> & {
  /** Absent in settings read by runs from before it existed: v0.1 keys may exist. */
  legacyUsageKeys?: boolean;
};

export interface ZuoraInvoiceRef {
  id: string;
  invoiceNumber?: string;
}

export interface ZuoraInvoiceSummary extends ZuoraInvoiceRef {
  accountId?: string;
  currency?: string;
  status?: string;
  amount?: DecimalString;
}

export function createInvoiceActivities(source: ClientSource, caches: ReadCaches = new ReadCaches()) {
  const clients = (connectionId: string) => source.forConnection(connectionId);
  return {
    async getInvoiceSyncSettings({ connectionId }: ConnectionInput): Promise<InvoiceSyncSettings> {
      const { settings } = await clients(connectionId);
      const all = syncSettingsOf(settings);
      const { flows, customFields, settingsNamespace, invoiceStatus, usageSyncMode, mapping } = all;
      const { legacyUsageKeys } = all;
      return {
        flows,
        customFields,
        settingsNamespace,
        invoiceStatus,
        usageSyncMode,
        mapping,
        legacyUsageKeys,
      };
    },

    /** The invoice with its line trees; null when Togai does not know it. */
    async togaiGetInvoice({
      connectionId,
      invoiceId,
    }: ConnectionInput & { invoiceId: string }): Promise<TogaiInvoice | null> {
      const { togai } = await clients(connectionId);
      try {
        return await togai.getInvoice(invoiceId);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw toApplicationFailure(err);
      }
    },

    /** A usage meter's settings in one namespace (where it bills in Zuora), every page. */
    async togaiListUsageMeterSettings({
      connectionId,
      usageMeterId,
      namespace,
    }: ConnectionInput & { usageMeterId: string; namespace: string }): Promise<TogaiSetting[]> {
      // Every invoice of a connection reads the same meters: once per meter and TTL (read-cache.ts).
      const settings = await caches.read(
        caches.meterSettings,
        `${connectionId}\n${namespace}\n${usageMeterId}`,
        async () => {
          const { togai } = await clients(connectionId);
          return allPages((nextToken) =>
            togai.listSettings({
              entityType: USAGE_METER_ENTITY_TYPE,
              entityId: usageMeterId,
              namespace,
              ...(nextToken !== undefined && { nextToken }),
            }),
          );
        },
      );
      return settings as TogaiSetting[];
    },

    /** Every usage meter's id and names: only for lines that do not name their meter. */
    async togaiListUsageMeterNames({ connectionId }: ConnectionInput): Promise<MeterNames[]> {
      const { togai } = await clients(connectionId);
      const meters = await allPages((nextToken) =>
        togai.listUsageMeters({ ...(nextToken !== undefined && { nextToken }) }),
      );
      return meters.map((m) => ({
        id: m.id,
        name: m.name,
        displayName: m.displayName,
        billableName: m.billableName,
      }));
    },

    /** The account's currency (Zuora fixes it at creation). */
    async zuoraGetAccountCurrency({
      connectionId,
      accountKey,
    }: ConnectionInput & { accountKey: string }): Promise<string | undefined> {
      // Read once per account and TTL (src/activities/read-cache.ts says why that is safe).
      const key = `${connectionId}\n${accountKey}`;
      const currency = await caches.read(caches.accountCurrency, key, async () => {
        const { zuora } = await clients(connectionId);
        const account = await callVendor(() => zuora.getAccount(accountKey));
        return account.billingAndPayment?.currency ?? '';
      });
      if (currency !== '') return currency;
      // No currency yet: an operator may be setting one; ask Zuora again next time.
      caches.accountCurrency.delete(key);
      return undefined;
    },

    /** Invoices whose custom field equals `value` (the field must be filterable in Zuora). */
    async zuoraFindInvoicesByField({
      connectionId,
      field,
      value,
    }: FieldLookupInput): Promise<ZuoraInvoiceRef[]> {
      const { zuora } = await clients(connectionId);
      const page = await callVendor(() => zuora.queryInvoices({ filters: [{ field, value }], pageSize: 10 }));
      return page.data.map((i) => ({ id: i.id, ...(i.invoiceNumber && { invoiceNumber: i.invoiceNumber }) }));
    },

    async zuoraCreateInvoice({
      connectionId,
      body,
      idempotencyKey,
    }: CreateInput<ZuoraCreateInvoiceRequest>): Promise<ZuoraInvoiceSummary> {
      const { zuora } = await clients(connectionId);
      const res = await callVendor(() => zuora.createStandaloneInvoice(body, idempotencyKey));
      // The answer carries Zuora's own total: no read-back needed for an invoice just created.
      return {
        id: res.id,
        ...(res.invoiceNumber && { invoiceNumber: res.invoiceNumber }),
        ...(res.amount != null && { amount: res.amount }),
      };
    },

    async zuoraGetInvoice({
      connectionId,
      invoiceKey,
    }: ConnectionInput & { invoiceKey: string }): Promise<ZuoraInvoiceSummary> {
      const { zuora } = await clients(connectionId);
      const inv = await callVendor(() => zuora.getInvoice(invoiceKey));
      return {
        id: inv.id,
        ...(inv.invoiceNumber && { invoiceNumber: inv.invoiceNumber }),
        ...(inv.accountId && { accountId: inv.accountId }),
        ...(inv.currency && { currency: inv.currency }),
        ...(inv.status && { status: inv.status }),
        ...(inv.amount !== undefined && inv.amount !== null && { amount: inv.amount }),
      };
    },

    /**
     * The Zuora account's subscriptions (latest versions) with their charges, as usage routing
     * reads them: ids, numbers, status and each charge's product rate plan charge. Nothing else
     * (contacts, amounts) enters the workflow's history.
     */
    async zuoraListSubscriptions({
      connectionId,
      accountKey,
    }: AccountKeyInput): Promise<SubscriptionCharges[]> {
      const { zuora } = await clients(connectionId);
      const subscriptions = await callVendor(() => zuora.listSubscriptionsByAccount(accountKey));
      return subscriptions.map((s) => ({
        id: s.id,
        number: s.subscriptionNumber,
        status: s.status ?? 'Unknown',
        ...(s.currency != null && { currency: s.currency }),
        charges: (s.ratePlans ?? []).flatMap((rp) =>
          (rp.ratePlanCharges ?? []).map((c) => ({
            id: c.id,
            ...(c.number != null && { number: c.number }),
            ...(c.productRatePlanChargeId != null && { productRatePlanChargeId: c.productRatePlanChargeId }),
            ...(c.productRatePlanChargeNumber != null && {
              productRatePlanChargeNumber: c.productRatePlanChargeNumber,
            }),
            ...(c.uom != null && { uom: c.uom }),
          })),
        ),
      }));
    },

    /** Ids of the usage records whose custom field equals `value` (filterable in Zuora). */
    /**
     * Usage records whose custom field `field` equals `value`, or starts with it (`startsWith`:
     * every record of one Togai invoice). At most `pageSize` ids (default 10): callers ask whether
     * records exist, never for all of them.
     */
    async zuoraFindUsagesByField({
      connectionId,
      field,
      value,
      startsWith,
      pageSize,
    }: UsageLookupInput): Promise<string[]> {
      const { zuora } = await clients(connectionId);
      const page = await callVendor(() =>
        zuora.queryUsages({
          filters: [{ field, value, ...(startsWith === true && { op: 'SW' as const }) }],
          pageSize: pageSize ?? 10,
        }),
      );
      return page.data.map((u) => u.id);
    },

    async zuoraCreateUsage({
      connectionId,
      body,
      idempotencyKey,
    }: CreateInput<ZuoraCreateUsageRequest>): Promise<{ id: string }> {
      const { zuora } = await clients(connectionId);
      return callVendor(() => zuora.createUsage(body, idempotencyKey));
    },
  };
}

export type InvoiceActivities = ReturnType<typeof createInvoiceActivities>;

/** A usage look-up by a custom field: equal to `value`, or starting with it. */
export interface UsageLookupInput extends FieldLookupInput {
  startsWith?: boolean;
  /** 1..99 (Zuora's object-query page size); default 10. */
  pageSize?: number;
}
