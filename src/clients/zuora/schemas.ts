import { z } from 'zod';
import type { DecimalString } from '../../shared/money.js';
import { decimalSchema } from '../decimal.js';

/**
 * Zod schemas of the Zuora answers we use, from zuora-openapi-subset.yaml (2026-09-03).
 *
 * Objects are loose: Zuora returns tenant custom fields (`Name__c`) as extra top-level keys, and
 * a field added by Zuora must not break a sync. We only type (and require) what the flows read;
 * fields the spec marks optional but every real answer carries (ids, numbers) are required, so a
 * broken answer fails here rather than deep in a flow. Amounts are exact decimal strings.
 */

const str = z.string();
const optStr = z.string().nullish();
const optDecimal = decimalSchema.nullish();

/** Custom field values as sent and received: Zuora custom fields are text, number, date or picklist. */
export type CustomFieldValue = string | number | boolean | null;
/** Keys must end in `__c` (Object Manager custom fields); they travel as top-level keys. */
export type CustomFields = Record<`${string}__c`, CustomFieldValue>;

/** The custom fields (`…__c`) of a loose Zuora object. */
export function customFieldsOf(obj: Record<string, unknown>): Record<string, CustomFieldValue> {
  const out: Record<string, CustomFieldValue> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (!k.endsWith('__c')) continue;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().positive()),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  jti: z.string().optional(),
});

/** `CommonResponse`: PUT answers. */
export const commonResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  requestId: optStr,
  processId: optStr,
});

export const postAccountResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  accountId: str,
  accountNumber: str,
  billToContactId: optStr,
  soldToContactId: optStr,
});
export type ZuoraCreateAccountResponse = z.infer<typeof postAccountResponseSchema>;

const getContactSchema = z.looseObject({
  id: optStr,
  firstName: optStr,
  lastName: optStr,
  workEmail: optStr,
  personalEmail: optStr,
  workPhone: optStr,
  address1: optStr,
  address2: optStr,
  city: optStr,
  state: optStr,
  country: optStr,
  county: optStr,
  zipCode: optStr,
  taxRegion: optStr,
});
export type ZuoraContact = z.infer<typeof getContactSchema>;

/** `GETAccountType` (GET /v1/accounts/{key}); custom fields sit in `basicInfo`. */
export const accountSchema = z.looseObject({
  success: z.boolean().optional(),
  basicInfo: z.looseObject({
    id: str,
    accountNumber: str,
    name: str,
    status: optStr,
    crmId: optStr,
    batch: optStr,
    notes: optStr,
    parentId: optStr,
    purchaseOrderNumber: optStr,
    salesRep: optStr,
  }),
  billingAndPayment: z
    .looseObject({
      currency: optStr,
      billCycleDay: z.number().int().nullish(),
      paymentTerm: optStr,
      autoPay: z.boolean().nullish(),
      invoiceDeliveryPrefsEmail: z.boolean().nullish(),
      additionalEmailAddresses: z.array(str).nullish(),
    })
    .nullish(),
  billToContact: getContactSchema.nullish(),
  soldToContact: getContactSchema.nullish(),
  metrics: z
    .looseObject({
      balance: optDecimal,
      totalInvoiceBalance: optDecimal,
      creditBalance: optDecimal,
      contractedMrr: optDecimal,
    })
    .nullish(),
});
export type ZuoraAccount = z.infer<typeof accountSchema>;

/** `ExpandedAccount` (object query). */
export const expandedAccountSchema = z.looseObject({
  id: str,
  accountNumber: str,
  name: optStr,
  currency: optStr,
  status: optStr,
  crmId: optStr,
  batch: optStr,
  billToId: optStr,
  soldToId: optStr,
  balance: optDecimal,
  createdDate: optStr,
  updatedDate: optStr,
});
export type ZuoraExpandedAccount = z.infer<typeof expandedAccountSchema>;

const invoiceFields = {
  id: str,
  invoiceNumber: optStr,
  accountId: optStr,
  status: optStr,
  currency: optStr,
  invoiceDate: optStr,
  dueDate: optStr,
  amount: optDecimal,
  amountWithoutTax: optDecimal,
  taxAmount: optDecimal,
  balance: optDecimal,
  comments: optStr,
  sourceType: optStr,
  createdDate: optStr,
  updatedDate: optStr,
};

/** `PostInvoiceResponse` (POST /v1/invoices). */
export const postInvoiceResponseSchema = z.looseObject({ success: z.boolean().optional(), ...invoiceFields });
export type ZuoraCreateInvoiceResponse = z.infer<typeof postInvoiceResponseSchema>;

