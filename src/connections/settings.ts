import { z } from 'zod';

/**
 * The one connection-settings shape. Every setting is declared here once, with its rule, its
 * default and its `tzs` flag (zod metadata); the rest derives from it:
 *
 * - `connectionSettingsSchema`: what the store keeps (defaults fill settings an older row lacks);
 * - `createConnectionInputSchema` / `updateConnectionInputSchema`: API bodies and CLI documents
 *   (create adds the name and the secrets; update is the same tree, every leaf optional, no defaults);
 * - `settingFlags()`: the CLI's options, walked from the create schema (src/tzs/connections.ts);
 * - `SyncSettings` / `syncSettingsOf`: what activities hand to workflows (non-secret only).
 *
 * Sources of the rules: Zuora's documented limits (concurrency 40 in the Default pool, bill cycle
 * day 1–31, custom field API names ending in `__c`) and Togai's (10 requests/s by default).
 */

/** `tzs` flag and help text of a setting; `createOnly` ones are not offered by `update`. */
export interface SettingMeta {
  /** commander syntax: `zuora-endpoint <url>` or `custom-endpoint` (a boolean switch). */
  flag: string;
  help: string;
  createOnly?: boolean;
  /** Secrets: offered on the command line, but the help says to prefer --file (argv is visible). */
  secret?: boolean;
}

function setting<S extends z.ZodType>(schema: S, meta: SettingMeta): S {
  return schema.meta({ ...meta });
}

const customFieldName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*__c$/, 'expected a Zuora custom field API name ending in __c');

export const zuoraWebhookAuthSchema = z.enum(['basic', 'hmac', 'basic+hmac']);
export type ZuoraWebhookAuth = z.infer<typeof zuoraWebhookAuthSchema>;

export const usageSyncModeSchema = z.enum(['quantity', 'revenue']);
/** quantity: Zuora quantity = Togai quantity, per-unit amount carried; revenue: quantity = revenue, unit 1. */
export type UsageSyncMode = z.infer<typeof usageSyncModeSchema>;

const settingsNamespace = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,50}$/, 'expected 1-50 letters, digits, _ . or -');

/** Custom fields created in Zuora's Object Manager that hold the links to Togai objects. */
export const zuoraCustomFieldsSchema = z.object({
  /** Account: the Togai customer id. */
  accountTogaiCustomerId: setting(customFieldName.default('TogaiCustomerId__c'), {
    flag: 'field-customer-id <name>',
    help: 'Account custom field holding the Togai customer id',
  }),
  /** Account: the Togai account id. */
  accountTogaiAccountId: setting(customFieldName.default('TogaiAccountId__c'), {
    flag: 'field-account-id <name>',
    help: 'Account custom field holding the Togai account id',
  }),
  /** Invoice: the Togai invoice id it was created from. */
  invoiceTogaiInvoiceId: setting(customFieldName.default('TogaiInvoiceId__c'), {
    flag: 'field-invoice-id <name>',
    help: 'Invoice custom field holding the Togai invoice id',
  }),
  /** Usage: the per-unit amount. */
  usageUnitAmount: setting(customFieldName.default('TogaiUnitAmount__c'), {
    flag: 'field-unit-amount <name>',
    help: 'Usage custom field holding the per-unit amount',
  }),
});
export type ZuoraCustomFields = z.infer<typeof zuoraCustomFieldsSchema>;

