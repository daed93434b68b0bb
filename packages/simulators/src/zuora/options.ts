import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ROUNDING_MODES } from '../common/currency.js';
import { faultRuleSchema } from '../common/faults.js';

/** A custom field (`Name__c`) defined on an object, as Zuora's Object Manager would. */
export const customFieldSchema = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'custom field names end in __c'),
  /** Only filterable fields can be used in object-query filters (Zuora's rule). */
  filterable: z.boolean().default(false),
  type: z.enum(['string', 'number', 'boolean']).default('string'),
  maxLength: z.number().int().min(1).default(255),
});
export type CustomField = z.output<typeof customFieldSchema>;

/**
 * The custom fields togai-zuora-sync needs in a tenant (docs/connections.md): the Togai ids on
 * Account (flows 1, 2) and Invoice (flow 3), the record key and per-unit amount on Usage (flows 4,
 * 5). Look-up keys are filterable (object queries filter on them). Text fields, 255 characters.
 */
export const TOGAI_SYNC_CUSTOM_FIELDS = {
  Account: [
    { name: 'TogaiCustomerId__c', filterable: true },
    { name: 'TogaiAccountId__c', filterable: true },
  ],
  Invoice: [{ name: 'TogaiInvoiceId__c', filterable: true }],
  Usage: [{ name: 'TogaiUsageKey__c', filterable: true }, { name: 'TogaiUnitAmount__c' }],
} as const satisfies Record<string, z.input<typeof customFieldSchema>[]>;

/** A charge of a seeded subscription: the IDs a usage record references. */
export const seedChargeSchema = z.object({
  id: z.string().min(1),
  number: z.string().min(1),
  name: z.string().default('Usage charge'),
  productRatePlanChargeId: z.string().min(1),
  /** The catalog charge's number (PRPC-…), which the subscription charge shows beside its id. */
  productRatePlanChargeNumber: z.string().min(1).optional(),
  type: z.enum(['OneTime', 'Recurring', 'Usage']).default('Usage'),
  model: z.string().default('PerUnit'),
  uom: z.string().nullable().default(null),
  /** Unit price as an exact decimal string. */
  price: z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .default('0'),
});

export const seedRatePlanSchema = z.object({
  id: z.string().min(1),
  productRatePlanId: z.string().min(1),
  ratePlanName: z.string().default('Usage plan'),
  productId: z.string().default('product-1'),
  productName: z.string().default('Usage product'),
  ratePlanCharges: z.array(seedChargeSchema).default([]),
});

/** A subscription to seed; it belongs to an account given by id or number. */
export const seedSubscriptionSchema = z.object({
  id: z.string().min(1).optional(),
  subscriptionNumber: z.string().min(1),
  accountKey: z.string().min(1),
  status: z.enum(['Active', 'Cancelled', 'Suspended', 'Draft', 'Expired']).default('Active'),
  termStartDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2026-01-01'),
  termEndDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2027-01-01'),
  ratePlans: z.array(seedRatePlanSchema).default([]),
});
export type SeedSubscription = z.output<typeof seedSubscriptionSchema>;

/** An account to seed (no callout fires for seeds). */
export const seedAccountSchema = z
  .object({
    id: z.string().min(1).optional(),
    accountNumber: z.string().min(1).optional(),
    name: z.string().min(1),
    currency: z.string().length(3).optional(),
  })
  .catchall(z.unknown());

/** Admin seed body: accounts first, then the subscriptions that reference them. */
export const seedSchema = z.object({
  accounts: z.array(seedAccountSchema).default([]),
  subscriptions: z.array(seedSubscriptionSchema).default([]),
});
export type SeedInput = z.input<typeof seedSchema>;