/** `GetInvoiceResponse` (GET /v1/invoices/{key}). */
export const invoiceSchema = z.looseObject({ success: z.boolean().optional(), ...invoiceFields });
export type ZuoraInvoice = z.infer<typeof invoiceSchema>;

/** `ExpandedInvoice` (object query). */
export const expandedInvoiceSchema = z.looseObject(invoiceFields);
export type ZuoraExpandedInvoice = z.infer<typeof expandedInvoiceSchema>;

/** `InvoiceItem` (GET /v1/invoices/{key}/items). */
export const invoiceItemSchema = z.looseObject({
  id: str,
  chargeAmount: optDecimal,
  taxAmount: optDecimal,
  balance: optDecimal,
  quantity: optDecimal,
  unitPrice: optDecimal,
  unitOfMeasure: optStr,
  chargeName: optStr,
  chargeDescription: optStr,
  chargeType: optStr,
  processingType: optStr,
  serviceStartDate: optStr,
  serviceEndDate: optStr,
  sku: optStr,
  productRatePlanChargeId: optStr,
  subscriptionId: optStr,
});
export type ZuoraInvoiceItem = z.infer<typeof invoiceItemSchema>;

export const invoiceItemsResponseSchema = z.looseObject({
  success: z.boolean().optional(),
  invoiceItems: z.array(invoiceItemSchema).nullish(),
  nextPage: optStr,
});

/** `ProxyCreateOrModifyResponse` (POST /v1/object/usage). */
export const proxyCreateResponseSchema = z.looseObject({ Id: str, Success: z.boolean().optional() });

/** `ProxyGetUsage` (GET /v1/object/usage/{id}): the object API spells fields in PascalCase. */
export const proxyUsageSchema = z.looseObject({
  Id: str,
  AccountId: optStr,
  AccountNumber: optStr,
  SubscriptionId: optStr,
  SubscriptionNumber: optStr,
  ChargeId: optStr,
  Quantity: optDecimal,
  StartDateTime: optStr,
  EndDateTime: optStr,
  UOM: optStr,
  Description: optStr,
  RbeStatus: optStr,
  SourceType: optStr,
  CreatedDate: optStr,
});
export type ZuoraUsage = z.infer<typeof proxyUsageSchema>;

/** `ExpandedUsage` (object query): camelCase, `uOM` sic. */
export const expandedUsageSchema = z.looseObject({
  id: str,
  accountId: optStr,
  accountNumber: optStr,
  subscriptionId: optStr,
  ratePlanChargeId: optStr,
  quantity: optDecimal,
  startDateTime: optStr,
  endDateTime: optStr,
  uOM: optStr,
  uniqueKey: optStr,
  rbeStatus: optStr,
  sourceType: optStr,
  createdDate: optStr,
});
export type ZuoraExpandedUsage = z.infer<typeof expandedUsageSchema>;

const ratePlanChargeSchema = z.looseObject({
  id: str,
  number: optStr,
  name: optStr,
  type: optStr,
  model: optStr,
  uom: optStr,
  productRatePlanChargeId: optStr,
  productRatePlanChargeNumber: optStr,
  price: optDecimal,
  effectiveStartDate: optStr,
  effectiveEndDate: optStr,
});

/** `GETSubscriptionByKeyWithSuccess`. */
export const subscriptionSchema = z.looseObject({
  success: z.boolean().optional(),
  id: str,
  subscriptionNumber: str,
  accountId: optStr,
  accountNumber: optStr,
  accountName: optStr,
  status: optStr,
  currency: optStr,
  contractEffectiveDate: optStr,
  termStartDate: optStr,
  termEndDate: optStr,
  ratePlans: z
    .array(
      z.looseObject({
        id: str,
        productName: optStr,
        ratePlanName: optStr,
        productRatePlanId: optStr,
        ratePlanCharges: z.array(ratePlanChargeSchema).nullish(),
      }),
    )
    .nullish(),
});
export type ZuoraSubscription = z.infer<typeof subscriptionSchema>;

/**
 * `GetSubscriptionsResponse` (GET /v1/subscriptions/accounts/{account-key}; contract derived from
 * Zuora's official Python SDK 3.21.0, contracts/zuora/zuora-sdk-derived.yaml): the latest version
 * of each of the account's subscriptions; `nextPage` is the path of the next page, when there is one.
 */
