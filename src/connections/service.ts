import { z } from 'zod';
import type { Logger } from '../logger.js';
import { customFieldProblemText, requiredCustomFields, type RequiredCustomField } from './custom-fields.js';
import { checkTogaiBaseUrl, checkZuoraEndpoint } from './endpoints.js';
import {
  ConnectionNotFoundError,
  ConnectionValidationError,
  CredentialVerificationError,
  type CredentialSide,
} from './errors.js';
import {
  CONNECTION_ID_PATTERN,
  billingProblems,
  createConnectionInputSchema,
  rotateInputSchema,
  updateConnectionInputSchema,
  type ConnectionRecord,
  type ConnectionSecrets,
  type ConnectionSettings,
} from './model.js';
import { generateConnectionId, scrubSecrets } from './secrets.js';
import type { ConnectionStore } from './store.js';
import { reencryptStaleRows } from './reencrypt.js';
import { verifyCredentials } from './verification.js';
import type { CredentialVerifier } from './verifier.js';
import { connectionView, webhookSetup, type ConnectionView, type WebhookSetup } from './views.js';
import {
  isConnectionId,
  newWebhookSecrets,
  webhookCredentialsOf,
  type WebhookCredentials,
} from './webhook-credentials.js';

export type { ConnectionView, WebhookSetup } from './views.js';
export type { WebhookCredentials } from './webhook-credentials.js';

/**
 * The one implementation of connection management, used by the admin API and the CLI alike.
 * Everything it returns to a caller is masked, except the webhook credentials in the result of
 * `create` and `rotate`: the operator must paste them into Zuora and Togai, and they are shown
 * that once only.
 */

export interface ConnectionServiceDeps {
  store: ConnectionStore;
  verifier: CredentialVerifier;
  log: Logger;
  /** Webhook URLs are `${publicBaseUrl}/webhooks/{zuora|togai}/{id}`. */
  publicBaseUrl: string;
  /** How long one side's credential check may take. */
  verifyTimeoutMs?: number;
  now?: () => Date;
}

export interface ConnectionWithSetup {
  connection: ConnectionView;
  /** Absent when a rotation kept the webhook credentials (only API credentials changed). */
  setup?: WebhookSetup;
}

export interface SideResult {
  ok: boolean;
  /** Why it failed; absent when ok. */
  reason?: string;
  /** Zuora: the custom fields the switched-on flows need that the tenant lacks (`Object.Name__c`). */
  customFields?: { missing: string[]; notFilterable: string[] };
}
export interface TestResult {
  id: string;
  ok: boolean;
  zuora: SideResult;
  togai: SideResult;
}

export class ConnectionService {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly verifyTimeoutMs: number;

  constructor(private readonly deps: ConnectionServiceDeps) {
    this.log = deps.log.child({ component: 'connections' });
    this.now = deps.now ?? (() => new Date());
    this.verifyTimeoutMs = deps.verifyTimeoutMs ?? 20_000;
  }

