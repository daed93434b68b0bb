import { z } from 'zod';

/**
 * The one place the environment is read. Everything else receives a typed `Config`,
 * so a bad variable fails the process at start instead of in the middle of a sync.
 */

const port = z.coerce.number().int().min(1).max(65535);
const hostPort = z
  .string()
  .regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. temporal.internal:7233 (no scheme)');

const envSchema = z.object({
  TZS_MODE: z.enum(['dev', 'production']).default('dev'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('./.data'),

  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('togai-zuora-sync'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_CLI_DOWNLOAD: z.enum(['0', '1']).default('0'),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),

  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_PORT: port.default(3000),

  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(200),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).max(10_000).default(100),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  mode: Env['TZS_MODE'];
  logLevel: Env['LOG_LEVEL'];
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
  };
  gateway: { host: string; port: number };
  worker: { maxConcurrentActivities: number; maxConcurrentWorkflowTasks: number };
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
  return {
    mode: e.TZS_MODE,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      allowSdkDownload: e.TEMPORAL_CLI_DOWNLOAD === '1',
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    gateway: { host: e.GATEWAY_HOST, port: e.GATEWAY_PORT },
    worker: {
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    },
  };
}

let cached: Config | undefined;

/** The process-wide config, read once. Entry points call this; libraries take a Config argument. */
export function getConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}
