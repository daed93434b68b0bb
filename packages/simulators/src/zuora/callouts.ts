import { randomUUID } from 'node:crypto';
import { hmacSignature, type DeliveryPolicy, type WebhookDispatcher } from '../common/webhooks.js';
import type { CalloutConfig } from './options.js';

/** Statuses Zuora retries a retriable callout on (besides connection failures and timeouts). */
function isRetriable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return (
    (status >= 100 && status < 200) || status === 403 || status === 408 || status === 429 || status >= 500
  );
}

/**
 * Fires the account-creation callout, as a Zuora callout template configured for it would:
 * POST `{"AccountId": "<id>"}`, optional preemptive Basic auth, optional HMAC signature header over
 * the body, `Zuora-Notification-Id` stable across attempts and a fresh `Zuora-Request-Id` per
 * attempt. Only HTTP 200 counts as delivered.
 */
export function fireAccountCreatedCallout(
  dispatcher: WebhookDispatcher,
  config: CalloutConfig | undefined,
  accountId: string,
): string | undefined {
  if (!config) return undefined;
  const notificationId = randomUUID();
  const body = JSON.stringify({ AccountId: accountId });
  const policy: DeliveryPolicy = {
    maxAttempts: config.attempts,
    retryDelayMs: () => config.intervalMs,
    timeoutMs: config.timeoutMs,
    isDelivered: (status) => status === 200,
    isRetriable,
  };
  dispatcher.dispatch({
    deliveryId: notificationId,
    event: 'AccountCreated',
    url: config.url,
    body,
    policy,
    headersFor: () => {
      const headers: Record<string, string> = {
        'Zuora-Notification-Id': notificationId,
        'Zuora-Request-Id': randomUUID(),
      };
      if (config.basicAuth) {
        const raw = `${config.basicAuth.username}:${config.basicAuth.password}`;
        headers['Authorization'] = `Basic ${Buffer.from(raw).toString('base64')}`;
      }
      if (config.signature) {
        const s = config.signature;
        headers[s.header] = hmacSignature(s.algorithm, s.secret, body, s.encoding);
      }
      return headers;
    },
  });
  return notificationId;
}
