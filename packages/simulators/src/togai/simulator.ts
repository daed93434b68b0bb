import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { createLogger, type Logger } from '../common/logger.js';
import { ADMIN_PREFIX, createAdminRouter } from '../common/admin.js';
import { SimClock } from '../common/clock.js';
import { contractGuard, type ContractViolation } from '../common/contract-guard.js';
import { FaultStore, faultMiddleware, type FaultResponder, type FaultRuleInput } from '../common/faults.js';
import { FixedWindowRateLimiter, RefusalCounters } from '../common/limits.js';
import type { OpenApiContract } from '../common/openapi.js';
import { RequestCounter } from '../common/requests.js';
import { listen } from '../common/server.js';
import { WebhookDispatcher } from '../common/webhooks.js';
import { TogaiAuth } from './auth.js';
import { loadTogaiContract } from './contract.js';
import { decimalOf, InexactAmountError } from './decimal.js';
import { TogaiApiError } from './errors.js';
import { summarize } from './invoices.js';
import { encodeToken, paginate } from './pagination.js';
import { applySeed, type TogaiSeed } from './seed.js';
import {
  fullSettingId,
  TogaiStore,
  type CloseCycleOptions,
  type TogaiDomainEvent,
  type TogaiStoreSnapshot,
} from './store.js';
import {
  createAccountSchema,
  createCustomerSchema,
  ingestBatchSchema,
  ingestSchema,
  settingSchema,
  updateAccountSchema,
  updateCustomerSchema,
  updateSettingSchema,
  type Invoice,
} from './types.js';
import {
  DEFAULT_WEBHOOK_RETRY,
  outboundEvents,
  webhookTargetSchema,
  type WebhookRetryOptions,
  type WebhookTarget,
} from './webhooks.js';

/**
 * The Togai simulator: an Express app over an in-memory tenant, answering the simulated operations
 * of Togai's official contract and nothing else. Per request, in order: admin routes (reserved
 * prefix, never authenticated, limited or faulted), JSON body, bearer auth (401), rate limit (429),
 * injected faults, contract validation (400 `{message}` for a request the official schema
 * refuses; every JSON answer is checked against the official response schema and mismatches are
 * kept in `violations`), then the operation.
 */

export interface TogaiSimulatorOptions {
  /** The API token clients send as `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** HS256 key of the JWTs `POST /authenticate` issues; random per instance by default. */
  jwtSecret?: string;
  /** Requests per second for everything but ingestion (Togai's documented default: 10). */
  rateLimitPerSecond?: number;
  /** Requests per second for `/ingest` and `/ingestBatch` (Togai's documented default: 50). */
  ingestRateLimitPerSecond?: number;
  /** Where `account.created` and `invoice.generated` go. */
  webhooks?: WebhookTarget[];
  webhookRetry?: Partial<WebhookRetryOptions>;
  /** Fault rules active from the start (and again after a reset). */
  faults?: FaultRuleInput[];
  /** Seed applied at start and after every reset. */
  seed?: TogaiSeed;
  clock?: SimClock;
  logger?: Logger;
}

export const DEFAULT_API_TOKEN = 'togai-sim-token';

function definedOnly<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

/** The operations of the official contract the simulator answers; the others get 501 `{message}`. */
export const SIMULATED_OPERATIONS = [
  'authenticate',
  'createCustomer',
  'getCustomers',
  'getCustomer',
  'updateCustomer',
  'createAccount',
  'getAccounts',
  'getAccount',
  'updateAccount',
  'insertSetting',
  'listSetting',
  'getSetting',
  'updateSetting',
  'getUsageMetersForEventSchema',
  'getUsageMeter',
  'ingest',
  'ingestBatch',
  'listInvoices',
  'getInvoice',
] as const;
export type SimulatedOperation = (typeof SIMULATED_OPERATIONS)[number];
const INGEST_PATHS = new Set(['/ingest', '/ingestBatch']);
const LIST_DEFAULT_PAGE_SIZE = 50;
/** `GET /invoices`: "Max page size cannot be more than 50", answered 422 as the spec documents. */
const INVOICE_MAX_PAGE_SIZE = 50;

const rateLimitSchema = z.object({
  requestsPerSecond: z.number().int().min(1).optional(),
  ingestRequestsPerSecond: z.number().int().min(1).optional(),
});

function sendError(res: Response, status: number, message: string): void {
  res.status(status).json({ message: message.slice(0, 500) });
}

