/**
 * `npm test`'s set-up step, before mocha: the Temporal CLI (dev server) and the time-skipping test
 * server, each fetched or built once into the per-user cache, with progress shown outside mocha's
 * timeouts. Prints where each is; exits 1 with what to fix when one cannot be had.
 */
import { getConfig } from '../config.js';
import { ensureTemporalCliForConfig } from './temporal-cli.js';
import { ensureTimeSkippingServer } from './test-server.js';

try {
  const cli = await ensureTemporalCliForConfig(getConfig());
  if (cli) console.error(`Temporal CLI (${cli.source}): ${cli.path}\n${cli.versionLine}`);
  console.error(`Time-skipping test server: ${await ensureTimeSkippingServer()}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
