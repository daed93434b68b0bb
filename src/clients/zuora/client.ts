import type { z } from 'zod';
import type { Logger } from '../../logger.js';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../../shared/idempotency.js';
import { Decimal } from '../../shared/money.js';
import { AuthError, parseAnswer, VendorError } from '../errors.js';
import {
  DEFAULT_TIMEOUTS,
  sendRequest,
  type HttpRequest,
  type HttpResponse,
  type Timeouts,
} from '../http.js';
import { processLimiters, type LimiterRegistry, type ZuoraLimits } from '../limits.js';
import { classifyZuoraResponse, classifyZuoraTransportError, zuoraReasons } from './classify.js';
import {
  DEFAULT_REFRESH_AHEAD_MS,
  processZuoraTokens,
  ZuoraTokenProvider,
  type IssuedToken,
  type ZuoraTokenRegistry,
} from './oauth.js';
import {
  accountSchema,
  commonResponseSchema,
  expandedAccountSchema,
  expandedInvoiceSchema,
  expandedUsageSchema,
  invoiceItemsResponseSchema,
  invoiceSchema,
  postAccountResponseSchema,
  postInvoiceResponseSchema,
  proxyCreateResponseSchema,
  proxyUsageSchema,
  queryPageSchema,
  subscriptionSchema,
  subscriptionsByAccountSchema,
  tokenResponseSchema,
  type CustomFields,
  type QueryPage,
  type ZuoraAccount,
  type ZuoraCreateAccountRequest,
  type ZuoraCreateAccountResponse,
  type ZuoraCreateInvoiceRequest,
  type ZuoraCreateInvoiceResponse,
  type ZuoraCreateUsageRequest,
  type ZuoraExpandedAccount,
  type ZuoraExpandedInvoice,
  type ZuoraExpandedUsage,
  type ZuoraInvoice,
  type ZuoraInvoiceItem,
  type ZuoraSubscription,
  type ZuoraUpdateAccountRequest,
  type ZuoraUsage,
} from './schemas.js';

/** Everything the client needs, as plain values: the connection layer builds this. */
export interface ZuoraClientOptions {
  /** Keys the token cache and the concurrency limiter. */
  connectionId: string;
  /** The tenant's REST endpoint, e.g. https://rest.apisandbox.zuora.com (or a simulator). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** `Zuora-Entity-Ids` header, for multi-entity tenants. */
  entityId?: string;
  limits?: ZuoraLimits;
  timeouts?: Partial<Timeouts>;
  /** Refresh tokens this long before they expire (capped at half the lifetime). Default 5 min. */
  refreshAheadMs?: number;
  logger?: Logger;
  /**
   * Aborts queued and in-flight calls, e.g. the activity's `Context.current().cancellationSignal`
   * (build a client per activity: caches and limiters live in process-wide registries anyway).
   */
  signal?: AbortSignal;
  /** Tests inject their own; production uses the process-wide registries. */
  limiters?: LimiterRegistry;
  tokens?: ZuoraTokenRegistry;
}

/** An object-query filter: `Field__c.EQ:value`. */
export interface ZuoraFilter {
  field: string;
  op?: 'EQ' | 'NE' | 'LT' | 'GT' | 'LE' | 'GE' | 'SW' | 'IN';
  value: string | number | boolean;
}

export interface ZuoraQueryOptions {
  filters: ZuoraFilter[];
  /** 1..99, default 10 (Zuora's). */
  pageSize?: number;
  cursor?: string;
  fields?: string[];
  sort?: string[];
}

export function zuoraFilter(f: ZuoraFilter): string {
  return `${f.field}.${f.op ?? 'EQ'}:${String(f.value)}`;
}

/**
 * Every row of an object query, page by page:
 * `for await (const a of zuoraQueryAll((cursor) => zuora.queryAccounts({ filters, cursor }))) …`.
 */
export async function* zuoraQueryAll<T>(
  page: (cursor: string | undefined) => Promise<QueryPage<T>>,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const res = await page(cursor);
    yield* res.data;
    cursor = res.nextPage ?? undefined;
    if (cursor !== undefined && seen.has(cursor)) return;
    if (cursor !== undefined) seen.add(cursor);
  } while (cursor !== undefined && cursor !== '');
}

