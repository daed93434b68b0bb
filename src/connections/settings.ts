import { z } from 'zod';
import type { Flows } from '../flows/common.js';
import { isTimeZone } from '../mapping/dates.js';

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

const timeZoneName = z
  .string()
  .refine(isTimeZone, 'expected an IANA time zone name, e.g. America/Los_Angeles, Europe/Berlin or UTC');

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
  /** Usage: the per-unit amount (text, so it stays exact). */
  usageUnitAmount: setting(customFieldName.default('TogaiUnitAmount__c'), {
    flag: 'field-unit-amount <name>',
    help: 'Usage custom field holding the per-unit amount',
  }),
  /** Usage: the record's key (filterable): later runs find the record by it. */
  usageKey: setting(customFieldName.default('TogaiUsageKey__c'), {
    flag: 'field-usage-key <name>',
    help: 'Usage custom field holding the record key (filterable)',
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
    help: "max concurrent Zuora requests (Zuora's Default pool allows 40)",
  }),
  invoiceStatus: setting(z.enum(['Draft', 'Posted']).default('Draft'), {
    flag: 'invoice-status <status>',
    help: 'status of invoices created in Zuora',
  }),
  defaultBillCycleDay: setting(z.number().int().min(1).max(31).default(1), {
    flag: 'bill-cycle-day <day>',
    help: 'bill cycle day of accounts created in Zuora',
  }),
  defaultPaymentTerm: setting(z.string().trim().min(1).max(100).default('Due Upon Receipt'), {
    flag: 'payment-term <term>',
    help: 'payment term of accounts created in Zuora',
  }),
  customFields: zuoraCustomFieldsSchema.default(zuoraCustomFieldsSchema.parse({})),
  /** The tenant's time zone (Zuora: Settings > Billing > tenant profile): it reads our offset-less date-times in it. */
  timeZone: setting(timeZoneName.default('America/Los_Angeles'), {
    flag: 'zuora-time-zone <zone>',
    help: "the Zuora tenant's time zone (IANA name, e.g. Europe/Berlin)",
  }),
  /** Where the tenant's currency decimal places differ from ISO 4217 (Zuora: Customize Currencies). */
  currencyDecimals: setting(
    z
      .record(z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code'), z.number().int().min(0).max(6))
      .default({}),
    {
      flag: 'currency-decimals <list>',
      help: 'currencies whose decimal places the tenant sets other than ISO 4217, e.g. JPY=0,CLP=2',
    },
  ),
  /** Togai's taxes as Zuora taxation items (needs Zuora Taxation) or as invoice items of their own. */
  taxLines: setting(z.enum(['taxation-items', 'invoice-items']).default('taxation-items'), {
    flag: 'tax-lines <how>',
    help: 'Togai taxes as Zuora taxation items (Zuora Taxation on) or as invoice items',
  }),
  /** Tax code sent with every taxation item, when the tenant needs one. */
  taxCode: setting(z.string().trim().min(1).max(64).optional(), {
    flag: 'tax-code <code>',
    help: 'tax code sent with taxation items',
  }),
  /** Togai charge lines of amount 0 on the Zuora invoice: kept (free usage shows) or left out. */
  zeroAmountLines: setting(z.enum(['include', 'omit']).default('include'), {
    flag: 'zero-amount-lines <what>',
    help: 'charge lines of amount 0 on the Zuora invoice',
  }),
  /** A Togai invoice totalling 0 (fully credited, free plan): create the Zuora invoice, or skip it. */
  zeroTotalInvoices: setting(z.enum(['create', 'skip']).default('create'), {
    flag: 'zero-total-invoices <what>',
    help: 'Togai invoices totalling 0: create the Zuora invoice or skip it',
  }),
  /** Usage lines of quantity 0: skipped (a record of nothing is noise) or synced. */
  zeroQuantityUsage: setting(z.enum(['skip', 'sync']).default('skip'), {
    flag: 'zero-quantity-usage <what>',
    help: 'usage lines of quantity 0: skip them or sync them as records',
  }),
};

const togaiSettingsShape = {
  baseUrl: setting(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }), {
    flag: 'togai-base-url <url>',
    help: 'Togai API base URL, e.g. https://api.togai.com',
  }),
  /** Togai's documented default limit is 10 requests/s for most APIs. */
  requestsPerSecond: setting(z.number().min(0.1).max(1000).default(10), {
    flag: 'togai-rps <n>',
    help: "max Togai requests per second (Togai's default limit is 10)",
  }),
  /** The zone Togai's billing periods are calendar days of (its organization's). */
  timeZone: setting(timeZoneName.default('UTC'), {
    flag: 'togai-time-zone <zone>',
    help: "the time zone of Togai's billing calendar (IANA name)",
  }),
  settingsNamespace: setting(settingsNamespace.default('zuora'), {
    flag: 'settings-namespace <ns>',
    help: 'Togai settings namespace of the mapping settings',
  }),
};

