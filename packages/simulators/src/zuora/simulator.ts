import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ADMIN_PREFIX, createAdminRouter } from '../common/admin.js';
import { SimClock } from '../common/clock.js';
import { contractGuard, type ContractViolation } from '../common/contract-guard.js';
import { faultMiddleware, FaultStore } from '../common/faults.js';
import { RefusalCounters } from '../common/limits.js';
import { RequestCounter } from '../common/requests.js';
import { loadContract, type OpenApiContract } from '../common/openapi.js';
import { listen } from '../common/server.js';
import { WebhookDispatcher } from '../common/webhooks.js';
import { createAccount, registerAccountRoutes } from './accounts.js';
import type { ZuoraContext } from './context.js';
import { ErrorCategory, familyOf, sendError, zuoraCode } from './errors.js';
import { IdempotencyStore } from './idempotency.js';
import { registerInvoiceRoutes } from './invoices.js';
import { ZuoraLimits } from './limits.js';
import { registerObjectQueryRoutes } from './object-query.js';
import { bearerAuth, registerOAuthRoutes } from './oauth.js';
import {
  calloutSchema,
  seedSchema,
  zuoraSimulatorOptionsSchema,
  type OAuthClient,
  type ResolvedZuoraOptions,
  type SeedInput,
  type ZuoraSimulatorOptions,
} from './options.js';
import { ZuoraState, type ZuoraStateSnapshot } from './state.js';
import { registerSubscriptionRoutes, registerUsageRoutes, seedSubscription } from './usage-subscriptions.js';

/**
 * The vendored contracts this simulator is held to: the official subset, and the operations beyond
 * it derived from Zuora's official Python SDK (scripts/derive-zuora-contracts.sh), merged at load.
 */
export const ZUORA_CONTRACT = [
  'zuora/zuora-openapi-subset.yaml',
  'zuora/zuora-sdk-derived.yaml',
  'zuora/zuora-sdk-constraints.yaml',
] as const;

/** A Zuora simulator built in-process: mount `app` or call `startZuoraSimulator`. */
export interface ZuoraSimulator {
  app: Express;
  clock: SimClock;
  contract: OpenApiContract;
  /** Live state and options (tests may read them directly; the admin API serialises them). */
  context: ZuoraContext;
  faults: FaultStore;
  refusals: RefusalCounters;
  webhooks: WebhookDispatcher;
  idempotency: IdempotencyStore;
  limits: ZuoraLimits;
  /** Responses that did not match the official contract; a correct simulator leaves it empty. */
  violations: ContractViolation[];
  /** The first configured OAuth client, for demos and tests. */
  credentials: OAuthClient;
  /** Adds seed data (the admin seed endpoint calls this). */
  seed(input: SeedInput): void;
  /** Back to the state given by the options. */
  reset(): void;
  /** The tenant's objects as JSON (no tokens, no idempotency replays): see `ZuoraState.exportState`. */
  exportState(): ZuoraStateSnapshot;
  /** Replaces the tenant's objects with an exported snapshot (options, faults and callout stay). */
  importState(snapshot: ZuoraStateSnapshot): void;
  /** Cancels pending callout retries (the HTTP server, if any, is closed by its owner). */
  close(): void;
}

/** Extra inputs that are not plain data. */
export interface ZuoraSimulatorDeps {
  clock?: SimClock;
}

function seedInto(ctx: ZuoraContext, input: SeedInput): void {
  const seed = seedSchema.parse(input);
  for (const a of seed.accounts) {
    const result = createAccount(ctx, a, { fireCallout: false, ...(a.id !== undefined ? { id: a.id } : {}) });
    if (!result.ok) throw new Error(`seed: account ${a.name}: ${result.message}`);
  }
  for (const s of seed.subscriptions) seedSubscription(ctx, s);
}

