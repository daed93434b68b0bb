import type { ConnectionRecord, ConnectionSecrets, ConnectionSettings, ZuoraWebhookAuth } from './model.js';
import type { CredentialSide } from './errors.js';
import { maskSecret } from './secrets.js';

/**
 * What callers of the connection service see: the settings as stored, secrets masked, webhook
 * URLs built on the public base URL; and, once only, the webhook set-up in clear text.
 */

/**
 * A connection as the API and CLI show it: the stored settings (every top-level setting as it is,
 * flows and usageSyncMode included), secrets masked, webhook URLs added.
 */
export type ConnectionView = { id: string; name: string } & Omit<
  ConnectionSettings,
  'zuora' | 'togai' | 'webhooks'
> &
  ConnectionViewParts;

interface ConnectionViewParts {
  zuora: ConnectionSettings['zuora'] & {
    /** Present only for custom endpoints, so nobody mistakes a simulator for production. */
    endpointWarning?: string;
    clientSecret: string;
  };
  togai: ConnectionSettings['togai'] & { apiToken: string };
  webhooks: {
    zuora: {
      url: string;
      auth: ZuoraWebhookAuth;
      basicUsername?: string;
      basicPassword?: string;
      hmacSecret?: string;
    };
    togai: { url: string; hmacSecret: string };
    /** Set while the credentials before the last rotation are still accepted. */
    previousCredentialsValidUntil?: string;
  };
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** What to paste into Zuora's callout template and Togai's flow. Clear text, shown once. */
export interface WebhookSetup {
  zuora: {
    url: string;
    method: 'POST';
    auth: ZuoraWebhookAuth;
    basic?: { username: string; password: string };
    hmac?: { secret: string };
  };
  togai: { url: string; hmac: { secret: string } };
  notice: string;
}

const SETUP_NOTICE =
  'These webhook credentials are shown only now. Paste them into Zuora (callout template) and Togai (flow webhook); ' +
  'if lost, run rotate to get new ones.';

/** `${publicBaseUrl}/webhooks/{zuora|togai}/{id}`. */
export function webhookUrl(publicBaseUrl: string, side: CredentialSide, id: string): string {
  return `${publicBaseUrl}/webhooks/${side}/${id}`;
}

/**
 * The masked view. `secrets` undefined (listing does not decrypt): every secret shows as a bare mask.
 */
export function connectionView(
  r: Omit<ConnectionRecord, 'secrets'> & { secrets: ConnectionSecrets | undefined },
  publicBaseUrl: string,
  now: Date,
): ConnectionView {
  const { zuora, togai, webhooks, ...rest } = r.settings;
  const mask = (v: string | undefined): string | undefined =>
    r.secrets ? maskSecret(v) : v === undefined ? undefined : '****';
  const sec = r.secrets;
  const auth = webhooks.zuoraAuth;
  const prevUntil = sec?.previous?.validUntil;
  return {
    id: r.id,
    name: r.name,
    ...rest,
    zuora: {
      ...zuora,
      ...(zuora.customEndpoint
        ? { endpointWarning: 'CUSTOM ENDPOINT: not an official Zuora REST endpoint (simulator or proxy)' }
        : {}),
      clientSecret: mask(sec?.zuoraClientSecret ?? '') ?? '****',
    },
    togai: { ...togai, apiToken: mask(sec?.togaiApiToken ?? '') ?? '****' },
    webhooks: {
      zuora: {
        url: webhookUrl(publicBaseUrl, 'zuora', r.id),
        auth,
        ...(auth !== 'hmac'
          ? {
              basicUsername: webhooks.zuoraBasicUsername,
              basicPassword: mask(sec?.zuoraBasicPassword ?? ''),
            }
          : {}),
        ...(auth !== 'basic' ? { hmacSecret: mask(sec?.zuoraHmacSecret ?? '') } : {}),
      },
      togai: {
        url: webhookUrl(publicBaseUrl, 'togai', r.id),
        hmacSecret: mask(sec?.togaiHmacSecret ?? '') ?? '****',
      },
      ...(prevUntil && new Date(prevUntil) > now ? { previousCredentialsValidUntil: prevUntil } : {}),
    },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    version: r.version,
  };
}

/** The webhook credentials in clear, for the one answer that shows them (create, rotate). */
export function webhookSetup(r: ConnectionRecord, publicBaseUrl: string): WebhookSetup {
  const { secrets, settings } = r;
  const auth = settings.webhooks.zuoraAuth;
  return {
    zuora: {
      url: webhookUrl(publicBaseUrl, 'zuora', r.id),
      method: 'POST',
      auth,
      ...(auth !== 'hmac' && settings.webhooks.zuoraBasicUsername && secrets.zuoraBasicPassword
        ? { basic: { username: settings.webhooks.zuoraBasicUsername, password: secrets.zuoraBasicPassword } }
        : {}),
      ...(auth !== 'basic' && secrets.zuoraHmacSecret ? { hmac: { secret: secrets.zuoraHmacSecret } } : {}),
    },
    togai: { url: webhookUrl(publicBaseUrl, 'togai', r.id), hmac: { secret: secrets.togaiHmacSecret } },
    notice: SETUP_NOTICE,
  };
}
