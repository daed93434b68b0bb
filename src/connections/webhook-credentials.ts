import type { ConnectionRecord, ConnectionSecrets, Flows, ZuoraWebhookAuth } from './model.js';
import { CONNECTION_ID_PATTERN } from './model.js';
import { generateSecret } from './secrets.js';
import { invoiceSyncBound } from './settings.js';

/**
 * The credentials Zuora and Togai present when they call our webhooks: generated when a
 * connection is created or rotated, checked by the gateway on every delivery (with the previous
 * ones during a rotation's grace period).
 */

/** For webhook routes: every credential currently accepted (current ones first), and the flows that run. */
export interface WebhookCredentials {
  connectionId: string;
  /** A delivery for a flow that is off is acknowledged and starts nothing. */
  flows: Flows;
  /** Invoice syncs in flight at once (`invoiceSyncBound`): past it, an invoice waits for the sweep. */
  maxInFlightInvoiceSyncs: number;
  zuora: { auth: ZuoraWebhookAuth; basicUsername?: string; basicPasswords: string[]; hmacSecrets: string[] };
  togai: { hmacSecrets: string[] };
}

/** Fresh webhook secrets for a connection; Basic auth's user name is derived from its id. */
export function newWebhookSecrets(
  id: string,
  auth: ZuoraWebhookAuth,
): {
  basicUsername: string | undefined;
  secrets: Pick<ConnectionSecrets, 'zuoraBasicPassword' | 'zuoraHmacSecret' | 'togaiHmacSecret'>;
} {
  const basic = auth !== 'hmac';
  const hmac = auth !== 'basic';
  return {
    basicUsername: basic ? `zuora-${id}` : undefined,
    secrets: {
      ...(basic ? { zuoraBasicPassword: generateSecret() } : {}),
      ...(hmac ? { zuoraHmacSecret: generateSecret() } : {}),
      togaiHmacSecret: generateSecret(),
    },
  };
}

/** What a delivery may present right now: current credentials, plus the previous ones in grace. */
export function webhookCredentialsOf(record: ConnectionRecord, now: Date): WebhookCredentials {
  const { secrets, settings } = record;
  const prev = secrets.previous && new Date(secrets.previous.validUntil) > now ? secrets.previous : undefined;
  const list = (...xs: (string | undefined)[]): string[] => xs.filter((x): x is string => !!x);
  return {
    connectionId: record.id,
    flows: settings.flows,
    maxInFlightInvoiceSyncs: invoiceSyncBound(settings),
    zuora: {
      auth: settings.webhooks.zuoraAuth,
      basicUsername: settings.webhooks.zuoraBasicUsername,
      basicPasswords: list(secrets.zuoraBasicPassword, prev?.zuoraBasicPassword),
      hmacSecrets: list(secrets.zuoraHmacSecret, prev?.zuoraHmacSecret),
    },
    togai: { hmacSecrets: list(secrets.togaiHmacSecret, prev?.togaiHmacSecret) },
  };
}

/** Only well-formed ids reach the store: a webhook path is attacker-controlled. */
export function isConnectionId(id: string): boolean {
  return CONNECTION_ID_PATTERN.test(id);
}
