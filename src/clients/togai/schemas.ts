import { z } from 'zod';
import type { DecimalString } from '../../shared/money.js';
import { decimalSchema } from '../decimal.js';

/**
 * Zod schemas of the Togai answers we use, from togai-openapi.yaml (commit 6eac98d).
 *
 * The spec closes its objects (additionalProperties: false); we parse with zod's default (unknown
 * keys stripped) so a field Togai adds later does not stop a sync. Amounts (`totalAmount`,
 * `value`, …) are exact decimal strings.
 */

const optStr = z.string().nullish();

export const addressSchema = z.object({
  phoneNumber: optStr,
  line1: optStr,
  line2: optStr,
  postalCode: optStr,
  city: optStr,
  state: optStr,
  country: optStr,
});
export type TogaiAddress = z.infer<typeof addressSchema>;

export const settingDataTypeSchema = z.enum(['STRING', 'NUMERIC', 'JSON', 'JSON_LOGIC']);
export type TogaiSettingDataType = z.infer<typeof settingDataTypeSchema>;

/** `CreateEntitySetting` (inline settings of customers and accounts). */
export const entitySettingSchema = z.object({
  id: z.string(),
  value: z.string(),
  namespace: z.string(),
  name: z.string(),
  dataType: settingDataTypeSchema,
});
export type TogaiEntitySetting = z.infer<typeof entitySettingSchema>;

/** `Setting`. */
export const settingSchema = entitySettingSchema.extend({ entityType: z.string(), entityId: z.string() });
export type TogaiSetting = z.infer<typeof settingSchema>;

export const togaiAccountSchema = z.object({
  id: z.string(),
  togaiAccountId: z.string(),
  togaiCustomerId: z.string(),
  name: z.string(),
  customerId: z.string(),
  invoiceCurrency: optStr,
  aliases: z.array(z.object({ alias: optStr })).nullish(),
  netTermDays: z.number().int().nullish(),
  address: addressSchema.nullish(),
  primaryEmail: optStr,
  status: z.enum(['ACTIVE', 'DRAFT', 'ARCHIVED']),
  settings: z.array(entitySettingSchema).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  tags: z.array(z.string()).nullish(),
});
export type TogaiAccount = z.infer<typeof togaiAccountSchema>;

export const customerSchema = z.object({
  id: z.string(),
  togaiCustomerId: z.string(),
  name: z.string(),
  primaryEmail: z.string(),
  billingAddress: optStr,
  address: addressSchema.nullish(),
  status: z.enum(['ACTIVE', 'ARCHIVED']).nullish(),
  createdAt: optStr,
  updatedAt: optStr,
});
export type TogaiCustomer = z.infer<typeof customerSchema>;

export const createCustomerResponseSchema = z.object({
  id: z.string(),
  togaiCustomerId: z.string(),
  name: z.string(),
  primaryEmail: z.string(),
  billingAddress: optStr,
  address: addressSchema.nullish(),
  settings: z.array(entitySettingSchema).nullish(),
  account: togaiAccountSchema.nullish(),
});
export type TogaiCreateCustomerResponse = z.infer<typeof createCustomerResponseSchema>;

export const usageMeterSchema = z.object({
  id: z.string(),
  name: z.string(),
  billableName: optStr,
  displayName: optStr,
  description: optStr,
  type: z.string().nullish(),
  status: z.enum(['DRAFT', 'ACTIVE', 'INACTIVE', 'ARCHIVED']).nullish(),
  aggregation: z.enum(['COUNT', 'SUM']).nullish(),
  createdAt: optStr,
  updatedAt: optStr,
});
export type TogaiUsageMeter = z.infer<typeof usageMeterSchema>;

export function paginatedSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item).nullish(), nextToken: z.string().nullish() });
}
export interface TogaiPage<T> {
  data: T[];
  /** May be present on the last page: one more call returns an empty list. */
  nextToken: string | undefined;
}

export const invoiceStatusSchema = z.enum([
  'DRAFT',
  'DUE',
  'PAID',
  'VOID',
  'UN_COLLECTIBLE',
  'REFUND_INITIATED',
  'REFUND_COMPLETED',
  'MERGED',
  'PARTIALLY_PAID',
]);
export type TogaiInvoiceStatus = z.infer<typeof invoiceStatusSchema>;

/**
 * `InvoiceLineItem`, plus the nested `lineItems` the spec's example uses but its schema omits
 * (GRAND_TOTAL_AMOUNT → TOTAL_AMOUNT → NET_AMOUNT → GROSS_AMOUNT → USAGE_RATE_CARD_AMOUNT → slabs).
 * The line `type` stays a string: new types must not break a sync; the mapping decides.
 */
export interface TogaiInvoiceLine {
  id?: string | null | undefined;
  description: string;
  type: string;
  valuePerQuantity?: DecimalString | null | undefined;
  quantity?: DecimalString | null | undefined;
  units?: string | null | undefined;
  value: DecimalString;
  metadata?: Record<string, unknown> | null | undefined;
  lineItems?: TogaiInvoiceLine[] | null | undefined;
}

