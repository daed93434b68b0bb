import { z } from 'zod';

/**
 * Typed views of the Togai request bodies the simulator accepts and the objects it answers with.
 * The official contract (ajv via openapi-backend) is the authority on what is valid; these zod
 * schemas only give the already-validated bodies their TypeScript types, so they stay loose.
 */

export const addressSchema = z.object({
  phoneNumber: z.string().optional(),
  line1: z.string().optional(),
  line2: z.string().optional(),
  postalCode: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  country: z.string().optional(),
});
export type Address = z.infer<typeof addressSchema>;

export const settingDataTypeSchema = z.enum(['STRING', 'NUMERIC', 'JSON', 'JSON_LOGIC']);

export const entitySettingSchema = z.object({
  id: z.string(),
  value: z.string(),
  namespace: z.string(),
  name: z.string(),
  dataType: settingDataTypeSchema,
});
export type EntitySetting = z.infer<typeof entitySettingSchema>;

export const settingSchema = entitySettingSchema.extend({ entityType: z.string(), entityId: z.string() });
export type Setting = z.infer<typeof settingSchema>;

export const updateSettingSchema = z.object({
  name: z.string().optional(),
  value: z.string().optional(),
  dataType: settingDataTypeSchema.optional(),
});
export type UpdateSettingRequest = z.infer<typeof updateSettingSchema>;

export const createAccountWithoutCustomerSchema = z.object({
  id: z.string(),
  name: z.string(),
  invoiceCurrency: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  accountAliases: z.array(z.object({ value: z.string() }).loose()).optional(),
  address: addressSchema.optional(),
  primaryEmail: z.string().optional(),
  settings: z.array(entitySettingSchema).optional(),
  netTermDays: z.number().int().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.string()).optional(),
  status: z.enum(['ACTIVE', 'DRAFT']).optional(),
});
export type CreateAccountWithoutCustomer = z.infer<typeof createAccountWithoutCustomerSchema>;

export const createAccountSchema = createAccountWithoutCustomerSchema.extend({ customerId: z.string() });
export type CreateAccountRequest = z.infer<typeof createAccountSchema>;

export const updateAccountSchema = z.object({
  name: z.string().optional(),
  status: z.enum(['ACTIVE', 'DRAFT']).optional(),
  invoiceCurrency: z.string().optional(),
  netTermDays: z.number().int().optional(),
  primaryEmail: z.string().optional(),
  address: addressSchema.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.string()).optional(),
});
export type UpdateAccountRequest = z.infer<typeof updateAccountSchema>;

export const createCustomerSchema = z.object({
  id: z.string(),
  name: z.string(),
  primaryEmail: z.string(),
  address: addressSchema,
  settings: z.array(entitySettingSchema).optional(),
  account: createAccountWithoutCustomerSchema.optional(),
});
export type CreateCustomerRequest = z.infer<typeof createCustomerSchema>;

export const updateCustomerSchema = z.object({
  name: z.string().optional(),
  primaryEmail: z.string().optional(),
  address: addressSchema.optional(),
});
export type UpdateCustomerRequest = z.infer<typeof updateCustomerSchema>;

export const eventSchema = z.object({
  schemaName: z.string(),
  id: z.string().optional(),
  timestamp: z.string(),
  accountId: z.string(),
  attributes: z.array(z.object({ name: z.string(), value: z.string(), unit: z.string().optional() })),
  dimensions: z.record(z.string(), z.string()),
});
export type TogaiEvent = z.infer<typeof eventSchema>;

export const ingestSchema = z.object({ event: eventSchema });
export const ingestBatchSchema = z.object({ events: z.array(eventSchema) });

export interface Customer {
  id: string;
  togaiCustomerId: string;
  name: string;
  primaryEmail: string;
  billingAddress: string;
  address: Address;
  status: 'ACTIVE' | 'ARCHIVED';
  createdAt: string;
  updatedAt: string;
}

