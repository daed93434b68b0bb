import { Decimal } from 'decimal.js';
import type { Express, Request, Response } from 'express';
import type { ZuoraContext } from './context.js';
import { ErrorCategory, sendError, zuoraCode } from './errors.js';
import type { CustomField } from './options.js';
import type { Account, Invoice, Usage } from './state.js';

type Row = Record<string, unknown>;

/** Object-query filter operators (`filter[]=field.OP:value`). */
const OPERATORS = ['EQ', 'NE', 'LT', 'GT', 'LE', 'GE', 'SW'] as const;
type Operator = (typeof OPERATORS)[number];

interface Filter {
  field: string;
  op: Operator;
  value: string;
}

/** Parses `field.OP:value`; the value may itself contain dots and colons. */
export function parseFilter(raw: string): Filter | undefined {
  const m = /^([A-Za-z][A-Za-z0-9_]*)\.([A-Z]{2}):(.*)$/s.exec(raw);
  if (!m || !(OPERATORS as readonly string[]).includes(m[2] ?? '')) return undefined;
  return { field: m[1] ?? '', op: m[2] as Operator, value: m[3] ?? '' };
}

/** Scalar field values as text; objects never appear in filterable fields. */
function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function compare(a: unknown, b: string): number {
  if (typeof a === 'number' || typeof a === 'boolean') {
    if (typeof a === 'boolean') return String(a) === b ? 0 : 1;
    const nb = Number(b);
    return Number.isNaN(nb) ? String(a).localeCompare(b) : Math.sign(a - nb);
  }
  return text(a).localeCompare(b);
}

function matches(row: Row, f: Filter): boolean {
  const v = row[f.field];
  if (f.value === 'null')
    return f.op === 'NE' ? v !== null && v !== undefined : v === null || v === undefined;
  const c = compare(v, f.value);
  switch (f.op) {
    case 'EQ':
      return v !== undefined && v !== null && c === 0;
    case 'NE':
      return c !== 0;
    case 'LT':
      return c < 0;
    case 'GT':
      return c > 0;
    case 'LE':
      return c <= 0;
    case 'GE':
      return c >= 0;
    case 'SW':
      return typeof v === 'string' && v.startsWith(f.value);
  }
}

interface QueryableObject<T> {
  name: string;
  rows(ctx: ZuoraContext): T[];
  /**
   * The object as queries return it. Custom fields are filtered and sorted on but not returned:
   * the official schemas only allow objects as additional properties of query results.
   */
  view(ctx: ZuoraContext, item: T): Row;
  custom(item: T): Row;
  /** Standard fields that can be filtered and sorted on. */
  filterable: string[];
  customFields(ctx: ZuoraContext): CustomField[];
  findByKey(ctx: ZuoraContext, key: string): T | undefined;
}

const num = (d: string): number => new Decimal(d).toNumber();

const accounts: QueryableObject<Account> = {
  name: 'account',
  rows: (ctx) => [...ctx.state.accounts.values()],
  view: (ctx, a) => {
    let balance = new Decimal(0);
    for (const inv of ctx.state.invoices.values()) {
      if (inv.accountId === a.id && inv.status === 'Posted') balance = balance.plus(inv.amount);
    }
    return {
      id: a.id,
      accountNumber: a.accountNumber,
      name: a.name,
      currency: a.currency,
      status: a.status,
      batch: a.batch,
      billCycleDay: a.billCycleDay,
      autoPay: a.autoPay,
      paymentTerm: a.paymentTerm,
      ...(a.crmId !== undefined ? { crmId: a.crmId } : {}),
      ...(a.notes !== undefined ? { notes: a.notes } : {}),
      billToId: a.billToContact.id,
      soldToId: a.soldToContact.id,
      balance: balance.toNumber(),
      totalInvoiceBalance: balance.toNumber(),
      creditBalance: 0,
      createdById: 'simulator',
      createdDate: a.createdDate,
      updatedById: 'simulator',
      updatedDate: a.updatedDate,
    };
  },
  filterable: [
    'id',
    'accountNumber',
    'name',
    'currency',
    'status',
    'crmId',
    'batch',
    'createdDate',
    'updatedDate',
  ],
  custom: (a) => a.customFields,
  customFields: (ctx) => ctx.options.customFields.Account,
  findByKey: (ctx, key) => ctx.state.findAccount(key),
};

const invoices: QueryableObject<Invoice> = {
  name: 'invoice',
  rows: (ctx) => [...ctx.state.invoices.values()],
  view: (_ctx, inv) => ({
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
    sourceType: 'Standalone',
    source: 'API',
    ...(inv.postedDate !== undefined ? { postedDate: `${inv.postedDate}T00:00:00Z` } : {}),
    createdById: 'simulator',
    createdDate: inv.createdDate,
    updatedById: 'simulator',
    updatedDate: inv.updatedDate,
  }),
  filterable: [
    'id',
    'invoiceNumber',
    'accountId',
    'currency',
    'status',
    'invoiceDate',
    'createdDate',
    'updatedDate',
  ],
  custom: (inv) => inv.customFields,
  customFields: (ctx) => ctx.options.customFields.Invoice,
  findByKey: (ctx, key) => ctx.state.findInvoice(key),
};

