import { Decimal } from 'decimal.js';
import type { Express, Request, Response } from 'express';
import type { ZuoraContext } from './context.js';
import { extractCustomFields } from './custom-fields.js';
import { ErrorCategory, sendFailure, zuoraCode } from './errors.js';
import { roundMoney } from '../common/currency.js';
import { zuoraId, type Invoice, type InvoiceItem, type InvoiceSubItem } from './state.js';

/** Zuora's limit on items in one standalone invoice request. */
export const MAX_INVOICE_ITEMS = 1000;

type Body = Record<string, unknown>;
const asBody = (v: unknown): Body =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** JSON numbers become exact decimals through their shortest string form, never through arithmetic. */
const dec = (v: unknown): string | undefined =>
  typeof v === 'number'
    ? new Decimal(String(v)).toString()
    : typeof v === 'string'
      ? new Decimal(v).toString()
      : undefined;

/** Money in responses: the spec types amounts as JSON numbers. */
const num = (d: string): number => new Decimal(d).toNumber();

/** The invoice as GET /v1/invoices/{key} and POST /v1/invoices return it. */
export function invoiceView(inv: Invoice): Record<string, unknown> {
  return {
    success: true,
    id: inv.id,
    invoiceNumber: inv.invoiceNumber,
    accountId: inv.accountId,
    currency: inv.currency,
    status: inv.status,
    invoiceDate: inv.invoiceDate,
    dueDate: inv.dueDate,
    amount: num(inv.amount),
    amountWithoutTax: num(inv.amountWithoutTax),
    taxAmount: num(inv.taxAmount),
    balance: inv.status === 'Posted' ? num(inv.amount) : 0,
    ...(inv.comments !== undefined ? { comments: inv.comments } : {}),
    source: 'API',
    sourceType: 'Standalone',
    includesOneTime: true,
    includesRecurring: false,
    includesUsage: false,
    postedDate: inv.postedDate ?? null,
    createdDate: inv.createdDate,
    updatedDate: inv.updatedDate,
    ...inv.customFields,
  };
}

/** A discount item as GET /v1/invoices/{key}/items lists it: an item of processing type Discount. */
function discountView(inv: Invoice, item: InvoiceItem, d: InvoiceSubItem): Record<string, unknown> {
  return {
    id: d.id,
    chargeName: d.name,
    chargeAmount: d.amount,
    balance: inv.status === 'Posted' ? d.amount : '0',
    processingType: 'Discount',
    serviceStartDate: item.serviceStartDate,
    ...(item.serviceEndDate !== undefined ? { serviceEndDate: item.serviceEndDate } : {}),
    chargeDate: `${item.serviceStartDate} 00:00:00`,
    chargeType: 'OneTime',
    sourceItemType: 'None',
  };
}

function itemView(inv: Invoice, item: InvoiceItem): Record<string, unknown> {
  const tax = item.taxItems.reduce((t, x) => t.plus(x.amount), new Decimal(0)).toFixed();
  return {
    id: item.id,
    chargeName: item.chargeName,
    ...(item.description !== undefined ? { chargeDescription: item.description } : {}),
    chargeAmount: item.amount,
    taxAmount: tax,
    processingType: 'Charge',
    balance: inv.status === 'Posted' ? item.amount : '0',
    ...(item.quantity !== undefined ? { quantity: item.quantity } : {}),
    ...(item.unitPrice !== undefined ? { unitPrice: num(item.unitPrice) } : {}),
    ...(item.uom !== undefined ? { unitOfMeasure: item.uom } : {}),
    ...(item.sku !== undefined ? { sku: item.sku } : {}),
    ...(item.productRatePlanChargeId !== undefined
      ? { productRatePlanChargeId: item.productRatePlanChargeId }
      : {}),
    ...(item.purchaseOrderNumber !== undefined ? { purchaseOrderNumber: item.purchaseOrderNumber } : {}),
    serviceStartDate: item.serviceStartDate,
    ...(item.serviceEndDate !== undefined ? { serviceEndDate: item.serviceEndDate } : {}),
    chargeDate: `${item.serviceStartDate} 00:00:00`,
    chargeType: 'OneTime',
    sourceItemType: 'None',
  };
}

