/**
 * `npm run sim:togai`: the Togai simulator on its own, configured from the environment.
 *
 *   TOGAI_SIM_PORT              port (default 4020; the Zuora simulator's is 4010); TOGAI_SIM_HOST (default 127.0.0.1)
 *   TOGAI_SIM_API_TOKEN         the API token clients send as Bearer (default togai-sim-token)
 *   TOGAI_SIM_WEBHOOK_URL       comma-separated receiver URLs of account.created / invoice.generated
 *   TOGAI_SIM_WEBHOOK_SECRET    HMAC-SHA256 key of Togai-Signature (required with a URL)
 *   TOGAI_SIM_RATE_LIMIT        requests/s (default 10); TOGAI_SIM_INGEST_RATE_LIMIT (default 50)
 *   TOGAI_SIM_FAULTS            JSON array of fault rules (see src/common/faults.ts)
 *   TOGAI_SIM_SEED_FILE         JSON or YAML seed (see seed.ts); else the demo seed,
 *                               unless TOGAI_SIM_DEMO_SEED=0
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { createLogger } from '../common/logger.js';
import { parseFaultRules } from '../common/faults.js';
import { DEMO_SEED } from './demo-seed.js';
import { DEFAULT_API_TOKEN, startTogaiSimulator } from './simulator.js';
import type { TogaiSeed } from './seed.js';

const envSchema = z
  .object({
    TOGAI_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4020),
    TOGAI_SIM_HOST: z.string().min(1).default('127.0.0.1'),
    TOGAI_SIM_API_TOKEN: z.string().min(8).default(DEFAULT_API_TOKEN),
    TOGAI_SIM_WEBHOOK_URL: z.string().optional(),
    TOGAI_SIM_WEBHOOK_SECRET: z.string().min(1).optional(),
    TOGAI_SIM_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
    TOGAI_SIM_INGEST_RATE_LIMIT: z.coerce.number().int().min(1).default(50),
    TOGAI_SIM_FAULTS: z.string().optional(),
    TOGAI_SIM_SEED_FILE: z.string().optional(),
    TOGAI_SIM_DEMO_SEED: z.enum(['0', '1']).default('1'),
    LOG_LEVEL: z.string().default('info'),
  })
  .refine((e) => !e.TOGAI_SIM_WEBHOOK_URL || e.TOGAI_SIM_WEBHOOK_SECRET, {
    message: 'TOGAI_SIM_WEBHOOK_SECRET is required with TOGAI_SIM_WEBHOOK_URL',
  });

async function main(): Promise<void> {
  const env = envSchema.parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  const logger = createLogger(env.LOG_LEVEL);
  const seed: TogaiSeed | undefined = env.TOGAI_SIM_SEED_FILE
    ? (parse(readFileSync(env.TOGAI_SIM_SEED_FILE, 'utf8')) as TogaiSeed)
    : env.TOGAI_SIM_DEMO_SEED === '1'
      ? DEMO_SEED
      : undefined;
  const urls = (env.TOGAI_SIM_WEBHOOK_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u);
  const running = await startTogaiSimulator({
    port: env.TOGAI_SIM_PORT,
    host: env.TOGAI_SIM_HOST,
    apiToken: env.TOGAI_SIM_API_TOKEN,
    rateLimitPerSecond: env.TOGAI_SIM_RATE_LIMIT,
    ingestRateLimitPerSecond: env.TOGAI_SIM_INGEST_RATE_LIMIT,
    webhooks: urls.map((url) => ({ url, secret: env.TOGAI_SIM_WEBHOOK_SECRET ?? '' })),
    faults: parseFaultRules(env.TOGAI_SIM_FAULTS),
    ...(seed ? { seed } : {}),
    logger,
  });
  // The token is printed on purpose: it is the simulator's own, for pasting into a connection.
  console.log(`Togai simulator listening on ${running.url}`);
  console.log(`API token: ${running.sim.apiToken}`);
  console.log(
    `Admin API: ${running.url}/__admin (state, seed, reset, faults, deliveries, clock, close-cycle)`,
  );
  if (urls.length) console.log(`Webhooks: ${urls.join(', ')}`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
