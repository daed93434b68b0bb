import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type DeliveryPolicy, type OutboundEvent } from '../common/webhooks.js';
import type { TogaiDomainEvent } from './store.js';

/**
 * Outbound Togai events. Togai builds webhooks in its no-code flows and documents no payload,
 * signature or retry policy, so the simulator defines them (also in docs/togai-webhooks.md):
 *
 *   POST <url>
 *   Content-Type: application/json
 *   Togai-Event-Id: <eventId>            (stable across retries: de-duplicate on it)
 *   Togai-Event-Type: account.created | invoice.generated
 *   Togai-Delivery-Attempt: <1-based attempt number>
 *   Togai-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 *   { "eventId": "evt_<uuid>", "eventType": "account.created", "eventTime": "<ISO 8601>",
 *     "entityId": "<account id | invoice id>", "entity": <the Account / Invoice as the API returns it> }
 *
 * `eventTime` is simulated (business) time; `t` is wall-clock time of the attempt, so a receiver
 * can refuse stale signatures (e.g. older than 5 minutes) even when a test has moved the
 * simulator's clock. Every attempt is signed afresh. An attempt is delivered on any 2xx; anything
 * else (non-2xx, connection failure, 10 s timeout) is retried with exponential backoff
 * (`retryBaseMs` × 2^(attempt-1): 1 s, 2 s, 4 s, 8 s by default, on the simulated clock) up to
 * `maxAttempts` (default 5) in all.
 */

export const TOGAI_EVENT_TYPES = ['account.created', 'invoice.generated'] as const;
export type TogaiEventType = (typeof TOGAI_EVENT_TYPES)[number];

export const webhookTargetSchema = z.object({
  url: z.url(),
  secret: z.string().min(1),
  /** Which event types go to this URL; all when omitted. */
  events: z.array(z.enum(TOGAI_EVENT_TYPES)).optional(),
});
export type WebhookTarget = z.infer<typeof webhookTargetSchema>;

export interface WebhookRetryOptions {
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryOptions = {
  maxAttempts: 5,
  retryBaseMs: 1000,
  timeoutMs: 10_000,
};

export interface TogaiWebhookPayload {
  eventId: string;
  eventType: TogaiEventType;
  eventTime: string;
  entityId: string;
  entity: unknown;
}

// Signing and verifying live in src/shared so the gateway's receiver checks exactly what is sent here.
/**
 * The signing side of the scheme above, written from docs/togai-webhooks.md on its own: the
 * gateway's verifier (the service's src/shared/togai-signature.ts) is a second, independent
 * implementation, and the end-to-end webhook tests hold the two to each other.
 */
export function togaiSignatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver does with one secret: recompute, compare in constant time, refuse stale times. */
export function verifyTogaiSignature(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = togaiSignatureHeader(secret, body, t).slice(`t=${t},v1=`.length);
  return v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

function policy(retry: WebhookRetryOptions): DeliveryPolicy {
  return {
    maxAttempts: retry.maxAttempts,
    retryDelayMs: (attempt) => retry.retryBaseMs * 2 ** (attempt - 1),
    timeoutMs: retry.timeoutMs,
    isDelivered: (status) => status >= 200 && status < 300,
    isRetriable: () => true,
  };
}

/** The outbound deliveries (one per matching target) of one domain event. */
export function outboundEvents(
  event: TogaiDomainEvent,
  eventTime: Date,
  targets: readonly WebhookTarget[],
  retry: WebhookRetryOptions,
  wallClockMs: () => number = Date.now,
): OutboundEvent[] {
  const payload: TogaiWebhookPayload = {
    eventId: `evt_${randomUUID()}`,
    eventType: event.type,
    eventTime: eventTime.toISOString(),
    entityId: event.entityId,
    entity: event.entity,
  };
  const body = JSON.stringify(payload);
  const matching = targets.filter((t) => !t.events || t.events.includes(event.type));
  return matching.map((target, i) => ({
    // One delivery per target; the event id in the body and header stays the same for all.
    deliveryId: matching.length > 1 ? `${payload.eventId}#${i}` : payload.eventId,
    event: event.type,
    url: target.url,
    body,
    headersFor: (attempt: number) => ({
      'Togai-Event-Id': payload.eventId,
      'Togai-Event-Type': event.type,
      'Togai-Delivery-Attempt': String(attempt),
      'Togai-Signature': togaiSignatureHeader(target.secret, body, Math.floor(wallClockMs() / 1000)),
    }),
    policy: policy(retry),
  }));
}
