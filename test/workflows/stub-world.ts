import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities/index.js';
import {
  togaiAccountSchema,
  togaiInvoiceSchema,
  type TogaiAccount,
  type TogaiInvoice,
  type TogaiSetting,
} from '../../src/clients/togai/schemas.js';
import { accountSchema, type ZuoraAccount } from '../../src/clients/zuora/schemas.js';
import { syncSettingsOf, connectionSettingsSchema } from '../../src/connections/settings.js';
import { emptyStartCounts } from '../../src/flows/index.js';
import { USAGE_KEY_FIELD } from '../../src/mapping/usage-togai-to-zuora.js';
import { sum } from '../../src/shared/money.js';

/**
 * Stubbed activities over an in-memory world, for the fast workflow tests (time-skipping server):
 * they test the workflows' decisions, not the vendors. Every activity of the real factory is here
 * with its real signature (the `Activities` type), so a changed activity breaks these stubs at
 * compile time. `calls` counts calls per activity; `override` replaces one for a test.
 */
export const CONNECTION = 'conn_stub1';
export const NAMESPACE = 'zuora';

export interface World {
  togaiAccounts: Map<string, TogaiAccount>;
  togaiSettings: TogaiSetting[];
  togaiInvoices: Map<string, TogaiInvoice>;
  zuoraAccounts: Map<string, ZuoraAccount>;
  zuoraInvoices: { id: string; amount: string; togaiInvoiceId: string; accountId: string }[];
  zuoraUsages: { id: string; key: string }[];
  calls: Map<string, number>;
}

export function newWorld(): World {
  return {
    togaiAccounts: new Map(),
    togaiSettings: [],
    togaiInvoices: new Map(),
    zuoraAccounts: new Map(),
    zuoraInvoices: [],
    zuoraUsages: [],
    calls: new Map(),
  };
}

const settings = syncSettingsOf(
  connectionSettingsSchema.parse({
    zuora: { endpoint: 'https://rest.zuora.com', clientId: 'c' },
    togai: { baseUrl: 'https://api.togai.com' },
    webhooks: {},
  }),
);

export function togaiAccount(id: string, extra: Record<string, unknown> = {}): TogaiAccount {
  return togaiAccountSchema.parse({
    id,
    togaiAccountId: id,
    togaiCustomerId: `cust-${id}`,
    customerId: `cust-${id}`,
    name: `Account ${id}`,
    invoiceCurrency: 'USD',
    primaryEmail: `${id}@example.com`,
    status: 'ACTIVE',
    ...extra,
  });
}

export function zuoraAccount(
  id: string,
  extra: { currency?: string; email?: string | null } = {},
): ZuoraAccount {
  return accountSchema.parse({
    basicInfo: { id, accountNumber: `A-${id}`, name: `Zuora ${id}` },
    billingAndPayment: { currency: extra.currency ?? 'USD' },
    billToContact:
      extra.email === null
        ? { firstName: 'No', lastName: 'Mail' }
        : { firstName: 'Ada', lastName: 'L', workEmail: extra.email ?? 'ada@example.com' },
  });
}

/** A DUE invoice with `lines` charge lines of `amount` each (total their sum unless given). */
export function togaiInvoice(
  id: string,
  accountId: string,
  opts: {
    lines?: number;
    amount?: string;
    total?: string;
    status?: string;
    currency?: string;
    /** A credit line beside the charges (negative), counted in the total. */
    credit?: string;
    /** Usage lines, one per charge line (`fee-<i>`, the charge's meter), of this quantity. */
    usageQuantity?: string;
  } = {},
): TogaiInvoice {
  const n = opts.lines ?? 1;
  const amount = opts.amount ?? '10';
  const charges = Array.from({ length: n }, (_, i) => ({
    id: `fee-${i}`,
    description: `Charge ${i}`,
    type: 'USAGE_RATE_CARD_AMOUNT',
    value: amount,
  }));
  if (opts.credit)
    charges.push({ id: 'credit', description: 'Credit', type: 'CUSTOM_AMOUNT', value: opts.credit });
  const total = opts.total ?? sum(charges.map((c) => c.value));
  return togaiInvoiceSchema.parse({
    id,
    ownerId: accountId,
    status: opts.status ?? 'DUE',
    invoiceClass: 'INVOICE',
    invoiceType: 'STANDARD',
    startDate: '2026-10-01T00:00:00.000Z',
    endDate: '2026-11-01T00:00:00.000Z',
    invoiceDate: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    totalAmount: total,
    paidAmount: 0,
    invoiceDetails: { account: { name: 'A', invoiceCurrency: opts.currency ?? 'USD' } },
    usageInfo:
      opts.usageQuantity === undefined
        ? []
        : Array.from({ length: n }, (_, i) => ({
            id: `fee-${i}`,
            description: `Meter ${i}`,
            type: 'USAGE_METER_USAGE',
            value: opts.usageQuantity,
          })),
    revenueInfo: {
      description: 'Gross',
      type: 'GROSS_AMOUNT',
      value: total,
      lineItems: charges,
    },
  });
}

export function linkSettings(togaiAccountId: string, zuoraAccountId: string): TogaiSetting[] {
  return [
    {
      id: 'zuoraAccountId',
      name: 'Zuora account ID',
      namespace: NAMESPACE,
      value: zuoraAccountId,
      dataType: 'STRING',
      entityType: 'ACCOUNT',
      entityId: togaiAccountId,
    },
    {
      id: 'zuoraAccountNumber',
      name: 'Zuora account number',
      namespace: NAMESPACE,
      value: `A-${zuoraAccountId}`,
      dataType: 'STRING',
      entityType: 'ACCOUNT',
      entityId: togaiAccountId,
    },
  ];
}

type Overrides = Partial<Activities>;

