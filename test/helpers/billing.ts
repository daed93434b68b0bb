import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { createActivities } from '../../src/activities/index.js';
import type { CreateConnectionInput, UsageSyncMode } from '../../src/connections/settings.js';
import {
  FLOW,
  togaiInvoiceToZuora,
  type InvoiceSyncResult,
  type SyncTogaiInvoiceInput,
} from '../../src/flows/index.js';
import {
  ACCOUNT_USAGE_SETTING,
  USAGE_KEY_FIELD,
  USAGE_METER_SETTING,
} from '../../src/mapping/usage-togai-to-zuora.js';
import { testEnv } from '../hooks.js';
import type { SimulatedConnection, SimulatedConnectionOptions } from './simulators.js';
import { uniqueTaskQueue, withWorker } from './temporal.js';

/**
 * Billing scenarios on both simulators, for the invoice and usage flow tests: a catalog (usage
 * meters with their Zuora mapping, a price plan in USD and EUR), accounts on it with their Zuora
 * accounts and subscriptions, usage, a closed cycle, and one run of the invoice sync.
 */

export const UNIT_AMOUNT_FIELD = 'TogaiUnitAmount__c';
export const NAMESPACE = 'zuora';

/** Zuora custom fields the flows need on Usage: the key (filterable: the look-up) and the unit amount. */
export const BILLING_ZUORA_OPTIONS: SimulatedConnectionOptions['zuora'] = {
  customFields: { Usage: [{ name: USAGE_KEY_FIELD, filterable: true }, { name: UNIT_AMOUNT_FIELD }] },
};

/** The two billing modes as connection settings (issue 10). */
export const TOGAI_INVOICES: Partial<CreateConnectionInput> = {
  flows: { invoices: true, usageQuantity: false, usageRevenue: false },
};
export const ZUORA_BILLS_USAGE: Partial<CreateConnectionInput> = {
  flows: { invoices: false, usageQuantity: true, usageRevenue: true },
  usageSyncMode: 'quantity',
};

