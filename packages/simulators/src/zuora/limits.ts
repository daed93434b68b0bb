import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SimClock } from '../common/clock.js';
import { ConcurrencyLimiter, FixedWindowRateLimiter, type RefusalCounters } from '../common/limits.js';
import { ErrorCategory, sendError, zuoraCode } from './errors.js';
import { TOKEN_PATH } from './oauth.js';

/** Zuora's per-tenant limits: requests per minute and requests in flight (Default pool). */
export class ZuoraLimits {
  readonly rate: FixedWindowRateLimiter;
  readonly concurrency: ConcurrencyLimiter;

  constructor(
    clock: SimClock,
    rateLimitPerMinute: number,
    concurrencyLimit: number,
    private readonly refusals: RefusalCounters,
  ) {
    this.rate = new FixedWindowRateLimiter(clock, rateLimitPerMinute, 60_000);
    this.concurrency = new ConcurrencyLimiter(concurrencyLimit);
  }

  /** Changes the limits at run time (admin API); the current minute starts over. */
  configure(limits: { rateLimitPerMinute?: number; concurrencyLimit?: number }): void {
    if (limits.rateLimitPerMinute !== undefined) {
      this.rate.limit = limits.rateLimitPerMinute;
      this.rate.reset();
    }
    if (limits.concurrencyLimit !== undefined) this.concurrency.limit = limits.concurrencyLimit;
  }

  /** Sends Zuora's 429: code 70, Retry-After, and an empty body on the token endpoint (its spec has none). */
  tooManyRequests(req: Request, res: Response, retryAfterSeconds: number, message: string): void {
    res.setHeader('Retry-After', String(retryAfterSeconds));
    if (req.path === TOKEN_PATH) return void res.status(429).end();
    sendError(req, res, 429, zuoraCode('generic', ErrorCategory.limitExceeded), message);
  }

  /**
   * Counts the request against the minute window, then takes a concurrency slot held until the
   * response ends. Every answer carries the RateLimit-* headers (X-RateLimit-*-minute on the token
   * endpoint, as its spec declares) and API answers the Concurrency-Limit-* headers.
   */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction): void => {
      const rate = this.rate.take();
      if (req.path === TOKEN_PATH) {
        res.setHeader('X-RateLimit-Limit-minute', String(rate.limit));
        res.setHeader('X-RateLimit-Remaining-minute', String(rate.remaining));
      } else {
        res.setHeader('RateLimit-Limit', String(rate.limit));
        res.setHeader('RateLimit-Remaining', String(rate.remaining));
        res.setHeader('RateLimit-Reset', String(rate.resetSeconds));
      }
      if (!rate.allowed) {
        this.refusals.increment('rate');
        return this.tooManyRequests(
          req,
          res,
          rate.resetSeconds,
          'Request rate limit exceeded: too many requests in this minute',
        );
      }
      if (req.path === TOKEN_PATH) return next();
      const slot = this.concurrency.tryAcquire();
      res.setHeader('Concurrency-Limit-Type', 'Default');
      res.setHeader('Concurrency-Limit-Limit', String(slot.limit));
      res.setHeader('Concurrency-Limit-Remaining', String(slot.remaining));
      if (!slot.acquired) {
        this.refusals.increment('concurrency');
        return this.tooManyRequests(req, res, 1, 'Concurrency limit exceeded: too many requests in progress');
      }
      res.on('close', () => slot.release());
      next();
    };
  }
}
