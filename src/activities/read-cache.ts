import { LRUCache } from 'lru-cache';

/**
 * Worker-wide caches of vendor reads that many invoice syncs repeat (issue 12: at month end every
 * invoice of a connection reads the same usage meters' settings): one read per key and TTL, and
 * concurrent readers of a missing key share one call (`lru-cache`'s `fetch`). Bounded in entries,
 * so memory stays flat whatever the burst. Only reads whose staleness is harmless are cached:
 *
 * - a usage meter's settings (its Zuora mapping): a change reaches syncs within the TTL (default
 *   60 s; the sweep's reruns of pending lines wait at least 5 minutes);
 * - a Zuora account's currency: Zuora fixes it once the account has transactions (before, an
 *   operator may still change it to cure a CurrencyMismatch: hence 5 minutes, and an account
 *   without a currency is never kept).
 */

export interface ReadCacheOptions {
  /** Usage meter settings, per connection, namespace and meter. Default 60 s. */
  meterSettingsTtlMs?: number;
  /** Zuora account currencies, per connection and account. Default 5 minutes. */
  accountCurrencyTtlMs?: number;
  /** Entries per cache. Default 10,000. */
  max?: number;
}

type Loader<V> = () => Promise<V>;

function cache<V extends NonNullable<unknown>>(ttl: number, max: number): LRUCache<string, V, Loader<V>> {
  return new LRUCache<string, V, Loader<V>>({
    max,
    ttl,
    // Not refreshed on reads: an entry is at most `ttl` old.
    updateAgeOnGet: false,
    fetchMethod: (_key, _stale, { context }) => context(),
  });
}

export class ReadCaches {
  readonly meterSettings: LRUCache<string, unknown[], Loader<unknown[]>>;
  readonly accountCurrency: LRUCache<string, string, Loader<string>>;
  /** Reads answered from a cache, and reads that went to a vendor (benchmarks print them). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(options: ReadCacheOptions = {}) {
    const max = options.max ?? 10_000;
    this.meterSettings = cache(options.meterSettingsTtlMs ?? 60_000, max);
    this.accountCurrency = cache(options.accountCurrencyTtlMs ?? 300_000, max);
  }

  /** The cached value of `key`, or `load()`'s (shared by concurrent callers); failures are not kept. */
  async read<V extends NonNullable<unknown>>(
    c: LRUCache<string, V, Loader<V>>,
    key: string,
    load: Loader<V>,
  ): Promise<V> {
    if (c.has(key)) this.stats.hits++;
    else this.stats.misses++;
    const value = await c.fetch(key, { context: load });
    if (value === undefined) throw new Error(`read cache: no value for ${key}`);
    return value;
  }
}
