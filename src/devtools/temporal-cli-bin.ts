/**
 * `npm run temporal:cli`: resolve (building if needed) the Temporal CLI and print where it is.
 * `npm test` runs this first so the long cold build shows its progress outside mocha's timeouts.
 */
import { getConfig } from '../config.js';
import { ensureTemporalCli, TemporalCliUnavailableError } from './temporal-cli.js';

try {
  const config = getConfig();
  const cli = await ensureTemporalCli({ cliPath: config.temporal.cliPath }).catch((err: unknown) => {
    if (err instanceof TemporalCliUnavailableError && config.temporal.allowSdkDownload) {
      console.error(
        `${err.message}\nTEMPORAL_CLI_DOWNLOAD=1: the tests will let the Temporal SDK download the CLI.`,
      );
      return undefined;
    }
    throw err;
  });
  if (cli) console.error(`Temporal CLI (${cli.source}): ${cli.path}\n${cli.versionLine}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
