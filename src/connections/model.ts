import { z } from 'zod';
import { createConnectionInputSchema, zuoraWebhookAuthSchema, type ConnectionSettings } from './settings.js';

export * from './settings.js';

/**
 * The connection model: one Zuora tenant paired with one Togai organization, the credentials to
 * call both, the credentials both use to call us (webhooks), and the per-pair sync settings.
 *
 * Non-secret settings and secrets are kept apart in the types so secrets cannot leak through
 * a `...spread` into a response or a log line: only `ConnectionSecrets` holds clear text.
 */

/** Zuora's official REST endpoints: the `servers` of Zuora's official OpenAPI spec. */
export const OFFICIAL_ZUORA_ENDPOINTS = [
  'https://rest.test.zuora.com',
  'https://rest.sandbox.na.zuora.com',
  'https://rest.apisandbox.zuora.com',
  'https://rest.na.zuora.com',
  'https://rest.zuora.com',
  'https://rest.test.eu.zuora.com',
  'https://rest.sandbox.eu.zuora.com',
  'https://rest.eu.zuora.com',
  'https://rest.test.ap.zuora.com',
  'https://rest.ap.zuora.com',
] as const;

export { CONNECTION_ID_PATTERN } from '../shared/ids.js';
import { CONNECTION_ID_PATTERN } from '../shared/ids.js';
/** Ids become part of Temporal workflow IDs (`zuora-account:{connectionId}:{zuoraAccountId}`). */
export const connectionIdSchema = z
  .string()
  .regex(CONNECTION_ID_PATTERN, 'expected a connection id like conn_k3v9x2m7q4p8');

/** Credentials from a previous rotation that stay valid until `validUntil` (a grace period). */
export const previousWebhookSecretsSchema = z.object({
  validUntil: z.string(),
  zuoraBasicPassword: z.string().optional(),
  zuoraHmacSecret: z.string().optional(),
  togaiHmacSecret: z.string().optional(),
});

/** The clear-text secrets of a connection. Encrypted as one blob at rest. */
export const connectionSecretsSchema = z.object({
  zuoraClientSecret: z.string(),
  togaiApiToken: z.string(),
  zuoraBasicPassword: z.string().optional(),
  zuoraHmacSecret: z.string().optional(),
  togaiHmacSecret: z.string(),
  previous: previousWebhookSecretsSchema.optional(),
});
export type ConnectionSecrets = z.infer<typeof connectionSecretsSchema>;

export interface ConnectionRecord {
  id: string;
  name: string;
  settings: ConnectionSettings;
  secrets: ConnectionSecrets;
  createdAt: string;
  updatedAt: string;
  /** Optimistic concurrency: replicas never overwrite each other's update silently. */
  version: number;
}

// ---- Inputs (API bodies, CLI files): create and update derive from the settings shape --------

export const rotateInputSchema = z
  .object({
    /** Regenerate the webhook credentials (default true). */
    webhooks: z.boolean().default(true),
    /** Switch the Zuora callout authentication while rotating. */
    zuoraAuth: zuoraWebhookAuthSchema.optional(),
    /** Keep the old webhook credentials valid this long, so Zuora/Togai can be updated calmly. */
    graceMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
    zuora: z
      .object({
        clientId: createConnectionInputSchema.shape.zuora.shape.clientId.optional(),
        clientSecret: createConnectionInputSchema.shape.zuora.shape.clientSecret,
      })
      .strict()
      .optional(),
    togai: z.object({ apiToken: createConnectionInputSchema.shape.togai.shape.apiToken }).strict().optional(),
  })
  .strict();
export type RotateInput = z.input<typeof rotateInputSchema>;