/** The stubbed activities, counting calls per activity in `world.calls`; `overrides` win. */
export function stubActivities(world: World, overrides: Overrides = {}): Activities {
  const count = (name: string): void => void world.calls.set(name, (world.calls.get(name) ?? 0) + 1);
  const all = { ...baseActivities(world), ...overrides } as Record<
    string,
    (input: unknown) => Promise<unknown>
  >;
  return Object.fromEntries(
    Object.entries(all).map(([name, fn]) => [
      name,
      (input: unknown) => {
        count(name);
        return fn(input);
      },
    ]),
  ) as unknown as Activities;
}

/** The world's behaviour without counting: what an override delegates to. */
export function baseActivities(world: World): Activities {
  const notFound = (what: string) =>
    ApplicationFailure.create({ message: `${what} not found`, type: 'ZuoraNotFound', nonRetryable: true });
  const base: Activities = {
    getAccountSyncSettings: () => Promise.resolve(settings),
    getInvoiceSyncSettings: () => Promise.resolve(settings),
    zuoraGetAccount: ({ accountKey }) => {
      const a = world.zuoraAccounts.get(accountKey);
      return a ? Promise.resolve(a) : Promise.reject(notFound(`Zuora account ${accountKey}`));
    },
    zuoraFindAccountsByField: () => Promise.resolve([]),
    zuoraCreateAccount: ({ body }) => {
      const id = `z-${world.zuoraAccounts.size + 1}`;
      world.zuoraAccounts.set(id, zuoraAccount(id, { currency: body.currency }));
      return Promise.resolve({ id, accountNumber: `A-${id}` });
    },
    zuoraUpdateAccount: () => Promise.resolve(),
    togaiGetCustomer: ({ customerId }) =>
      Promise.resolve(
        [...world.togaiAccounts.values()].some((a) => a.customerId === customerId)
          ? {
              id: customerId,
              togaiCustomerId: customerId,
              name: 'Customer',
              primaryEmail: 'c@example.com',
              status: 'ACTIVE',
            }
          : null,
      ),
    togaiGetAccount: ({ accountId }) => Promise.resolve(world.togaiAccounts.get(accountId) ?? null),
    togaiCreateCustomer: () => Promise.resolve({ created: true }),
    togaiListAccountSettings: ({ accountId, namespace }) =>
      Promise.resolve(
        world.togaiSettings.filter((s) => s.entityId === accountId && s.namespace === namespace),
      ),
    togaiInsertSetting: ({ setting }) => {
      world.togaiSettings.push(setting);
      return Promise.resolve({ inserted: true });
    },
    togaiUpdateSetting: () => Promise.resolve(),
    togaiGetInvoice: ({ invoiceId }) => Promise.resolve(world.togaiInvoices.get(invoiceId) ?? null),
    togaiListUsageMeterSettings: () => Promise.resolve([]),
    togaiListUsageMeterNames: () => Promise.resolve([]),
    zuoraGetAccountCurrency: ({ accountKey }) =>
      Promise.resolve(world.zuoraAccounts.get(accountKey)?.billingAndPayment?.currency ?? undefined),
    zuoraFindInvoicesByField: ({ value }) =>
      Promise.resolve(
        world.zuoraInvoices.filter((i) => i.togaiInvoiceId === value).map((i) => ({ id: i.id })),
      ),
    zuoraCreateInvoice: ({ body }) => {
      const id = `zinv-${world.zuoraInvoices.length + 1}`;
      const togaiInvoiceId = String(Object.values(body.customFields ?? {})[0] ?? '');
      world.zuoraInvoices.push({
        id,
        amount: sum(body.invoiceItems.map((i) => i.amount)),
        togaiInvoiceId,
        accountId: body.accountId ?? '',
      });
      return Promise.resolve({ id, invoiceNumber: `INV-${id}` });
    },
    zuoraGetInvoice: ({ invoiceKey }) => {
      const inv = world.zuoraInvoices.find((i) => i.id === invoiceKey);
      return inv
        ? Promise.resolve({ id: inv.id, amount: inv.amount })
        : Promise.reject(notFound(`invoice ${invoiceKey}`));
    },
    zuoraFindUsagesByField: ({ value, startsWith }) =>
      Promise.resolve(
        world.zuoraUsages
          .filter((u) => (startsWith === true ? u.key.startsWith(value) : u.key === value))
          .map((u) => u.id),
      ),
    zuoraCreateUsage: ({ body, idempotencyKey }) => {
      const id = `zu-${world.zuoraUsages.length + 1}`;
      const key = (body as unknown as Record<string, unknown>)[USAGE_KEY_FIELD];
      world.zuoraUsages.push({ id, key: typeof key === 'string' ? key : idempotencyKey });
      return Promise.resolve({ id });
    },
    zuoraListSubscriptions: () => Promise.resolve([]),
    togaiListInvoicePages: () => Promise.resolve({ invoiceIds: [] }),
    startInvoiceSyncs: () => Promise.resolve(emptyStartCounts()),
    restartPendingInvoiceSyncs: () => Promise.resolve({ ...emptyStartCounts(), expired: 0, deferred: 0 }),
    getReconcileSettings: () =>
      Promise.resolve({ billingMode: 'togai-invoices', repair: false, lookbackDays: 35 }),
    reconcilePage: () => Promise.resolve({ items: [], checked: 0 }),
    startRepairs: () => Promise.resolve([]),
    // The backfill is tested on the simulators (test/flows/backfill.test.ts).
    backfillListPage: () => Promise.reject(new Error('no backfill in the stub world')),
    backfillSyncRecord: () => Promise.reject(new Error('no backfill in the stub world')),
    backfillPlanRecord: () => Promise.reject(new Error('no backfill in the stub world')),
  };
  return base;
}