export interface Account {
  id: string;
  togaiAccountId: string;
  togaiCustomerId: string;
  name: string;
  customerId: string;
  invoiceCurrency: string;
  aliases?: { alias: string }[];
  netTermDays?: number;
  address?: Address;
  primaryEmail?: string;
  status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
  settings?: EntitySetting[];
  metadata?: Record<string, string>;
  tags?: string[];
}

export interface CreateCustomerResponse {
  id: string;
  togaiCustomerId: string;
  name: string;
  primaryEmail: string;
  billingAddress?: string;
  address?: Address;
  settings?: EntitySetting[];
  account?: Account;
}

export const usageMeterAggregationSchema = z.enum(['COUNT', 'SUM']);

export interface UsageMeter {
  id: string;
  name: string;
  billableName?: string;
  displayName: string;
  description?: string;
  filters?: { field: string; value: string }[];
  type: 'COUNTER';
  status?: 'DRAFT' | 'ACTIVE' | 'INACTIVE' | 'ARCHIVED';
  aggregation: 'COUNT' | 'SUM';
  computations?: { id?: string; matcher?: string; computation: string; order: number }[];
  createdAt?: string;
  lastActivatedAt?: string;
  updatedAt?: string;
}

export const invoiceLineTypes = [
  'USAGE_METER_USAGE',
  'GRAND_TOTAL_AMOUNT',
  'TOTAL_AMOUNT',
  'NET_AMOUNT',
  'GROSS_AMOUNT',
  'USAGE_RATE_CARD_AMOUNT',
  'USAGE_RATE_CARD_SLAB_AMOUNT',
  'FIXED_FEE_RATE_CARD_AMOUNT',
  'PRICING_RULE_REVENUE_UPDATE_AMOUNT',
  'TRUE_UP_AMOUNT',
  'CUSTOM_AMOUNT',
  'TOTAL_TAX_AMOUNT',
  'TAX_AMOUNT',
  'TOTAL_CREDITS',
  'SUB_CREDITS',
] as const;

/**
 * The spec's `InvoiceLineItem` (additionalProperties: false, no `lineItems`): a line's children go
 * in `metadata.lineItems`, the one place the official schema lets a nested list through.
 */
export interface InvoiceLineItem {
  id?: string;
  description: string;
  type: (typeof invoiceLineTypes)[number];
  valuePerQuantity?: number;
  quantity?: number;
  units?: string;
  value: number;
  metadata?: { usageMeterId?: string; slabOrder?: number; priceType?: string; lineItems?: InvoiceLineItem[] };
}

export type InvoiceStatus = 'DRAFT' | 'DUE';

export interface InvoiceDetails {
  customer?: { name: string; primaryEmail: string; billingAddress?: string; address?: Address };
  account?: { name: string; invoiceCurrency: string; address: Address; primaryEmail: string };
  pricePlanName?: string;
}

/** The fields `GET /invoices` lists (the spec's InvoiceSummary). */
export interface InvoiceSummary {
  id: string;
  customerId: string;
  ownerId: string;
  pricePlanId?: string;
  status: InvoiceStatus;
  finalizingStatus?: 'FINALIZING' | 'FINALIZED';
  invoiceClass: 'INVOICE';
  invoiceType: 'STANDARD';
  startDate: string;
  endDate: string;
  /** The inclusive end (endDate − 1 ms), as Togai's example shows it. */
  endDateInclusive?: string;
  invoiceDate: string;
  dueDate?: string;
  generatedAt?: string;
  updatedAt: string;
  sequenceId?: string;
  totalAmount: number;
  paidAmount: number;
  invoiceDetails?: InvoiceDetails;
  netTermDays: number;
}

/** `GET /invoices/{id}`: the summary plus usage and the revenue tree. */
export interface Invoice extends InvoiceSummary {
  usageInfo: InvoiceLineItem[];
  revenueInfo: InvoiceLineItem;
}
