import { ApplicationFailure } from '@temporalio/common';
import { callVendor, NotFoundError, toApplicationFailure } from '../clients/errors.js';
import { syncSettingsOf } from '../connections/settings.js';
import type { BackfillKind, BackfillPlan } from '../flows/index.js';
import {
  isSyncableInvoiceStatus,
  togaiInvoiceCurrency,
  zuoraInvoiceFromTogai,
} from '../mapping/invoice-togai-to-zuora.js';
import {
  linkedZuoraAccountId,
  zuoraAccountFromTogai,
  zuoraAccountIdFromSettings,
} from '../mapping/togai-account-to-zuora.js';
import { togaiUsageLines, USAGE_KEY_FIELD } from '../mapping/usage-togai-to-zuora.js';
import {
  togaiAccountIdFor,
  togaiCustomerFromZuoraAccount,
  togaiCustomerIdFor,
} from '../mapping/zuora-account-to-togai.js';
import { usageRecordKeyPrefix } from '../shared/idempotency.js';
import { invoiceMappingDefaults } from '../workflows/invoice-settings.js';
import type { ConnectionClients } from './connection-clients.js';
import { allPages } from './paging.js';

/**
 * The dry run of one record: the same look-ups the flows make before they write (is it linked?
 * does the deterministic Togai customer exist? is the invoice in Zuora already?) and the same
 * mapping code (src/mapping), so `create` carries the body the flow would send. Reads only.
 * Payloads hold customer data: they go into the backfill's result, never into logs.
 */
export async function planRecord(
  clients: ConnectionClients,
  kind: BackfillKind,
  id: string,
): Promise<BackfillPlan> {
  try {
    switch (kind) {
      case 'zuora-accounts':
        return await planZuoraAccount(clients, id);
      case 'togai-accounts':
        return await planTogaiAccount(clients, id);
      case 'togai-invoices':
        return await planTogaiInvoice(clients, id);
    }
  } catch (err) {
    // What the flow would fail with (bad source data, say): the real run would not write either.
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return {
        id,
        action: 'skip',
        target: '',
        reason: `would fail (${err.type ?? 'Error'}): ${err.message}`,
      };
    }
    throw err;
  }
}

async function orNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw toApplicationFailure(err);
  }
}