const billToContact = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  workEmail: 'ada@acme.example',
  country: 'US',
};

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  assert.ok(res.ok, `POST ${url}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

export function setting(id: string, value: string, dataType: 'STRING' | 'JSON' = 'STRING') {
  return { id, namespace: NAMESPACE, name: id, dataType, value };
}

/** Usage meters (per-unit API calls, tiered storage, optionally an unmapped third) and one price plan. */
export interface Catalog {
  tag: string;
  calls: string;
  storage: string;
  extra: string;
  /** The Zuora product rate plan charges the meters map to. */
  callsCharge: string;
  storageCharge: string;
  pricePlan: string;
}

export async function seedCatalog(
  env: SimulatedConnection,
  opts: { mapped?: boolean; mode?: UsageSyncMode; extra?: boolean } = {},
): Promise<Catalog> {
  const tag = randomBytes(4).toString('hex');
  const c: Catalog = {
    tag,
    calls: `um.calls.${tag}`,
    storage: `um.gb.${tag}`,
    extra: `um.extra.${tag}`,
    callsCharge: `PRPC-CALLS-${tag}`,
    storageCharge: `PRPC-GB-${tag}`,
    pricePlan: `pp.${tag}`,
  };
  const mode = opts.mode ? [setting(USAGE_METER_SETTING.syncMode, opts.mode)] : [];
  const mapped = opts.mapped !== false;
  await post(`${env.togai.url}/__admin/seed`, {
    usageMeters: [
      {
        id: c.calls,
        name: `calls_${tag}`,
        displayName: 'API calls',
        aggregation: 'COUNT',
        eventSchemaName: `api_call_${tag}`,
        ...(mapped && {
          settings: [setting(USAGE_METER_SETTING.productRatePlanCharge, c.callsCharge), ...mode],
        }),
      },
      {
        id: c.storage,
        name: `storage_${tag}`,
        displayName: 'Storage',
        aggregation: 'SUM',
        computations: [{ computation: 'gigabytes', order: 1 }],
        eventSchemaName: `storage_${tag}`,
        ...(mapped && {
          settings: [
            setting(USAGE_METER_SETTING.productRatePlanCharge, c.storageCharge),
            setting(USAGE_METER_SETTING.unitOfMeasure, 'GB'),
            ...mode,
          ],
        }),
      },
      ...(opts.extra
        ? [{ id: c.extra, name: `extra_${tag}`, aggregation: 'COUNT', eventSchemaName: `api_call_${tag}` }]
        : []),
    ],
    pricePlans: [
      {
        id: c.pricePlan,
        name: `Plan ${tag}`,
        rateCards: [
          {
            displayName: 'API calls',
            usageMeterId: c.calls,
            ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
            rateValues: [
              { currency: 'USD', slabRates: [{ order: 1, rate: '0.002' }] },
              { currency: 'EUR', slabRates: [{ order: 1, rate: '0.0018' }] },
            ],
          },
          {
            displayName: 'Storage',
            usageMeterId: c.storage,
            ratePlan: {
              pricingModel: 'TIERED',
              slabs: [
                { order: 1, startAfter: 0, priceType: 'FLAT' },
                { order: 2, startAfter: 100, priceType: 'PER_UNIT' },
                { order: 3, startAfter: 1000, priceType: 'PER_UNIT' },
              ],
            },
            rateValues: [
              {
                currency: 'USD',
                slabRates: [
                  { order: 1, rate: '5' },
                  { order: 2, rate: '0.1' },
                  { order: 3, rate: '0.07' },
                ],
              },
              {
                currency: 'EUR',
                slabRates: [
                  { order: 1, rate: '4.5' },
                  { order: 2, rate: '0.09' },
                  { order: 3, rate: '0.06' },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
  return c;
}

export type ChargeName = 'calls' | 'storage';

export interface BillingAccount {
  togaiAccountId: string;
  tag: string;
  zuoraAccountNumber?: string;
  /** Zuora subscription numbers, in the order given. */
  subscriptions: string[];
}

/**
 * A Togai customer and account on the catalog's plan and, unless `zuora: false`, a Zuora account
 * in `zuoraCurrency` carrying the Togai account id (flow 2 adopts it) with one subscription per
 * entry of `subscriptions`, each holding the catalog charges it lists (default: one with both).
 */
export async function seedAccount(
  env: SimulatedConnection,
  catalog: Catalog,
  opts: {
    currency: 'USD' | 'EUR';
    zuoraCurrency?: string;
    zuora?: false;
    subscriptions?: ChargeName[][];
    accountSettings?: ReturnType<typeof setting>[];
    /** Names the accounts (`acct-<tag>`, Zuora `Z-<tag>`); random by default. */
    tag?: string;
    /** The customer's name and email on both sides (default `Customer <tag>`, Ada Lovelace's bill-to). */
    contact?: { firstName: string; lastName: string; email: string };
  },
): Promise<BillingAccount> {
  const tag = opts.tag ?? randomBytes(4).toString('hex');
  const account: BillingAccount = { togaiAccountId: `acct-${tag}`, tag, subscriptions: [] };
  await post(`${env.togai.url}/__admin/seed`, {
    accountPricePlans: { [account.togaiAccountId]: catalog.pricePlan },
    customers: [
      {
        id: `cust-${tag}`,
        name: opts.contact ? `${opts.contact.firstName} ${opts.contact.lastName}` : `Customer ${tag}`,
        primaryEmail: opts.contact?.email ?? `billing-${tag}@example.com`,
        address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
        account: {
          id: account.togaiAccountId,
          name: `Account ${tag}`,
          invoiceCurrency: opts.currency,
          ...(opts.accountSettings && { settings: opts.accountSettings }),
        },
      },
    ],
  });
  if (opts.zuora === false) return account;
  account.zuoraAccountNumber = `Z-${tag}`;
  await post(`${env.zuora.url}/__admin/seed`, {
    accounts: [
      {
        accountNumber: account.zuoraAccountNumber,
        name: opts.contact ? `${opts.contact.firstName} ${opts.contact.lastName}` : `Account ${tag}`,
        currency: opts.zuoraCurrency ?? opts.currency,
        billToContact: opts.contact
          ? {
              ...billToContact,
              firstName: opts.contact.firstName,
              lastName: opts.contact.lastName,
              workEmail: opts.contact.email,
            }
          : billToContact,
        TogaiAccountId__c: account.togaiAccountId,
      },
    ],
  });
  for (const charges of opts.subscriptions ?? [['calls', 'storage']]) {
    account.subscriptions.push(await addSubscription(env, catalog, account, charges));
  }
  return account;
}

/** One more active subscription of the account's Zuora account, holding the given catalog charges. */
export async function addSubscription(
  env: SimulatedConnection,
  catalog: Catalog,
  account: BillingAccount,
  charges: ChargeName[],
  /** The storage charge's unit of measure (default GB, the meter's). */
  storageUom = 'GB',
): Promise<string> {
  assert.ok(account.zuoraAccountNumber, 'the account has a Zuora account');
  const n = account.subscriptions.length + 1;
  const number = `A-S${account.tag}-${n}`;
  await post(`${env.zuora.url}/__admin/seed`, {
    subscriptions: [
      {
        subscriptionNumber: number,
        accountKey: account.zuoraAccountNumber,
        ratePlans: [
          {
            id: `rp-${account.tag}-${n}`,
            productRatePlanId: `prp-${catalog.tag}`,
            ratePlanCharges: charges.map((c) => ({
              id: `${c}-${account.tag}-${n}`,
              number: `C-${c}-${account.tag}-${n}`,
              productRatePlanChargeId: `${c === 'calls' ? catalog.callsCharge : catalog.storageCharge}-id`,
              productRatePlanChargeNumber: c === 'calls' ? catalog.callsCharge : catalog.storageCharge,
              ...(c === 'storage' && { uom: storageUom }),
            })),
          },
        ],
      },
    ],
  });
  return number;
}

/** Ingests `calls` API-call events and one storage event of `gigabytes`, as the product would. */
export async function ingest(
  env: SimulatedConnection,
  catalog: Catalog,
  togaiAccountId: string,
  calls: number,
  gigabytes: string,
): Promise<void> {
  const timestamp = new Date().toISOString();
  const id = randomBytes(4).toString('hex');
  const events = [
    ...Array.from({ length: calls }, (_, i) => ({
      schemaName: `api_call_${catalog.tag}`,
      id: `call-${id}-${i}`,
      timestamp,
      accountId: togaiAccountId,
      attributes: [],
      dimensions: {},
    })),
    {
      schemaName: `storage_${catalog.tag}`,
      id: `gb-${id}`,
      timestamp,
      accountId: togaiAccountId,
      attributes: [{ name: 'gigabytes', value: gigabytes }],
      dimensions: {},
    },
  ];
  // Togai takes at most 500 events per ingestBatch call.
  for (let i = 0; i < events.length; i += 500) {
    await post(
      `${env.togai.url}/ingestBatch`,
      { events: events.slice(i, i + 500) },
      { authorization: `Bearer ${DEFAULT_API_TOKEN}` },
    );
  }
}

/** Closes the account's billing cycle: its invoice turns DUE (generated). */
/** How the Togai simulator closes a cycle: its period (ISO-8601), endDateInclusive, custom lines. */
export interface CloseOptions {
  startDate?: string;
  endDate?: string;
  endDateInclusive?: boolean;
  customLines?: { description: string; value: string }[];
}

export async function closeCycle(
  env: SimulatedConnection,
  togaiAccountId: string,
  options: CloseOptions = {},
): Promise<string> {
  const { invoices } = (await post(`${env.togai.url}/__admin/close-cycle`, {
    accountId: togaiAccountId,
    ...options,
  })) as {
    invoices: { id: string; status: string }[];
  };
  const invoice = invoices[0];
  assert.ok(invoice, 'the cycle closed into an invoice');
  assert.equal(invoice.status, 'DUE');
  return invoice.id;
}

export interface SyncRun {
  result?: InvoiceSyncResult;
  error?: unknown;
  workflowId: string;
}

/**
 * One run of the invoice sync on a fresh worker. By default under a new workflow id each time (a
 * re-run); `productionId` uses the deterministic id the gateway and the sweep use.
 */
export async function runInvoiceSync(
  env: SimulatedConnection,
  togaiInvoiceId: string,
  opts: { productionId?: boolean } = {},
): Promise<SyncRun> {
  const { client } = testEnv();
  const taskQueue = uniqueTaskQueue('invoice');
  const base = togaiInvoiceToZuora.workflowId(env.connectionId, togaiInvoiceId);
  const workflowId = opts.productionId ? base : `${base}:${taskQueue}`;
  const input: SyncTogaiInvoiceInput = { connectionId: env.connectionId, togaiInvoiceId, trigger: 'manual' };
  return withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, () =>
    client.workflow.execute(FLOW.togaiInvoiceToZuora, { taskQueue, workflowId, args: [input] }).then(
      (result) => ({ result: result as InvoiceSyncResult, workflowId }),
      (error: unknown) => ({ error, workflowId }),
    ),
  );
}

export function ok(r: { result?: InvoiceSyncResult; error?: unknown }): InvoiceSyncResult {
  if (!r.result) throw r.error instanceof Error ? r.error : new Error(String(r.error));
  return r.result;
}

export function failure(r: { error?: unknown }): ApplicationFailure {
  assert.ok(r.error instanceof WorkflowFailedError, `expected a failed workflow, got ${String(r.error)}`);
  const cause = r.error.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(cause)}`);
  assert.equal(cause.nonRetryable, true);
  return cause;
}