export const subscriptionsByAccountSchema = z.looseObject({
  success: z.boolean().optional(),
  nextPage: optStr,
  subscriptions: z.array(subscriptionSchema.omit({ success: true })).nullish(),
});
export type ZuoraSubscriptionsPage = z.infer<typeof subscriptionsByAccountSchema>;

/** Object-query list answers: `{ data, nextPage }` (nextPage is the cursor of the next page). */
export function queryPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextPage: z.string().nullish() });
}
export interface QueryPage<T> {
  data: T[];
  nextPage: string | null | undefined;
}

// ---------------------------------------------------------------------------------------------
// Requests: the subset of the spec's request schemas the flows fill. Money is DecimalString here
// and becomes a bare JSON number on the wire.

/** `POSTAccountTypeBillToContact` / `…SoldToContact`. */
export interface ZuoraContactInput {
  firstName: string;
  lastName: string;
  workEmail?: string;
  personalEmail?: string;
  workPhone?: string;
  address1?: string;
  address2?: string;
  city?: string;
  state?: string;
  country?: string;
  county?: string;
  zipCode?: string;
  taxRegion?: string;
}

/** `POSTAccountType` subset. */
export interface ZuoraCreateAccountRequest {
  name: string;
  currency: string;
  billToContact: ZuoraContactInput;
  soldToContact?: ZuoraContactInput;
  accountNumber?: string;
  autoPay?: boolean;
  billCycleDay?: number;
  paymentTerm?: string;
  crmId?: string;
  notes?: string;
  batch?: string;
  invoiceTemplateId?: string;
  communicationProfileId?: string;
  purchaseOrderNumber?: string;
  /** Sent as top-level keys, as Zuora expects. */
  customFields?: CustomFields;
}

/** `PUTAccountType` subset. */
export interface ZuoraUpdateAccountRequest {
  name?: string;
  crmId?: string;
  notes?: string;
  batch?: string;
  autoPay?: boolean;
  paymentTerm?: string;
  purchaseOrderNumber?: string;
  billToContact?: Partial<ZuoraContactInput>;
  soldToContact?: Partial<ZuoraContactInput>;
  customFields?: CustomFields;
}

/** `PostDiscountItemType` subset: a (negative) discount on one invoice item. */
export interface ZuoraDiscountItemInput {
  amount: DecimalString;
  chargeName?: string;
  description?: string;
}

/** `PostTaxationItemType` subset: tax on one invoice item (needs Zuora Taxation). */
export interface ZuoraTaxationItemInput {
  name: string;
  taxAmount: DecimalString;
  taxDate: string;
  taxMode: 'TaxInclusive' | 'TaxExclusive';
  taxRate: DecimalString;
  taxRateType: 'Percentage' | 'FlatFee';
  taxCode?: string;
  jurisdiction?: string;
}

/** `PostInvoiceItemType` subset. */
export interface ZuoraInvoiceItemInput {
  amount: DecimalString;
  description?: string;
  discountItems?: ZuoraDiscountItemInput[];
  taxItems?: ZuoraTaxationItemInput[];
  serviceStartDate: string;
  serviceEndDate?: string;
  chargeName?: string;
  chargeDate?: string;
  quantity?: DecimalString;
  unitPrice?: DecimalString;
  uom?: string;
  sku?: string;
  productRatePlanChargeId?: string;
  purchaseOrderNumber?: string;
  taxCode?: string;
  taxMode?: 'TaxInclusive' | 'TaxExclusive';
  accountingCode?: string;
  itemType?: string;
  customFields?: CustomFields;
}

/** `PostInvoiceType` subset (standalone invoice; at most 1,000 items). */
export interface ZuoraCreateInvoiceRequest {
  accountId?: string;
  accountNumber?: string;
  invoiceDate: string;
  dueDate?: string;
  currency?: string;
  invoiceNumber?: string;
  comments?: string;
  paymentTerm?: string;
  autoPay?: boolean;
  status?: 'Draft' | 'Posted';
  templateId?: string;
  invoiceItems: ZuoraInvoiceItemInput[];
  customFields?: CustomFields;
}

/** `ProxyCreateUsage` subset: one usage record. */
export interface ZuoraCreateUsageRequest {
  AccountId?: string;
  AccountNumber?: string;
  SubscriptionId?: string;
  SubscriptionNumber?: string;
  ChargeId?: string;
  ChargeNumber?: string;
  ProductRatePlanChargeNumber?: string;
  Quantity: DecimalString;
  StartDateTime: string;
  EndDateTime?: string;
  UOM: string;
  Description?: string;
  UniqueKey?: string;
  customFields?: CustomFields;
}
