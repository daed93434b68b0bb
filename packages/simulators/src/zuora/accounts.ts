import { Decimal } from 'decimal.js';
import type { Express, Request, Response } from 'express';
import { countryAlpha2, countryName, subdivision } from '../common/geo.js';
import { fireAccountCreatedCallout } from './callouts.js';
import type { ZuoraContext } from './context.js';
import { extractCustomFields } from './custom-fields.js';
import { ErrorCategory, sendFailure, zuoraCode } from './errors.js';
import { zuoraId, type Account, type Contact } from './state.js';

type Body = Record<string, unknown>;

function asBody(v: unknown): Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function contactFrom(v: unknown): Contact | undefined {
  const b = asBody(v);
  const firstName = str(b['firstName']);
  const lastName = str(b['lastName']);
  if (firstName === undefined || lastName === undefined) return undefined;
  return { ...b, id: zuoraId(), firstName, lastName };
}

/**
 * A contact's country and state as Zuora takes them (zuora-sdk 3.21.0 CreateAccountContact):
 * country "a valid country name or abbreviation", kept as the country's name; state, in the
 * United States and Canada, "a valid state or province name or 2-character abbreviation". Returns
 * the fields to store, or why Zuora refuses them.
 */
export function checkAddress(
  contact: Body,
  where: string,
): { fields: { country?: string; state?: string } } | { error: string } {
  const fields: { country?: string; state?: string } = {};
  const country = str(contact['country']);
  const code = country !== undefined && country !== '' ? countryAlpha2(country) : undefined;
  if (country !== undefined && country !== '') {
    if (code === undefined)
      return {
        error: `${where}.country: ${JSON.stringify(country)} is not a valid country name or abbreviation`,
      };
    // Zuora keeps and answers with a country name: one given as a code becomes its name.
    fields.country = country.trim().length <= 3 ? (countryName(code) ?? country) : country;
  }
  const state = str(contact['state']);
  if (state !== undefined && state !== '' && (code === 'US' || code === 'CA')) {
    if (!subdivision(code, state))
      return {
        error: `${where}.state: ${JSON.stringify(state)} is not a valid ${code === 'US' ? 'state' : 'province'} name or 2-character abbreviation`,
      };
  }
  return { fields };
}

/** The result of creating an account: the API response body or a Zuora failure reason. */
export type CreateAccountResult =
  | { ok: true; account: Account; notificationId: string | undefined }
  | { ok: false; code: string; message: string };

/**
 * Creates an account from a POST /v1/accounts body (already contract-validated) and fires the
 * callout. Shared by the API route and the admin "UI" endpoint, which Zuora treats alike.
 */
export function createAccount(
  ctx: ZuoraContext,
  raw: unknown,
  opts: { fireCallout: boolean; id?: string },
): CreateAccountResult {
  const body = asBody(raw);
  const { options, state } = ctx;
  const currency = str(body['currency']) ?? options.currency.default;
  if (!options.currency.allowed.includes(currency)) {
    return {
      ok: false,
      code: zuoraCode('account', ErrorCategory.invalidValue),
      message: `Currency ${currency} is not enabled`,
    };
  }
  const requestedNumber = str(body['accountNumber']);
  if (requestedNumber !== undefined && state.findAccount(requestedNumber)) {
    return {
      ok: false,
      code: zuoraCode('account', ErrorCategory.invalidValue),
      message: `The account number ${requestedNumber} is invalid or already exists`,
    };
  }
  const custom = extractCustomFields(body, options.customFields.Account, 'Account');
  if (custom.error)
    return { ok: false, code: zuoraCode('account', ErrorCategory.invalidValue), message: custom.error };
  const billTo = contactFrom(body['billToContact']) ?? { id: zuoraId(), firstName: 'Bill', lastName: 'To' };
  const soldTo = contactFrom(body['soldToContact']) ?? { ...billTo, id: zuoraId() };
  for (const [contact, where] of [
    [billTo, 'billToContact'],
    [soldTo, 'soldToContact'],
  ] as const) {
    const address = checkAddress(contact, where);
    if ('error' in address)
      return { ok: false, code: zuoraCode('account', ErrorCategory.invalidValue), message: address.error };
    Object.assign(contact, address.fields);
  }
  const now = ctx.clock.date().toISOString();
  const id = opts.id ?? zuoraId();
  const account: Account = {
    id,
    accountNumber: requestedNumber ?? state.nextAccountNumber(),
    name: str(body['name']) ?? 'Unnamed',
    currency,
    status: 'Active',
    billCycleDay: typeof body['billCycleDay'] === 'number' ? body['billCycleDay'] : 1,
    autoPay: body['autoPay'] === true,
    paymentTerm: str(body['paymentTerm']) ?? 'Due Upon Receipt',
    crmId: str(body['crmId']),
    notes: str(body['notes']),
    batch: str(body['batch']) ?? 'Batch1',
    billToContact: billTo,
    soldToContact: soldTo,
    customFields: custom.fields,
    createdDate: now,
    updatedDate: now,
  };
  state.accounts.set(id, account);
  const notificationId = opts.fireCallout
    ? fireAccountCreatedCallout(ctx.webhooks, options.callout, account.id)
    : undefined;
  return { ok: true, account, notificationId };
}

