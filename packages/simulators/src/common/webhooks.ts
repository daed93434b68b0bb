import { createHmac } from 'node:crypto';
import type { SimClock } from './clock.js';

/** How one delivery is retried and judged. */
export interface DeliveryPolicy {
  /** Total attempts including the first (Zuora's default: 3). */
  maxAttempts: number;
  /** Delay before attempt `attempt + 1`, after attempt `attempt` failed (1-based). Simulated time. */
  retryDelayMs(attempt: number): number;
  /** Per-attempt timeout, real time. */
  timeoutMs: number;
  /** Whether a status counts as delivered (Zuora: only 200; Togai here: every 2xx). */
  isDelivered(status: number): boolean;
  /** Whether a failed attempt is retried; `undefined` status = connection failure or timeout. */
  isRetriable(status: number | undefined): boolean;
}

/** One outbound event to deliver. */
export interface OutboundEvent {
  /** Stable across attempts (Zuora: `Zuora-Notification-Id`; Togai: the event id). */
  deliveryId: string;
  /** Event type, for the log ('AccountCreated', 'invoice.generated'...). */
  event: string;
  url: string;
  /** The exact body bytes sent (signatures are computed over them). */
  body: string;
  /** Headers for one attempt (1-based): fresh request ids, timestamps, signatures. */
  headersFor(attempt: number): Record<string, string>;
  policy: DeliveryPolicy;
}

/** One attempt in the delivery log. Authorization values are never logged. */
export interface DeliveryAttempt {
  deliveryId: string;
  event: string;
  url: string;
  attempt: number;
  /** Simulated time of the attempt, ISO 8601. */
  at: string;
  status: number | undefined;
  error: string | undefined;
  delivered: boolean;
  willRetry: boolean;
  requestHeaders: Record<string, string>;
  body: string;
}

/** The state of one delivery across its attempts. */
export interface DeliverySummary {
  deliveryId: string;
  event: string;
  url: string;
  attempts: number;
  state: 'pending' | 'delivered' | 'failed';
}

/** HMAC of `payload` with `secret`, as hex or base64: the signature primitive both vendors' callouts use. */
export function hmacSignature(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  secret: string,
  payload: string,
  encoding: 'hex' | 'base64' = 'hex',
): string {
  return createHmac(algorithm, secret).update(payload).digest(encoding);
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization']);

/**
 * Delivers outbound events (callouts, webhooks) with retries on the simulated clock and keeps a
 * log of every attempt. Retries run on `SimClock` timers, so a test can make "30 minutes later"
 * happen with `clock.advance`.
 */
export class WebhookDispatcher {
  private readonly attempts: DeliveryAttempt[] = [];
  private readonly summaries = new Map<string, DeliverySummary>();
  private readonly timers = new Set<number>();
  private readonly immediateTimers = new Set<number>();
  private inFlight = 0;
  private generation = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly clock: SimClock) {}

  /** Starts delivering `event` (first attempt right away, asynchronously). */
  dispatch(event: OutboundEvent): void {
    this.summaries.set(event.deliveryId, {
      deliveryId: event.deliveryId,
      event: event.event,
      url: event.url,
      attempts: 0,
      state: 'pending',
    });
    this.schedule(event, 1, 0);
  }

  /** Every attempt so far, oldest first. */
  log(): DeliveryAttempt[] {
    return this.attempts.map((a) => ({ ...a, requestHeaders: { ...a.requestHeaders } }));
  }

  /** One summary per delivery. */
  deliveries(): DeliverySummary[] {
    return [...this.summaries.values()].map((s) => ({ ...s }));
  }

  /** Resolves when no attempt is running or due right now (scheduled retries may remain). */
  async settled(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Cancels pending retries and forgets the log. */
  reset(): void {
    this.generation++;
    for (const t of this.timers) this.clock.clearTimer(t);
    this.timers.clear();
    for (let i = 0; i < this.immediateTimers.size; i++) this.done();
    this.immediateTimers.clear();
    this.attempts.length = 0;
    this.summaries.clear();
  }

  private schedule(event: OutboundEvent, attempt: number, delayMs: number): void {
    const generation = this.generation;
    // An attempt due at once counts as in flight from now, so `settled()` right after
    // `dispatch()` waits for it; a retry waiting for its time does not.
    const immediate = delayMs <= 0;
    if (immediate) this.inFlight++;
    const id = this.clock.setTimer(delayMs, () => {
      this.timers.delete(id);
      this.immediateTimers.delete(id);
      if (!immediate) this.inFlight++;
      if (generation !== this.generation) return this.done();
      void this.attempt(event, attempt).finally(() => this.done());
    });
    this.timers.add(id);
    if (immediate) this.immediateTimers.add(id);
  }

  private done(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) for (const w of this.waiters.splice(0)) w();
  }

  private async attempt(event: OutboundEvent, attempt: number): Promise<void> {
    const generation = this.generation;
    const headers = { 'Content-Type': 'application/json', ...event.headersFor(attempt) };
    const at = this.clock.date().toISOString();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(event.url, {
        method: 'POST',
        headers,
        body: event.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(event.policy.timeoutMs),
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (generation !== this.generation) return;
    const delivered = status !== undefined && event.policy.isDelivered(status);
    const willRetry = !delivered && attempt < event.policy.maxAttempts && event.policy.isRetriable(status);
    const logged = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, SECRET_HEADERS.has(k.toLowerCase()) ? '[redacted]' : v]),
    );
    this.attempts.push({
      deliveryId: event.deliveryId,
      event: event.event,
      url: event.url,
      attempt,
      at,
      status,
      error,
      delivered,
      willRetry,
      requestHeaders: logged,
      body: event.body,
    });
    const summary = this.summaries.get(event.deliveryId);
    if (summary) {
      summary.attempts = attempt;
      summary.state = delivered ? 'delivered' : willRetry ? 'pending' : 'failed';
    }
    if (willRetry) {
      this.schedule(event, attempt + 1, event.policy.retryDelayMs(attempt));
    }
  }
}
