import { z } from 'zod';
import type { OpenApiContract } from '../common/openapi.js';
import { TogaiApiError } from './errors.js';
import { currencyAmountsSchema, decimalInput, usageRateCardSchema } from './pricing.js';
import type { TogaiStore } from './store.js';
import {
  createAccountSchema,
  createCustomerSchema,
  entitySettingSchema,
  settingSchema,
  usageMeterAggregationSchema,
  type UsageMeter,
} from './types.js';

/**
 * Seed data for the admin API (`POST /__admin/seed`), the simulator options and `npm run sim:togai`.
 * Customers, accounts and settings are the bodies of the corresponding POSTs and are validated
 * against the official request schemas; they take the same path as API calls (so seeded accounts
 * get a DRAFT invoice and fire `account.created`). Usage meters and price plans have no simulated
 * create operation, so they are given here in Togai's own shapes (UsageMeter; UsageRateCard).
 */

/** `entityType` of the settings created inline with a customer, an account or a seeded usage meter. */
export const SETTING_ENTITY_TYPES = {
  customer: 'CUSTOMER',
  account: 'ACCOUNT',
  usageMeter: 'USAGE_METER',
} as const;

export const usageMeterSeedSchema = z.object({
  id: z.string().min(1).max(20),
  name: z
    .string()
    .max(50)
    .regex(/^[\sa-zA-Z0-9_-]*$/),
  displayName: z.string().max(255).optional(),
  billableName: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  aggregation: usageMeterAggregationSchema,
  /** For SUM: the first computation names the event attribute summed (a bare attribute name). */
  computations: z
    .array(
      z.object({
        id: z.string().max(50).optional(),
        matcher: z.string().max(1500).optional(),
        computation: z.string().min(1).max(500),
        order: z.number().int(),
      }),
    )
    .max(1)
    .optional(),
  /** Each filter must equal the event's dimension `field`. */
  filters: z.array(z.object({ field: z.string(), value: z.string() })).optional(),
  status: z.enum(['DRAFT', 'ACTIVE', 'INACTIVE', 'ARCHIVED']).default('ACTIVE'),
  /** Events of this schema feed the meter (events of `togai-usage` name their meter directly). */
  eventSchemaName: z.string().min(1).optional(),
  /** Settings of the meter (entityType USAGE_METER, entityId = meter id), e.g. the Zuora charge it maps to. */
  settings: z.array(entitySettingSchema).optional(),
});
export type UsageMeterSeed = z.input<typeof usageMeterSeedSchema>;

/**
 * A price plan: usage rate cards and, as Togai's price plans can hold them, fixed fees (Togai's
 * fixed-fee rate cards, charged once per cycle), a percentage discount on the gross amount (a
 * pricing rule), a minimum commitment per cycle (topped up by a true-up line) and a tax rate on the
 * total. Amounts per currency; percentages as decimals (7.25 is 7.25 %).
 */
export const pricePlanSeedSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  rateCards: z.array(usageRateCardSchema),
  fixedFees: z
    .array(z.object({ name: z.string().min(1).max(255), amounts: currencyAmountsSchema }))
    .default([]),
  discount: z
    .object({
      name: z.string().min(1).max(255).default('Discount'),
      percent: decimalInput.refine((d) => d.lessThanOrEqualTo(100), 'at most 100'),
    })
    .optional(),
  minimumCommitment: z
    .object({
      name: z.string().min(1).max(255).default('Minimum commitment'),
      amounts: currencyAmountsSchema,
    })
    .optional(),
  tax: z.object({ name: z.string().min(1).max(255).default('Tax'), percent: decimalInput }).optional(),
});
export type PricePlanSeed = z.input<typeof pricePlanSeedSchema>;

