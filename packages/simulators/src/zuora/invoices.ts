import { Decimal } from 'decimal.js';
import type { Express, Request, Response } from 'express';
import type { ZuoraContext } from './context.js';
import { extractCustomFields } from './custom-fields.js';
import { ErrorCategory, sendFailure, zuoraCode } from './errors.js';
import { zuoraId, type Invoice, type InvoiceItem } from './state.js';

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
    amountWithoutTax: num(inv.amount),
    taxAmount: 0,
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

function itemView(inv: Invoice, item: InvoiceItem): Record<string, unknown> {
  return {
    id: item.id,
    chargeName: item.chargeName,
    chargeAmount: item.amount,
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
    const items: InvoiceItem[] = rawItems.map((raw) => {
      const i = asBody(raw);
      return {
        id: zuoraId(),
        amount: dec(i['amount']) ?? '0',
        quantity: dec(i['quantity']),
        unitPrice: dec(i['unitPrice']),
        chargeName: str(i['chargeName']) ?? 'Standalone charge',
        serviceStartDate: str(i['serviceStartDate']) ?? '',
        serviceEndDate: str(i['serviceEndDate']),
        productRatePlanChargeId: str(i['productRatePlanChargeId']),
        uom: str(i['uom']),
        sku: str(i['sku']),
        purchaseOrderNumber: str(i['purchaseOrderNumber']),
      };
    });
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
      amount: items.reduce((sum, i) => sum.plus(i.amount), new Decimal(0)).toString(),
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
    const slice = inv.items.slice((page - 1) * pageSize, page * pageSize);
    const more = page * pageSize < inv.items.length;
    res.json({
      success: true,
      invoiceItems: slice.map((i) => itemView(inv, i)),
      ...(more ? { nextPage: `/v1/invoices/${inv.id}/items?page=${page + 1}&pageSize=${pageSize}` } : {}),
    });
  });
}
