/**
 * Runs the Zuora simulator alone (`npm run sim:zuora`), configured from the environment:
 *
 *   ZUORA_SIM_PORT (4010), ZUORA_SIM_HOST (127.0.0.1)
 *   ZUORA_SIM_CLIENT_ID (a UUID), ZUORA_SIM_CLIENT_SECRET, ZUORA_SIM_TOKEN_TTL_SECONDS (3599)
 *   ZUORA_SIM_CONCURRENCY_LIMIT (40), ZUORA_SIM_RATE_LIMIT_PER_MINUTE (50000)
 *   ZUORA_SIM_CURRENCY (USD), ZUORA_SIM_SEED_FILE (JSON or YAML: {accounts, subscriptions})
 *   ZUORA_SIM_TIME_ZONE (America/Los_Angeles), ZUORA_SIM_CURRENCY_DECIMALS (e.g. JPY=0,KWD=3)
 *   ZUORA_SIM_CALLOUT_URL, ZUORA_SIM_CALLOUT_USERNAME, ZUORA_SIM_CALLOUT_PASSWORD,
 *   ZUORA_SIM_CALLOUT_HMAC_SECRET, ZUORA_SIM_CALLOUT_HMAC_ALGORITHM (sha256),
 *   ZUORA_SIM_CALLOUT_HMAC_HEADER (X-Zuora-Signature), ZUORA_SIM_CALLOUT_ATTEMPTS (3),
 *   ZUORA_SIM_CALLOUT_INTERVAL_MS (1800000)
 *   ZUORA_SIM_FAULTS (JSON array of fault rules, see src/common/faults.ts)
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseFaultRules } from '../common/faults.js';
import { ADMIN_PREFIX } from '../common/admin.js';
import type { ZuoraSimulatorOptions } from './options.js';
import { startZuoraSimulator } from './simulator.js';

const envSchema = z.object({
  ZUORA_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  ZUORA_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  ZUORA_SIM_CLIENT_ID: z.string().length(36).default('00000000-0000-4000-8000-000000000001'),
  ZUORA_SIM_CLIENT_SECRET: z.string().min(1).max(42).default('simulator-secret'),
  ZUORA_SIM_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).default(3599),
  ZUORA_SIM_CONCURRENCY_LIMIT: z.coerce.number().int().min(1).default(40),
  ZUORA_SIM_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(50_000),
  ZUORA_SIM_CURRENCY: z.string().length(3).default('USD'),
  ZUORA_SIM_SEED_FILE: z.string().min(1).optional(),
  ZUORA_SIM_TIME_ZONE: z.string().min(1).optional(),
  ZUORA_SIM_CURRENCY_DECIMALS: z
    .string()
    .regex(/^[A-Za-z]{3}=\d(,[A-Za-z]{3}=\d)*$/, 'CUR=digits pairs separated by commas, e.g. JPY=0,KWD=3')
    .optional(),
  ZUORA_SIM_CALLOUT_URL: z.string().url().optional(),
  ZUORA_SIM_CALLOUT_USERNAME: z.string().optional(),
  ZUORA_SIM_CALLOUT_PASSWORD: z.string().optional(),
  ZUORA_SIM_CALLOUT_HMAC_SECRET: z.string().min(1).optional(),
  ZUORA_SIM_CALLOUT_HMAC_ALGORITHM: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
  ZUORA_SIM_CALLOUT_HMAC_HEADER: z.string().min(1).default('X-Zuora-Signature'),
  ZUORA_SIM_CALLOUT_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(3),
  ZUORA_SIM_CALLOUT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 60_000),
  ZUORA_SIM_FAULTS: z.string().optional(),
});

/** Simulator options from an environment (pure: tests pass literal environments). */
export function zuoraOptionsFromEnv(env: NodeJS.ProcessEnv): {
  options: ZuoraSimulatorOptions;
  port: number;
  host: string;
} {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const e = envSchema.parse(cleaned);
  const options: ZuoraSimulatorOptions = {
    clients: [{ clientId: e.ZUORA_SIM_CLIENT_ID, clientSecret: e.ZUORA_SIM_CLIENT_SECRET }],
    tokenTtlSeconds: e.ZUORA_SIM_TOKEN_TTL_SECONDS,
    concurrencyLimit: e.ZUORA_SIM_CONCURRENCY_LIMIT,
    rateLimitPerMinute: e.ZUORA_SIM_RATE_LIMIT_PER_MINUTE,
    currency: {
      default: e.ZUORA_SIM_CURRENCY,
      ...(e.ZUORA_SIM_CURRENCY_DECIMALS !== undefined && {
        decimals: Object.fromEntries(
          e.ZUORA_SIM_CURRENCY_DECIMALS.split(',').map((pair) => {
            const [code = '', digits = '2'] = pair.split('=');
            return [code.toUpperCase(), Number(digits)];
          }),
        ),
      }),
    },
    ...(e.ZUORA_SIM_TIME_ZONE !== undefined && { timeZone: e.ZUORA_SIM_TIME_ZONE }),
    faults: parseFaultRules(e.ZUORA_SIM_FAULTS),
  };
  if (e.ZUORA_SIM_SEED_FILE) options.seed = parse(readFileSync(e.ZUORA_SIM_SEED_FILE, 'utf8')) as never;
  if (e.ZUORA_SIM_CALLOUT_URL) {
    options.callout = {
      url: e.ZUORA_SIM_CALLOUT_URL,
      attempts: e.ZUORA_SIM_CALLOUT_ATTEMPTS,
      intervalMs: e.ZUORA_SIM_CALLOUT_INTERVAL_MS,
      ...(e.ZUORA_SIM_CALLOUT_USERNAME !== undefined
        ? {
            basicAuth: {
              username: e.ZUORA_SIM_CALLOUT_USERNAME,
              password: e.ZUORA_SIM_CALLOUT_PASSWORD ?? '',
            },
          }
        : {}),
      ...(e.ZUORA_SIM_CALLOUT_HMAC_SECRET !== undefined
        ? {
            signature: {
              algorithm: e.ZUORA_SIM_CALLOUT_HMAC_ALGORITHM,
              secret: e.ZUORA_SIM_CALLOUT_HMAC_SECRET,
              header: e.ZUORA_SIM_CALLOUT_HMAC_HEADER,
            },
          }
        : {}),
    };
  }
  return { options, port: e.ZUORA_SIM_PORT, host: e.ZUORA_SIM_HOST };
}

async function main(): Promise<void> {
  const { options, port, host } = zuoraOptionsFromEnv(process.env);
  const running = await startZuoraSimulator(options, { port, host });
  const { clientId, clientSecret } = running.sim.credentials;
  // Sandbox credentials of a local simulator, printed on purpose so a demo can use them.
  console.log(`Zuora simulator listening on ${running.url}`);
  console.log(
    `  OAuth:  POST ${running.url}/oauth/token  client_id=${clientId}  client_secret=${clientSecret}`,
  );
  console.log(`  Admin:  ${running.url}${ADMIN_PREFIX}/state`);
  const fields = Object.entries(running.sim.context.options.customFields)
    .map(
      ([object, list]) =>
        `${object}: ${list.map((f) => f.name + (f.filterable ? ' (filterable)' : '')).join(', ')}`,
    )
    .join('; ');
  console.log(`  Custom fields:  ${fields}`);
  console.log(`  Time zone:  ${running.sim.context.options.timeZone}`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run as a program (`npm run sim:zuora`, `node …/zuora/main.js`), not when imported.
const isEntryPoint =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