/**
 * Children of a line arrive as `lineItems` (Togai's example) or, from a strictly spec-valid
 * answer (the schema closes InvoiceLineItem, so only its free-form `metadata` can hold them), as
 * `metadata.lineItems`. Both are read as `lineItems`.
 */
function liftNestedLines(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const line = raw as Record<string, unknown>;
  const meta = line['metadata'];
  if (line['lineItems'] !== undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    return raw;
  }
  const { lineItems, ...rest } = meta as Record<string, unknown>;
  return Array.isArray(lineItems) ? { ...line, lineItems, metadata: rest } : raw;
}

export const invoiceLineSchema: z.ZodType<TogaiInvoiceLine> = z.lazy(() =>
  z.preprocess(
    liftNestedLines,
    z.object({
      id: optStr,
      description: z.string(),
      type: z.string(),
      valuePerQuantity: decimalSchema.nullish(),
      quantity: decimalSchema.nullish(),
      units: optStr,
      value: decimalSchema,
      metadata: z.record(z.string(), z.unknown()).nullish(),
      lineItems: z.array(invoiceLineSchema).nullish(),
    }),
  ),
);

const invoiceCommon = {
  id: z.string(),
  customerId: optStr,
  ownerId: optStr,
  pricePlanId: optStr,
  status: invoiceStatusSchema,
  finalizingStatus: z.enum(['FINALIZING', 'FINALIZED']).nullish(),
  invoiceClass: z.string(),
  invoiceType: z.string(),
  startDate: optStr,
  endDate: optStr,
  endDateInclusive: optStr,
  invoiceDate: z.string(),
  dueDate: optStr,
  generatedAt: optStr,
  updatedAt: z.string(),
  sequenceId: optStr,
  pdfUrl: optStr,
  totalAmount: decimalSchema,
  paidAmount: decimalSchema,
  netTermDays: z.number().int().nullish(),
  invoiceDetails: z
    .object({
      account: z.object({ name: z.string(), invoiceCurrency: z.string() }).nullish(),
      customer: z.object({ name: z.string(), primaryEmail: z.string() }).nullish(),
      pricePlanName: optStr,
    })
    .nullish(),
};

/** `InvoiceSummary` (list). */
export const invoiceSummarySchema = z.object(invoiceCommon);
export type TogaiInvoiceSummary = z.infer<typeof invoiceSummarySchema>;

/** `Invoice` (GET /invoices/{id}) with its line-item tree. */
export const togaiInvoiceSchema = z.object({
  ...invoiceCommon,
  usageInfo: z.array(invoiceLineSchema).nullish(),
  revenueInfo: invoiceLineSchema.nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});
export type TogaiInvoice = z.infer<typeof togaiInvoiceSchema>;

export const listInvoicesResponseSchema = z.object({
  data: z.array(invoiceSummarySchema),
  nextToken: z.string().nullish(),
});

export const ingestResponseSchema = z.object({
  success: z.boolean().nullish(),
  statusCode: z.number().int().nullish(),
  name: optStr,
  message: optStr,
  code: optStr,
  details: z.record(z.string(), z.unknown()).nullish(),
});
export type TogaiIngestResponse = z.infer<typeof ingestResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Requests (spec's request schemas; only fields the spec allows, its objects are closed).

export interface TogaiAddressInput {
  phoneNumber?: string;
  line1?: string;
  line2?: string;
  postalCode?: string;
  city?: string;
  state?: string;
  country?: string;
}

/** `CreateAccountRequestWithoutCustomerId`. `id` is ours to choose (≤ 50 chars): deterministic. */
export interface TogaiCreateAccountInput {
  id: string;
  name: string;
  invoiceCurrency?: string;
  aliases?: string[];
  address?: TogaiAddressInput;
  primaryEmail?: string;
  settings?: TogaiEntitySetting[];
  netTermDays?: number;
  metadata?: Record<string, string>;
  tags?: string[];
  status?: 'ACTIVE' | 'DRAFT';
}

/** `CreateCustomerRequest`: the first account and up to 10 settings can travel inline. */
export interface TogaiCreateCustomerRequest {
  id: string;
  name: string;
  primaryEmail: string;
  address: TogaiAddressInput;
  settings?: TogaiEntitySetting[];
  account?: TogaiCreateAccountInput;
}

/** `CreateAccountRequest`. */
export interface TogaiCreateAccountRequest extends TogaiCreateAccountInput {
  customerId: string;
}

/** `UpdateSettingRequest`. */
export interface TogaiUpdateSettingRequest {
  name?: string;
  value?: string;
  dataType?: TogaiSettingDataType;
}

/** `Event` for /ingest and /ingestBatch. */
export interface TogaiEvent {
  schemaName: string;
  id?: string;
  timestamp: string;
  accountId: string;
  attributes: { name: string; value: string; unit?: string }[];
  dimensions: Record<string, string>;
}
