import { z } from 'zod';

/**
 * The connection model: one Zuora tenant paired with one Togai organization, the credentials to
 * call both, the credentials both use to call us (webhooks), and the per-pair sync settings.
 *
 * Non-secret settings and secrets are kept apart in the types so secrets cannot leak through
 * a `...spread` into a response or a log line: only `ConnectionSecrets` holds clear text.
 */

/** Zuora's official REST endpoints: the `servers` of Zuora's official OpenAPI spec. */
export const OFFICIAL_ZUORA_ENDPOINTS = [
  'https://rest.test.zuora.com',
  'https://rest.sandbox.na.zuora.com',
  'https://rest.apisandbox.zuora.com',
  'https://rest.na.zuora.com',
  'https://rest.zuora.com',
  'https://rest.test.eu.zuora.com',
  'https://rest.sandbox.eu.zuora.com',
  'https://rest.eu.zuora.com',
  'https://rest.test.ap.zuora.com',
  'https://rest.ap.zuora.com',
] as const;

export const CONNECTION_ID_PATTERN = /^conn_[a-z0-9]{1,35}$/;
/** Ids become part of Temporal workflow IDs (`zuora-account:{connectionId}:{zuoraAccountId}`). */
export const connectionIdSchema = z
  .string()
  .regex(CONNECTION_ID_PATTERN, 'expected a connection id like conn_k3v9x2m7q4p8');

const customFieldName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'expected a Zuora custom field API name ending in __c');

export const zuoraWebhookAuthSchema = z.enum(['basic', 'hmac', 'basic+hmac']);
export type ZuoraWebhookAuth = z.infer<typeof zuoraWebhookAuthSchema>;

export const usageSyncModeSchema = z.enum(['quantity', 'revenue']);
export type UsageSyncMode = z.infer<typeof usageSyncModeSchema>;

/** Custom fields created in Zuora's Object Manager that hold the links to Togai objects. */
export const zuoraCustomFieldsSchema = z.object({
  /** Account: the Togai customer id. */
  accountTogaiCustomerId: customFieldName.default('TogaiCustomerId__c'),
  /** Account: the Togai account id. */
  accountTogaiAccountId: customFieldName.default('TogaiAccountId__c'),
  /** Invoice: the Togai invoice id it was created from. */
  invoiceTogaiInvoiceId: customFieldName.default('TogaiInvoiceId__c'),
  /** Usage: the per-unit amount (revenue mode). */
  usageUnitAmount: customFieldName.default('TogaiUnitAmount__c'),
});
export type ZuoraCustomFields = z.infer<typeof zuoraCustomFieldsSchema>;

/** Everything about a connection that is not a secret. Stored in clear, returned by the API. */
export const connectionSettingsSchema = z.object({
  zuora: z.object({
    endpoint: z.string(),
    /** True only when the operator explicitly allowed a non-official endpoint (simulators). */
    customEndpoint: z.boolean(),
    clientId: z.string(),
    /** Zuora's Default pool allows 40 concurrent requests per tenant. */
    concurrency: z.number().int().min(1).max(200),
    invoiceStatus: z.enum(['Draft', 'Posted']),
    defaultBillCycleDay: z.number().int().min(1).max(31),
    defaultPaymentTerm: z.string().min(1).max(100),
    customFields: zuoraCustomFieldsSchema,
  }),
  togai: z.object({
    baseUrl: z.string(),
    /** Togai's documented default limit is 10 requests/s for most APIs. */
    requestsPerSecond: z.number().min(0.1).max(1000),
    settingsNamespace: z.string(),
  }),
  usageSyncMode: usageSyncModeSchema,
  webhooks: z.object({
    zuoraAuth: zuoraWebhookAuthSchema,
    /** Basic auth user name of the Zuora callout; not secret (the password is). */
    zuoraBasicUsername: z.string().optional(),
  }),
});
export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

/** Credentials from a previous rotation that stay valid until `validUntil` (a grace period). */
export const previousWebhookSecretsSchema = z.object({
  validUntil: z.string(),
  zuoraBasicPassword: z.string().optional(),
  zuoraHmacSecret: z.string().optional(),
  togaiHmacSecret: z.string().optional(),
});

