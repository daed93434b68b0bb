import type { z } from 'zod';
import type { Logger } from '../../logger.js';
import { parseAnswer, VendorError } from '../errors.js';
import {
  DEFAULT_TIMEOUTS,
  sendRequest,
  type HttpRequest,
  type HttpResponse,
  type Timeouts,
} from '../http.js';
import { processLimiters, type LimiterRegistry, type TogaiLimits } from '../limits.js';
import { classifyTogaiResponse, classifyTogaiTransportError } from './classify.js';
import {
  togaiAccountSchema,
  createCustomerResponseSchema,
  customerSchema,
  ingestResponseSchema,
  togaiInvoiceSchema,
  listInvoicesResponseSchema,
  paginatedSchema,
  settingSchema,
  usageMeterSchema,
  type TogaiAccount,
  type TogaiCreateAccountRequest,
  type TogaiCreateCustomerRequest,
  type TogaiCreateCustomerResponse,
  type TogaiCustomer,
  type TogaiEvent,
  type TogaiIngestResponse,
  type TogaiInvoice,
  type TogaiInvoiceStatus,
  type TogaiInvoiceSummary,
  type TogaiPage,
  type TogaiSetting,
  type TogaiUpdateSettingRequest,
  type TogaiUsageMeter,
} from './schemas.js';

/** Everything the client needs, as plain values: the connection layer builds this. */
export interface TogaiClientOptions {
  /** Keys the rate limiter. */
  connectionId: string;
  /** e.g. https://api.togai.com or https://sandbox-api.togai.com (or a simulator). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  apiToken: string;
  limits?: TogaiLimits;
  timeouts?: Partial<Timeouts>;
  logger?: Logger;
  /**
   * Aborts queued and in-flight calls, e.g. the activity's `Context.current().cancellationSignal`
   * (build a client per activity: caches and limiters live in process-wide registries anyway).
   */
  signal?: AbortSignal;
  /** Tests inject their own; production uses the process-wide registry. */
  limiters?: LimiterRegistry;
}

export interface TogaiPageRequest {
  nextToken?: string;
  pageSize?: number;
}

export interface TogaiListInvoicesRequest extends TogaiPageRequest {
  status?: TogaiInvoiceStatus;
  ownerId?: string;
  customerId?: string;
  /** Epoch milliseconds. */
  startTime?: number;
  endTime?: number;
}

export const TOGAI_MAX_INVOICE_PAGE_SIZE = 50;

/** `setting.{namespace}.{id}.{entityType}.{entityId}`: the path id of one setting. */
export function togaiSettingFullId(
  s: Pick<TogaiSetting, 'namespace' | 'id' | 'entityType' | 'entityId'>,
): string {
  return `setting.${s.namespace}.${s.id}.${s.entityType}.${s.entityId}`;
}

const enc = encodeURIComponent;

function pageParams(p: TogaiPageRequest, params = new URLSearchParams()): URLSearchParams {
  if (p.nextToken !== undefined) params.set('nextToken', p.nextToken);
  if (p.pageSize !== undefined) params.set('pageSize', String(p.pageSize));
  return params;
}

export class TogaiClient {
  readonly #opts: TogaiClientOptions;
  readonly #timeouts: Timeouts;
  readonly #limiters: LimiterRegistry;
  readonly #log: Logger | undefined;

  constructor(opts: TogaiClientOptions) {
    this.#opts = opts;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.#limiters = opts.limiters ?? processLimiters;
    this.#log = opts.logger?.child({ vendor: 'togai', connectionId: opts.connectionId });
    this.#limiters.togai(opts.connectionId, opts.limits);
  }

