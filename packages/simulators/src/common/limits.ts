import type { SimClock } from './clock.js';

/** The answer of a rate limiter for one request. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one (0 when refused). */
  remaining: number;
  /** Seconds until the window resets (at least 1 when refused, for `Retry-After`). */
  resetSeconds: number;
}

/**
 * Fixed-window request counter on the simulated clock: `limit` requests per `windowMs` per key.
 * Fixed windows are what the vendors document (Zuora: per minute; Togai: per second) and make
 * tests deterministic.
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: SimClock,
    public limit: number,
    public windowMs: number,
  ) {}

  /** Counts one request for `key` and says whether it is within the limit. */
  take(key = 'tenant'): RateDecision {
    const now = this.clock.now();
    const start = now - (now % this.windowMs);
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(key, w);
    }
    const resetSeconds = Math.max(1, Math.ceil((start + this.windowMs - now) / 1000));
    if (w.count >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    w.count++;
    return { allowed: true, limit: this.limit, remaining: this.limit - w.count, resetSeconds };
  }

  /** Forgets every window (admin reset, or a limit change). */
  reset(): void {
    this.windows.clear();
  }
}

/** A held concurrency slot; `release` is idempotent. */
export interface ConcurrencySlot {
  acquired: boolean;
  limit: number;
  /** Slots left after this acquisition. */
  remaining: number;
  release(): void;
}

/** Counts requests in flight per key against a limit (Zuora: 40 per tenant by default). */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();
  /** Highest number of requests seen in flight at once, for benchmarks and assertions. */
  peak = 0;

  constructor(public limit: number) {}

  /** Takes a slot if one is free. A refused acquisition holds nothing and needs no release. */
  tryAcquire(key = 'tenant'): ConcurrencySlot {
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.limit) return { acquired: false, limit: this.limit, remaining: 0, release: () => {} };
    this.inFlight.set(key, current + 1);
    this.peak = Math.max(this.peak, current + 1);
    let released = false;
    return {
      acquired: true,
      limit: this.limit,
      remaining: this.limit - current - 1,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 1) - 1));
      },
    };
  }

  /** Requests currently in flight for `key`. */
  current(key = 'tenant'): number {
    return this.inFlight.get(key) ?? 0;
  }
}

/**
 * Counts the 429s (and other refusals) a simulator answered, by kind ('rate', 'concurrency',
 * 'fault'...). Read through the admin API: load tests assert "zero 429s" with it.
 */
export class RefusalCounters {
  private counts: Record<string, number> = {};

  increment(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  /** A copy of the counts, plus `total`. */
  snapshot(): Record<string, number> {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    return { ...this.counts, total };
  }

  reset(): void {
    this.counts = {};
  }
}