function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
}

function queryNumber(req: Request, name: string): number | undefined {
  const v = queryString(req, name);
  return v === undefined ? undefined : Number(v);
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string') throw new TogaiApiError(400, `missing path parameter ${name}`);
  return v;
}

export class TogaiSimulator {
  readonly app: Express;
  readonly clock: SimClock;
  readonly faults = new FaultStore();
  readonly refusals = new RefusalCounters();
  readonly webhooks: WebhookDispatcher;
  readonly auth: TogaiAuth;
  readonly apiToken: string;
  /** Responses that did not match the official contract: always empty unless the simulator has a bug. */
  readonly violations: ContractViolation[] = [];
  /** API requests received, by operation (admin `GET /requests`). */
  readonly requests: RequestCounter;
  webhookTargets: WebhookTarget[];
  readonly webhookRetry: WebhookRetryOptions;
  /**
   * A fault of the invoice listing (admin `PUT /pagination`): from page `invoiceTokenCycle` on,
   * `GET /invoices` answers the token of page 1 again (t1 → t2 → t1 …), so a client that trusts
   * tokens to end loops forever. Undefined: tokens behave.
   */
  invoiceTokenCycle: number | undefined;
  private readonly limiter: FixedWindowRateLimiter;
  private readonly ingestLimiter: FixedWindowRateLimiter;
  private readonly logger: Logger;
  private storeInstance: TogaiStore;

  constructor(
    readonly contract: OpenApiContract,
    private readonly options: TogaiSimulatorOptions = {},
  ) {
    this.clock = options.clock ?? new SimClock();
    this.logger = options.logger ?? createLogger('silent');
    this.apiToken = options.apiToken ?? DEFAULT_API_TOKEN;
    this.auth = new TogaiAuth(this.apiToken, () => this.clock.now(), options.jwtSecret);
    this.webhooks = new WebhookDispatcher(this.clock);
    this.webhookTargets = z.array(webhookTargetSchema).parse(options.webhooks ?? []);
    this.webhookRetry = { ...DEFAULT_WEBHOOK_RETRY, ...options.webhookRetry };
    this.invoiceTokenCycle = undefined;
    this.requests = new RequestCounter(contract);
    this.limiter = new FixedWindowRateLimiter(this.clock, options.rateLimitPerSecond ?? 10, 1000);
    this.ingestLimiter = new FixedWindowRateLimiter(this.clock, options.ingestRateLimitPerSecond ?? 50, 1000);
    this.storeInstance = this.freshStore();
    this.app = this.buildApp();
  }

  /** The current in-memory tenant (replaced by a reset). */
  get store(): TogaiStore {
    return this.storeInstance;
  }

  private freshStore(): TogaiStore {
    const store = new TogaiStore({ now: () => this.clock.now(), onEvent: (e) => this.publish(e) });
    this.storeInstance = store;
    this.faults.set(this.options.faults ?? []);
    if (this.options.seed) this.seed(this.options.seed);
    return store;
  }

  private publish(event: TogaiDomainEvent): void {
    for (const out of outboundEvents(event, this.clock.date(), this.webhookTargets, this.webhookRetry)) {
      this.webhooks.dispatch(out);
    }
  }

  /** Adds seed data (see seed.ts); throws a ZodError when it is refused. */
  seed(input: unknown): ReturnType<typeof applySeed> {
    return applySeed(this.store, this.contract, input, this.clock.date().toISOString());
  }

  /** Closes the billing cycle of one account, or of every account (see `CloseCycleOptions`). */
  closeCycle(accountId?: string, options: CloseCycleOptions = {}): Invoice[] {
    return accountId === undefined
      ? this.store.closeAllCycles(options)
      : [this.store.closeCycle(accountId, options)];
  }

  /** The tenant as JSON (see `TogaiStore.exportState`); webhook targets and faults are not in it. */
  exportState(): TogaiStoreSnapshot {
    return this.store.exportState();
  }

  /** Replaces the tenant with an exported one (webhook targets, faults and limits stay). */
  importState(snapshot: TogaiStoreSnapshot): void {
    this.store.importState(snapshot);
  }

  /** Back to the initial state: a fresh tenant with the options' seed, faults and no logs. */
  reset(): void {
    this.webhooks.reset();
    this.refusals.reset();
    this.limiter.reset();
    this.ingestLimiter.reset();
    this.violations.length = 0;
    this.requests.reset();
    this.invoiceTokenCycle = undefined;
    this.freshStore();
  }