/** The clear-text secrets of a connection. Encrypted as one blob at rest. */
export const connectionSecretsSchema = z.object({
  zuoraClientSecret: z.string(),
  togaiApiToken: z.string(),
  zuoraBasicPassword: z.string().optional(),
  zuoraHmacSecret: z.string().optional(),
  togaiHmacSecret: z.string(),
  previous: previousWebhookSecretsSchema.optional(),
});
export type ConnectionSecrets = z.infer<typeof connectionSecretsSchema>;

export interface ConnectionRecord {
  id: string;
  name: string;
  settings: ConnectionSettings;
  secrets: ConnectionSecrets;
  createdAt: string;
  updatedAt: string;
  /** Optimistic concurrency: replicas never overwrite each other's update silently. */
  version: number;
}

// ---- Inputs (API bodies, CLI files) ---------------------------------------------------------

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const createConnectionInputSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters'),
    zuora: z
      .object({
        // Checked by endpoints.ts, whose message lists the official endpoints.
        endpoint: z.string().trim().min(1),
        customEndpoint: z.boolean().default(false),
        clientId: z.string().trim().min(1).max(200),
        clientSecret: z.string().min(1).max(500),
        concurrency: z.number().int().min(1).max(200).default(40),
        invoiceStatus: z.enum(['Draft', 'Posted']).default('Draft'),
        defaultBillCycleDay: z.number().int().min(1).max(31).default(1),
        defaultPaymentTerm: z.string().trim().min(1).max(100).default('Due Upon Receipt'),
        customFields: zuoraCustomFieldsSchema.default(zuoraCustomFieldsSchema.parse({})),
      })
      .strict(),
    togai: z
      .object({
        baseUrl: httpUrl,
        apiToken: z.string().min(1).max(2000),
        requestsPerSecond: z.number().min(0.1).max(1000).default(10),
        settingsNamespace: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,50}$/, 'expected 1-50 letters, digits, _ . or -')
          .default('zuora'),
      })
      .strict(),
    usageSyncMode: usageSyncModeSchema.default('quantity'),
    webhooks: z
      .object({ zuoraAuth: zuoraWebhookAuthSchema.default('basic+hmac') })
      .strict()
      .default({ zuoraAuth: 'basic+hmac' }),
  })
  .strict();
export type CreateConnectionInput = z.input<typeof createConnectionInputSchema>;
export type ParsedCreateConnectionInput = z.output<typeof createConnectionInputSchema>;

/** A partial update; secrets change through `rotate`, which shows the new webhook credentials. */
export const updateConnectionInputSchema = z
  .object({
    name: createConnectionInputSchema.shape.name.optional(),
    zuora: z
      .object({
        endpoint: z.string().trim().min(1).optional(),
        customEndpoint: z.boolean().optional(),
        clientId: z.string().trim().min(1).max(200).optional(),
        concurrency: z.number().int().min(1).max(200).optional(),
        invoiceStatus: z.enum(['Draft', 'Posted']).optional(),
        defaultBillCycleDay: z.number().int().min(1).max(31).optional(),
        defaultPaymentTerm: z.string().trim().min(1).max(100).optional(),
        customFields: zuoraCustomFieldsSchema.partial().optional(),
      })
      .strict()
      .optional(),
    togai: z
      .object({
        baseUrl: httpUrl.optional(),
        requestsPerSecond: z.number().min(0.1).max(1000).optional(),
        settingsNamespace: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,50}$/, 'expected 1-50 letters, digits, _ . or -')
          .optional(),
      })
      .strict()
      .optional(),
    usageSyncMode: usageSyncModeSchema.optional(),
  })
  .strict();
export type UpdateConnectionInput = z.input<typeof updateConnectionInputSchema>;

export const rotateInputSchema = z
  .object({
    /** Regenerate the webhook credentials (default true). */
    webhooks: z.boolean().default(true),
    /** Switch the Zuora callout authentication while rotating. */
    zuoraAuth: zuoraWebhookAuthSchema.optional(),
    /** Keep the old webhook credentials valid this long, so Zuora/Togai can be updated calmly. */
    graceMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
    zuora: z
      .object({
        clientId: z.string().trim().min(1).max(200).optional(),
        clientSecret: z.string().min(1).max(500),
      })
      .strict()
      .optional(),
    togai: z
      .object({ apiToken: z.string().min(1).max(2000) })
      .strict()
      .optional(),
  })
  .strict();
export type RotateInput = z.input<typeof rotateInputSchema>;