const usages: QueryableObject<Usage> = {
  name: 'usage',
  rows: (ctx) => [...ctx.state.usages.values()],
  view: (_ctx, u) => ({
    id: u.id,
    accountId: u.accountId,
    accountNumber: u.accountNumber,
    ...(u.subscriptionId !== undefined ? { subscriptionId: u.subscriptionId } : {}),
    ...(u.chargeId !== undefined ? { ratePlanChargeId: u.chargeId } : {}),
    quantity: num(u.quantity),
    uOM: u.uom,
    startDateTime: u.startDateTime,
    ...(u.endDateTime !== undefined ? { endDateTime: u.endDateTime } : {}),
    ...(u.uniqueKey !== undefined ? { uniqueKey: u.uniqueKey } : {}),
    rbeStatus: 'Pending',
    sourceType: 'API',
    submissionDateTime: u.createdDate,
    createdById: 'simulator',
    createdDate: u.createdDate,
    updatedById: 'simulator',
    updatedDate: u.updatedDate,
  }),
  filterable: [
    'id',
    'accountId',
    'accountNumber',
    'subscriptionId',
    'ratePlanChargeId',
    'uOM',
    'startDateTime',
    'createdDate',
  ],
  custom: (u) => u.customFields,
  customFields: (ctx) => ctx.options.customFields.Usage,
  findByKey: (ctx, key) => ctx.state.usages.get(key),
};

function queryValues(req: Request, name: string): string[] {
  const q = req.originalUrl.indexOf('?');
  if (q < 0) return [];
  return new URLSearchParams(req.originalUrl.slice(q + 1)).getAll(name);
}

function oqError(
  req: Request,
  res: Response,
  status: number,
  category: ErrorCategory,
  message: string,
): void {
  sendError(req, res, status, zuoraCode('generic', category), message);
}

/**
 * Resolves a filter's field to the row key: standard fields and filterable custom fields, matched
 * case-insensitively on the first letter (object queries spell fields in lower camel case).
 */
function resolveField(
  obj: QueryableObject<unknown>,
  ctx: ZuoraContext,
  field: string,
): string | { error: string } {
  const same = (a: string): boolean => a.toLowerCase() === field.toLowerCase();
  const std = obj.filterable.find(same);
  if (std) return std;
  const custom = obj.customFields(ctx).find((f) => same(f.name));
  if (custom) return custom.filterable ? custom.name : { error: `Field ${custom.name} is not filterable` };
  return { error: `Unknown or non-filterable field ${field} on ${obj.name}` };
}

function registerObject<T>(app: Express, ctx: ZuoraContext, path: string, obj: QueryableObject<T>): void {
  const generic = obj as unknown as QueryableObject<unknown>;
  app.get(`/object-query/${path}`, (req: Request, res: Response) => {
    const filters: Filter[] = [];
    for (const raw of queryValues(req, 'filter[]')) {
      const f = parseFilter(raw);
      if (!f) return oqError(req, res, 400, ErrorCategory.malformed, `Invalid filter: ${raw}`);
      const field = resolveField(generic, ctx, f.field);
      if (typeof field !== 'string') return oqError(req, res, 400, ErrorCategory.invalidValue, field.error);
      filters.push({ ...f, field });
    }
    // Zuora refuses a custom field the object does not have, in `fields[]` as in filters.
    for (const raw of queryValues(req, 'fields[]')) {
      const known =
        !raw.endsWith('__c') || obj.customFields(ctx).some((f) => f.name.toLowerCase() === raw.toLowerCase());
      if (!known)
        return oqError(req, res, 400, ErrorCategory.invalidValue, `Unknown field ${raw} on ${obj.name}`);
    }
    const sorts: { field: string; desc: boolean }[] = [];
    for (const raw of queryValues(req, 'sort[]')) {
      const m = /^([A-Za-z][A-Za-z0-9_]*)\.(ASC|DESC)$/i.exec(raw);
      const field = m ? resolveField(generic, ctx, m[1] ?? '') : undefined;
      if (!m || typeof field !== 'string')
        return oqError(req, res, 400, ErrorCategory.malformed, `Invalid sort: ${raw}`);
      sorts.push({ field, desc: (m[2] ?? '').toUpperCase() === 'DESC' });
    }
    const rows = obj
      .rows(ctx)
      .map((item) => {
        const view = obj.view(ctx, item);
        return { view, all: { ...view, ...obj.custom(item) } };
      })
      .filter((r) => filters.every((f) => matches(r.all, f)));
    const order = sorts.length > 0 ? sorts : [{ field: 'createdDate', desc: false }];
    rows.sort((x, y) => {
      const a = x.all;
      const b = y.all;
      for (const s of order) {
        const c = text(a[s.field]).localeCompare(text(b[s.field]));
        if (c !== 0) return s.desc ? -c : c;
      }
      return text(a['id']).localeCompare(text(b['id']));
    });
    const pageSize = Number(req.query['pageSize'] ?? 10) || 10;
    const cursorRaw = typeof req.query['cursor'] === 'string' ? req.query['cursor'] : undefined;
    const offset = cursorRaw ? Number(Buffer.from(cursorRaw, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0)
      return oqError(req, res, 400, ErrorCategory.malformed, 'Invalid cursor');
    const page = rows.slice(offset, offset + pageSize).map((r) => r.view);
    const next =
      offset + pageSize < rows.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : null;
    res.json({ nextPage: next, data: page });
  });

  app.get(`/object-query/${path}/:key`, (req: Request, res: Response) => {
    const item = obj.findByKey(ctx, String(req.params['key']));
    if (!item)
      return oqError(
        req,
        res,
        404,
        ErrorCategory.notFound,
        `${obj.name} ${String(req.params['key'])} not found`,
      );
    res.json(obj.view(ctx, item));
  });
}

export function registerObjectQueryRoutes(app: Express, ctx: ZuoraContext): void {
  registerObject(app, ctx, 'accounts', accounts);
  registerObject(app, ctx, 'invoices', invoices);
  registerObject(app, ctx, 'usages', usages);
}