/**
 * Invoice syncs of one connection in flight at once (the webhook path and the sweep share it):
 * at month end the early invoices finish while later ones wait, instead of thousands advancing in
 * lockstep. Unset: the connection's Zuora concurrency (40, Zuora's Default pool), enough syncs to
 * keep every Zuora slot busy while each spends part of its time on Togai.
 */
const maxInFlightInvoiceSyncs = setting(z.number().int().min(1).max(10_000).optional(), {
  flag: 'max-in-flight-syncs <n>',
  help: 'invoice syncs of this connection in flight at once (default: the Zuora concurrency)',
});

/** The bound in force: the setting, else the connection's Zuora concurrency. */
export function invoiceSyncBound(
  settings: Pick<ConnectionSettings, 'maxInFlightInvoiceSyncs' | 'zuora'>,
): number {
  return settings.maxInFlightInvoiceSyncs ?? settings.zuora.concurrency;
}

const usageSyncMode = setting(usageSyncModeSchema.default('quantity'), {
  flag: 'usage-sync-mode <mode>',
  help: 'mode of usage meters whose settings name none (quantity: flow 4, revenue: flow 5)',
});

const flowSwitch = (flag: string, help: string, on: boolean) =>
  setting(z.boolean().default(on), {
    flag: `${flag} <on|off>`,
    help,
  });

/**
 * Which of the five flows run for this connection. Flows 3 and 4/5 are two ways of billing and
 * never run together (`billingProblems`): the default is the safe one, Togai invoices (flows 1-3).
 */
export const flowsSchema = z.object({
  /** Flow 1: a Zuora account (Zuora callout) becomes a Togai customer and account. */
  zuoraAccountToTogai: flowSwitch('flow-zuora-accounts', 'flow 1: Zuora account → Togai customer', true),
  /** Flow 2: a Togai account (Togai account.created) becomes a Zuora account. */
  togaiAccountToZuora: flowSwitch('flow-togai-accounts', 'flow 2: Togai account → Zuora account', true),
  /** Flow 3: a generated Togai invoice becomes one standalone Zuora invoice (Togai bills). */
  invoices: flowSwitch('flow-invoices', 'flow 3: Togai invoice → standalone Zuora invoice', true),
  /** Flow 4: the invoice's usage lines become Zuora usage records by quantity (Zuora bills). */
  usageQuantity: flowSwitch('flow-usage-quantity', 'flow 4: usage lines → Zuora usage by quantity', false),
  /** Flow 5: the invoice's usage lines become Zuora usage records by revenue, unit price 1 (Zuora bills). */
  usageRevenue: flowSwitch('flow-usage-revenue', 'flow 5: usage lines → Zuora usage by revenue', false),
});
// The Flows shape itself is workflow-safe (src/flows/common.ts); the schema must produce exactly it.
const _flowsShapeMatches: z.ZodType<Flows, z.input<typeof flowsSchema>> = flowsSchema;
export { ALL_FLOWS_ON, billingMode, type BillingMode, type Flows } from '../flows/common.js';

/**
 * Why a flow configuration would bill something twice or cannot work, for a person to fix; empty
 * when it is fine. Zuora's bill run rates uploaded usage against the subscription's usage charge,
 * so a usage charge that also reaches Zuora as an item of a standalone invoice is billed twice.
 */
export function billingProblems(settings: Pick<ConnectionSettings, 'flows' | 'usageSyncMode'>): string[] {
  const { flows, usageSyncMode } = settings;
  const problems: string[] = [];
  if (flows.invoices && (flows.usageQuantity || flows.usageRevenue)) {
    const usage = [
      flows.usageQuantity && 'flows.usageQuantity (flow 4)',
      flows.usageRevenue && 'flows.usageRevenue (flow 5)',
    ]
      .filter(Boolean)
      .join(' and ');
    problems.push(
      `flows: flows.invoices (flow 3) is on together with ${usage}, so every usage charge would reach Zuora twice: as an item of ` +
        "the standalone invoice and as a usage record that Zuora's bill run rates again. Choose one billing mode: " +
        'Togai invoices (flows.invoices on, flows.usageQuantity and flows.usageRevenue off) or Zuora bills the usage ' +
        '(flows.invoices off, flows.usageQuantity and/or flows.usageRevenue on)',
    );
  }
  const modeFlow = usageSyncMode === 'quantity' ? flows.usageQuantity : flows.usageRevenue;
  if ((flows.usageQuantity || flows.usageRevenue) && !modeFlow) {
    const other = usageSyncMode === 'quantity' ? 'revenue' : 'quantity';
    problems.push(
      `usageSyncMode: ${usageSyncMode} is the mode of meters that name none, but ${usageSyncMode === 'quantity' ? 'flows.usageQuantity (flow 4)' : 'flows.usageRevenue (flow 5)'} ` +
        `is off: set usageSyncMode to ${other}, or switch that flow on`,
    );
  }
  return problems;
}