export const togaiSeedSchema = z.object({
  usageMeters: z.array(usageMeterSeedSchema).default([]),
  pricePlans: z.array(pricePlanSeedSchema).default([]),
  /** The plan of accounts without one in `accountPricePlans`. */
  defaultPricePlanId: z.string().optional(),
  accountPricePlans: z.record(z.string(), z.string()).default({}),
  /** Bodies of `POST /customers` (inline account and settings allowed). */
  customers: z.array(z.unknown()).default([]),
  /** Bodies of `POST /accounts`. */
  accounts: z.array(z.unknown()).default([]),
  /** Bodies of `POST /settings`, for any entityType / entityId. */
  settings: z.array(z.unknown()).default([]),
  /**
   * Credits granted to accounts (account id → amount in the account's invoice currency), used up
   * by the next closed invoices (a SUB_CREDITS line, never more than the invoice's total).
   */
  accountCredits: z.record(z.string(), decimalInput).default({}),
});
export type TogaiSeed = z.input<typeof togaiSeedSchema>;

function refuse(message: string, path: (string | number)[]): never {
  throw new z.ZodError([{ code: 'custom', message, path, input: undefined }]);
}

function checked(contract: OpenApiContract, path: string, body: unknown, where: (string | number)[]): void {
  const { issues } = contract.validateRequest({
    method: 'post',
    path,
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (issues.length > 0)
    refuse(issues.map((i) => `${i.pointer || i.location} ${i.message}`).join('; '), where);
}

/** Summary of what a seed added. */
export interface SeedResult {
  usageMeters: number;
  pricePlans: number;
  customers: number;
  accounts: number;
  settings: number;
}

/**
 * Applies a seed in dependency order (meters, plans, customers, accounts, settings). Every body is
 * checked before anything is stored, so a bad seed changes nothing; a conflict with existing
 * state (a taken id) is refused as it comes.
 */
export function applySeed(
  store: TogaiStore,
  contract: OpenApiContract,
  input: unknown,
  nowIso: string,
): SeedResult {
  const seed = togaiSeedSchema.parse(input);
  seed.customers.forEach((c, i) => checked(contract, '/customers', c, ['customers', i]));
  seed.accounts.forEach((a, i) => checked(contract, '/accounts', a, ['accounts', i]));
  seed.settings.forEach((s, i) => checked(contract, '/settings', s, ['settings', i]));
  const planIds = new Set([...store.pricePlans.keys(), ...seed.pricePlans.map((p) => p.id)]);
  for (const id of [seed.defaultPricePlanId, ...Object.values(seed.accountPricePlans)]) {
    if (id !== undefined && !planIds.has(id)) refuse(`unknown price plan ${id}`, ['pricePlans']);
  }
  try {
    for (const m of seed.usageMeters) {
      const { eventSchemaName, settings, ...fields } = m;
      const meter: UsageMeter = {
        ...fields,
        displayName: fields.displayName ?? fields.name,
        type: 'COUNTER',
        createdAt: nowIso,
        updatedAt: nowIso,
        ...(fields.status === 'ACTIVE' ? { lastActivatedAt: nowIso } : {}),
      };
      store.putMeter({ meter, eventSchemaName });
      for (const s of settings ?? []) {
        store.createSetting({ ...s, entityType: SETTING_ENTITY_TYPES.usageMeter, entityId: meter.id });
      }
    }
    for (const p of seed.pricePlans) store.putPricePlan(p);
    if (seed.defaultPricePlanId !== undefined) store.defaultPricePlanId = seed.defaultPricePlanId;
    for (const [account, plan] of Object.entries(seed.accountPricePlans))
      store.accountPricePlans.set(account, plan);
    for (const c of seed.customers) store.createCustomer(createCustomerSchema.parse(c));
    for (const a of seed.accounts) store.createAccount(createAccountSchema.parse(a));
    for (const s of seed.settings) store.createSetting(settingSchema.parse(s));
    for (const [accountId, amount] of Object.entries(seed.accountCredits))
      store.grantCredit(accountId, amount);
  } catch (err) {
    if (err instanceof TogaiApiError) refuse(err.message, []);
    throw err;
  }
  return {
    usageMeters: seed.usageMeters.length,
    pricePlans: seed.pricePlans.length,
    customers: seed.customers.length,
    accounts: seed.accounts.length,
    settings: seed.settings.length,
  };
}
