import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';

/**
 * Fault injection, per route. A rule matches by method and path glob (`*` matches any run of
 * characters, so `/v1/accounts*` covers `/v1/accounts/A1`) and can add, in this order:
 * latency (fixed + jitter), a burst of 429s, a connection reset, a hang (no answer until the
 * client gives up), a 5xx answer, or "commit then fail" (the handler runs, so the object exists,
 * but the client gets an error or a response cut mid-body: the case that produces duplicates).
 */
export const faultRuleSchema = z.object({
  /** HTTP method, or '*' for all. */
  method: z.string().default('*'),
  /** Path glob; '*' matches anything. The reserved admin prefix is never faulted. */
  path: z.string().default('*'),
  latencyMs: z.number().int().min(0).default(0),
  jitterMs: z.number().int().min(0).default(0),
  /** Probability (0..1) of answering `errorStatus` without running the handler. */
  errorRate: z.number().min(0).max(1).default(0),
  errorStatus: z.number().int().min(500).max(599).default(500),
  /** Probability of destroying the socket without an answer. */
  resetRate: z.number().min(0).max(1).default(0),
  /** Probability of never answering (the server keeps the socket open until it closes). */
  hangRate: z.number().min(0).max(1).default(0),
  /** Probability of running the handler and then failing the response. */
  commitThenFailRate: z.number().min(0).max(1).default(0),
  /** 'error': the client gets `errorStatus` with the vendor's error body; 'cut': half the body, then a reset. */
  commitThenFailMode: z.enum(['error', 'cut']).default('error'),
  /** The next N matching requests get the vendor's 429. */
  burst429: z.number().int().min(0).default(0),
  /** The rule applies to the next N matching requests only, then disappears; unset = forever. */
  times: z.number().int().min(1).optional(),
});

/** A fault rule as given (defaults optional). */
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
/** A fault rule with defaults applied and its id. */
export type FaultRule = z.output<typeof faultRuleSchema> & { id: number };

/** What a simulator supplies so injected failures look like its vendor's. */
export interface FaultResponder {
  /** Sends the vendor's 5xx answer. */
  serverError(req: Request, res: Response, status: number): void;
  /** Sends the vendor's 429 answer (with its headers). */
  tooManyRequests(req: Request, res: Response): void;
}

/** Parses a JSON array of rules, e.g. from an env variable (`ZUORA_SIM_FAULTS`, `TOGAI_SIM_FAULTS`). */
export function parseFaultRules(json: string | undefined): FaultRuleInput[] {
  if (!json) return [];
  return z.array(faultRuleSchema).parse(JSON.parse(json));
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

type ActiveRule = FaultRule & { matcher: RegExp; burstLeft: number; usesLeft: number | undefined };

/** The set of active fault rules of one simulator, with what they have done so far. */
export class FaultStore {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  /** Injected faults so far, by kind: latency, burst429, reset, hang, error, commitThenFail. */
  readonly injected: Record<string, number> = {};

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a rule; returns it with defaults applied and its id. */
  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.parse(input);
    const rule = { ...parsed, id: this.nextId++ };
    this.rules.push({
      ...rule,
      matcher: globToRegExp(rule.path),
      burstLeft: rule.burst429,
      usesLeft: rule.times,
    });
    return rule;
  }

  /** Replaces every rule. */
  set(inputs: FaultRuleInput[]): FaultRule[] {
    this.clear();
    return inputs.map((r) => this.add(r));
  }

  /** Removes one rule by id, or all rules. */
  clear(id?: number): void {
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
    if (id === undefined) for (const k of Object.keys(this.injected)) delete this.injected[k];
  }

  /** The active rules, as given plus what is left of their bursts and uses. */
  list(): (FaultRule & { burstLeft: number; usesLeft: number | undefined })[] {
    return this.rules.map(({ matcher: _m, ...r }) => r);
  }

  /** The first rule matching a request, consuming one of its uses. */
  match(method: string, path: string): ActiveRule | undefined {
    const rule = this.rules.find(
      (r) => (r.method === '*' || r.method.toUpperCase() === method.toUpperCase()) && r.matcher.test(path),
    );
    if (!rule) return undefined;
    if (rule.usesLeft !== undefined) {
      rule.usesLeft--;
      if (rule.usesLeft <= 0) this.rules = this.rules.filter((r) => r !== rule);
    }
    return rule;
  }

  /** Takes one 429 from the rule's burst, if any is left. */
  takeBurst(rule: ActiveRule): boolean {
    if (rule.burstLeft <= 0) return false;
    rule.burstLeft--;
    return true;
  }

  /** True with probability `p` (exactly: never for 0, always for 1). */
  roll(p: number): boolean {
    return p >= 1 || (p > 0 && this.random() < p);
  }

  /** Records one injected fault of `kind`. */
  count(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }
}

/**
 * Express middleware applying the store's rules. Mount it after the admin router (admin calls
 * are never faulted) and before the API routes. Latency is real time, not simulated time.
 */
export function faultMiddleware(store: FaultStore, responder: FaultResponder): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const rule = store.match(req.method, req.path);
    if (!rule) return next();
    const delay = rule.latencyMs + (rule.jitterMs > 0 ? Math.floor(Math.random() * rule.jitterMs) : 0);
    const apply = (): void => {
      if (store.takeBurst(rule)) {
        store.count('burst429');
        return responder.tooManyRequests(req, res);
      }
      if (store.roll(rule.resetRate)) {
        store.count('reset');
        req.socket.destroy();
        return;
      }
      if (store.roll(rule.hangRate)) {
        store.count('hang');
        return; // No answer; the server's close() ends the socket.
      }
      if (store.roll(rule.errorRate)) {
        store.count('error');
        return responder.serverError(req, res, rule.errorStatus);
      }
      if (store.roll(rule.commitThenFailRate)) {
        store.count('commitThenFail');
        armCommitThenFail(req, res, rule, responder);
      }
      next();
    };
    if (delay > 0) {
      store.count('latency');
      setTimeout(apply, delay);
    } else apply();
  };
}

/** Makes the response fail after the handler has done its work (and stored the object). */
function armCommitThenFail(req: Request, res: Response, rule: FaultRule, responder: FaultResponder): void {
  const originalSend = res.send.bind(res);
  let fired = false;
  res.send = function send(body?: unknown): Response {
    if (fired) return originalSend(body);
    fired = true;
    if (rule.commitThenFailMode === 'error') {
      responder.serverError(req, res, rule.errorStatus);
      return res;
    }
    const text = Buffer.isBuffer(body)
      ? body.toString('utf8')
      : typeof body === 'string'
        ? body
        : JSON.stringify(body);
    if (!res.getHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
    // Announce the full length, send half, then reset: the client sees a truncated body.
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setImmediate(() => res.socket?.destroy());
    return res;
  } as Response['send'];
}