export interface ZuoraInvoiceState {
  id: string;
  invoiceNumber: string;
  accountId: string;
  currency: string;
  status: string;
  amount: string;
  amountWithoutTax: string;
  taxAmount: string;
  invoiceDate: string;
  items: {
    amount: string;
    chargeName: string;
    description?: string;
    quantity?: string;
    unitPrice?: string;
    serviceStartDate: string;
    serviceEndDate?: string;
    discountItems: { name: string; amount: string }[];
    taxItems: { name: string; amount: string }[];
  }[];
  customFields: Record<string, unknown>;
}

export interface ZuoraUsageState {
  id: string;
  accountId: string;
  accountNumber: string;
  subscriptionNumber?: string;
  chargeNumber?: string;
  quantity: string;
  uom: string;
  startDateTime: string;
  endDateTime?: string;
  customFields: Record<string, unknown>;
}

export async function zuoraInvoicesFor(
  env: SimulatedConnection,
  togaiInvoiceId: string,
): Promise<ZuoraInvoiceState[]> {
  const state = (await env.zuoraState()) as unknown as { invoices: ZuoraInvoiceState[] };
  return state.invoices.filter((i) => i.customFields['TogaiInvoiceId__c'] === togaiInvoiceId);
}

/** The usage records of a Zuora account (by number). */
export async function zuoraUsagesFor(
  env: SimulatedConnection,
  zuoraAccountNumber: string,
): Promise<ZuoraUsageState[]> {
  const state = (await env.zuoraState()) as unknown as { usages: ZuoraUsageState[] };
  return state.usages.filter((u) => u.accountNumber === zuoraAccountNumber);
}

/** Account-level routing settings (issue 10): one subscription for all meters, or per meter. */
export function routingSettings(opts: { all?: string; byMeter?: Record<string, string> }) {
  return [
    ...(opts.all ? [setting(ACCOUNT_USAGE_SETTING.subscription, opts.all)] : []),
    ...(opts.byMeter
      ? [setting(ACCOUNT_USAGE_SETTING.subscriptionsByMeter, JSON.stringify(opts.byMeter), 'JSON')]
      : []),
  ];
}
