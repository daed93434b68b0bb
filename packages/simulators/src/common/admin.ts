import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { SimClock } from './clock.js';
import { faultRuleSchema, type FaultRuleInput, type FaultStore } from './faults.js';
import type { RefusalCounters } from './limits.js';
import type { DeliveryAttempt, DeliverySummary, WebhookDispatcher } from './webhooks.js';
import type { RequestCounter } from './requests.js';

/** The reserved path prefix of every simulator's admin/inspection API. */
export const ADMIN_PREFIX = '/__admin';

/** What a simulator exposes to its admin API. */
export interface AdminHandles {
  clock: SimClock;
  faults: FaultStore;
  refusals: RefusalCounters;
  webhooks?: WebhookDispatcher;
  /** A JSON snapshot of the in-memory state. */
  state(): unknown;
  /** Back to the initial (seeded from options) state; faults, counters and logs cleared. */
  reset(): void;
  /** Adds seed data; throws a ZodError on bad input (answered 400). */
  seed?(body: unknown): unknown;
  /** Extra numbers for `GET /limits` (configured limits, peak concurrency...). */
  limits?(): Record<string, unknown>;
  /** API requests by operation (`GET /requests`, `DELETE /requests` to start counting again). */
  requests?: RequestCounter;
  /** Simulator-specific admin routes, mounted on the same router. */
  extend?(router: Router): void;
}

const advanceSchema = z.union([
  z.object({ ms: z.number().min(0) }),
  z.object({ seconds: z.number().min(0) }),
  z.object({ minutes: z.number().min(0) }),
  z.object({ hours: z.number().min(0) }),
]);

/** Milliseconds of an advance request `{ms}`, `{seconds}`, `{minutes}` or `{hours}`. */
function advanceMs(body: unknown): number {
  const a = advanceSchema.parse(body);
  if ('ms' in a) return a.ms;
  if ('seconds' in a) return a.seconds * 1000;
  if ('minutes' in a) return a.minutes * 60_000;
  return a.hours * 3_600_000;
}

/**
 * The admin/inspection router, mounted at ADMIN_PREFIX (never rate limited, faulted or
 * authenticated: it only ever listens on loopback in tests and demos).
 *
 *   GET    /state                  in-memory state
 *   POST   /reset                  back to the initial state
 *   POST   /seed                   add seed data (simulator-specific body)
 *   GET    /faults                 active fault rules and injected counts
 *   PUT    /faults                 replace the rules (JSON array)
 *   POST   /faults                 add one rule
 *   DELETE /faults[/:id]           remove one or all rules
 *   GET    /deliveries             outbound delivery log {attempts, deliveries}
 *   GET    /clock                  {now}
 *   POST   /clock/advance          {ms}|{seconds}|{minutes}|{hours}; fires due timers
 *   GET    /limits                 refusals (429s) by kind, plus simulator extras
 *   GET    /requests               API requests received by operation {total, byOperation}; DELETE resets
 */
export function createAdminRouter(h: AdminHandles): Router {
  const r = express.Router();
  r.use(express.json({ limit: '10mb' }));
  r.get('/state', (_req, res) => void res.json(h.state()));
  r.get('/requests', (_req, res) => void res.json(h.requests?.snapshot() ?? { total: 0, byOperation: {} }));
  r.delete('/requests', (_req, res) => {
    h.requests?.reset();
    res.json({ ok: true });
  });
  r.post('/reset', (_req, res) => {
    h.reset();
    res.json({ ok: true });
  });
  r.post('/seed', (req, res) => {
    if (!h.seed) return void res.status(404).json({ error: 'this simulator takes no seed data' });
    res.json(h.seed(req.body) ?? { ok: true });
  });
  r.get('/faults', (_req, res) => void res.json({ rules: h.faults.list(), injected: h.faults.injected }));
  r.put('/faults', (req, res) => {
    const rules = z.array(faultRuleSchema).parse(req.body) as FaultRuleInput[];
    res.json({ rules: h.faults.set(rules) });
  });
  r.post('/faults', (req, res) => void res.json(h.faults.add(faultRuleSchema.parse(req.body))));
  r.delete('/faults', (_req, res) => {
    h.faults.clear();
    res.json({ ok: true });
  });
  r.delete('/faults/:id', (req, res) => {
    h.faults.clear(Number(req.params['id']));
    res.json({ ok: true });
  });
  r.get('/deliveries', (_req, res) => {
    res.json({ attempts: h.webhooks?.log() ?? [], deliveries: h.webhooks?.deliveries() ?? [] });
  });
  r.get('/clock', (_req, res) => void res.json({ now: h.clock.date().toISOString() }));
  r.post('/clock/advance', (req, res) => {
    h.clock.advance(advanceMs(req.body));
    res.json({ now: h.clock.date().toISOString() });
  });
  r.get(
    '/limits',
    (_req, res) => void res.json({ refusals: h.refusals.snapshot(), ...(h.limits?.() ?? {}) }),
  );
  h.extend?.(r);
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof z.ZodError)
      return void res.status(400).json({ error: 'invalid admin request', issues: err.issues });
    if (err instanceof SyntaxError) return void res.status(400).json({ error: 'invalid JSON' });
    res.status(500).json({ error: err instanceof Error ? err.message : String(err) });
  });
  return r;
}

/** Typed client of the admin API, for tests, demos and benchmarks talking to a running simulator. */
export class AdminClient {
  constructor(private readonly baseUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.baseUrl}${ADMIN_PREFIX}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (!res.ok) throw new Error(`admin ${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  }

  state(): Promise<unknown> {
    return this.call('GET', '/state');
  }
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }
  seed(body: unknown): Promise<unknown> {
    return this.call('POST', '/seed', body);
  }
  async setFaults(rules: FaultRuleInput[]): Promise<void> {
    await this.call('PUT', '/faults', rules);
  }
  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults');
  }
  async advanceClock(ms: number): Promise<void> {
    await this.call('POST', '/clock/advance', { ms });
  }
  async deliveries(): Promise<{ attempts: DeliveryAttempt[]; deliveries: DeliverySummary[] }> {
    return (await this.call('GET', '/deliveries')) as {
      attempts: DeliveryAttempt[];
      deliveries: DeliverySummary[];
    };
  }
  /** 429s (and other refusals) answered so far, by kind, with `total`. */
  async refusals(): Promise<Record<string, number>> {
    const body = z
      .object({ refusals: z.record(z.string(), z.number()) })
      .parse(await this.call('GET', '/limits'));
    return body.refusals;
  }
}