const zuoraSettingsShape = {
  // Checked by endpoints.ts, whose message lists the official endpoints.
  endpoint: setting(z.string().trim().min(1), {
    flag: 'zuora-endpoint <url>',
    help: "Zuora REST endpoint (one of Zuora's official ones)",
  }),
  /** True only when the operator explicitly allowed a non-official endpoint (simulators). */
  customEndpoint: setting(z.boolean().default(false), {
    flag: 'custom-endpoint',
    help: 'allow a non-official Zuora endpoint (simulator or proxy)',
  }),
  clientId: setting(z.string().trim().min(1).max(200), {
    flag: 'zuora-client-id <id>',
    help: 'Zuora OAuth client id',
  }),
  /** Zuora's Default pool allows 40 concurrent requests per tenant. */
  concurrency: setting(z.number().int().min(1).max(200).default(40), {
    flag: 'zuora-concurrency <n>',
    help: 'max concurrent Zuora requests (default 40)',
  }),
  invoiceStatus: setting(z.enum(['Draft', 'Posted']).default('Draft'), {
    flag: 'invoice-status <status>',
    help: 'status of invoices created in Zuora',
  }),
  defaultBillCycleDay: setting(z.number().int().min(1).max(31).default(1), {
    flag: 'bill-cycle-day <day>',
    help: 'bill cycle day of accounts created in Zuora (default 1)',
  }),
  defaultPaymentTerm: setting(z.string().trim().min(1).max(100).default('Due Upon Receipt'), {
    flag: 'payment-term <term>',
    help: 'payment term of accounts created in Zuora (default "Due Upon Receipt")',
  }),
  customFields: zuoraCustomFieldsSchema.default(zuoraCustomFieldsSchema.parse({})),
};

const togaiSettingsShape = {
  baseUrl: setting(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }), {
    flag: 'togai-base-url <url>',
    help: 'Togai API base URL, e.g. https://api.togai.com',
  }),
  /** Togai's documented default limit is 10 requests/s for most APIs. */
  requestsPerSecond: setting(z.number().min(0.1).max(1000).default(10), {
    flag: 'togai-rps <n>',
    help: 'max Togai requests per second (default 10)',
  }),
  settingsNamespace: setting(settingsNamespace.default('zuora'), {
    flag: 'settings-namespace <ns>',
    help: 'Togai settings namespace (default zuora)',
  }),
};

const usageSyncMode = setting(usageSyncModeSchema.default('quantity'), {
  flag: 'usage-sync-mode <mode>',
  help: 'default usage sync mode',
});

const zuoraAuth = setting(zuoraWebhookAuthSchema.default('basic+hmac'), {
  flag: 'zuora-webhook-auth <auth>',
  help: 'Zuora callout authentication (default basic+hmac)',
  createOnly: true,
});

/** Everything about a connection that is not a secret. Stored in clear, returned by the API. */
export const connectionSettingsSchema = z.object({
  zuora: z.object(zuoraSettingsShape),
  togai: z.object(togaiSettingsShape),
  usageSyncMode,
  webhooks: z.object({
    zuoraAuth,
    /** Basic auth user name of the Zuora callout; not secret (the password is). */
    zuoraBasicUsername: z.string().optional(),
  }),
});
export type ConnectionSettings = z.output<typeof connectionSettingsSchema>;

const connectionName = setting(
  z
    .string()
    .trim()
    .min(1)
    .max(100)
    .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 0x20), 'must not contain control characters'),
  { flag: 'name <name>', help: 'unique display name' },
);

/** A new connection: the settings tree plus its name and the two API secrets. */
export const createConnectionInputSchema = z
  .object({
    name: connectionName,
    zuora: z
      .object({
        ...zuoraSettingsShape,
        clientSecret: setting(z.string().min(1).max(500), {
          flag: 'zuora-client-secret <secret>',
          help: 'Zuora OAuth client secret (prefer --file: argv is visible)',
          createOnly: true,
          secret: true,
        }),
      })
      .strict(),
    togai: z
      .object({
        ...togaiSettingsShape,
        apiToken: setting(z.string().min(1).max(2000), {
          flag: 'togai-api-token <token>',
          help: 'Togai API token (prefer --file: argv is visible)',
          createOnly: true,
          secret: true,
        }),
      })
      .strict(),
    usageSyncMode,
    webhooks: z.object({ zuoraAuth }).strict().default({ zuoraAuth: 'basic+hmac' }),
  })
  .strict();
export type CreateConnectionInput = z.input<typeof createConnectionInputSchema>;
export type ParsedCreateConnectionInput = z.output<typeof createConnectionInputSchema>;

/**
 * The create tree made partial for `update`: every leaf optional and without its default (an
 * absent field keeps the stored value), create-only leaves (secrets, webhook auth) left out:
 * secrets change through `rotate`, which shows the new webhook credentials.
 */