  async create(input: unknown): Promise<Required<ConnectionWithSetup>> {
    const parsed = parseOrThrow(createConnectionInputSchema, input);
    const zuora = checkZuoraEndpoint(parsed.zuora.endpoint, parsed.zuora.customEndpoint);
    const togai = checkTogaiBaseUrl(parsed.togai.baseUrl);
    const problems = [zuora, togai].flatMap((c) => (c.ok ? [] : [c.problem]));
    if (!zuora.ok || !togai.ok) throw new ConnectionValidationError(problems);

    const id = generateConnectionId();
    const { name: _name, ...tree } = parsed;
    const settings: ConnectionSettings = {
      ...tree,
      zuora: {
        ...omit(parsed.zuora, 'clientSecret'),
        endpoint: zuora.url,
        customEndpoint: zuora.customEndpoint,
      },
      togai: { ...omit(parsed.togai, 'apiToken'), baseUrl: togai.url },
      webhooks: { zuoraAuth: parsed.webhooks.zuoraAuth },
      // A new connection has only ever written usage records under today's keys.
      usageRecordKeys: 'v2',
    };
    settings.usageSyncMode = impliedUsageSyncMode(settings, hasKey(input, 'usageSyncMode'));
    const billing = billingProblems(settings);
    if (billing.length > 0) throw new ConnectionValidationError(billing);
    const webhookSecrets = newWebhookSecrets(id, parsed.webhooks.zuoraAuth);
    settings.webhooks.zuoraBasicUsername = webhookSecrets.basicUsername;
    const secrets: ConnectionSecrets = {
      zuoraClientSecret: parsed.zuora.clientSecret,
      togaiApiToken: parsed.togai.apiToken,
      ...webhookSecrets.secrets,
    };

    if (await this.deps.store.getByName(parsed.name)) {
      throw new ConnectionValidationError([
        `name: a connection named ${JSON.stringify(parsed.name)} already exists`,
      ]);
    }
    await this.verifyOrThrow({ settings, secrets }, ['zuora', 'togai'], undefined);

    const at = this.now().toISOString();
    const record: ConnectionRecord = {
      id,
      name: parsed.name,
      settings,
      secrets,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.insert(record);
    this.log.info(
      {
        connectionId: id,
        name: record.name,
        zuoraEndpoint: settings.zuora.endpoint,
        custom: zuora.customEndpoint,
      },
      'connection created',
    );
    return { connection: this.view(record), setup: this.setup(record) };
  }

  async list(): Promise<ConnectionView[]> {
    const rows = await this.deps.store.list();
    // Listing shows settings only; secrets stay encrypted (and a row on a missing key still lists).
    return rows.map((r) => this.view({ ...r, secrets: undefined }));
  }

  async get(idOrName: string): Promise<ConnectionView> {
    return this.view(await this.load(idOrName));
  }

  async update(idOrName: string, input: unknown): Promise<ConnectionView> {
    const patch = parseOrThrow(updateConnectionInputSchema, input);
    const current = await this.load(idOrName);
    const s = current.settings;
    const z0 = patch.zuora ?? {};
    const t0 = patch.togai ?? {};

    const zuora = checkZuoraEndpoint(
      z0.endpoint ?? s.zuora.endpoint,
      z0.customEndpoint ?? s.zuora.customEndpoint,
    );
    const togai = checkTogaiBaseUrl(t0.baseUrl ?? s.togai.baseUrl);
    if (!zuora.ok || !togai.ok) {
      throw new ConnectionValidationError([zuora, togai].flatMap((c) => (c.ok ? [] : [c.problem])));
    }
    const settings: ConnectionSettings = {
      ...s,
      zuora: {
        ...s.zuora,
        ...definedOnly({ ...z0, customFields: undefined, currencyDecimals: undefined }),
        endpoint: zuora.url,
        customEndpoint: zuora.customEndpoint,
        customFields: { ...s.zuora.customFields, ...definedOnly(z0.customFields ?? {}) },
        // A record is replaced whole (the update schema takes it as one value).
        currencyDecimals:
          (z0.currencyDecimals as Record<string, number> | undefined) ?? s.zuora.currencyDecimals,
      },
      togai: { ...s.togai, ...definedOnly(t0), baseUrl: togai.url },
      flows: { ...s.flows, ...definedOnly(patch.flows ?? {}) },
      usageSyncMode: patch.usageSyncMode ?? s.usageSyncMode,
      reconciliation: { ...s.reconciliation, ...definedOnly(patch.reconciliation ?? {}) },
      ...definedOnly({ maxInFlightInvoiceSyncs: patch.maxInFlightInvoiceSyncs ?? s.maxInFlightInvoiceSyncs }),
    };
    // Setting any flow is choosing them: the upgrade notice goes away.
    if (patch.flows !== undefined) delete settings.flowsChosen;
    settings.usageSyncMode = impliedUsageSyncMode(settings, patch.usageSyncMode !== undefined);
    const billing = billingProblems(settings);
    if (billing.length > 0) throw new ConnectionValidationError(billing);
    const sides: CredentialSide[] = [];
    if (settings.zuora.endpoint !== s.zuora.endpoint || settings.zuora.clientId !== s.zuora.clientId) {
      sides.push('zuora');
    }
    if (settings.togai.baseUrl !== s.togai.baseUrl) sides.push('togai');
    if (patch.name && patch.name.toLowerCase() !== current.name.toLowerCase()) {
      if (await this.deps.store.getByName(patch.name)) {
        throw new ConnectionValidationError([
          `name: a connection named ${JSON.stringify(patch.name)} already exists`,
        ]);
      }
    }
    await this.verifyOrThrow({ settings, secrets: current.secrets }, sides, current.id);

    const next = this.bump(current, { name: patch.name ?? current.name, settings });
    await this.save(next, current.version);
    this.log.info({ connectionId: current.id, reverified: sides }, 'connection updated');
    return this.view(next);
  }

  /** Re-checks both sides' credentials; never throws for a refusal, it reports it. */
  async test(idOrName: string): Promise<TestResult> {
    const record = await this.load(idOrName);
    const failures = await this.verify(record, ['zuora', 'togai']);
    const side = (s: CredentialSide): SideResult => {
      const f = failures.find((x) => x.side === s);
      return f ? { ok: false, reason: f.reason } : { ok: true };
    };
    const zuora = side('zuora');
    // With working credentials: does the tenant have the custom fields the flows write and find by?
    if (zuora.ok && this.deps.verifier.checkZuoraCustomFields) {
      const fields = await this.checkCustomFields(record);
      if (fields) Object.assign(zuora, fields);
    }
    const result = { id: record.id, ok: zuora.ok && failures.length === 0, zuora, togai: side('togai') };
    if (result.ok) this.log.info({ connectionId: record.id }, 'connection test passed');
    else this.log.warn({ connectionId: record.id, failures }, 'connection test failed');
    return result;
  }

  /**
   * Regenerates the webhook credentials (unless `webhooks: false`) and/or replaces the API
   * credentials, which are verified first. Old webhook credentials stay valid for `graceMinutes`.
   */
  async rotate(idOrName: string, input: unknown = {}): Promise<ConnectionWithSetup> {
    const opts = parseOrThrow(rotateInputSchema, input);
    const current = await this.load(idOrName);
    const settings: ConnectionSettings = structuredClone(current.settings);
    let secrets: ConnectionSecrets = { ...current.secrets };
    const sides: CredentialSide[] = [];
    if (opts.zuora) {
      settings.zuora.clientId = opts.zuora.clientId ?? settings.zuora.clientId;
      secrets.zuoraClientSecret = opts.zuora.clientSecret;
      sides.push('zuora');
    }
    if (opts.togai) {
      secrets.togaiApiToken = opts.togai.apiToken;
      sides.push('togai');
    }
    await this.verifyOrThrow({ settings, secrets }, sides, current.id);

    const rotateWebhooks = opts.webhooks || opts.zuoraAuth !== undefined;
    if (rotateWebhooks) {
      const auth = opts.zuoraAuth ?? settings.webhooks.zuoraAuth;
      const fresh = newWebhookSecrets(current.id, auth);
      const previous =
        opts.graceMinutes > 0
          ? {
              validUntil: new Date(this.now().getTime() + opts.graceMinutes * 60_000).toISOString(),
              zuoraBasicPassword: current.secrets.zuoraBasicPassword,
              zuoraHmacSecret: current.secrets.zuoraHmacSecret,
              togaiHmacSecret: current.secrets.togaiHmacSecret,
            }
          : undefined;
      settings.webhooks = { zuoraAuth: auth, zuoraBasicUsername: fresh.basicUsername };
      secrets = {
        zuoraClientSecret: secrets.zuoraClientSecret,
        togaiApiToken: secrets.togaiApiToken,
        ...fresh.secrets,
        ...(previous ? { previous } : {}),
      };
    }
    const next = this.bump(current, { settings, secrets });
    await this.save(next, current.version);
    this.log.info(
      {
        connectionId: current.id,
        webhooks: rotateWebhooks,
        apiCredentials: sides,
        graceMinutes: opts.graceMinutes,
      },
      'connection credentials rotated',
    );
    return { connection: this.view(next), ...(rotateWebhooks ? { setup: this.setup(next) } : {}) };
  }

  async remove(idOrName: string): Promise<{ id: string; name: string }> {
    const record = await this.load(idOrName);
    if (!(await this.deps.store.delete(record.id))) throw new ConnectionNotFoundError(idOrName);
    this.log.info({ connectionId: record.id, name: record.name }, 'connection removed');
    return { id: record.id, name: record.name };
  }

  /**
   * The full connection, secrets in clear. For activities only (workflows carry the id, never
   * secrets): never return it over HTTP or log it.
   */
  async resolve(id: string): Promise<ConnectionRecord> {
    const record = await this.deps.store.get(id);
    if (!record) throw new ConnectionNotFoundError(id);
    return record;
  }

  /** For webhook routes: the credentials a callout may present right now. Undefined: no such connection. */
  async webhookCredentials(id: string): Promise<WebhookCredentials | undefined> {
    if (!isConnectionId(id)) return undefined;
    const record = await this.deps.store.get(id);
    return record ? webhookCredentialsOf(record, this.now()) : undefined;
  }

  /** After a key rotation: rewrites every row still encrypted with a retired key. */
  async reencryptAll(currentKeyId: string): Promise<{ reencrypted: string[] }> {
    const done = await reencryptStaleRows(this.deps.store, currentKeyId, (r) => this.bump(r, {}));
    this.log.info({ count: done.length, keyId: currentKeyId }, 'connections re-encrypted');
    return { reencrypted: done };
  }

  // ---- internals ---------------------------------------------------------------------------

  private async load(idOrName: string): Promise<ConnectionRecord> {
    const record = CONNECTION_ID_PATTERN.test(idOrName)
      ? await this.deps.store.get(idOrName)
      : await this.deps.store.getByName(idOrName);
    if (!record) throw new ConnectionNotFoundError(idOrName);
    return record;
  }

  private bump(record: ConnectionRecord, changes: Partial<ConnectionRecord>): ConnectionRecord {
    return { ...record, ...changes, updatedAt: this.now().toISOString(), version: record.version + 1 };
  }

  private async save(next: ConnectionRecord, expectedVersion: number): Promise<void> {
    if (!(await this.deps.store.update(next, expectedVersion))) throw new ConnectionNotFoundError(next.id);
  }

  private async verifyOrThrow(
    c: Pick<ConnectionRecord, 'settings' | 'secrets'>,
    sides: CredentialSide[],
    connectionId: string | undefined,
  ): Promise<void> {
    const failures = await this.verify(c, sides);
    if (failures.length > 0) {
      this.log.warn({ connectionId, failures }, 'credentials refused');
      throw new CredentialVerificationError(failures);
    }
  }

  private verify(
    c: Pick<ConnectionRecord, 'settings' | 'secrets'>,
    sides: CredentialSide[],
  ): ReturnType<typeof verifyCredentials> {
    return verifyCredentials(this.deps.verifier, c, sides, this.verifyTimeoutMs);
  }

  /** The tenant's custom fields against what the flows need; undefined when nothing is wrong. */
  private async checkCustomFields(record: ConnectionRecord): Promise<SideResult | undefined> {
    const verifier = this.deps.verifier;
    if (!verifier.checkZuoraCustomFields) return undefined;
    const required = requiredCustomFields(record.settings);
    const names = (fields: RequiredCustomField[]): string[] => fields.map((f) => `${f.object}.${f.name}`);
    try {
      const problems = await verifier.checkZuoraCustomFields(
        {
          endpoint: record.settings.zuora.endpoint,
          clientId: record.settings.zuora.clientId,
          clientSecret: record.secrets.zuoraClientSecret,
        },
        required,
        AbortSignal.timeout(this.verifyTimeoutMs),
      );
      const reason = customFieldProblemText(problems);
      return reason === undefined
        ? undefined
        : {
            ok: false,
            reason,
            customFields: { missing: names(problems.missing), notFilterable: names(problems.notFilterable) },
          };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        reason: `custom fields could not be checked: ${scrubSecrets(message, [record.secrets.zuoraClientSecret])}`,
      };
    }
  }

  private view(r: Parameters<typeof connectionView>[0]): ConnectionView {
    return connectionView(r, this.deps.publicBaseUrl, this.now());
  }

  private setup(r: ConnectionRecord): WebhookSetup {
    return webhookSetup(r, this.deps.publicBaseUrl);
  }
}

function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConnectionValidationError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/**
 * With exactly one usage flow on, meters that name no mode use that flow's: the user who switched
 * on only flow 5 means revenue. An explicit usageSyncMode is kept (and checked by billingProblems).
 */
function impliedUsageSyncMode(
  settings: ConnectionSettings,
  explicit: boolean,
): ConnectionSettings['usageSyncMode'] {
  const { usageQuantity, usageRevenue } = settings.flows;
  if (explicit || usageQuantity === usageRevenue) return settings.usageSyncMode;
  return usageQuantity ? 'quantity' : 'revenue';
}

function hasKey(input: unknown, key: string): boolean {
  return (
    typeof input === 'object' &&
    input !== null &&
    key in input &&
    (input as Record<string, unknown>)[key] !== undefined
  );
}

function omit<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = o;
  return rest;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
