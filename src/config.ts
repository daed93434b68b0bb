import { z } from 'zod';

/**
 * The one place the environment is read. Everything else receives a typed `Config`,
 * so a bad variable fails the process at start instead of in the middle of a sync.
 */

/** A whole number in a range; the message says the range, since zod's default ("received NaN") does not help. */
function wholeNumber(min: number, max: number, what = '') {
  const error = `expected a whole number from ${min} to ${max}${what}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const port = wholeNumber(1, 65535, ' (a TCP port)');
const hostPort = z
  .string()
  .regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. temporal.internal:7233 (no scheme)');

/** AES-256 needs exactly 32 bytes; base64 keeps the key printable (`openssl rand -base64 32`). */
const encryptionKey = z
  .string()
  .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 32, {
    message: 'expected 32 random bytes in base64, e.g. from `openssl rand -base64 32`',
  });
const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected 1-32 letters, digits, _ or -');

/** `id:base64key,id:base64key`: retired keys still needed to read rows written before a rotation. */
function parseOldKeys(raw: string, ctx: z.RefinementCtx): { id: string; key: string }[] {
  const keys: { id: string; key: string }[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const sep = entry.indexOf(':');
    const id = entry.slice(0, sep);
    const key = entry.slice(sep + 1);
    if (sep < 1 || !keyId.safeParse(id).success || !encryptionKey.safeParse(key).success) {
      // Never echo the entry: it holds key material.
      ctx.addIssue({ code: 'custom', message: `entry ${keys.length + 1} is not id:<32 bytes base64>` });
      continue;
    }
    keys.push({ id, key });
  }
  return keys;
}

/** `https://ui.example.com,http://localhost:8233`: the Web UI origins the codec server answers (CORS). */
function parseOrigins(raw: string, ctx: z.RefinementCtx): string[] {
  const origins: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === entry.replace(/\/+$/, ''))
        origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (!origin) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an origin (scheme://host[:port], no path)`,
      });
      continue;
    }
    origins.push(origin);
  }
  return origins;
}