function withCustomFields<T extends { customFields?: CustomFields }>(body: T): Record<string, unknown> {
  const { customFields, ...rest } = body;
  for (const key of Object.keys(customFields ?? {})) {
    if (!key.endsWith('__c')) throw new Error(`Zuora custom field names end in __c: ${key}`);
  }
  return { ...rest, ...customFields };
}

function decimal(value: string | undefined): Decimal | undefined {
  return value === undefined ? undefined : new Decimal(value);
}

function checkIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new RangeError(`Idempotency-Key must be 1..${IDEMPOTENCY_KEY_MAX_LENGTH} characters`);
  }
}

const enc = encodeURIComponent;

export class ZuoraClient {
  readonly #opts: ZuoraClientOptions;
  readonly #timeouts: Timeouts;
  readonly #tokens: ZuoraTokenProvider;
  readonly #limiters: LimiterRegistry;
  readonly #log: Logger | undefined;

  constructor(opts: ZuoraClientOptions) {
    this.#opts = opts;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.#limiters = opts.limiters ?? processLimiters;
    this.#log = opts.logger?.child({ vendor: 'zuora', connectionId: opts.connectionId });
    this.#tokens = (opts.tokens ?? processZuoraTokens).provider(
      opts,
      () => new ZuoraTokenProvider(() => this.#fetchToken(), opts.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS),
    );
    // The limiter is looked up per call: the connection's limits may be edited while we live.
    this.#limiters.zuora(opts.connectionId, opts.limits);
  }

  /** The token provider of this connection (tests observe its fetch count). */
  get tokenProvider(): ZuoraTokenProvider {
    return this.#tokens;
  }

  // ------------------------------------------------------------------------------------------
  // Transport