/**
 * The connection's reconciliation (issue 13, src/flows/reconciliation.ts): how often its Temporal
 * Schedule compares the two systems, over how many days, and whether it starts the repairing
 * syncs. A per-connection setting (not an environment variable) because tenants differ: a
 * month-end-heavy tenant may want hourly runs, a finance team may want repairs only by hand.
 */
export const reconciliationSchema = z.object({
  /** Hours between scheduled runs (the schedule follows a change at the next worker start). */
  everyHours: setting(z.number().int().min(1).max(168).default(24), {
    flag: 'reconcile-every-hours <n>',
    help: 'hours between scheduled reconciliations of this connection (1..168)',
  }),
  /** A run compares the invoices of the last this many days (their period ends within them). */
  lookbackDays: setting(z.number().int().min(1).max(400).default(35), {
    flag: 'reconcile-lookback-days <n>',
    help: 'days of invoices each reconciliation compares (1..400)',
  }),
  /** Start the repairing syncs of repairable drift (links, missing invoices and usage records). */
  repair: setting(z.boolean().default(false), {
    flag: 'reconcile-repair <on|off>',
    help: 'let scheduled reconciliations start the syncs that repair links, missing invoices and usage',
  }),
});
export type ReconciliationSettings = z.output<typeof reconciliationSchema>;

const zuoraAuth = setting(zuoraWebhookAuthSchema.default('basic+hmac'), {
  flag: 'zuora-webhook-auth <auth>',
  help: 'Zuora callout authentication',
  createOnly: true,
});