/** Sum of the posted invoices of an account, exact. */
function invoiceBalance(ctx: ZuoraContext, accountId: string): string {
  let total = new Decimal(0);
  for (const inv of ctx.state.invoices.values()) {
    if (inv.accountId === accountId && inv.status === 'Posted') total = total.plus(inv.amount);
  }
  return total.toFixed(2);
}

export function registerAccountRoutes(app: Express, ctx: ZuoraContext): void {
  app.post('/v1/accounts', (req: Request, res: Response) => {
    const result = createAccount(ctx, req.body, { fireCallout: true });
    if (!result.ok) return sendFailure(res, result.code, result.message);
    const a = result.account;
    res.json({
      success: true,
      accountId: a.id,
      accountNumber: a.accountNumber,
      billToContactId: a.billToContact.id,
      soldToContactId: a.soldToContact.id,
    });
  });

  app.get('/v1/accounts/:accountKey', (req: Request, res: Response) => {
    const a = ctx.state.findAccount(String(req.params['accountKey']));
    if (!a) return notFound(res, String(req.params['accountKey']));
    const balance = invoiceBalance(ctx, a.id);
    res.json({
      success: true,
      basicInfo: {
        id: a.id,
        accountNumber: a.accountNumber,
        name: a.name,
        status: a.status,
        batch: a.batch,
        ...(a.crmId !== undefined ? { crmId: a.crmId } : {}),
        ...(a.notes !== undefined ? { notes: a.notes } : {}),
        ...a.customFields,
      },
      billingAndPayment: {
        currency: a.currency,
        billCycleDay: a.billCycleDay,
        paymentTerm: a.paymentTerm,
        autoPay: a.autoPay,
      },
      billToContact: a.billToContact,
      soldToContact: a.soldToContact,
      metrics: {
        balance,
        totalInvoiceBalance: balance,
        creditBalance: '0.00',
        contractedMrr: '0.00',
      },
    });
  });

  app.put('/v1/accounts/:accountKey', (req: Request, res: Response) => {
    const a = ctx.state.findAccount(String(req.params['accountKey']));
    if (!a) return notFound(res, String(req.params['accountKey']));
    const body = asBody(req.body);
    const custom = extractCustomFields(body, ctx.options.customFields.Account, 'Account');
    if (custom.error) return sendFailure(res, zuoraCode('account', ErrorCategory.invalidValue), custom.error);
    // Checked before anything changes: a refused update leaves the account as it was.
    const contacts: Partial<Record<'billToContact' | 'soldToContact', Contact>> = {};
    for (const where of ['billToContact', 'soldToContact'] as const) {
      if (!body[where]) continue;
      const merged = { ...a[where], ...asBody(body[where]), id: a[where].id };
      const address = checkAddress(merged, where);
      if ('error' in address)
        return sendFailure(res, zuoraCode('account', ErrorCategory.invalidValue), address.error);
      contacts[where] = { ...merged, ...address.fields };
    }
    Object.assign(a, contacts);
    for (const key of ['name', 'notes', 'crmId', 'batch', 'paymentTerm'] as const) {
      const v = str(body[key]);
      if (v !== undefined) a[key] = v;
    }
    if (typeof body['autoPay'] === 'boolean') a.autoPay = body['autoPay'];
    if (typeof body['billCycleDay'] === 'number') a.billCycleDay = body['billCycleDay'];
    Object.assign(a.customFields, custom.fields);
    a.updatedDate = ctx.clock.date().toISOString();
    res.json({ success: true });
  });
}

function notFound(res: Response, key: string): void {
  sendFailure(res, zuoraCode('account', ErrorCategory.notFound), `Cannot find entity by key: '${key}'.`);
}