  /** One HTTP exchange inside the connection's concurrency cap; transport errors classified. */
  async #exchange(operation: string, req: HttpRequest): Promise<HttpResponse> {
    const queue = this.#limiters.zuora(this.#opts.connectionId, this.#opts.limits);
    const started = Date.now();
    try {
      const signal = this.#opts.signal;
      const res = await queue.add(() => sendRequest(this.#opts.baseUrl, req, this.#timeouts, signal), {
        throwOnTimeout: true,
        ...(signal !== undefined && { signal }),
      });
      this.#log?.debug({ operation, status: res.status, ms: Date.now() - started }, 'zuora call');
      return res;
    } catch (err) {
      if (err instanceof VendorError) throw err;
      this.#log?.warn({ operation, ms: Date.now() - started, err: String(err) }, 'zuora call failed');
      throw classifyZuoraTransportError(operation, err);
    }
  }

  async #fetchToken(): Promise<IssuedToken> {
    const form: Record<string, string> = {
      client_id: this.#opts.clientId,
      client_secret: this.#opts.clientSecret,
      grant_type: 'client_credentials',
    };
    const res = await this.#exchange('getToken', {
      method: 'POST',
      path: '/oauth/token',
      form,
      headers: this.#entityHeaders(),
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      const msg = zuoraReasons(res.body)
        .map((r) => r.message ?? r.code)
        .filter(Boolean)
        .join('; ');
      throw new AuthError(
        `Zuora refused the OAuth client credentials of connection ${this.#opts.connectionId} (HTTP ${res.status}${msg ? `: ${msg}` : ''})`,
        { vendor: 'Zuora', operation: 'getToken', status: res.status, ...(msg && { vendorMessage: msg }) },
      );
    }
    const token = this.#parse('getToken', res, tokenResponseSchema);
    return { accessToken: token.access_token, expiresInSeconds: token.expires_in };
  }

  #entityHeaders(): Record<string, string> {
    return this.#opts.entityId ? { 'zuora-entity-ids': this.#opts.entityId } : {};
  }

  #parse<S extends z.ZodType>(operation: string, res: HttpResponse, schema: S): z.output<S> {
    const error = classifyZuoraResponse(operation, res);
    if (error) throw error;
    return parseAnswer('Zuora', operation, res, schema);
  }

  /**
   * An authenticated call: token, send, and on 401 drop the token, fetch a new one and send once
   * more. The token is obtained outside the concurrency slot, so a refresh never waits behind
   * calls that themselves wait for the refresh.
   */
  async #call<S extends z.ZodType>(operation: string, req: HttpRequest, schema: S): Promise<z.output<S>> {
    const send = async (token: string) =>
      this.#exchange(operation, {
        ...req,
        headers: { ...this.#entityHeaders(), ...req.headers, authorization: `Bearer ${token}` },
      });
    const token = await this.#tokens.get();
    let res = await send(token);
    if (res.status === 401) {
      this.#log?.info({ operation }, 'zuora answered 401; refreshing the token once');
      this.#tokens.invalidate(token);
      res = await send(await this.#tokens.get());
    }
    return this.#parse(operation, res, schema);
  }

  #post<S extends z.ZodType>(operation: string, path: string, body: unknown, key: string, schema: S) {
    checkIdempotencyKey(key);
    return this.#call(
      operation,
      { method: 'POST', path, json: body, headers: { 'idempotency-key': key } },
      schema,
    );
  }

  async #query<S extends z.ZodType>(
    operation: string,
    object: 'accounts' | 'invoices' | 'usages',
    q: ZuoraQueryOptions,
    item: S,
  ): Promise<QueryPage<z.output<S>>> {
    const params = new URLSearchParams();
    for (const f of q.filters) params.append('filter[]', zuoraFilter(f));
    for (const f of q.fields ?? []) params.append('fields[]', f);
    for (const s of q.sort ?? []) params.append('sort[]', s);
    if (q.pageSize !== undefined) params.set('pageSize', String(q.pageSize));
    if (q.cursor !== undefined) params.set('cursor', q.cursor);
    const page = await this.#call(
      operation,
      { method: 'GET', path: `/object-query/${object}`, searchParams: params },
      queryPageSchema(item),
    );
    return { data: page.data, nextPage: page.nextPage };
  }

  // ------------------------------------------------------------------------------------------
  // Operations

  /** Fetches (or returns the cached) OAuth token; used by the credential check. */
  getToken(): Promise<string> {
    return this.#tokens.get();
  }

  getAccount(accountKey: string): Promise<ZuoraAccount> {
    return this.#call(
      'getAccount',
      { method: 'GET', path: `/v1/accounts/${enc(accountKey)}` },
      accountSchema,
    );
  }

  createAccount(
    body: ZuoraCreateAccountRequest,
    idempotencyKey: string,
  ): Promise<ZuoraCreateAccountResponse> {
    return this.#post(
      'createAccount',
      '/v1/accounts',
      withCustomFields(body),
      idempotencyKey,
      postAccountResponseSchema,
    );
  }

  /** PUT is idempotent by nature: no key. Typically sets the mapping custom fields. */
  async updateAccount(accountKey: string, body: ZuoraUpdateAccountRequest): Promise<void> {
    await this.#call(
      'updateAccount',
      { method: 'PUT', path: `/v1/accounts/${enc(accountKey)}`, json: withCustomFields(body) },
      commonResponseSchema,
    );
  }

  queryAccounts(q: ZuoraQueryOptions): Promise<QueryPage<ZuoraExpandedAccount>> {
    return this.#query('queryAccounts', 'accounts', q, expandedAccountSchema);
  }

  createStandaloneInvoice(
    body: ZuoraCreateInvoiceRequest,
    idempotencyKey: string,
  ): Promise<ZuoraCreateInvoiceResponse> {
    if (body.invoiceItems.length === 0 || body.invoiceItems.length > 1000) {
      throw new RangeError('A Zuora standalone invoice has 1..1000 items');
    }
    const wire = withCustomFields({
      ...body,
      invoiceItems: body.invoiceItems.map((item) =>
        withCustomFields({
          ...item,
          amount: new Decimal(item.amount),
          quantity: decimal(item.quantity),
          unitPrice: decimal(item.unitPrice),
          // Discount amounts are JSON numbers; taxation amounts strings (PostTaxationItemType: `format: number`).
          ...(item.discountItems && {
            discountItems: item.discountItems.map((d) => ({ ...d, amount: new Decimal(d.amount) })),
          }),
        }),
      ),
    });
    return this.#post(
      'createStandaloneInvoice',
      '/v1/invoices',
      wire,
      idempotencyKey,
      postInvoiceResponseSchema,
    );
  }

  getInvoice(invoiceKey: string): Promise<ZuoraInvoice> {
    return this.#call(
      'getInvoice',
      { method: 'GET', path: `/v1/invoices/${enc(invoiceKey)}` },
      invoiceSchema,
    );
  }

  /** One page (Zuora: page from 1, pageSize ≤ 40). */
  async getInvoiceItems(
    invoiceKey: string,
    page: { page?: number; pageSize?: number } = {},
  ): Promise<{ items: ZuoraInvoiceItem[]; nextPage: string | null | undefined }> {
    const params = new URLSearchParams();
    if (page.page !== undefined) params.set('page', String(page.page));
    if (page.pageSize !== undefined) params.set('pageSize', String(page.pageSize));
    const res = await this.#call(
      'getInvoiceItems',
      { method: 'GET', path: `/v1/invoices/${enc(invoiceKey)}/items`, searchParams: params },
      invoiceItemsResponseSchema,
    );
    return { items: res.invoiceItems ?? [], nextPage: res.nextPage };
  }

  /** Every item of an invoice, following pages. */
  async getAllInvoiceItems(invoiceKey: string): Promise<ZuoraInvoiceItem[]> {
    const all: ZuoraInvoiceItem[] = [];
    for (let page = 1; ; page++) {
      const { items, nextPage } = await this.getInvoiceItems(invoiceKey, { page, pageSize: 40 });
      all.push(...items);
      if (!nextPage || items.length === 0) return all;
    }
  }

  queryInvoices(q: ZuoraQueryOptions): Promise<QueryPage<ZuoraExpandedInvoice>> {
    return this.#query('queryInvoices', 'invoices', q, expandedInvoiceSchema);
  }

  /** One usage record (POST /v1/object/usage); returns its id. */
  async createUsage(body: ZuoraCreateUsageRequest, idempotencyKey: string): Promise<{ id: string }> {
    const wire = withCustomFields({ ...body, Quantity: new Decimal(body.Quantity) });
    const res = await this.#post(
      'createUsage',
      '/v1/object/usage',
      wire,
      idempotencyKey,
      proxyCreateResponseSchema,
    );
    return { id: res.Id };
  }

  getUsage(id: string): Promise<ZuoraUsage> {
    return this.#call('getUsage', { method: 'GET', path: `/v1/object/usage/${enc(id)}` }, proxyUsageSchema);
  }

  queryUsages(q: ZuoraQueryOptions): Promise<QueryPage<ZuoraExpandedUsage>> {
    return this.#query('queryUsages', 'usages', q, expandedUsageSchema);
  }

  getSubscription(subscriptionKey: string): Promise<ZuoraSubscription> {
    return this.#call(
      'getSubscription',
      { method: 'GET', path: `/v1/subscriptions/${enc(subscriptionKey)}` },
      subscriptionSchema,
    );
  }

  /**
   * Every subscription of an account (latest versions, newest first), all pages of at most 40.
   * A `nextPage` seen before ends the listing (a looping cursor must not loop forever).
   */
  async listSubscriptionsByAccount(accountKey: string): Promise<ZuoraSubscription[]> {
    const all: ZuoraSubscription[] = [];
    const seen = new Set<string>();
    let page = 1;
    for (;;) {
      const res = await this.#call(
        'listSubscriptionsByAccount',
        {
          method: 'GET',
          path: `/v1/subscriptions/accounts/${enc(accountKey)}`,
          searchParams: new URLSearchParams({ page: String(page), pageSize: '40' }),
        },
        subscriptionsByAccountSchema,
      );
      all.push(...(res.subscriptions ?? []));
      if (!res.nextPage || seen.has(res.nextPage) || (res.subscriptions ?? []).length === 0) return all;
      seen.add(res.nextPage);
      page++;
    }
  }
}
