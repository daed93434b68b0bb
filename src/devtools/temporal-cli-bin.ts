/**
 * `npm run temporal:cli`: resolve (building if needed) the Temporal CLI and print where it is.
 */
import { getConfig } from '../config.js';
import { ensureTemporalCliForConfig } from './temporal-cli.js';

try {
  const cli = await ensureTemporalCliForConfig(getConfig());
  if (cli) console.error(`Temporal CLI (${cli.source}): ${cli.path}\n${cli.versionLine}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
