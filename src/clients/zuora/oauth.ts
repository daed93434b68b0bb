import { createHash } from 'node:crypto';

/**
 * Zuora OAuth client-credentials tokens, cached per connection in each worker process.
 *
 * - One token per connection (and credentials): 40 activities starting together share it.
 * - Refreshed AHEAD of expiry (`refreshAheadMs`, at most half the lifetime), so a call rarely
 *   meets an expired token; when one does (clock skew, revocation), the client invalidates it
 *   and asks again, once.
 * - Single flight: while a fetch is in progress every caller awaits the same promise, so a burst
 *   never stampedes POST /oauth/token.
 * - A failed refresh while the current token is still valid returns the current token (it is
 *   retried on the next call), so a brief token-endpoint outage does not fail live calls.
 */

export interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, as `expires_in`. */
  expiresInSeconds: number;
}

export type TokenFetcher = () => Promise<IssuedToken>;

interface Cached {
  accessToken: string;
  expiresAt: number;
  refreshAt: number;
}

export const DEFAULT_REFRESH_AHEAD_MS = 5 * 60_000;

export class ZuoraTokenProvider {
  #current: Cached | undefined;
  #inflight: Promise<Cached> | undefined;
  #fetches = 0;

  constructor(
    private readonly fetcher: TokenFetcher,
    private readonly refreshAheadMs: number = DEFAULT_REFRESH_AHEAD_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many tokens this provider has requested (tests and metrics). */
  get fetchCount(): number {
    return this.#fetches;
  }

  async get(): Promise<string> {
    const t = this.now();
    const current = this.#current;
    if (current && t < current.refreshAt) return current.accessToken;
    try {
      return (await this.#refresh()).accessToken;
    } catch (err) {
      if (current && this.now() < current.expiresAt && this.#current === current) return current.accessToken;
      throw err;
    }
  }

  /** Called after a 401 with `token`: drop it unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.#current?.accessToken === token) this.#current = undefined;
  }

  #refresh(): Promise<Cached> {
    this.#inflight ??= (async () => {
      try {
        this.#fetches++;
        const issued = await this.fetcher();
        const lifetimeMs = issued.expiresInSeconds * 1000;
        const expiresAt = this.now() + lifetimeMs;
        const cached: Cached = {
          accessToken: issued.accessToken,
          expiresAt,
          refreshAt: expiresAt - Math.min(this.refreshAheadMs, lifetimeMs / 2),
        };
        this.#current = cached;
        return cached;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }
}

/**
 * Process-wide token providers keyed by connection, endpoint and a hash of the credentials: a
 * rotated secret gets a new provider (and never a token issued to the old secret).
 */
export class ZuoraTokenRegistry {
  readonly #providers = new Map<string, ZuoraTokenProvider>();

  provider(
    key: { connectionId: string; baseUrl: string; clientId: string; clientSecret: string },
    create: () => ZuoraTokenProvider,
  ): ZuoraTokenProvider {
    const credentialHash = createHash('sha256')
      .update(`${key.clientId}\u0000${key.clientSecret}`)
      .digest('hex')
      .slice(0, 32);
    const mapKey = `${key.connectionId}\u0000${key.baseUrl}\u0000${credentialHash}`;
    let provider = this.#providers.get(mapKey);
    if (!provider) {
      // Credentials changed: forget the old provider of this connection.
      for (const k of this.#providers.keys()) {
        if (k.startsWith(`${key.connectionId}\u0000`)) this.#providers.delete(k);
      }
      provider = create();
      this.#providers.set(mapKey, provider);
    }
    return provider;
  }

  clear(): void {
    this.#providers.clear();
  }
}

export const processZuoraTokens = new ZuoraTokenRegistry();