  setRateLimits(limits: { requestsPerSecond?: number; ingestRequestsPerSecond?: number }): void {
    if (limits.requestsPerSecond !== undefined) this.limiter.limit = limits.requestsPerSecond;
    if (limits.ingestRequestsPerSecond !== undefined)
      this.ingestLimiter.limit = limits.ingestRequestsPerSecond;
    this.limiter.reset();
    this.ingestLimiter.reset();
  }

  /** A JSON snapshot for the admin API; webhook secrets are not included. */
  state(): Record<string, unknown> {
    const s = this.store;
    return {
      customers: [...s.customers.values()],
      accounts: [...s.accounts.values()],
      settings: [...s.settings.values()].map((x) => ({ fullId: fullSettingId(x), ...x })),
      usageMeters: [...s.meters.values()].map((m) => ({ ...m.meter, eventSchemaName: m.eventSchemaName })),
      pricePlans: [...s.pricePlans.values()].map((p) => ({
        id: p.id,
        name: p.name,
        rateCards: p.rateCards.map((c) => ({
          ...c,
          ratePlan: {
            ...c.ratePlan,
            slabs: c.ratePlan.slabs.map((sl) => ({ ...sl, startAfter: sl.startAfter.toFixed() })),
          },
          rateValues: c.rateValues.map((rv) => ({
            currency: rv.currency,
            slabRates: rv.slabRates.map((r) => ({ order: r.order, rate: r.rate.toFixed() })),
          })),
        })),
      })),
      defaultPricePlanId: s.defaultPricePlanId,
      accountPricePlans: Object.fromEntries(s.accountPricePlans),
      invoices: s.listInvoices(),
      events: s.events,
      webhooks: this.webhookTargets.map((t) => ({ url: t.url, events: t.events })),
      violations: this.violations,
    };
  }

