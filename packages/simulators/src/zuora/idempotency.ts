import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SimClock } from '../common/clock.js';
import { ErrorCategory, sendError, zuoraCode } from './errors.js';

interface StoredResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

interface Entry {
  method: string;
  path: string;
  /** Undefined while the first request is still being processed. */
  response: StoredResponse | undefined;
  expiresAt: number;
}

/** Headers that describe this answer, not the stored one: never replayed. */
const PER_ANSWER_HEADERS = new Set([
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'concurrency-limit-type',
  'concurrency-limit-limit',
  'concurrency-limit-remaining',
]);

/** Methods Zuora honours `Idempotency-Key` on. */
const IDEMPOTENT_METHODS = new Set(['POST', 'PATCH']);

/**
 * Zuora's Idempotency-Key semantics: the first answer to a key (success or failure) is replayed
 * for `ttlMs` of simulated time; a request while the first is still in flight gets 409; the same
 * key on another method or path gets 422. Only a request received whole has an answer to replay:
 * one whose body was cut off (the client died mid-request) leaves the key free.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  /** How many answers were replayed; tests and benchmarks read it through the admin state. */
  replays = 0;

  constructor(
    private readonly clock: SimClock,
    public ttlMs: number,
  ) {}

  size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.replays = 0;
  }

  /** The middleware; mount it after limits and auth, before validation and the handlers. */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction): void => {
      const key = req.get('Idempotency-Key');
      // Overlong keys are left to contract validation (maxLength 255), which answers 400.
      if (!key || key.length > 255 || !IDEMPOTENT_METHODS.has(req.method)) return next();
      const now = this.clock.now();
      const existing = this.entries.get(key);
      if (existing && existing.expiresAt > now) {
        if (existing.method !== req.method || existing.path !== req.path) {
          return sendError(
            req,
            res,
            422,
            zuoraCode('generic', ErrorCategory.invalidValue),
            `Idempotency-Key ${key} was used with ${existing.method} ${existing.path}`,
          );
        }
        if (!existing.response) {
          return sendError(
            req,
            res,
            409,
            zuoraCode('generic', ErrorCategory.lockingContention),
            `A request with Idempotency-Key ${key} is still being processed`,
          );
        }
        this.replays++;
        res.status(existing.response.status);
        for (const [name, value] of Object.entries(existing.response.headers)) res.setHeader(name, value);
        res.send(existing.response.body);
        return;
      }
      const entry: Entry = {
        method: req.method,
        path: req.path,
        response: undefined,
        expiresAt: now + this.ttlMs,
      };
      this.entries.set(key, entry);
      const previousSend = res.send.bind(res);
      let recorded = false;
      res.send = function send(body?: unknown): Response {
        // A request cut before its body arrived whole was never received as a request: a real
        // server answers it (if at all) without remembering that answer for the key.
        if (!recorded && req.complete) {
          recorded = true;
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(res.getHeaders())) {
            if (value !== undefined && !PER_ANSWER_HEADERS.has(name)) {
              headers[name] = Array.isArray(value) ? value : String(value);
            }
          }
          const text = Buffer.isBuffer(body)
            ? body.toString('utf8')
            : typeof body === 'string'
              ? body
              : JSON.stringify(body);
          entry.response = { status: res.statusCode, headers, body: text };
        }
        return previousSend(body);
      } as Response['send'];
      // A request that dies without an answer (client gone, injected reset) must not block the key.
      res.on('close', () => {
        if (!recorded && this.entries.get(key) === entry) this.entries.delete(key);
      });
      next();
    };
  }
}