function text(record: Record<string, unknown>, field: string): string | undefined {
  const v = record[field];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Flow 1 (src/workflows/sync-zuora-account-to-togai.ts) without its writes. */
async function planZuoraAccount(
  { zuora, togai, settings }: ConnectionClients,
  id: string,
): Promise<BackfillPlan> {
  const s = syncSettingsOf(settings);
  if (!s.flows.zuoraAccountToTogai) {
    return { id, action: 'skip', target: '', reason: 'flow 1 (Zuora account → Togai customer) is off' };
  }
  const account = await callVendor(() => zuora.getAccount(id));
  const where = `Zuora account ${account.basicInfo.accountNumber} (${account.basicInfo.id})`;
  const linked = text(account.basicInfo, s.customFields.accountTogaiAccountId);
  if (linked) {
    const existing = await orNull(() => togai.getAccount(linked));
    if (!existing) {
      return {
        id,
        action: 'skip',
        target: `togai-account:${linked}`,
        reason: `would fail (InvalidSourceData): ${where} names Togai account ${linked}, which Togai does not have`,
      };
    }
    return { id, action: 'link', target: `togai-account:${linked}`, reason: `${where} already links it` };
  }
  const customerId = togaiCustomerIdFor(account.basicInfo.id);
  const accountId = togaiAccountIdFor(account.basicInfo.id);
  if (await orNull(() => togai.getCustomer(customerId))) {
    return {
      id,
      action: 'link',
      target: `togai-customer:${customerId}`,
      reason: `Togai customer ${customerId} exists (an earlier run created it): it would be adopted`,
    };
  }
  const { body } = togaiCustomerFromZuoraAccount(account, s.settingsNamespace);
  return {
    id,
    action: 'create',
    target: `togai-customer:${customerId}`,
    reason: `would create Togai customer ${customerId} with account ${accountId} for ${where}`,
    payload: body,
  };
}

/** Flow 2 (src/workflows/sync-togai-account-to-zuora.ts) without its writes. */
async function planTogaiAccount(
  { zuora, togai, settings }: ConnectionClients,
  id: string,
): Promise<BackfillPlan> {
  const s = syncSettingsOf(settings);
  const namespace = s.settingsNamespace;
  if (!s.flows.togaiAccountToZuora) {
    return { id, action: 'skip', target: '', reason: 'flow 2 (Togai account → Zuora account) is off' };
  }
  const account = await callVendor(() => togai.getAccount(id));
  const accountSettings = await allSettings(togai, id, namespace);
  const mapped = zuoraAccountIdFromSettings({ ...account, settings: accountSettings }, namespace);
  if (mapped) {
    const fromZuora = safeEquals(() => togaiAccountIdFor(mapped), account.id);
    return fromZuora
      ? {
          id,
          action: 'skip',
          target: `zuora-account:${mapped}`,
          reason: `loop guard: Togai account ${id} was created from Zuora account ${mapped}`,
        }
      : {
          id,
          action: 'link',
          target: `zuora-account:${mapped}`,
          reason: `already mapped to Zuora account ${mapped}`,
        };
  }
  const customer = await callVendor(() => togai.getCustomer(account.customerId));
  const found = await callVendor(() =>
    zuora.queryAccounts({
      filters: [{ field: s.customFields.accountTogaiAccountId, value: id }],
      pageSize: 10,
    }),
  );
  const first = found.data[0];
  if (first) {
    return {
      id,
      action: 'link',
      target: `zuora-account:${first.id}`,
      reason: `Zuora account ${first.accountNumber} (${first.id}) already carries Togai account ${id}: it would be adopted`,
    };
  }
  const { body } = zuoraAccountFromTogai(account, customer, {
    billCycleDay: s.defaultBillCycleDay,
    paymentTerm: s.defaultPaymentTerm,
    togaiCustomerIdField: s.customFields.accountTogaiCustomerId,
    togaiAccountIdField: s.customFields.accountTogaiAccountId,
  });
  return {
    id,
    action: 'create',
    target: `zuora-account:(new, for Togai account ${id})`,
    reason: `would create a Zuora account for Togai account ${id}`,
    payload: body,
  };
}

/** The invoice flow's decisions (src/workflows/sync-togai-invoice-to-zuora.ts) without its writes. */
async function planTogaiInvoice(
  { zuora, togai, settings }: ConnectionClients,
  id: string,
): Promise<BackfillPlan> {
  const s = syncSettingsOf(settings);
  const usageOn = s.flows.usageQuantity || s.flows.usageRevenue;
  if (!s.flows.invoices && !usageOn) {
    return { id, action: 'skip', target: '', reason: 'flows 3, 4 and 5 are off' };
  }
  const invoice = await callVendor(() => togai.getInvoice(id));
  if (!isSyncableInvoiceStatus(invoice.status)) {
    return {
      id,
      action: 'skip',
      target: '',
      reason: `would fail (InvoiceNotGenerated): invoice is ${invoice.status}`,
    };
  }
  if (invoice.invoiceType === 'COMPOSITE') {
    return { id, action: 'skip', target: '', reason: 'composite invoice: its member invoices are synced' };
  }
  const togaiAccountId = invoice.ownerId ?? '';
  const namespace = s.settingsNamespace;
  const accountSettings = togaiAccountId ? await allSettings(togai, togaiAccountId, namespace) : [];
  const linked = linkedZuoraAccountId(accountSettings, namespace);
  if (!linked && !s.flows.togaiAccountToZuora) {
    return {
      id,
      action: 'skip',
      target: '',
      reason: `would fail (AccountNotLinked): Togai account ${togaiAccountId} is not linked and flow 2 is off`,
    };
  }
  const zuoraAccountId =
    linked ?? `(the Zuora account flow 2 would create for Togai account ${togaiAccountId})`;
  if (s.flows.invoices) {
    const field = s.customFields.invoiceTogaiInvoiceId;
    const found = await callVendor(() =>
      zuora.queryInvoices({ filters: [{ field, value: id }], pageSize: 10 }),
    );
    const billed = found.data[0];
    if (billed) {
      return {
        id,
        action: 'link',
        target: `zuora-invoice:${billed.invoiceNumber ?? billed.id}`,
        reason: `Zuora invoice ${billed.invoiceNumber ?? billed.id} already carries Togai invoice ${id}`,
      };
    }
    const currency =
      togaiInvoiceCurrency(invoice) ??
      (togaiAccountId
        ? (await orNull(() => togai.getAccount(togaiAccountId)))?.invoiceCurrency
        : undefined) ??
      '';
    const plan = zuoraInvoiceFromTogai(invoice, {
      zuoraAccountId,
      currency,
      status: s.invoiceStatus,
      togaiInvoiceIdField: field,
      ...invoiceMappingDefaults(s),
    });
    if (plan.kind === 'refuse') {
      return { id, action: 'skip', target: '', reason: `would fail (${plan.failure}): ${plan.reason}` };
    }
    if (plan.kind === 'empty') {
      return {
        id,
        action: 'skip',
        target: '',
        reason: 'no charge lines and a zero total: no Zuora invoice is needed',
      };
    }
    return {
      id,
      action: 'create',
      target: `zuora-invoice:(new, for Togai invoice ${id})`,
      reason: `would create a Zuora invoice of ${plan.rounding.zuoraTotal} ${currency} under Zuora account ${zuoraAccountId}`,
      payload: plan.body,
    };
  }
  // Zuora bills the usage (flows 4/5): records keyed by the invoice id say it was synced.
  const keyField = s.customFields.usageKey ?? USAGE_KEY_FIELD;
  const records = await callVendor(() =>
    zuora.queryUsages({
      filters: [{ field: keyField, value: usageRecordKeyPrefix(id), op: 'SW' }],
      pageSize: 1,
    }),
  );
  if (records.data.length > 0) {
    return {
      id,
      action: 'link',
      target: `zuora-usage:${id}`,
      reason: `usage records of Togai invoice ${id} are in Zuora already`,
    };
  }
  const lines = togaiUsageLines(invoice);
  if (lines.length === 0)
    return { id, action: 'skip', target: '', reason: 'no usage lines: nothing for Zuora to bill' };
  return {
    id,
    action: 'create',
    target: `zuora-usage:${id}`,
    reason: `would create Zuora usage records for ${lines.length} usage line(s) under Zuora account ${zuoraAccountId}, routed to its subscriptions as flows 4/5 do`,
    payload: { zuoraAccountId, lines },
  };
}

/** The account's settings in the connection's namespace, every page (as flow 2 reads them). */
function allSettings(togai: ConnectionClients['togai'], accountId: string, namespace: string) {
  return allPages((nextToken) =>
    togai.listSettings({
      entityType: 'ACCOUNT',
      entityId: accountId,
      namespace,
      ...(nextToken !== undefined && { nextToken }),
    }),
  );
}

function safeEquals(fn: () => string, value: string): boolean {
  try {
    return fn() === value;
  } catch {
    return false;
  }
}