  private buildApp(): Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(
      ADMIN_PREFIX,
      createAdminRouter({
        clock: this.clock,
        faults: this.faults,
        refusals: this.refusals,
        webhooks: this.webhooks,
        state: () => this.state(),
        reset: () => this.reset(),
        seed: (body) => this.seed(body),
        limits: () => ({
          requestsPerSecond: this.limiter.limit,
          ingestRequestsPerSecond: this.ingestLimiter.limit,
        }),
        extend: (r) => this.adminRoutes(r),
        requests: this.requests,
      }),
    );
    app.use(this.requests.middleware());
    app.use(express.json({ limit: '5mb' }));
    app.use((req, res, next) => {
      if (!this.auth.authenticate(req.headers.authorization)) return sendError(res, 401, 'Unauthorized');
      const limiter = INGEST_PATHS.has(req.path) ? this.ingestLimiter : this.limiter;
      if (!limiter.take().allowed) {
        this.refusals.increment('rate');
        return sendError(res, 429, 'Too many requests');
      }
      next();
    });
    const responder: FaultResponder = {
      serverError: (_req, res, status) => sendError(res, status, 'Internal server error'),
      tooManyRequests: (_req, res) => {
        this.refusals.increment('fault');
        sendError(res, 429, 'Too many requests');
      },
    };
    app.use(faultMiddleware(this.faults, responder));
    app.use(
      contractGuard({
        contract: this.contract,
        violations: this.violations,
        onInvalidRequest: (_req, res, _op, issues) =>
          sendError(res, 400, issues.map((i) => `${i.location}${i.pointer}: ${i.message}`).join('; ')),
      }),
    );
    this.apiRoutes(app);
    app.use((req, res) => {
      const op = typeof res.locals['operationId'] === 'string' ? res.locals['operationId'] : undefined;
      if (op) return sendError(res, 501, `${op} is not simulated`);
      sendError(res, 404, `No route for ${req.method} ${req.path}`);
    });
    app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      if (err instanceof TogaiApiError) return sendError(res, err.status, err.message);
      if (err instanceof InexactAmountError) return sendError(res, 500, err.message);
      const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
      if (type === 'entity.parse.failed') return sendError(res, 400, 'Malformed JSON body');
      if (type === 'entity.too.large') return sendError(res, 413, 'Request body too large');
      this.logger.error({ err }, 'togai simulator: unhandled error');
      sendError(res, 500, 'Internal server error');
    });
    return app;
  }

  private apiRoutes(app: Express): void {
    const store = (): TogaiStore => this.store;

    app.post('/authenticate', (req, res) => {
      const credential = this.auth.authenticate(req.headers.authorization);
      // With a JWT, Togai answers the same token; with the API token, a new 24 h JWT.
      res.json({ token: credential?.kind === 'jwt' ? credential.token : this.auth.issueJwt() });
    });

    app.post('/customers', (req, res) => {
      res.status(201).json(store().createCustomer(createCustomerSchema.parse(req.body)));
    });
    app.get('/customers', (req, res) => {
      res.json(paginate([...store().customers.values()], (c) => c.id, this.pageRequest(req)));
    });
    app.get('/customers/:customerId', (req, res) => {
      res.json(store().getCustomer(param(req, 'customerId')));
    });
    app.patch('/customers/:customerId', (req, res) => {
      res.json(store().updateCustomer(param(req, 'customerId'), updateCustomerSchema.parse(req.body)));
    });

    app.post('/accounts', (req, res) => {
      res.status(201).json(store().createAccount(createAccountSchema.parse(req.body)));
    });
    app.get('/accounts', (req, res) => {
      res.json(paginate([...store().accounts.values()], (a) => a.id, this.pageRequest(req)));
    });
    app.get('/accounts/:accountId', (req, res) => {
      res.json(store().getAccount(param(req, 'accountId')));
    });
    app.patch('/accounts/:accountId', (req, res) => {
      res.json(store().updateAccount(param(req, 'accountId'), updateAccountSchema.parse(req.body)));
    });

    app.post('/settings', (req, res) => {
      res.status(201).json(store().createSetting(settingSchema.parse(req.body)));
    });
    app.get('/settings', (req, res) => {
      const settings = store().listSettings({
        entityType: queryString(req, 'entity_type'),
        entityId: queryString(req, 'entity_id'),
        id: queryString(req, 'setting_id'),
        namespace: queryString(req, 'namespace'),
      });
      res.json(paginate(settings, fullSettingId, this.pageRequest(req)));
    });
    app.get('/settings/:settingId', (req, res) => {
      res.json(store().getSetting(param(req, 'settingId')));
    });
    app.patch('/settings/:settingId', (req, res) => {
      // The spec declares 201 (and 204) with the Setting for an update; no 200.
      res
        .status(201)
        .json(store().updateSetting(param(req, 'settingId'), updateSettingSchema.parse(req.body)));
    });

    app.get('/usage_meters', (req, res) => {
      const status = queryString(req, 'status');
      const aggregation = queryString(req, 'aggregations');
      const meters = [...store().meters.values()]
        .map((m) => m.meter)
        .filter(
          (m) =>
            (status === undefined || m.status === status) &&
            (aggregation === undefined || m.aggregation === aggregation),
        );
      res.json(paginate(meters, (m) => m.id, this.pageRequest(req)));
    });
    app.get('/usage_meters/:meterId', (req, res) => {
      res.json(store().getMeter(param(req, 'meterId')));
    });

    app.post('/ingest', (req, res) => {
      const { event } = ingestSchema.parse(req.body);
      const r = store().ingest([event]);
      res.status(202).json({
        success: true,
        statusCode: 202,
        message: r.duplicates > 0 ? 'Duplicate event id: already ingested' : 'Event accepted',
      });
    });
    app.post('/ingestBatch', (req, res) => {
      const { events } = ingestBatchSchema.parse(req.body);
      const r = store().ingest(events);
      res.status(202).json({
        success: true,
        statusCode: 202,
        message: `${r.accepted} events accepted, ${r.duplicates} duplicates ignored`,
      });
    });

    app.get('/invoices', (req, res) => {
      const records = store().findInvoices({
        status: queryString(req, 'status'),
        ownerId: queryString(req, 'owner_id'),
        customerId: queryString(req, 'customer_id'),
        startTime: queryNumber(req, 'start_time'),
        endTime: queryNumber(req, 'end_time'),
      });
      const page = paginate(records, (r) => r.id, {
        ...this.pageRequest(req),
        maxPageSize: INVOICE_MAX_PAGE_SIZE,
        tooLargeStatus: 422,
      });
      const cycle = this.invoiceTokenCycle;
      const first = page.data[0];
      if (cycle !== undefined && page.nextToken !== undefined && first !== undefined) {
        const size = page.data.length;
        const pageNumber = Math.floor(records.indexOf(first) / size) + 1;
        const endOfFirst = records[size - 1];
        if (pageNumber >= cycle && endOfFirst) page.nextToken = encodeToken(endOfFirst.id, size);
      }
      res.json({ ...page, data: page.data.map((r) => summarize(store().renderInvoice(r))) });
    });
    app.get('/invoices/:invoiceId', (req, res) => {
      res.json(store().getInvoice(param(req, 'invoiceId')));
    });
  }

  private pageRequest(req: Request): { nextToken?: string; pageSize?: number; defaultPageSize: number } {
    return {
      nextToken: queryString(req, 'nextToken'),
      pageSize: queryNumber(req, 'pageSize'),
      defaultPageSize: LIST_DEFAULT_PAGE_SIZE,
    };
  }

  private adminRoutes(r: express.Router): void {
    const time = z.iso.datetime({ offset: true }).transform((t) => Date.parse(t));
    const closeSchema = z.object({
      accountId: z.string().min(1).optional(),
      /** The cycle's period (ISO-8601 date-times), default the DRAFT's start and now. */
      startDate: time.optional(),
      endDate: time.optional(),
      /** false: the invoice carries no endDateInclusive. */
      endDateInclusive: z.boolean().optional(),
      customLines: z
        .array(
          z.object({
            description: z.string().min(1).max(255),
            value: z.union([z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal'), z.number()]),
          }),
        )
        .optional(),
    });
    r.post('/close-cycle', (req, res) => {
      const { accountId, customLines, ...period } = closeSchema.parse(req.body ?? {});
      try {
        const options: CloseCycleOptions = {
          ...definedOnly(period),
          ...(customLines && {
            customLines: customLines.map((c) => ({ description: c.description, value: decimalOf(c.value) })),
          }),
        };
        res.json({ invoices: this.closeCycle(accountId, options) });
      } catch (err) {
        if (err instanceof TogaiApiError) return void res.status(err.status).json({ error: err.message });
        throw err;
      }
    });
    r.put('/pagination', (req, res) => {
      const { invoiceTokenCycle } = z
        .object({ invoiceTokenCycle: z.number().int().min(2).nullable() })
        .parse(req.body ?? {});
      this.invoiceTokenCycle = invoiceTokenCycle ?? undefined;
      res.json({ invoiceTokenCycle });
    });
    // A setting removed in Togai's UI (e.g. an account's Zuora mapping), for drift tests: the
    // public API has no delete. Answers 404 when there is no such setting.
    r.delete('/settings/:fullSettingId', (req, res) => {
      const id = String(req.params['fullSettingId']);
      if (!this.store.settings.delete(id)) return void res.status(404).json({ error: `no setting ${id}` });
      res.json({ deleted: id });
    });
    r.get('/events', (_req, res) => void res.json({ events: this.store.events }));
    r.get('/violations', (_req, res) => void res.json({ violations: this.violations }));
    r.get('/webhooks', (_req, res) => {
      res.json({ targets: this.webhookTargets.map((t) => ({ url: t.url, events: t.events })) });
    });
    r.put('/webhooks', (req, res) => {
      this.webhookTargets = z.array(webhookTargetSchema).parse(req.body);
      res.json({ targets: this.webhookTargets.map((t) => ({ url: t.url, events: t.events })) });
    });
    r.put('/rate-limit', (req, res) => {
      this.setRateLimits(rateLimitSchema.parse(req.body));
      res.json({ requestsPerSecond: this.limiter.limit, ingestRequestsPerSecond: this.ingestLimiter.limit });
    });
  }
}

/** Builds a simulator (the official contract is compiled once per process and shared). */
export async function createTogaiSimulator(options: TogaiSimulatorOptions = {}): Promise<TogaiSimulator> {
  return new TogaiSimulator(await loadTogaiContract(), options);
}

export interface RunningTogaiSimulator {
  /** Base URL without a trailing slash. */
  url: string;
  sim: TogaiSimulator;
  close(): Promise<void>;
}

/** Builds a simulator and listens on loopback (port 0 = any free port). */
export async function startTogaiSimulator(
  options: TogaiSimulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningTogaiSimulator> {
  const sim = await createTogaiSimulator(options);
  const listening = await listen(sim.app, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: listening.url,
    sim,
    close: async () => {
      sim.webhooks.reset();
      sim.clock.clearAll();
      await listening.close();
    },
  };
}