/** Everything about a connection that is not a secret. Stored in clear, returned by the API. */
export const connectionSettingsSchema = z.object({
  zuora: z.object(zuoraSettingsShape),
  togai: z.object(togaiSettingsShape),
  flows: flowsSchema.default(flowsSchema.parse({})),
  maxInFlightInvoiceSyncs,
  /**
   * `false` on a connection stored before flows could be chosen (v0.1 ran the invoice and the usage
   * flows together): its flows are the defaults until someone sets them (`tzs connections update`).
   * Absent once chosen. Set by the store when a row lacks `flows`, never by callers.
   */
  flowsChosen: z.literal(false).optional(),
  /**
   * `v2` on connections created since usage records are keyed by Togai invoice and meter only
   * (`usageRecordKey`): they can hold no record under v0.1's per-connection keys, so the flows skip
   * those look-ups. Absent on older connections. Set at creation, never by callers.
   */
  usageRecordKeys: z.literal('v2').optional(),
  usageSyncMode,
  reconciliation: reconciliationSchema.default(reconciliationSchema.parse({})),
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
    flows: flowsSchema.strict().default(flowsSchema.parse({})),
    maxInFlightInvoiceSyncs,
    usageSyncMode,
    reconciliation: reconciliationSchema.strict().default(reconciliationSchema.parse({})),
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

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What `update` takes: the stored settings (no secrets, no webhook auth) and the name, every leaf optional. */
export type UpdateConnectionPatch = DeepPartial<Omit<ConnectionSettings, 'webhooks'>> & { name?: string };

export const updateConnectionInputSchema = (
  partialOf(createConnectionInputSchema) as z.ZodOptional<z.ZodType>
).unwrap() as z.ZodType<UpdateConnectionPatch>;
export type UpdateConnectionInput = UpdateConnectionPatch;

/** One CLI flag of a setting: its path in the create document and how to read its value. */
export interface SettingFlag {
  path: string[];
  meta: SettingMeta;
  /** The value a new connection gets without the flag, for `add --help`. */
  defaultText?: string;
  /** Enum settings: the values commander offers. */
  choices?: readonly string[];
  /** Parses the flag's text to the setting's type (numbers); validation stays with the service. */
  parse?: (text: string) => unknown;
  /** True when a connection may go without it (optional, or defaulted): never reported as missing. */
  optional?: boolean;
}

/** Every setting that has a flag, in declaration order (what `tzs connections add --help` lists). */
export function settingFlags(): SettingFlag[] {
  const flags: SettingFlag[] = [];
  const walk = (schema: z.ZodType, path: string[]): void => {
    const meta = schema.meta() as SettingMeta | undefined;
    let inner: z.ZodType = schema;
    let defaultText: string | undefined;
    if (inner instanceof z.ZodDefault) {
      const value: unknown = (inner.def as { defaultValue: unknown }).defaultValue;
      defaultText =
        typeof value === 'boolean'
          ? value
            ? 'on'
            : 'off'
          : typeof value === 'string' || typeof value === 'number'
            ? String(value)
            : undefined;
      inner = inner.unwrap() as z.ZodType;
    }
    // An optional setting without a default (e.g. maxInFlightInvoiceSyncs): parse the value inside.
    const optional =
      defaultText !== undefined || inner instanceof z.ZodOptional || schema instanceof z.ZodDefault;
    if (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    if (meta?.flag) {
      const flag: SettingFlag = {
        path,
        meta,
        ...(defaultText !== undefined && { defaultText }),
        ...(optional && { optional }),
      };
      if (inner instanceof z.ZodEnum) flag.choices = inner.options as string[];
      if (inner instanceof z.ZodNumber) flag.parse = numberFlag(meta.flag, inner);
      if (inner instanceof z.ZodRecord) flag.parse = recordFlag(meta.flag);
      if (inner instanceof z.ZodBoolean && meta.flag.includes('<')) {
        flag.choices = ['on', 'off'];
        flag.parse = (text) => {
          if (text !== 'on' && text !== 'off')
            throw new RangeError(`--${meta.flag.split(' ')[0]}: expected on or off`);
          return text === 'on';
        };
      }
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

/** `JPY=0,CLP=2` → `{ JPY: 0, CLP: 2 }` (the service validates each entry). */
function recordFlag(flag: string): (text: string) => Record<string, number> {
  const name = flag.split(' ')[0] ?? flag;
  return (text) =>
    Object.fromEntries(
      text
        .split(',')
        .filter((p) => p.trim() !== '')
        .map((pair) => {
          const [key, value] = pair.split('=');
          if (!key || value === undefined || value.trim() === '' || !Number.isInteger(Number(value))) {
            throw new RangeError(
              `--${name}: expected CODE=digits pairs separated by commas, e.g. JPY=0,CLP=2`,
            );
          }
          return [key.trim().toUpperCase(), Number(value)];
        }),
    );
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
  flows: Flows;
  customFields: ConnectionSettings['zuora']['customFields'];
  settingsNamespace: ConnectionSettings['togai']['settingsNamespace'];
  defaultBillCycleDay: ConnectionSettings['zuora']['defaultBillCycleDay'];
  defaultPaymentTerm: ConnectionSettings['zuora']['defaultPaymentTerm'];
  invoiceStatus: ConnectionSettings['zuora']['invoiceStatus'];
  usageSyncMode: ConnectionSettings['usageSyncMode'];
  /** How money, dates, taxes and zero lines reach Zuora (issue 11). */
  mapping: Pick<
    ConnectionSettings['zuora'],
    | 'currencyDecimals'
    | 'taxLines'
    | 'taxCode'
    | 'zeroAmountLines'
    | 'zeroTotalInvoices'
    | 'zeroQuantityUsage'
  > & { togaiTimeZone: string; zuoraTimeZone: string };
  /** Whether usage records under v0.1's per-connection keys may exist (connections from before v2 keys). */
  legacyUsageKeys: boolean;
}

export function syncSettingsOf(settings: ConnectionSettings): SyncSettings {
  return {
    flows: settings.flows,
    customFields: settings.zuora.customFields,
    settingsNamespace: settings.togai.settingsNamespace,
    defaultBillCycleDay: settings.zuora.defaultBillCycleDay,
    defaultPaymentTerm: settings.zuora.defaultPaymentTerm,
    invoiceStatus: settings.zuora.invoiceStatus,
    usageSyncMode: settings.usageSyncMode,
    mapping: {
      currencyDecimals: settings.zuora.currencyDecimals,
      taxLines: settings.zuora.taxLines,
      ...(settings.zuora.taxCode !== undefined && { taxCode: settings.zuora.taxCode }),
      zeroAmountLines: settings.zuora.zeroAmountLines,
      zeroTotalInvoices: settings.zuora.zeroTotalInvoices,
      zeroQuantityUsage: settings.zuora.zeroQuantityUsage,
      togaiTimeZone: settings.togai.timeZone,
      zuoraTimeZone: settings.zuora.timeZone,
    },
    legacyUsageKeys: settings.usageRecordKeys !== 'v2',
  };
}