  async #call<S extends z.ZodType>(
    operation: string,
    req: HttpRequest,
    schema: S,
    lane: 'api' | 'ingest' = 'api',
  ): Promise<z.output<S>> {
    const queue =
      lane === 'ingest'
        ? this.#limiters.togaiIngest(this.#opts.connectionId, this.#opts.limits)
        : this.#limiters.togai(this.#opts.connectionId, this.#opts.limits);
    const started = Date.now();
    let res: HttpResponse;
    try {
      res = await queue.add(
        () =>
          sendRequest(
            this.#opts.baseUrl,
            { ...req, headers: { ...req.headers, authorization: `Bearer ${this.#opts.apiToken}` } },
            this.#timeouts,
            this.#opts.signal,
          ),
        { throwOnTimeout: true, ...(this.#opts.signal !== undefined && { signal: this.#opts.signal }) },
      );
    } catch (err) {
      if (err instanceof VendorError) throw err;
      this.#log?.warn({ operation, ms: Date.now() - started, err: String(err) }, 'togai call failed');
      throw classifyTogaiTransportError(operation, err);
    }
    this.#log?.debug({ operation, status: res.status, ms: Date.now() - started }, 'togai call');
    const error = classifyTogaiResponse(operation, res);
    if (error) throw error;
    return parseAnswer('Togai', operation, res, schema);
  }

  async #page<S extends z.ZodType>(
    operation: string,
    path: string,
    params: URLSearchParams,
    item: S,
  ): Promise<TogaiPage<z.output<S>>> {
    const res = await this.#call(
      operation,
      { method: 'GET', path, searchParams: params },
      paginatedSchema(item),
    );
    return { data: res.data ?? [], nextToken: res.nextToken ?? undefined };
  }

  // ------------------------------------------------------------------------------------------
  // Customers and accounts. No idempotency header exists: callers choose deterministic ids and
  // read before they create.

  /** POST /customers with the first account and settings inline (one call creates the mapping). */
  createCustomer(body: TogaiCreateCustomerRequest): Promise<TogaiCreateCustomerResponse> {
    if ((body.settings?.length ?? 0) > 10) throw new RangeError('Togai accepts at most 10 inline settings');
    return this.#call(
      'createCustomer',
      { method: 'POST', path: '/customers', json: body },
      createCustomerResponseSchema,
    );
  }

  getCustomer(customerId: string): Promise<TogaiCustomer> {
    return this.#call(
      'getCustomer',
      { method: 'GET', path: `/customers/${enc(customerId)}` },
      customerSchema,
    );
  }

  getAccount(accountId: string): Promise<TogaiAccount> {
    return this.#call(
      'getAccount',
      { method: 'GET', path: `/accounts/${enc(accountId)}` },
      togaiAccountSchema,
    );
  }

  createAccount(body: TogaiCreateAccountRequest): Promise<TogaiAccount> {
    return this.#call('createAccount', { method: 'POST', path: '/accounts', json: body }, togaiAccountSchema);
  }

  listAccounts(page: TogaiPageRequest = {}): Promise<TogaiPage<TogaiAccount>> {
    return this.#page('listAccounts', '/accounts', pageParams(page), togaiAccountSchema);
  }

  // ------------------------------------------------------------------------------------------
  // Settings (how the mapping to Zuora ids is stored on Togai objects).

  listSettings(
    q: { entityType: string; entityId: string; namespace?: string; settingId?: string } & TogaiPageRequest,
  ): Promise<TogaiPage<TogaiSetting>> {
    const params = pageParams(q);
    params.set('entity_type', q.entityType);
    params.set('entity_id', q.entityId);
    if (q.namespace !== undefined) params.set('namespace', q.namespace);
    if (q.settingId !== undefined) params.set('setting_id', q.settingId);
    return this.#page('listSettings', '/settings', params, settingSchema);
  }

  /** POST /settings (insertSetting). A 204 carries no body: the setting as sent is returned. */
  async insertSetting(setting: TogaiSetting): Promise<TogaiSetting> {
    const res = await this.#call(
      'insertSetting',
      { method: 'POST', path: '/settings', json: setting },
      settingSchema.optional(),
    );
    return res ?? setting;
  }

  /** PATCH /settings/{setting.ns.id.type.entity}. */
  async updateSetting(
    fullSettingId: string,
    body: TogaiUpdateSettingRequest,
  ): Promise<TogaiSetting | undefined> {
    return this.#call(
      'updateSetting',
      { method: 'PATCH', path: `/settings/${enc(fullSettingId)}`, json: body },
      settingSchema.optional(),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Usage meters, invoices, ingestion.

  getUsageMeter(usageMeterId: string): Promise<TogaiUsageMeter> {
    return this.#call(
      'getUsageMeter',
      { method: 'GET', path: `/usage_meters/${enc(usageMeterId)}` },
      usageMeterSchema,
    );
  }

  listUsageMeters(
    q: { status?: 'ACTIVE' | 'INACTIVE' } & TogaiPageRequest = {},
  ): Promise<TogaiPage<TogaiUsageMeter>> {
    const params = pageParams(q);
    if (q.status !== undefined) params.set('status', q.status);
    return this.#page('listUsageMeters', '/usage_meters', params, usageMeterSchema);
  }

  /** One page of invoices (at most 50). The last page may still carry a nextToken. */
  async listInvoices(q: TogaiListInvoicesRequest = {}): Promise<TogaiPage<TogaiInvoiceSummary>> {
    if (q.pageSize !== undefined && (q.pageSize < 1 || q.pageSize > TOGAI_MAX_INVOICE_PAGE_SIZE)) {
      throw new RangeError(`Togai invoice pages hold 1..${TOGAI_MAX_INVOICE_PAGE_SIZE} invoices`);
    }
    const params = pageParams(q);
    if (q.status !== undefined) params.set('status', q.status);
    if (q.ownerId !== undefined) params.set('owner_id', q.ownerId);
    if (q.customerId !== undefined) params.set('customer_id', q.customerId);
    if (q.startTime !== undefined) params.set('start_time', String(q.startTime));
    if (q.endTime !== undefined) params.set('end_time', String(q.endTime));
    const res = await this.#call(
      'listInvoices',
      { method: 'GET', path: '/invoices', searchParams: params },
      listInvoicesResponseSchema,
    );
    return { data: res.data, nextToken: res.nextToken ?? undefined };
  }

  /**
   * Every invoice matching `q`, page by page. Stops on a page without a token or on an empty
   * page (Togai's last page may still carry a token), and on a token seen before.
   */
  async *iterateInvoices(
    q: Omit<TogaiListInvoicesRequest, 'nextToken'> = {},
  ): AsyncGenerator<TogaiInvoiceSummary> {
    const seen = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await this.listInvoices({ ...q, ...(nextToken !== undefined && { nextToken }) });
      yield* page.data;
      if (page.data.length === 0) return;
      nextToken = page.nextToken;
      if (nextToken !== undefined) {
        if (seen.has(nextToken)) return;
        seen.add(nextToken);
      }
    } while (nextToken !== undefined);
  }

  /** GET /invoices/{id}: with `usageInfo` and the `revenueInfo` line tree. */
  getInvoice(invoiceId: string): Promise<TogaiInvoice> {
    return this.#call(
      'getInvoice',
      { method: 'GET', path: `/invoices/${enc(invoiceId)}` },
      togaiInvoiceSchema,
    );
  }

  /** Events are de-duplicated by Togai on `id` for 45 days: give them deterministic ids. */
  ingest(event: TogaiEvent): Promise<TogaiIngestResponse> {
    return this.#call(
      'ingest',
      { method: 'POST', path: '/ingest', json: { event } },
      ingestResponseSchema,
      'ingest',
    );
  }

  ingestBatch(events: TogaiEvent[]): Promise<TogaiIngestResponse> {
    return this.#call(
      'ingestBatch',
      { method: 'POST', path: '/ingestBatch', json: { events } },
      ingestResponseSchema,
      'ingest',
    );
  }

  /** A cheap authenticated GET (one usage meter) used to check the token. */
  async ping(): Promise<void> {
    await this.listUsageMeters({ pageSize: 1 });
  }
}