const envSchema = z.object({
  TZS_MODE: z.enum(['dev', 'production']).default('dev'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATA_DIR: z.string().min(1).default('./.data'),

  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('togai-zuora-sync'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_CLI_DOWNLOAD: z.enum(['0', '1']).default('0'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_DEV_HTTP_PORT: port.default(7243),
  TEMPORAL_DEV_METRICS_PORT: port.default(7244),

  DEMO_MODE: z.enum(['auto', 'on', 'off']).default('auto'),
  DEMO_ZUORA_PORT: port.default(4010),
  DEMO_TOGAI_PORT: port.default(4020),

  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_PORT: port.default(3000),

  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  WORKER_METRICS_PORT: wholeNumber(0, 65535, ' (a TCP port; 0: no metrics)').default(9464),
  GATEWAY_METRICS_PORT: wholeNumber(0, 65535, ' (a TCP port; 0: no metrics)').default(9465),

  ZUORA_WEBHOOK_HMAC_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an HTTP header name')
    .default('X-Zuora-Signature'),
  ZUORA_WEBHOOK_HMAC_ALGORITHM: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
  ZUORA_WEBHOOK_HMAC_ENCODING: z.enum(['base64', 'hex']).default('base64'),
  TOGAI_WEBHOOK_TOLERANCE_SECONDS: wholeNumber(1, 86_400).default(300),
  WEBHOOK_TEMPORAL_TIMEOUT_MS: wholeNumber(100, 20_000).default(10_000),

  WORKER_MAX_CONCURRENT_ACTIVITIES: wholeNumber(1, 10_000).default(200),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: wholeNumber(1, 10_000).default(100),
  // Sticky cache: each cached run holds its isolate state (~1 MB with the workflow bundle's
  // objects). 250 covers the syncs in flight of several connections (each bounded by
  // maxInFlightInvoiceSyncs); an evicted run replays its history on its next task.
  WORKER_MAX_CACHED_WORKFLOWS: wholeNumber(0, 100_000).default(250),

  INVOICE_SWEEP_INTERVAL_SECONDS: wholeNumber(10, 86_400).default(300),
  INVOICE_SWEEP_OVERLAP_SECONDS: wholeNumber(0, 7 * 86_400).default(3_600),

  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL, e.g. https://sync.example.com' })
    .optional(),
  ADMIN_TOKEN: z.string().min(24, 'ADMIN_TOKEN must be at least 24 characters').optional(),
  TZS_ENCRYPTION_KEY: encryptionKey.optional(),
  TZS_ENCRYPTION_KEY_ID: keyId.default('k1'),
  TZS_ENCRYPTION_OLD_KEYS: z
    .string()
    .transform((s, ctx) => parseOldKeys(s, ctx))
    .optional(),
  CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  CODEC_SERVER_PORT: port.default(8081),
  CODEC_SERVER_TOKEN: z.string().min(24, 'CODEC_SERVER_TOKEN must be at least 24 characters').optional(),
  CODEC_SERVER_ORIGINS: z
    .string()
    .transform((s, ctx) => parseOrigins(s, ctx))
    .optional(),
  CODEC_SERVER_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL, e.g. https://codec.example.com' })
    .optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user:password@host:port/database' })
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier')
    .default('public'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  mode: Env['TZS_MODE'];
  logLevel: Env['LOG_LEVEL'];
  /** auto: readable lines on a terminal, JSON otherwise (src/logger.ts). */
  logFormat: Env['LOG_FORMAT'];
  /** Prometheus endpoints (`/metrics`); port 0 turns one off. */
  metrics: { host: string; workerPort: number; gatewayPort: number };
  dataDir: string;
  temporal: {
    /** Unset means "start the bundled dev server" (all-in-one mode). */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    /** Tests only: let @temporalio/testing download the CLI when none can be found or built. */
    allowSdkDownload: boolean;
    devPort: number;
    uiPort: number;
    /** The dev server's HTTP API and its /metrics (all-in-one mode). */
    devHttpPort: number;
    devMetricsPort: number;
  };
  gateway: { host: string; port: number };
  /** Demo mode of `npm start` (src/demo.ts): simulators plus a sandbox connection. */
  demo: { mode: 'auto' | 'on' | 'off'; zuoraPort: number; togaiPort: number };
  webhooks: WebhookSettings;
  worker: { maxConcurrentActivities: number; maxConcurrentWorkflowTasks: number; maxCachedWorkflows: number };
  /** The per-connection invoice sweep schedule (src/temporal/schedules.ts). */
  invoiceSweep: { intervalSeconds: number; overlapSeconds: number };
  /** What operators paste into Zuora and Togai: webhook URLs are built on it. */
  publicBaseUrl: string;
  /** Unset in dev mode: the gateway generates one under DATA_DIR (src/api/admin.ts). */
  adminToken: string | undefined;
  encryption: {
    /** Base64 of 32 bytes. Unset is only allowed in dev mode (a local key file is created). */
    key: string | undefined;
    keyId: string;
    /** Retired keys, for decrypting rows not yet re-encrypted. */
    oldKeys: { id: string; key: string }[];
  };
  /**
   * The codec server (src/api/codec-server.ts): decodes payloads for the Web UI and the temporal CLI.
   * `token` unset is only allowed in dev mode (a token is generated under DATA_DIR).
   */
  codecServer: {
    host: string;
    port: number;
    token: string | undefined;
    /** Web UI origins allowed by CORS; default the dev server's UI (localhost and 127.0.0.1). */
    origins: string[];
    /** The URL browsers and the CLI use (`--ui-codec-endpoint`, `--codec-endpoint`). */
    publicUrl: string;
  };
  database: {
    /** Unset: SQLite under DATA_DIR. Set: PostgreSQL, shared by replicas. */
    url: string | undefined;
    schema: string;
  };
}

/** How the webhook routes authenticate callers and how long they wait for Temporal. */
export interface WebhookSettings {
  /** Zuora callout templates let the user choose the HMAC header, algorithm and encoding; these must match. */
  zuoraHmac: { header: string; algorithm: 'sha1' | 'sha256' | 'sha512'; encoding: 'base64' | 'hex' };
  /** A Togai signature whose timestamp is further than this from now is refused (replay guard). */
  togaiToleranceSeconds: number;
  /** Budget for the Temporal calls of one delivery; well under Zuora's 25 s callout timeout. */
  temporalTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example.`);
    this.name = 'ConfigError';
  }
}

/** Pure: tests build configs from literal environments. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings come from `FOO=` lines in .env files; treat them as unset.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`),
    );
  }
  const e = parsed.data;
  if (e.TZS_MODE === 'production' && !e.TZS_ENCRYPTION_KEY) {
    throw new ConfigError([
      'TZS_ENCRYPTION_KEY: required when TZS_MODE=production (connection secrets are encrypted with it); ' +
        'generate one with `openssl rand -base64 32`',
    ]);
  }
  if (e.TZS_ENCRYPTION_OLD_KEYS?.some((k) => k.id === e.TZS_ENCRYPTION_KEY_ID)) {
    throw new ConfigError(['TZS_ENCRYPTION_OLD_KEYS: must not contain the current TZS_ENCRYPTION_KEY_ID']);
  }
  return {
    mode: e.TZS_MODE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    metrics: { host: e.METRICS_HOST, workerPort: e.WORKER_METRICS_PORT, gatewayPort: e.GATEWAY_METRICS_PORT },
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      allowSdkDownload: e.TEMPORAL_CLI_DOWNLOAD === '1',
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      devHttpPort: e.TEMPORAL_DEV_HTTP_PORT,
      devMetricsPort: e.TEMPORAL_DEV_METRICS_PORT,
    },
    demo: { mode: e.DEMO_MODE, zuoraPort: e.DEMO_ZUORA_PORT, togaiPort: e.DEMO_TOGAI_PORT },
    gateway: { host: e.GATEWAY_HOST, port: e.GATEWAY_PORT },
    webhooks: {
      zuoraHmac: {
        header: e.ZUORA_WEBHOOK_HMAC_HEADER,
        algorithm: e.ZUORA_WEBHOOK_HMAC_ALGORITHM,
        encoding: e.ZUORA_WEBHOOK_HMAC_ENCODING,
      },
      togaiToleranceSeconds: e.TOGAI_WEBHOOK_TOLERANCE_SECONDS,
      temporalTimeoutMs: e.WEBHOOK_TEMPORAL_TIMEOUT_MS,
    },
    worker: {
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    },
    invoiceSweep: {
      intervalSeconds: e.INVOICE_SWEEP_INTERVAL_SECONDS,
      overlapSeconds: e.INVOICE_SWEEP_OVERLAP_SECONDS,
    },
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.GATEWAY_PORT}`).replace(/\/+$/, ''),
    adminToken: e.ADMIN_TOKEN,
    encryption: {
      key: e.TZS_ENCRYPTION_KEY,
      keyId: e.TZS_ENCRYPTION_KEY_ID,
      oldKeys: e.TZS_ENCRYPTION_OLD_KEYS ?? [],
    },
    codecServer: {
      host: e.CODEC_SERVER_HOST,
      port: e.CODEC_SERVER_PORT,
      token: e.CODEC_SERVER_TOKEN,
      origins: e.CODEC_SERVER_ORIGINS ?? [
        `http://localhost:${e.TEMPORAL_UI_PORT}`,
        `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`,
      ],
      // The same host as the dev server's Web UI (127.0.0.1): the login cookie is sent only within a site.
      publicUrl: (e.CODEC_SERVER_PUBLIC_URL ?? `http://127.0.0.1:${e.CODEC_SERVER_PORT}`).replace(/\/+$/, ''),
    },
    database: { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA },
  };
}

/** Exit code of a process stopped by its configuration (sysexits.h `EX_CONFIG`). */
export const EXIT_CONFIG = 78;

let cached: Config | undefined;

/** The process-wide config, read once. Entry points call this; libraries take a Config argument. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}

/**
 * For entry points (`npm start`, worker, gateway): the config, or, when the environment is wrong,
 * one line per bad variable on stderr (what it must be; never its value, which may be a secret)
 * and exit `EXIT_CONFIG` without a stack trace. Other errors are thrown on.
 */
export function getConfigOrExit(): Config {
  try {
    return getConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
