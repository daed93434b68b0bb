import PQueue from 'p-queue';

/**
 * Client-side limits, per connection, shared by every activity of a worker process.
 *
 * Zuora limits CONCURRENT requests per tenant (40 in the Default pool): a p-queue with
 * `concurrency` = the cap holds the 41st call in memory until a slot frees, instead of sending it
 * and collecting a 429. Togai limits requests PER SECOND (10/s for most APIs, 50/s for
 * ingestion): p-queue's `intervalCap`/`interval` starts at most N calls per second.
 *
 * The queues live in a registry keyed by connection id, so two connections never share (or
 * steal) each other's budget and all activities of one connection in this process do.
 *
 * Several worker processes: each process has its own registry, so the tenant-wide bound only
 * holds if the per-process caps add up to the tenant limit. Either give each connection a
 * per-process cap of `tenant limit / number of worker processes` (e.g. 40 / 2 workers = 20,
 * configurable per connection), or bound the task queue as a whole with the worker option
 * `maxTaskQueueActivitiesPerSecond` (enforced by the Temporal server across all workers of the
 * task queue; a rate, so it bounds Togai's requests per second directly and Zuora's concurrency
 * only as rate × call duration). Whatever remains (other integrations on the same tenant) is
 * absorbed by 429 + Retry-After → Temporal retry with `nextRetryDelay`. See docs/limits.md.
 */

export const DEFAULT_ZUORA_CONCURRENCY = 40;
export const DEFAULT_TOGAI_RATE_PER_SECOND = 10;
export const DEFAULT_TOGAI_INGEST_RATE_PER_SECOND = 50;

export interface ZuoraLimits {
  /** Maximum requests in flight to this tenant from this process. Default 40. */
  concurrency?: number;
}

export interface TogaiLimits {
  /** Maximum requests started per second from this process (non-ingestion APIs); may be fractional. Default 10. */
  ratePerSecond?: number;
  /** Maximum ingestion requests started per second from this process; may be fractional. Default 50. */
  ingestRatePerSecond?: number;
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  return v;
}

function positiveRate(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number, got ${v}`);
  return v;
}

/**
 * Paced, not bursty: one start every `1000 / rate` ms (rounded up). A burst of `rate` per window
 * of our own would not line up with the vendor's window, and two bursts straddling the vendor's
 * window boundary would double its count; evenly spaced starts put at most `rate` in ANY
 * one-second span. Fractional rates (0.5/s) work the same way.
 */
function rateQueue(perSecond: number): PQueue {
  return new PQueue({ intervalCap: 1, interval: Math.max(1, Math.ceil(1000 / perSecond)) });
}

interface Entry {
  signature: string;
  queue: PQueue;
}

export class LimiterRegistry {
  readonly #entries = new Map<string, Entry>();

  /**
   * The queue for `key`, created on first use. If the limits of the connection changed (an admin
   * edited it), a fresh queue with the new limits serves new calls; calls already queued on the
   * old one finish there.
   */
  #get(key: string, signature: string, create: () => PQueue): PQueue {
    const entry = this.#entries.get(key);
    if (entry && entry.signature === signature) return entry.queue;
    const queue = create();
    this.#entries.set(key, { signature, queue });
    return queue;
  }

  zuora(connectionId: string, limits: ZuoraLimits = {}): PQueue {
    const concurrency = positiveInt(limits.concurrency, DEFAULT_ZUORA_CONCURRENCY, 'Zuora concurrency');
    return this.#get(`zuora:${connectionId}`, `c${concurrency}`, () => new PQueue({ concurrency }));
  }

  togai(connectionId: string, limits: TogaiLimits = {}): PQueue {
    const rate = positiveRate(limits.ratePerSecond, DEFAULT_TOGAI_RATE_PER_SECOND, 'Togai rate');
    return this.#get(`togai:${connectionId}`, `r${rate}`, () => rateQueue(rate));
  }

  togaiIngest(connectionId: string, limits: TogaiLimits = {}): PQueue {
    const rate = positiveRate(
      limits.ingestRatePerSecond,
      DEFAULT_TOGAI_INGEST_RATE_PER_SECOND,
      'Togai ingestion rate',
    );
    return this.#get(`togai-ingest:${connectionId}`, `r${rate}`, () => rateQueue(rate));
  }

  /** Drops every queue (tests; a process shutting down). Queued work is not cancelled. */
  clear(): void {
    this.#entries.clear();
  }
}

/** The process-wide registry every client uses unless a test injects its own. */
export const processLimiters = new LimiterRegistry();
