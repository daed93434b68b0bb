import { Decimal } from 'decimal.js';
import type { Express, Request, Response } from 'express';
import { DateTime } from 'luxon';
import type { ZuoraContext } from './context.js';
import { extractCustomFields } from './custom-fields.js';
import { ErrorCategory, sendError, sendFailure, zuoraCode } from './errors.js';
import { zuoraId, type Subscription, type Usage } from './state.js';

type Body = Record<string, unknown>;
const asBody = (v: unknown): Body =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Body) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A usage record as GET /v1/object/usage/{id} returns it (the CRUD API's PascalCase). */
export function usageView(u: Usage): Record<string, unknown> {
  return {
    Id: u.id,
    AccountId: u.accountId,
    AccountNumber: u.accountNumber,
    ...(u.subscriptionId !== undefined ? { SubscriptionId: u.subscriptionId } : {}),
    ...(u.subscriptionNumber !== undefined ? { SubscriptionNumber: u.subscriptionNumber } : {}),
    ...(u.chargeId !== undefined ? { ChargeId: u.chargeId } : {}),
    Quantity: new Decimal(u.quantity).toNumber(),
    UOM: u.uom,
    StartDateTime: u.startDateTime,
    ...(u.endDateTime !== undefined ? { EndDateTime: u.endDateTime } : {}),
    ...(u.description !== undefined ? { Description: u.description } : {}),
    RbeStatus: 'Pending',
    SourceType: 'API',
    CreatedById: 'simulator',
    CreatedDate: u.createdDate,
    UpdatedById: 'simulator',
    UpdatedDate: u.updatedDate,
    ...u.customFields,
  };
}

/**
 * A date-time as the tenant keeps it: local to its time zone, without an offset. Zuora reads a
 * date-time sent without an offset in the tenant's zone and converts one sent with an offset (or
 * `Z`) to it, which can move the usage to another day (2026-11-01T00:00:00Z is 31 October in
 * America/Los_Angeles). Undefined for text that is not an ISO-8601 date-time.
 */
export function tenantLocal(value: string, timeZone: string): string | undefined {
  const hasOffset = /([Zz]|[+-]\d{2}:?\d{2})$/.test(value);
  const parsed = hasOffset
    ? DateTime.fromISO(value, { setZone: true }).setZone(timeZone)
    : DateTime.fromISO(value, { zone: timeZone });
  return parsed.isValid ? parsed.toFormat("yyyy-MM-dd'T'HH:mm:ss") : undefined;
}

/**
 * Quantity and date-times of a usage body, as Zuora takes them: Quantity "a valid decimal amount
 * equal to or greater than 0" of at most 16 characters (zuora-sdk 3.21.0 CreateUsageRequest,
 * via the contract's `x-character-limit`), date-times in the tenant's zone (`tenantLocal`), the
 * end not before the start.
 */
function usageFields(
  ctx: ZuoraContext,
  body: Body,
  create: boolean,
): { quantity?: string; startDateTime?: string; endDateTime?: string } | { error: string } {
  const out: { quantity?: string; startDateTime?: string; endDateTime?: string } = {};
  const raw = body['Quantity'];
  if (raw !== undefined || create) {
    const text = typeof raw === 'number' || typeof raw === 'string' ? String(raw) : '';
    const limit = ctx.characterLimits.get('ProxyCreateUsage')?.get('Quantity');
    if (!/^\d+(\.\d+)?$/.test(text))
      return {
        error: `Quantity: expected a decimal amount equal to or greater than 0, got ${JSON.stringify(raw)}`,
      };
    if (limit !== undefined && text.length > limit)
      return { error: `Quantity: ${text} is longer than ${limit} characters` };
    out.quantity = new Decimal(text).toString();
  }
  for (const [field, key] of [
    ['StartDateTime', 'startDateTime'],
    ['EndDateTime', 'endDateTime'],
  ] as const) {
    const v = str(body[field]);
    if (v === undefined) continue;
    const local = tenantLocal(v, ctx.options.timeZone);
    if (local === undefined) return { error: `${field}: ${v} is not a date-time` };
    out[key] = local;
  }
  if (out.startDateTime !== undefined && out.endDateTime !== undefined && out.endDateTime < out.startDateTime)
    return { error: `EndDateTime ${out.endDateTime} is before StartDateTime ${out.startDateTime}` };
  return out;
}

type ChargeRef = { subscription: Subscription; chargeId: string; chargeNumber: string; uom: string | null };

function findCharge(subs: Subscription[], chargeId?: string, chargeNumber?: string): ChargeRef | undefined {
  for (const s of subs) {
    for (const rp of s.ratePlans) {
      for (const c of rp.ratePlanCharges) {
        if ((chargeId && c.id === chargeId) || (chargeNumber && c.number === chargeNumber)) {
          return { subscription: s, chargeId: c.id, chargeNumber: c.number, uom: c.uom };
        }
      }
    }
  }
  return undefined;
}

function badRequest(req: Request, res: Response, category: ErrorCategory, message: string): void {
  sendError(req, res, 400, zuoraCode('usage', category), message);
}

export function registerUsageRoutes(app: Express, ctx: ZuoraContext): void {
  app.post('/v1/object/usage', (req: Request, res: Response) => {
    const { state, options } = ctx;
    const body = asBody(req.body);
    const accountKey = str(body['AccountId']) ?? str(body['AccountNumber']);
    if (!accountKey)
      return badRequest(req, res, ErrorCategory.missingRequired, 'AccountId or AccountNumber is required');
    const account = state.findAccount(accountKey);
    if (!account) return badRequest(req, res, ErrorCategory.notFound, `Invalid account: ${accountKey}`);
    const subKey = str(body['SubscriptionId']) ?? str(body['SubscriptionNumber']);
    const subscription = subKey ? state.findSubscription(subKey) : undefined;
    if (subKey && (!subscription || subscription.accountId !== account.id)) {
      return badRequest(
        req,
        res,
        ErrorCategory.notFound,
        `Invalid subscription for account ${account.accountNumber}: ${subKey}`,
      );
    }
    const chargeId = str(body['ChargeId']);
    const chargeNumber = str(body['ChargeNumber']);
    let charge: ChargeRef | undefined;
    if (chargeId || chargeNumber) {
      const candidates = subscription
        ? [subscription]
        : [...state.subscriptions.values()].filter((s) => s.accountId === account.id);
      charge = findCharge(candidates, chargeId, chargeNumber);
      if (!charge)
        return badRequest(req, res, ErrorCategory.notFound, `Invalid charge: ${chargeId ?? chargeNumber}`);
    }
    const uom = str(body['UOM']) ?? '';
    if (charge?.uom && charge.uom !== uom) {
      return badRequest(
        req,
        res,
        ErrorCategory.invalidValue,
        `UOM ${uom} does not match the charge's UOM ${charge.uom}`,
      );
    }
    const custom = extractCustomFields(body, options.customFields.Usage, 'Usage');
    if (custom.error) return badRequest(req, res, ErrorCategory.invalidValue, custom.error);
    const figures = usageFields(ctx, body, true);
    if ('error' in figures) return badRequest(req, res, ErrorCategory.invalidValue, figures.error);
    const now = ctx.clock.date().toISOString();
    const sub = charge?.subscription ?? subscription;
    const usage: Usage = {
      id: zuoraId(),
      accountId: account.id,
      accountNumber: account.accountNumber,
      subscriptionId: sub?.id,
      subscriptionNumber: sub?.subscriptionNumber,
      chargeId: charge?.chargeId,
      chargeNumber: charge?.chargeNumber,
      quantity: figures.quantity ?? '0',
      uom,
      startDateTime: figures.startDateTime ?? tenantLocal(now, options.timeZone) ?? now,
      endDateTime: figures.endDateTime,
      description: str(body['Description']),
      uniqueKey: str(body['UniqueKey']),
      customFields: custom.fields,
      createdDate: now,
      updatedDate: now,
    };
    state.usages.set(usage.id, usage);
    res.json({ Success: true, Id: usage.id });
  });

  app.get('/v1/object/usage/:id', (req: Request, res: Response) => {
    const usage = ctx.state.usages.get(String(req.params['id']));
    if (!usage) return sendError(req, res, 404, zuoraCode('usage', ErrorCategory.notFound), 'No such usage');
    res.json(usageView(usage));
  });

  app.put('/v1/object/usage/:id', (req: Request, res: Response) => {
    const usage = ctx.state.usages.get(String(req.params['id']));
    if (!usage) return badRequest(req, res, ErrorCategory.notFound, 'Invalid usage id');
    const body = asBody(req.body);
    const custom = extractCustomFields(body, ctx.options.customFields.Usage, 'Usage');
    if (custom.error) return badRequest(req, res, ErrorCategory.invalidValue, custom.error);
    const figures = usageFields(ctx, body, false);
    if ('error' in figures) return badRequest(req, res, ErrorCategory.invalidValue, figures.error);
    usage.quantity = figures.quantity ?? usage.quantity;
    usage.description = str(body['Description']) ?? usage.description;
    usage.startDateTime = figures.startDateTime ?? usage.startDateTime;
    usage.endDateTime = figures.endDateTime ?? usage.endDateTime;
    usage.uom = str(body['UOM']) ?? usage.uom;
    Object.assign(usage.customFields, custom.fields);
    usage.updatedDate = ctx.clock.date().toISOString();
    res.json({ Success: true, Id: usage.id });
  });

  app.delete('/v1/object/usage/:id', (req: Request, res: Response) => {
    const id = String(req.params['id']);
    if (!ctx.state.usages.delete(id))
      return sendError(req, res, 404, zuoraCode('usage', ErrorCategory.notFound), 'No such usage');
    res.json({ id, success: true });
  });
}

/** A subscription as GET /v1/subscriptions/{key} returns it. */
function subscriptionView(ctx: ZuoraContext, s: Subscription): Record<string, unknown> {
  const account = ctx.state.accounts.get(s.accountId);
  return {
    success: true,
    id: s.id,
    subscriptionNumber: s.subscriptionNumber,
    accountId: s.accountId,
    accountNumber: account?.accountNumber,
    accountName: account?.name,
    currency: account?.currency,
    status: s.status,
    termType: 'TERMED',
    termStartDate: s.termStartDate,
    termEndDate: s.termEndDate,
    subscriptionStartDate: s.termStartDate,
    contractEffectiveDate: s.termStartDate,
    version: 1,
    isLatestVersion: true,
    ratePlans: s.ratePlans.map((rp) => ({
      id: rp.id,
      productId: rp.productId,
      productName: rp.productName,
      productRatePlanId: rp.productRatePlanId,
      ratePlanName: rp.ratePlanName,
      ratePlanCharges: rp.ratePlanCharges.map((c) => ({
        id: c.id,
        number: c.number,
        name: c.name,
        productRatePlanChargeId: c.productRatePlanChargeId,
        ...(c.productRatePlanChargeNumber !== undefined && {
          productRatePlanChargeNumber: c.productRatePlanChargeNumber,
        }),
        type: c.type,
        model: c.model,
        uom: c.uom,
        price: new Decimal(c.price).toNumber(),
        currency: account?.currency,
        effectiveStartDate: s.termStartDate,
        effectiveEndDate: s.termEndDate,
        version: 1,
      })),
    })),
  };
}

/** Zuora's documented page size bounds of GET /v1/subscriptions/accounts/{account-key}. */
const ACCOUNT_SUBSCRIPTIONS_PAGE = { default: 20, max: 40 };

export function registerSubscriptionRoutes(app: Express, ctx: ZuoraContext): void {
  // The latest version of each subscription of the account, newest first, paged (SDK contract
  // `getSubscriptionsByAccount`); an unknown account answers success false, as Zuora's REST API does.
  app.get('/v1/subscriptions/accounts/:accountKey', (req: Request, res: Response) => {
    const key = String(req.params['accountKey']);
    const account = ctx.state.findAccount(key);
    if (!account) {
      return sendFailure(
        res,
        zuoraCode('account', ErrorCategory.notFound),
        `Cannot find entity by key: '${key}'.`,
      );
    }
    const pageSize = Number(req.query['pageSize'] ?? ACCOUNT_SUBSCRIPTIONS_PAGE.default);
    const page = Number(req.query['page'] ?? 1);
    const all = [...ctx.state.subscriptions.values()]
      .filter((s) => s.accountId === account.id)
      .sort((a, b) => b.createdDate.localeCompare(a.createdDate));
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    const more = page * pageSize < all.length;
    res.json({
      success: true,
      subscriptions: slice.map((s) => subscriptionView(ctx, s)),
      ...(more && {
        nextPage: `/v1/subscriptions/accounts/${encodeURIComponent(key)}?page=${page + 1}&pageSize=${pageSize}`,
      }),
    });
  });

  app.get('/v1/subscriptions/:subscriptionKey', (req: Request, res: Response) => {
    const key = String(req.params['subscriptionKey']);
    const s = ctx.state.findSubscription(key);
    if (!s)
      return sendFailure(
        res,
        zuoraCode('subscription', ErrorCategory.notFound),
        `Cannot find entity by key: '${key}'.`,
      );
    res.json(subscriptionView(ctx, s));
  });
}

/** Adds a seeded subscription (admin seed); the account must exist. */
export function seedSubscription(
  ctx: ZuoraContext,
  s: Omit<Subscription, 'id' | 'accountId' | 'createdDate'> & { id?: string },
): Subscription {
  const account = ctx.state.findAccount(s.accountKey);
  if (!account)
    throw new Error(`seed: subscription ${s.subscriptionNumber} references unknown account ${s.accountKey}`);
  const sub: Subscription = {
    ...s,
    id: s.id ?? zuoraId(),
    accountId: account.id,
    createdDate: ctx.clock.date().toISOString(),
  };
  ctx.state.subscriptions.set(sub.id, sub);
  return sub;
}