/** The callout ("notification") fired on account creation, like a Zuora callout template. */
export const calloutSchema = z.object({
  url: z.string().url(),
  basicAuth: z.object({ username: z.string(), password: z.string() }).optional(),
  /** Optional HMAC signature header, computed over the exact body bytes. */
  signature: z
    .object({
      algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
      secret: z.string().min(1),
      header: z.string().min(1).default('X-Zuora-Signature'),
      encoding: z.enum(['base64', 'hex']).default('base64'),
    })
    .optional(),
  /** Total attempts (Zuora: default 3, at most 5). */
  attempts: z.number().int().min(1).max(5).default(3),
  /** Between attempts (Zuora: 30 minutes); simulated time, so tests advance the clock. */
  intervalMs: z
    .number()
    .int()
    .min(0)
    .default(30 * 60_000),
  /** Zuora's total timeout per attempt: 25 s. */
  timeoutMs: z.number().int().min(1).default(25_000),
});
export type CalloutConfig = z.output<typeof calloutSchema>;
export type CalloutInput = z.input<typeof calloutSchema>;

export const oauthClientSchema = z.object({
  clientId: z.string().length(36),
  clientSecret: z.string().min(1).max(42),
});
export type OAuthClient = z.output<typeof oauthClientSchema>;

/** Everything a Zuora simulator can be configured with; every field has a default. */
export const zuoraSimulatorOptionsSchema = z.object({
  clients: z
    .array(oauthClientSchema)
    .default([{ clientId: '00000000-0000-4000-8000-000000000001', clientSecret: 'simulator-secret' }]),
  /** Token lifetime (`expires_in`); Zuora: 3599 s. */
  tokenTtlSeconds: z.number().int().min(1).default(3599),
  /**
   * The tenant's custom fields per object (Object Manager). The default is a tenant set up for
   * togai-zuora-sync as docs/connections.md describes: every field the five flows write, the
   * look-up keys filterable. Give an object's list to replace it (e.g. to leave a field out).
   */
  customFields: z
    .object({
      Account: z.array(customFieldSchema).prefault(TOGAI_SYNC_CUSTOM_FIELDS.Account),
      Invoice: z.array(customFieldSchema).prefault(TOGAI_SYNC_CUSTOM_FIELDS.Invoice),
      Usage: z.array(customFieldSchema).prefault(TOGAI_SYNC_CUSTOM_FIELDS.Usage),
    })
    .prefault({}),
  currency: z
    .object({
      default: z.string().length(3).default('USD'),
      allowed: z.array(z.string().length(3)).default(['USD', 'EUR', 'GBP', 'INR', 'JPY', 'AUD', 'CAD']),
      /** With multi-currency off, an invoice's currency must equal its account's. */
      multiCurrency: z.boolean().default(false),
      /** Decimal places where the tenant customised them (Customize Currencies); ISO 4217's otherwise. */
      decimals: z.record(z.string().length(3), z.number().int().min(0).max(9)).default({}),
      /** How amounts are rounded to those places (Zuora's default: half up). */
      rounding: z.enum(ROUNDING_MODES).default('HALF_UP'),
    })
    .prefault({}),
  /**
   * The tenant's time zone (Zuora: tenant profile). Date-times sent without an offset are read in
   * it; one sent with an offset is converted to it (the local date-time is what Zuora keeps).
   */
  timeZone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'an IANA time zone name, e.g. America/Los_Angeles')
    .default('America/Los_Angeles'),
  /** Zuora Taxation: standalone invoice items may carry taxation items only with it on. */
  taxation: z.boolean().default(true),
  /** The tenant permission to create standalone invoices. */
  standaloneInvoices: z.boolean().default(true),
  seed: seedSchema.prefault({}),
  /** Per-tenant requests in flight (Zuora Default pool: 40). */
  concurrencyLimit: z.number().int().min(1).default(40),
  /** Per-tenant requests per minute (Zuora production: 50,000). */
  rateLimitPerMinute: z.number().int().min(1).default(50_000),
  callout: calloutSchema.optional(),
  faults: z.array(faultRuleSchema).default([]),
  /** How long an idempotent answer is replayed (Zuora: 24 h). */
  idempotencyTtlMs: z
    .number()
    .int()
    .min(1)
    .default(24 * 3_600_000),
});

export type ZuoraSimulatorOptions = z.input<typeof zuoraSimulatorOptionsSchema>;
export type ResolvedZuoraOptions = z.output<typeof zuoraSimulatorOptionsSchema>;