export function registerInvoiceRoutes(app: Express, ctx: ZuoraContext): void {
  app.post('/v1/invoices', (req: Request, res: Response) => {
    const fail = (category: ErrorCategory, message: string): void =>
      sendFailure(res, zuoraCode('invoice', category), message);
    const { options, state } = ctx;
    if (!options.standaloneInvoices) {
      return fail(ErrorCategory.permission, 'You do not have permission to create standalone invoices');
    }
    const body = asBody(req.body);
    const accountKey = str(body['accountId']) ?? str(body['accountNumber']);
    if (!accountKey) return fail(ErrorCategory.missingRequired, 'accountId or accountNumber is required');
    const account = state.findAccount(accountKey);
    if (!account) return fail(ErrorCategory.notFound, `Cannot find entity by key: '${accountKey}'.`);
    const currency = str(body['currency']) ?? account.currency;
    if (!options.currency.multiCurrency && currency !== account.currency) {
      return fail(
        ErrorCategory.invalidValue,
        `The invoice currency ${currency} must be the account currency ${account.currency}`,
      );
    }
    const rawItems = Array.isArray(body['invoiceItems']) ? (body['invoiceItems'] as unknown[]) : [];
    if (rawItems.length === 0)
      return fail(ErrorCategory.missingRequired, 'At least one invoice item is required');
    if (rawItems.length > MAX_INVOICE_ITEMS) {
      return fail(ErrorCategory.invalidValue, `An invoice can have at most ${MAX_INVOICE_ITEMS} items`);
    }
    const custom = extractCustomFields(body, options.customFields.Invoice, 'Invoice');
    if (custom.error) return fail(ErrorCategory.invalidValue, custom.error);
    // Zuora keeps amounts at the currency's decimal places: what it is sent beyond them is rounded.
    const money = (v: unknown): string =>
      roundMoney(dec(v) ?? '0', currency, {
        overrides: options.currency.decimals,
        mode: options.currency.rounding,
      });
    const items: InvoiceItem[] = [];
    for (const [index, raw] of rawItems.entries()) {
      const i = asBody(raw);
      const start = str(i['serviceStartDate']) ?? '';
      const end = str(i['serviceEndDate']);
      if (end !== undefined && end < start) {
        return fail(
          ErrorCategory.invalidValue,
          `invoiceItems[${index}]: the service end date ${end} is before the service start date ${start}`,
        );
      }
      const discounts = Array.isArray(i['discountItems'])
        ? (i['discountItems'] as unknown[]).map(asBody)
        : [];
      const taxes = Array.isArray(i['taxItems']) ? (i['taxItems'] as unknown[]).map(asBody) : [];
      if (taxes.length > 0 && !options.taxation) {
        return fail(
          ErrorCategory.permission,
          `invoiceItems[${index}].taxItems: taxation items need Zuora Taxation, which is not enabled for this tenant`,
        );
      }
      const discountItems = discounts.map((d) => ({
        id: zuoraId(),
        name: str(d['chargeName']) ?? 'Discount',
        amount: money(d['amount']),
      }));
      // zuora-sdk 3.21.0 CreateDiscountItem.amount: "Should be a negative number".
      const positive = discountItems.findIndex(
        (d) => new Decimal(d.amount).isPositive() && !new Decimal(d.amount).isZero(),
      );
      if (positive >= 0) {
        return fail(
          ErrorCategory.invalidValue,
          `invoiceItems[${index}].discountItems[${positive}].amount must be negative (a discount), got ${discountItems[positive]?.amount}`,
        );
      }
      items.push({
        id: zuoraId(),
        amount: money(i['amount']),
        description: str(i['description']),
        discountItems,
        taxItems: taxes.map((t) => ({
          id: zuoraId(),
          name: str(t['name']) ?? 'Tax',
          amount: money(t['taxAmount']),
        })),
        quantity: dec(i['quantity']),
        unitPrice: dec(i['unitPrice']),
        chargeName: str(i['chargeName']) ?? 'Standalone charge',
        serviceStartDate: start,
        serviceEndDate: end,
        productRatePlanChargeId: str(i['productRatePlanChargeId']),
        uom: str(i['uom']),
        sku: str(i['sku']),
        purchaseOrderNumber: str(i['purchaseOrderNumber']),
      });
    }
    const total = (pick: (item: InvoiceItem) => string[]): string =>
      items.reduce((sum, item) => pick(item).reduce((t, a) => t.plus(a), sum), new Decimal(0)).toFixed();
    const amountWithoutTax = total((i) => [i.amount, ...i.discountItems.map((d) => d.amount)]);
    const taxAmount = total((i) => i.taxItems.map((t) => t.amount));
    const now = ctx.clock.date().toISOString();
    const status = body['status'] === 'Posted' ? 'Posted' : 'Draft';
    const invoiceDate = str(body['invoiceDate']) ?? now.slice(0, 10);
    const invoice: Invoice = {
      id: zuoraId(),
      invoiceNumber: str(body['invoiceNumber']) ?? state.nextInvoiceNumber(),
      accountId: account.id,
      currency,
      status,
      invoiceDate,
      dueDate: str(body['dueDate']) ?? invoiceDate,
      amount: new Decimal(amountWithoutTax).plus(taxAmount).toFixed(),
      amountWithoutTax,
      taxAmount,
      comments: str(body['comments']),
      items,
      customFields: custom.fields,
      createdDate: now,
      updatedDate: now,
      postedDate: status === 'Posted' ? now.slice(0, 10) : undefined,
    };
    if (state.findInvoice(invoice.invoiceNumber)) {
      return fail(ErrorCategory.invalidValue, `Invoice number ${invoice.invoiceNumber} already exists`);
    }
    state.invoices.set(invoice.id, invoice);
    res.json(invoiceView(invoice));
  });

  app.get('/v1/invoices/:invoiceKey', (req: Request, res: Response) => {
    const key = String(req.params['invoiceKey']);
    const inv = ctx.state.findInvoice(key);
    if (!inv)
      return sendFailure(
        res,
        zuoraCode('invoice', ErrorCategory.notFound),
        `Cannot find entity by key: '${key}'.`,
      );
    res.json(invoiceView(inv));
  });

  app.get('/v1/invoices/:invoiceKey/items', (req: Request, res: Response) => {
    const key = String(req.params['invoiceKey']);
    const inv = ctx.state.findInvoice(key);
    if (!inv)
      return sendFailure(
        res,
        zuoraCode('invoice', ErrorCategory.notFound),
        `Cannot find entity by key: '${key}'.`,
      );
    const pageSize = Math.min(40, Math.max(1, Number(req.query['pageSize'] ?? 20) || 20));
    const page = Math.max(1, Number(req.query['page'] ?? 1) || 1);
    const all = inv.items.flatMap((i) => [
      itemView(inv, i),
      ...i.discountItems.map((d) => discountView(inv, i, d)),
    ]);
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    const more = page * pageSize < all.length;
    res.json({
      success: true,
      invoiceItems: slice,
      ...(more ? { nextPage: `/v1/invoices/${inv.id}/items?page=${page + 1}&pageSize=${pageSize}` } : {}),
    });
  });
}