/** Builds the Zuora simulator (loads the contract once per process). */
export async function createZuoraSimulator(
  options: ZuoraSimulatorOptions = {},
  deps: ZuoraSimulatorDeps = {},
): Promise<ZuoraSimulator> {
  const resolved: ResolvedZuoraOptions = zuoraSimulatorOptionsSchema.parse(options);
  const contract = await loadContract(ZUORA_CONTRACT);
  const clock = deps.clock ?? new SimClock();
  const webhooks = new WebhookDispatcher(clock);
  const ctx: ZuoraContext = {
    state: new ZuoraState(),
    options: resolved,
    clock,
    webhooks,
    characterLimits: contract.characterLimits,
  };
  const faults = new FaultStore();
  const refusals = new RefusalCounters();
  const idempotency = new IdempotencyStore(clock, resolved.idempotencyTtlMs);
  const limits = new ZuoraLimits(clock, resolved.rateLimitPerMinute, resolved.concurrencyLimit, refusals);
  const violations: ContractViolation[] = [];
  const requests = new RequestCounter(contract);

  const reset = (): void => {
    ctx.state = new ZuoraState();
    webhooks.reset();
    idempotency.clear();
    refusals.reset();
    limits.rate.reset();
    violations.length = 0;
    requests.reset();
    faults.set(resolved.faults);
    seedInto(ctx, resolved.seed);
  };
  reset();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(
    ADMIN_PREFIX,
    createAdminRouter({
      clock,
      faults,
      refusals,
      webhooks,
      requests,
      state: () => ({
        ...ctx.state.snapshot(),
        idempotency: { keys: idempotency.size(), replays: idempotency.replays },
        contractViolations: violations,
      }),
      reset,
      seed: (body) => {
        seedInto(ctx, body as SeedInput);
        return { ok: true };
      },
      limits: () => ({
        rateLimitPerMinute: limits.rate.limit,
        concurrencyLimit: limits.concurrency.limit,
        inFlight: limits.concurrency.current(),
        peakConcurrency: limits.concurrency.peak,
      }),
      extend: (r) => {
        // The Zuora UI stand-in: an account created here fires the callout like one from the API.
        r.post('/ui/accounts', (req, res) => {
          const check = contract.validateRequest({
            method: 'POST',
            path: '/v1/accounts',
            headers: { 'content-type': 'application/json' },
            body: req.body as unknown,
          });
          if (check.issues.length > 0)
            return void res.status(400).json({ error: 'invalid account', issues: check.issues });
          const result = createAccount(ctx, req.body, { fireCallout: true });
          if (!result.ok) return void res.status(400).json({ error: result.message, code: result.code });
          res.json({
            accountId: result.account.id,
            accountNumber: result.account.accountNumber,
            notificationId: result.notificationId ?? null,
          });
        });
        // Edits a person makes in Zuora's UI, for drift tests (tzs reconciliation): custom field
        // values set or cleared (null) on an account, and an invoice's total changed (e.g. an item
        // edited on a draft invoice). Not vendor API: the flows never call these.
        r.put('/ui/accounts/:key/custom-fields', (req, res) => {
          const key = String(req.params['key']);
          const account =
            ctx.state.accounts.get(key) ??
            [...ctx.state.accounts.values()].find((a) => a.accountNumber === key);
          if (!account) return void res.status(404).json({ error: `no account ${key}` });
          const parsed = z.record(z.string().regex(/__c$/), z.string().nullable()).safeParse(req.body ?? {});
          if (!parsed.success)
            return void res
              .status(400)
              .json({ error: 'expected custom field names (…__c) with text or null' });
          for (const [name, value] of Object.entries(parsed.data)) {
            if (value === null) delete account.customFields[name];
            else account.customFields[name] = value;
          }
          account.updatedDate = ctx.clock.date().toISOString();
          res.json({ id: account.id, customFields: account.customFields });
        });
        r.put('/ui/invoices/:key/amount', (req, res) => {
          const key = String(req.params['key']);
          const invoice = ctx.state.findInvoice(key);
          if (!invoice) return void res.status(404).json({ error: `no invoice ${key}` });
          const parsed = z.object({ amount: z.string().regex(/^-?\d+(\.\d+)?$/) }).safeParse(req.body ?? {});
          if (!parsed.success) return void res.status(400).json({ error: 'expected { amount: "decimal" }' });
          invoice.amount = parsed.data.amount;
          invoice.updatedDate = ctx.clock.date().toISOString();
          res.json({ id: invoice.id, amount: invoice.amount });
        });
        r.put('/limits', (req, res) => {
          const body = z
            .object({
              rateLimitPerMinute: z.number().int().min(1).optional(),
              concurrencyLimit: z.number().int().min(1).optional(),
            })
            .parse(req.body);
          limits.configure(body);
          res.json({ rateLimitPerMinute: limits.rate.limit, concurrencyLimit: limits.concurrency.limit });
        });
        r.put('/callout', (req, res) => {
          resolved.callout = calloutSchema.parse(req.body);
          res.json({ ok: true });
        });
        r.delete('/callout', (_req, res) => {
          resolved.callout = undefined;
          res.json({ ok: true });
        });
      },
    }),
  );

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Zuora-Request-Id', randomUUID());
    const track = req.get('Zuora-Track-Id');
    if (track && track.length <= 64) res.setHeader('Zuora-Track-Id', track);
    next();
  });
  app.use(requests.middleware());
  // Limits first: an injected latency is spent holding a concurrency slot, as a slow Zuora holds one.
  app.use(limits.middleware());
  app.use(
    faultMiddleware(faults, {
      serverError: (req, res, status) =>
        sendError(
          req,
          res,
          status,
          zuoraCode('generic', ErrorCategory.internal),
          'Internal server error (injected)',
        ),
      tooManyRequests: (req, res) => {
        refusals.increment('fault');
        limits.tooManyRequests(req, res, 1, 'Request rate limit exceeded (injected burst)');
      },
    }),
  );
  // Auth and idempotency need only the headers: they run before the body is read, so a request
  // is "in flight" for its key (and holds its concurrency slot) from its first byte, as in Zuora.
  app.use(bearerAuth(ctx));
  app.use(idempotency.middleware());
  app.use(express.json({ limit: '10mb' }));
  app.use(express.urlencoded({ extended: false }));
  app.use(
    contractGuard({
      contract,
      violations,
      onInvalidRequest: (req, res, _operationId, issues) => {
        const missing = issues.some((i) => i.message.startsWith('must have required property'));
        const category = missing ? ErrorCategory.missingRequired : ErrorCategory.invalidValue;
        const message = issues.map((i) => `${i.location}${i.pointer}: ${i.message}`).join('; ');
        sendError(req, res, 400, zuoraCode('generic', category), message);
      },
    }),
  );

  registerOAuthRoutes(app, ctx);
  registerAccountRoutes(app, ctx);
  registerInvoiceRoutes(app, ctx);
  registerUsageRoutes(app, ctx);
  registerSubscriptionRoutes(app, ctx);
  registerObjectQueryRoutes(app, ctx);

  app.use((req: Request, res: Response) => {
    sendError(
      req,
      res,
      404,
      zuoraCode('generic', ErrorCategory.notFound),
      `No operation ${req.method} ${req.path}`,
    );
  });
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const parseFailed =
      typeof err === 'object' && err !== null && 'type' in err && err.type === 'entity.parse.failed';
    if (parseFailed) {
      return sendError(
        req,
        res,
        400,
        zuoraCode('generic', ErrorCategory.malformed),
        'Malformed request body',
      );
    }
    const family = familyOf(req.path);
    sendError(
      req,
      res,
      500,
      zuoraCode('generic', ErrorCategory.internal),
      err instanceof Error ? err.message : String(err),
      family,
    );
  });

  const credentials = resolved.clients[0];
  if (!credentials) throw new Error('at least one OAuth client is required');
  return {
    app,
    clock,
    contract,
    context: ctx,
    faults,
    refusals,
    webhooks,
    idempotency,
    limits,
    violations,
    credentials,
    seed: (input) => seedInto(ctx, input),
    reset,
    exportState: () => ctx.state.exportState(),
    importState: (snapshot) => {
      ctx.state = ZuoraState.fromSnapshot(snapshot);
    },
    close: () => webhooks.reset(),
  };
}

/** A Zuora simulator listening on a port. */
export interface RunningZuoraSimulator {
  url: string;
  sim: ZuoraSimulator;
  close(): Promise<void>;
}

/** Builds and starts a simulator on `host:port` (port 0: a free port picked by the OS, as tests use). */
export async function startZuoraSimulator(
  options: ZuoraSimulatorOptions = {},
  listenOn: { port?: number; host?: string } = {},
  deps: ZuoraSimulatorDeps = {},
): Promise<RunningZuoraSimulator> {
  const sim = await createZuoraSimulator(options, deps);
  const server = await listen(sim.app, listenOn.port ?? 0, listenOn.host ?? '127.0.0.1');
  return {
    url: server.url,
    sim,
    close: async () => {
      sim.close();
      await server.close();
    },
  };
}