function partialOf(schema: z.ZodType): z.ZodType | undefined {
  const meta = schema.meta() as SettingMeta | undefined;
  if (meta?.createOnly) return undefined;
  let inner: z.ZodType = schema;
  if (inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, child] of Object.entries((inner as z.ZodObject<z.ZodRawShape>).shape)) {
      const partial = partialOf(child as z.ZodType);
      if (partial) shape[key] = partial;
    }
    if (Object.keys(shape).length === 0) return undefined;
    return z.object(shape).strict().optional();
  }
  return inner.optional();
}

export interface UpdateConnectionPatch {
  name?: string;
  zuora?: Partial<Omit<ParsedCreateConnectionInput['zuora'], 'clientSecret' | 'customFields'>> & {
    customFields?: Partial<ZuoraCustomFields>;
  };
  togai?: Partial<Omit<ParsedCreateConnectionInput['togai'], 'apiToken'>>;
  usageSyncMode?: UsageSyncMode;
}

export const updateConnectionInputSchema = (
  partialOf(createConnectionInputSchema) as z.ZodOptional<z.ZodType>
).unwrap() as z.ZodType<UpdateConnectionPatch>;
export type UpdateConnectionInput = UpdateConnectionPatch;

/** One CLI flag of a setting: its path in the create document and how to read its value. */
export interface SettingFlag {
  path: string[];
  meta: SettingMeta;
  /** Enum settings: the values commander offers. */
  choices?: readonly string[];
  /** Parses the flag's text to the setting's type (numbers); validation stays with the service. */
  parse?: (text: string) => unknown;
}

/** Every setting that has a flag, in declaration order (what `tzs connections add --help` lists). */
export function settingFlags(): SettingFlag[] {
  const flags: SettingFlag[] = [];
  const walk = (schema: z.ZodType, path: string[]): void => {
    const meta = schema.meta() as SettingMeta | undefined;
    let inner: z.ZodType = schema;
    if (inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
    if (meta?.flag) {
      const flag: SettingFlag = { path, meta };
      if (inner instanceof z.ZodEnum) flag.choices = inner.options as string[];
      if (inner instanceof z.ZodNumber) flag.parse = numberFlag(meta.flag, inner);
      flags.push(flag);
      return;
    }
    if (inner instanceof z.ZodObject) {
      for (const [key, child] of Object.entries((inner as z.ZodObject<z.ZodRawShape>).shape)) {
        walk(child as z.ZodType, [...path, key]);
      }
    }
  };
  walk(createConnectionInputSchema, []);
  return flags;
}

function numberFlag(flag: string, schema: z.ZodNumber): (text: string) => number {
  const name = flag.split(' ')[0] ?? flag;
  return (text) => {
    const parsed = schema.safeParse(text.trim() === '' ? Number.NaN : Number(text));
    if (!parsed.success) {
      const range = `${schema.minValue ?? '-∞'}..${schema.maxValue ?? '∞'}`;
      throw new RangeError(
        `--${name}: expected ${schema.format === 'safeint' ? 'an integer ' : 'a number '}${range}`,
      );
    }
    return parsed.data;
  };
}

/** The non-secret settings a workflow decides with, as the settings activities return them. */
export interface SyncSettings {
  customFields: ZuoraCustomFields;
  settingsNamespace: string;
  defaultBillCycleDay: number;
  defaultPaymentTerm: string;
  invoiceStatus: 'Draft' | 'Posted';
  usageSyncMode: UsageSyncMode;
}

export function syncSettingsOf(settings: ConnectionSettings): SyncSettings {
  return {
    customFields: settings.zuora.customFields,
    settingsNamespace: settings.togai.settingsNamespace,
    defaultBillCycleDay: settings.zuora.defaultBillCycleDay,
    defaultPaymentTerm: settings.zuora.defaultPaymentTerm,
    invoiceStatus: settings.zuora.invoiceStatus,
    usageSyncMode: settings.usageSyncMode,
  };
}
